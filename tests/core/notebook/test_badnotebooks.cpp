// Bad notebooks: each gives a NotebookError naming the path, what was expected and what was found,
// and the user's file keeps every byte it had.

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <random>

#include "core/common/errors.h"
#include "core/notebook/database.h"
#include "core/notebook/notebook.h"
#include "notebookfixtures.h"
#include "support/testsupport.h"

namespace tempo::notebook {
namespace {

// Opens `path` expecting a NotebookError whose message holds the path and every one of `words`;
// returns the message.
std::string expectOpenFails(const std::string& path, OpenMode mode, const std::vector<std::string>& words)
{
    try {
        Notebook notebook(path, mode);
    } catch (const NotebookError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(path), std::string::npos) << "path missing from: " << message;
        EXPECT_NE(message.find("expected"), std::string::npos) << message;
        EXPECT_NE(message.find("found"), std::string::npos) << message;
        for (const auto& word : words)
            EXPECT_NE(message.find(word), std::string::npos) << "'" << word << "' missing from: " << message;
        std::printf("message: %s\n", message.c_str());
        return message;
    }
    ADD_FAILURE() << "opening " << path << " did not fail";
    return {};
}

std::string makeNotebookWithData(const test::TempDir& dir, const std::string& name)
{
    const std::string path = (dir / name).string();
    Notebook notebook(path);
    for (int i = 0; i < 3; ++i)
        testing::writeFullRun(notebook, "prompt " + std::to_string(i));
    notebook.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return path;
}

TEST(BadNotebooks, TextFileIsNotSqliteAndIsLeftAlone)
{
    test::TempDir dir;
    const auto path = dir / "notes.txt";
    std::string text;
    for (int i = 0; i < 200; ++i)
        text += "line " + std::to_string(i) + " of a researcher's text file\n";
    test::writeFileBytes(path, text);
    for (OpenMode mode : {OpenMode::ReadWrite, OpenMode::ReadOnly})
        expectOpenFails(path.string(), mode, {"not SQLite", "SQLite format 3", "line 0 of"});
    EXPECT_EQ(test::readFileBytes(path), text);
    EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal")) << "SQLite never touched it";
    EXPECT_FALSE(std::filesystem::exists(path.string() + "-shm"));
}

TEST(BadNotebooks, SqliteDatabaseOfAnotherProgramIsLeftAlone)
{
    test::TempDir dir;
    const std::string path = (dir / "other.sqlite").string();
    {
        Database db(path, Database::Mode::ReadWriteCreate);
        db.exec("CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('https://example.org')");
    }
    const std::string before = test::readFileBytes(path);
    expectOpenFails(path, OpenMode::ReadWrite, {"another program"});
    EXPECT_EQ(test::readFileBytes(path), before);

    const std::string foreignId = (dir / "foreign-app.sqlite").string();
    {
        Database db(foreignId, Database::Mode::ReadWriteCreate);
        db.exec("PRAGMA application_id = 1234; PRAGMA user_version = 1; CREATE TABLE runs (x)");
    }
    const std::string foreignBefore = test::readFileBytes(foreignId);
    expectOpenFails(foreignId, OpenMode::ReadWrite, {"application_id", "1234"});
    EXPECT_EQ(test::readFileBytes(foreignId), foreignBefore);
}

// The 100-byte header intact (so it looks like SQLite), every page after it garbage.
TEST(BadNotebooks, CorruptFileGivesAClearErrorAndKeepsItsBytes)
{
    test::TempDir dir;
    const std::string path = makeNotebookWithData(dir, "corrupt.sqlite");
    std::string bytes = test::readFileBytes(path);
    ASSERT_GT(bytes.size(), 8192u);
    std::mt19937 random(7);
    for (std::size_t i = 100; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>(random());
    test::writeFileBytes(path, bytes);
    for (OpenMode mode : {OpenMode::ReadWrite, OpenMode::ReadOnly}) {
        const std::string message = expectOpenFails(path, mode, {});
        EXPECT_TRUE(message.find("corrupt") != std::string::npos || message.find("not SQLite") != std::string::npos)
            << message;
        EXPECT_EQ(test::readFileBytes(path), bytes);
    }
}

// The schema pages intact, the last quarter of the file (table and tensor pages) garbage: opening
// may succeed, but every read that meets a bad page is a NotebookError, never a crash, and the
// file stays as it was.
TEST(BadNotebooks, CorruptTablePagesFailOnReadAndKeepTheirBytes)
{
    test::TempDir dir;
    const std::string path = makeNotebookWithData(dir, "pages.sqlite");
    {
        Notebook notebook(path);
        const std::int64_t runId = notebook.runs().create(testing::sampleRun("big capture"));
        notebook.steps().append(runId, testing::sampleStep(0), {testing::sampleTensor("attention", 256, 1024)}); // 1 MB
        notebook.runs().finish(runId, RunStatus::Finished, "", "{}", "");
        notebook.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    std::string bytes = test::readFileBytes(path);
    std::mt19937 random(11);
    for (std::size_t i = bytes.size() / 4 * 3 / 4096 * 4096; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>(random());
    test::writeFileBytes(path, bytes);
    std::string failedAt = "nowhere";
    try {
        failedAt = "open";
        Notebook notebook(path);
        failedAt = "listRuns";
        for (const auto& run : notebook.runs().list({})) {
            failedAt = "reading run " + std::to_string(run.id);
            notebook.steps().ofRun(run.id);
            notebook.notes().ofRun(run.id);
            for (const auto& info : notebook.tensors().infosOfRun(run.id))
                notebook.tensors().load(info.id);
        }
        failedAt = "nowhere";
    } catch (const NotebookError& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        std::printf("failed at %s: %s\n", failedAt.c_str(), e.what());
    }
    EXPECT_NE(failedAt, "nowhere") << "garbage pages went unnoticed";
    EXPECT_EQ(test::readFileBytes(path), bytes);
}

TEST(BadNotebooks, TruncatedFileIsRefused)
{
    test::TempDir dir;
    const std::string source = makeNotebookWithData(dir, "full.sqlite");
    const auto path = dir / "truncated.sqlite";
    const std::string head = test::readFileBytes(source).substr(0, 60);
    test::writeFileBytes(path, head);
    expectOpenFails(path.string(), OpenMode::ReadWrite, {});
    EXPECT_EQ(test::readFileBytes(path), head);
}

TEST(BadNotebooks, SchemaNewerThanThisBuildIsRefused)
{
    test::TempDir dir;
    const std::string path = makeNotebookWithData(dir, "future.sqlite");
    {
        Database db(path, Database::Mode::ReadWrite);
        db.exec("PRAGMA user_version = 99");
    }
    const std::string before = test::readFileBytes(path);
    for (OpenMode mode : {OpenMode::ReadWrite, OpenMode::ReadOnly})
        expectOpenFails(path, mode, {"schema version", "99", "newer", std::to_string(Notebook::latestSchemaVersion())});
    EXPECT_EQ(test::readFileBytes(path), before);
}

TEST(BadNotebooks, ReadOnlyFileCanBeBrowsedButNotOpenedForWriting)
{
    test::TempDir dir;
    const std::string path = makeNotebookWithData(dir, "readonly.sqlite");
    ASSERT_EQ(::chmod(path.c_str(), 0444), 0);
    const std::string before = test::readFileBytes(path);
    expectOpenFails(path, OpenMode::ReadWrite, {"read-only", "444"});
    {
        Notebook reader(path, OpenMode::ReadOnly);
        EXPECT_EQ(reader.runs().count(), 3);
        EXPECT_EQ(reader.runs().list({"prompt", "", std::nullopt, 100, 0}).size(), 3u);
        EXPECT_THROW(reader.runs().remove(1), NotebookError);
    }
    EXPECT_EQ(test::readFileBytes(path), before);
    ::chmod(path.c_str(), 0644);
}

TEST(BadNotebooks, MissingFileOrFolderForReading)
{
    test::TempDir dir;
    expectOpenFails((dir / "absent.sqlite").string(), OpenMode::ReadOnly, {"no file"});
    expectOpenFails(dir.path().string(), OpenMode::ReadWrite, {"regular file"});
    EXPECT_THROW(Notebook((dir / "no-such-folder" / "n.sqlite").string()), NotebookError);
}

// A full disk, simulated by capping the file's page count: the failing step is a clear error,
// rolled back whole; what was committed before stays; once space returns, writing goes on.
TEST(BadNotebooks, FullDiskFailsTheWriteCleanlyAndKeepsCommittedData)
{
    test::TempDir dir;
    const std::string path = (dir / "full.sqlite").string();
    Notebook notebook(path);
    const std::int64_t runId = notebook.runs().create(testing::sampleRun("filling the disk"));
    notebook.steps().append(runId, testing::sampleStep(0));
    notebook.steps().append(runId, testing::sampleStep(1));
    Database& db = notebook.database();
    const std::int64_t pages = db.queryInt("PRAGMA page_count");
    db.queryInt("PRAGMA max_page_count = " + std::to_string(pages + 8));
    try {
        // [512, 512] f32 = 1 MB, far beyond 8 more pages of 4 KB.
        notebook.steps().append(runId, testing::sampleStep(2), {testing::sampleTensor("huge", 512, 512)});
        ADD_FAILURE() << "the write did not fail";
    } catch (const NotebookError& e) {
        const std::string message = e.what();
        std::printf("message: %s\n", message.c_str());
        EXPECT_NE(message.find("full"), std::string::npos) << message;
        EXPECT_NE(message.find(path), std::string::npos) << message;
        EXPECT_NE(message.find("unchanged"), std::string::npos) << message;
    }
    EXPECT_EQ(notebook.steps().ofRun(runId).size(), 2u) << "committed steps kept, the failed one absent";
    EXPECT_TRUE(notebook.tensors().infosOfRun(runId).empty());
    db.queryInt("PRAGMA max_page_count = 1073741823");
    notebook.steps().append(runId, testing::sampleStep(2), {testing::sampleTensor("huge", 512, 512)});
    notebook.runs().finish(runId, RunStatus::Finished, "done", "{}", "");
    Notebook reopened(path, OpenMode::ReadOnly);
    EXPECT_EQ(reopened.steps().ofRun(runId).size(), 3u);
    EXPECT_EQ(reopened.runs().find(runId)->status, RunStatus::Finished);
}

} // namespace
} // namespace tempo::notebook
