// The notebook commands of tempo-lab-cli, run as a user would (TEMPO_CLI_PATH) on notebooks the
// test fills through the API.

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "core/notebook/database.h"
#include "core/notebook/notebook.h"
#include "notebookfixtures.h"
#include "support/testsupport.h"

namespace tempo::notebook {
namespace {

struct CliResult {
    int exitCode = -1;
    std::string out;
    std::string err;
};

class NotebookCli : public ::testing::Test {
protected:
    // Runs `tempo-lab-cli ARGS` with XDG_DATA_HOME pointing into the test folder.
    CliResult cli(const std::string& arguments)
    {
        const auto out = dir_ / "stdout.txt", err = dir_ / "stderr.txt";
        const std::string command = "XDG_DATA_HOME='" + (dir_ / "xdg").string() + "' '" + TEMPO_CLI_PATH + "' " +
                                    arguments + " >'" + out.string() + "' 2>'" + err.string() + "'";
        int status = std::system(command.c_str());
        CliResult result;
        result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        result.out = test::readFileBytes(out);
        result.err = test::readFileBytes(err);
        return result;
    }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    static std::string quoted(const std::string& text) { return "'" + text + "'"; }

    test::TempDir dir_;
};

// Three runs: "cat" finished and tagged, "fox" failed with a note, "owl" still running (this
// process is its live writer).
struct Filled {
    std::int64_t cat, fox, owl;
    std::string catUuid;
};

Filled fill(Notebook& notebook)
{
    Filled f;
    RunRecord cat = testing::sampleRun("The cat sat on the");
    cat.startedAt = "2026-03-01T10:00:00.000Z";
    f.cat = notebook.runs().create(cat);
    for (int s = 0; s < 3; ++s)
        notebook.steps().append(f.cat, testing::sampleStep(s), {testing::sampleTensor("attention", 2, 4)});
    notebook.checks().record(f.cat, {{"greedy-equivalence", true, 0.0, "identical"}});
    notebook.tags().add(f.cat, "baseline");
    notebook.runs().finish(f.cat, RunStatus::Finished, "The cat sat on the [mat/rug]", "{}", "");
    RunRecord fox = testing::sampleRun("The quick brown", "5");
    fox.startedAt = "2026-03-02T10:00:00.000Z";
    f.fox = notebook.runs().create(fox);
    notebook.notes().add(f.fox, "ran out of *memory* on the laptop");
    notebook.runs().finish(f.fox, RunStatus::Failed, "", "{}", "out of memory");
    RunRecord owl = testing::sampleRun("Owls hunt at");
    owl.startedAt = "2026-03-03T10:00:00.000Z";
    f.owl = notebook.runs().create(owl);
    f.catUuid = notebook.runs().find(f.cat)->uuid;
    return f;
}

std::vector<std::int64_t> idsOf(const std::string& json)
{
    std::vector<std::int64_t> ids;
    for (const auto& run : nlohmann::json::parse(json))
        ids.push_back(run["id"].get<std::int64_t>());
    return ids;
}

TEST_F(NotebookCli, RunsListsFiltersAndSearches)
{
    Notebook notebook(path("n.sqlite"));
    Filled f = fill(notebook);
    const std::string nb = " --notebook " + quoted(path("n.sqlite"));

    CliResult all = cli("runs" + nb + " --json");
    ASSERT_EQ(all.exitCode, 0) << all.err;
    EXPECT_EQ(idsOf(all.out), (std::vector<std::int64_t>{f.owl, f.fox, f.cat})) << "newest first";
    auto first = nlohmann::json::parse(all.out)[2];
    EXPECT_EQ(first["uuid"], f.catUuid);
    EXPECT_EQ(first["status"], "finished");
    EXPECT_EQ(first["steps"], 3);
    EXPECT_EQ(first["tags"], nlohmann::json::array({"baseline"}));

    EXPECT_EQ(idsOf(cli("runs" + nb + " --json --search memory").out), std::vector<std::int64_t>{f.fox});
    EXPECT_EQ(idsOf(cli("runs" + nb + " --json --search 'cat sat'").out), std::vector<std::int64_t>{f.cat});
    EXPECT_EQ(idsOf(cli("runs" + nb + " --json --tag baseline").out), std::vector<std::int64_t>{f.cat});
    EXPECT_EQ(idsOf(cli("runs" + nb + " --json --status running").out), std::vector<std::int64_t>{f.owl})
        << "the owl's writer (this test) is alive: the CLI must not mark it interrupted";

    CliResult table = cli("runs" + nb);
    ASSERT_EQ(table.exitCode, 0);
    EXPECT_NE(table.out.find(f.catUuid.substr(0, 8)), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("#baseline"), std::string::npos) << table.out;

    CliResult badStatus = cli("runs" + nb + " --status done");
    EXPECT_EQ(badStatus.exitCode, 2);
    EXPECT_NE(badStatus.err.find("interrupted"), std::string::npos) << badStatus.err;
}

TEST_F(NotebookCli, RunsSaysNoRunMatchedTheFilterRatherThanNoRuns)
{
    {
        Notebook notebook(path("n.sqlite"));
        fill(notebook);
        Notebook empty(path("empty.sqlite"));
    }
    const std::string nb = " --notebook " + quoted(path("n.sqlite"));
    for (const std::string filter : {" --search zzzz", " --status cancelled", " --tag nosuchtag"}) {
        SCOPED_TRACE(filter);
        CliResult none = cli("runs" + nb + filter);
        ASSERT_EQ(none.exitCode, 0) << none.err;
        EXPECT_NE(none.out.find("no run matched the filter"), std::string::npos) << none.out;
        EXPECT_NE(none.out.find("3 run(s) in"), std::string::npos) << none.out;
        EXPECT_EQ(none.out.find("no runs in"), std::string::npos) << none.out;
    }
    CliResult empty = cli("runs --search zzzz --notebook " + quoted(path("empty.sqlite")));
    ASSERT_EQ(empty.exitCode, 0) << empty.err;
    EXPECT_NE(empty.out.find("no runs in"), std::string::npos) << "an empty notebook says so: " << empty.out;
}

TEST_F(NotebookCli, ShowByIdAndUuidPrefix)
{
    Notebook notebook(path("n.sqlite"));
    Filled f = fill(notebook);
    const std::string nb = " --notebook " + quoted(path("n.sqlite"));
    CliResult shown = cli("show " + f.catUuid.substr(0, 8) + nb + " --json");
    ASSERT_EQ(shown.exitCode, 0) << shown.err;
    auto run = nlohmann::json::parse(shown.out);
    EXPECT_EQ(run["id"], f.cat);
    EXPECT_EQ(run["prompt"], "The cat sat on the");
    ASSERT_EQ(run["steps"].size(), 3u);
    EXPECT_EQ(run["steps"][2]["token_ids"], nlohmann::json(testing::sampleStep(2).tokenIds));
    EXPECT_EQ(run["steps"][1]["logical_position"], 6);
    EXPECT_EQ(run["checks"][0]["name"], "greedy-equivalence");
    EXPECT_EQ(run["tensors"].size(), 3u);
    EXPECT_EQ(run["tensors"][0]["shape"], nlohmann::json::array({2, 4}));
    EXPECT_EQ(run["provenance"]["git_commit"], "abc123def456");
    EXPECT_EQ(run["config"]["tempo"]["threshold"], 0.1); // the stored configuration, as runConfigJson writes it

    CliResult text = cli("show " + std::to_string(f.fox) + nb);
    ASSERT_EQ(text.exitCode, 0) << text.err;
    EXPECT_NE(text.out.find("out of memory"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("ran out of *memory*"), std::string::npos) << text.out;

    CliResult missing = cli("show 424242" + nb);
    EXPECT_EQ(missing.exitCode, 2);
    EXPECT_NE(missing.err.find("424242"), std::string::npos) << missing.err;
}

TEST_F(NotebookCli, DeleteTagAndNote)
{
    const std::string file = path("n.sqlite");
    Filled f;
    {
        Notebook notebook(file);
        f = fill(notebook);
    }
    const std::string nb = " --notebook " + quoted(file);
    CliResult tagged = cli("tag " + std::to_string(f.fox) + " oom" + nb);
    ASSERT_EQ(tagged.exitCode, 0) << tagged.err;
    CliResult noted = cli("note " + std::to_string(f.fox) + " --text 'retry on the GPU box'" + nb);
    ASSERT_EQ(noted.exitCode, 0) << noted.err;
    CliResult deleted = cli("delete " + f.catUuid + nb);
    ASSERT_EQ(deleted.exitCode, 0) << deleted.err;
    EXPECT_NE(deleted.out.find(f.catUuid), std::string::npos);

    Notebook notebook(file, OpenMode::ReadOnly);
    EXPECT_FALSE(notebook.runs().find(f.cat));
    EXPECT_EQ(notebook.database().queryInt("SELECT count(*) FROM tensors"), 0);
    EXPECT_EQ(notebook.tags().ofRun(f.fox), std::vector<std::string>{"oom"});
    ASSERT_EQ(notebook.notes().ofRun(f.fox).size(), 2u);
    EXPECT_EQ(notebook.notes().ofRun(f.fox)[1].markdown, "retry on the GPU box");
    EXPECT_EQ(notebook.runs().list({"GPU", "", std::nullopt, 100, 0}).size(), 1u);
    // The owl's writer (the fill above, in this process) is alive, so it is still running.
    EXPECT_EQ(notebook.runs().find(f.owl)->status, RunStatus::Running);
}

TEST_F(NotebookCli, ExportImportAndMerge)
{
    const std::string server = path("server.sqlite"), home = path("home.sqlite"), other = path("other.sqlite");
    Filled f;
    {
        Notebook notebook(server);
        f = fill(notebook);
        Notebook homeBook(home);
        homeBook.runs().create(testing::sampleRun("already at home"));
        Notebook otherBook(other);
        otherBook.runs().create(testing::sampleRun("from another machine"));
    }
    const std::string exported = path("cat.sqlite");
    CliResult exportResult = cli("export-run " + std::to_string(f.cat) + " " + quoted(exported) + " --notebook " + quoted(server));
    ASSERT_EQ(exportResult.exitCode, 0) << exportResult.err;
    CliResult overwrite = cli("export-run " + std::to_string(f.cat) + " " + quoted(exported) + " --notebook " + quoted(server));
    EXPECT_EQ(overwrite.exitCode, 2) << "refuses to overwrite";

    CliResult imported = cli("import " + quoted(exported) + " --notebook " + quoted(home));
    ASSERT_EQ(imported.exitCode, 0) << imported.err;
    EXPECT_NE(imported.out.find("1 run(s) copied"), std::string::npos) << imported.out;
    CliResult duplicate = cli("import " + quoted(exported) + " --notebook " + quoted(home));
    ASSERT_EQ(duplicate.exitCode, 0) << duplicate.err;
    EXPECT_NE(duplicate.out.find("1 skipped"), std::string::npos) << duplicate.out;
    EXPECT_NE(duplicate.out.find(f.catUuid), std::string::npos) << duplicate.out;

    CliResult merged = cli("merge " + quoted(other) + " --notebook " + quoted(home));
    ASSERT_EQ(merged.exitCode, 0) << merged.err;

    Notebook homeBook(home, OpenMode::ReadOnly);
    EXPECT_EQ(homeBook.runs().count(), 3);
    Notebook serverBook(server, OpenMode::ReadOnly);
    testing::expectSameRun(serverBook, f.cat, homeBook, *homeBook.runs().findByUuid(f.catUuid));
    EXPECT_EQ(homeBook.runs().list({"another machine", "", std::nullopt, 100, 0}).size(), 1u);
}

// Name -> bytes of every file in `folder`, and the folder's modification time (changes when a
// file is created or removed in it, even if it is removed again).
struct FolderState {
    std::map<std::string, std::string> files;
    std::int64_t mtimeNs = 0;
    bool operator==(const FolderState& o) const { return files == o.files && mtimeNs == o.mtimeNs; }
};
FolderState folderState(const std::filesystem::path& folder)
{
    FolderState state;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
        state.files[entry.path().filename().string()] = test::readFileBytes(entry.path());
    struct stat info {};
    ::stat(folder.c_str(), &info);
    state.mtimeNs = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
    return state;
}
std::string fileNames(const FolderState& state)
{
    std::string names;
    for (const auto& [name, bytes] : state.files)
        names += name + " ";
    return names;
}

TEST_F(NotebookCli, ReadingCommandsBrowseANotebookInAReadOnlyFolder)
{
    // A user browsing a notebook in a folder they cannot write (a shared results folder): SQLite
    // cannot create -wal/-shm there, so the CLI must open it without them. Tests run as root, whom
    // permissions do not stop; the CLI honours a folder without write bits as read-only for
    // everyone (as it does a file's bits), so the folder's state shows whether anything was made.
    const auto folder = dir_.path() / "shared";
    std::filesystem::create_directories(folder);
    const std::string file = (folder / "lab.sqlite").string();
    Filled f;
    {
        Notebook notebook(file);
        f = fill(notebook);
        notebook.runs().finish(f.owl, RunStatus::Finished, "Owls hunt at night", "{}", "");
    }
    ASSERT_EQ(::chmod(folder.c_str(), 0555), 0);
    const FolderState before = folderState(folder);
    const std::string nb = " --notebook " + quoted(file);
    CliResult runs = cli("runs" + nb + " --json");
    CliResult show = cli("show " + std::to_string(f.cat) + nb);
    CliResult exported = cli("export-run " + std::to_string(f.cat) + " " + quoted(path("cat.sqlite")) + nb);
    const FolderState after = folderState(folder);
    ::chmod(folder.c_str(), 0755);
    ASSERT_EQ(runs.exitCode, 0) << runs.err;
    EXPECT_EQ(idsOf(runs.out), (std::vector<std::int64_t>{f.owl, f.fox, f.cat}));
    EXPECT_EQ(show.exitCode, 0) << show.err;
    EXPECT_NE(show.out.find("The cat sat on the"), std::string::npos) << show.out;
    EXPECT_EQ(exported.exitCode, 0) << exported.err;
    EXPECT_TRUE(std::filesystem::exists(path("cat.sqlite")));
    EXPECT_EQ(fileNames(after), fileNames(before)) << "no -wal or -shm left in the folder";
    EXPECT_TRUE(after == before) << "the notebook's bytes and the folder are untouched";
}

TEST_F(NotebookCli, ReadOnlyFlagCreatesNothingNextToTheNotebook)
{
    const std::string file = path("lab.sqlite");
    Filled f;
    {
        Notebook notebook(file);
        f = fill(notebook);
        notebook.runs().finish(f.owl, RunStatus::Finished, "Owls hunt at night", "{}", "");
    }
    const FolderState before = folderState(dir_.path());
    const std::string nb = " --notebook " + quoted(file) + " --read-only";
    CliResult runs = cli("runs --json" + nb);
    CliResult show = cli("show " + std::to_string(f.fox) + nb);
    FolderState after = folderState(dir_.path());
    after.files.erase("stdout.txt"); // the test's own captures of the CLI's output
    after.files.erase("stderr.txt");
    ASSERT_EQ(runs.exitCode, 0) << runs.err;
    EXPECT_EQ(idsOf(runs.out).size(), 3u);
    EXPECT_EQ(show.exitCode, 0) << show.err;
    EXPECT_NE(show.out.find("out of memory"), std::string::npos) << show.out;
    EXPECT_EQ(fileNames(after), fileNames(before)) << "no -wal or -shm, not even for a moment";
    EXPECT_EQ(after.files, before.files) << "the notebook's bytes are unchanged";

    CliResult absent = cli("runs --read-only --notebook " + quoted(path("absent.sqlite")));
    EXPECT_EQ(absent.exitCode, 3);
    EXPECT_FALSE(std::filesystem::exists(path("absent.sqlite")));
}

TEST_F(NotebookCli, ExportRunReplacesAnExistingFileOnlyWithForce)
{
    const std::string file = path("lab.sqlite");
    Filled f;
    {
        Notebook notebook(file);
        f = fill(notebook);
    }
    const std::string out = path("out.sqlite");
    test::writeFileBytes(out, "the user's own file");
    const std::string command = "export-run " + std::to_string(f.cat) + " " + quoted(out) + " --notebook " + quoted(file);
    CliResult refused = cli(command);
    EXPECT_EQ(refused.exitCode, 2) << refused.err;
    EXPECT_NE(refused.err.find(out), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
    EXPECT_EQ(test::readFileBytes(out), "the user's own file");

    CliResult forced = cli(command + " --force");
    ASSERT_EQ(forced.exitCode, 0) << forced.err;
    Notebook exported(out, OpenMode::ReadOnly);
    EXPECT_EQ(exported.runs().count(), 1);
    EXPECT_TRUE(exported.runs().findByUuid(f.catUuid));
}

TEST_F(NotebookCli, DefaultNotebookUnderXdgDataHomeAndBadFiles)
{
    CliResult empty = cli("runs");
    ASSERT_EQ(empty.exitCode, 0) << empty.err;
    EXPECT_NE(empty.out.find("no runs"), std::string::npos) << empty.out;
    const auto defaultPath = dir_.path() / "xdg" / "tempo-lab" / "notebook.sqlite";
    EXPECT_TRUE(std::filesystem::exists(defaultPath)) << "created with its folders";
    {
        Notebook notebook(defaultPath.string());
        notebook.runs().create(testing::sampleRun("in the default notebook"));
    }
    EXPECT_EQ(idsOf(cli("runs --json").out).size(), 1u);

    test::writeFileBytes(dir_ / "text.txt", "not a notebook at all, just text\n");
    CliResult notSqlite = cli("runs --notebook " + quoted(path("text.txt")));
    EXPECT_EQ(notSqlite.exitCode, 3);
    EXPECT_NE(notSqlite.err.find("not SQLite"), std::string::npos) << notSqlite.err;
    EXPECT_EQ(test::readFileBytes(dir_ / "text.txt"), "not a notebook at all, just text\n");
    CliResult absent = cli("runs --notebook " + quoted(path("absent.sqlite")));
    EXPECT_EQ(absent.exitCode, 3);
    EXPECT_FALSE(std::filesystem::exists(path("absent.sqlite"))) << "a named notebook is never created by reading";
}

} // namespace
} // namespace tempo::notebook
