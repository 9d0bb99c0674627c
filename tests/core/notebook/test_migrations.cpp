// Schema migrations: embedded set, a new notebook, and a version-1 notebook with data upgraded.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "core/notebook/database.h"
#include "core/notebook/migrations.h"
#include "core/notebook/notebook.h"
#include "notebookfixtures.h"
#include "support/testsupport.h"

namespace tempo::notebook {
namespace {

std::vector<std::string> tableNames(Database& db)
{
    std::vector<std::string> names;
    Statement query = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    while (query.step())
        names.push_back(query.text(0));
    return names;
}

TEST(NotebookMigrations, EmbeddedFilesAreNumberedWithoutGaps)
{
    const auto& list = migrations();
    ASSERT_GE(list.size(), 2u);
    EXPECT_EQ(list[0].fileName, "0001_initial.sql");
    EXPECT_EQ(list[1].fileName, "0002_sweeps.sql");
    for (std::size_t i = 0; i < list.size(); ++i) {
        EXPECT_EQ(list[i].version, static_cast<int>(i) + 1);
        EXPECT_NE(list[i].sql.find("CREATE TABLE"), std::string::npos) << list[i].fileName;
    }
    EXPECT_EQ(latestSchemaVersion(), static_cast<int>(list.size()));
}

TEST(NotebookMigrations, NewNotebookGetsLatestSchemaWalAndForeignKeys)
{
    test::TempDir dir;
    const std::string path = (dir / "new.sqlite").string();
    Notebook notebook(path);
    EXPECT_EQ(notebook.schemaVersion(), latestSchemaVersion());
    Database& db = notebook.database();
    EXPECT_EQ(db.queryInt("PRAGMA foreign_keys"), 1);
    EXPECT_EQ(db.queryInt("PRAGMA auto_vacuum"), 2); // 2 = INCREMENTAL
    EXPECT_EQ(db.queryInt("PRAGMA application_id"), 0x54504C42);
    Statement mode = db.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.text(0), "wal");
    auto tables = tableNames(db);
    for (const char* expected : {"models", "presets", "runs", "steps", "step_members", "checks", "metrics", "tensors",
                                 "notes", "tags", "run_tags", "run_groups", "run_group_members", "reports",
                                 "report_images", "run_search", "sweeps", "sweep_runs"})
        EXPECT_NE(std::find(tables.begin(), tables.end(), expected), tables.end()) << "missing table " << expected;
}

TEST(NotebookMigrations, EmptyExistingFileBecomesANotebook)
{
    test::TempDir dir;
    const auto path = dir / "empty.sqlite";
    test::writeFileBytes(path, "");
    Notebook notebook(path.string());
    EXPECT_EQ(notebook.schemaVersion(), latestSchemaVersion());
}

TEST(NotebookMigrations, ReopeningDoesNotReapply)
{
    test::TempDir dir;
    const std::string path = (dir / "n.sqlite").string();
    std::int64_t id;
    {
        Notebook notebook(path);
        id = notebook.runs().create(testing::sampleRun("first prompt"));
    }
    Notebook again(path);
    EXPECT_EQ(again.schemaVersion(), latestSchemaVersion());
    EXPECT_EQ(again.runs().count(), 1);
    EXPECT_EQ(again.runs().find(id)->prompt, "first prompt");
}

// A notebook written by a build that knew only schema version 1, filled through plain SQL the way
// that build wrote it, then opened by this build: migrated to the latest version, nothing lost.
TEST(NotebookMigrations, VersionOneNotebookWithDataIsMigratedIntact)
{
    test::TempDir dir;
    const std::string path = (dir / "v1.sqlite").string();
    {
        Database db(path, Database::Mode::ReadWriteCreate);
        db.exec("PRAGMA auto_vacuum = INCREMENTAL; PRAGMA application_id = 1414548546; PRAGMA journal_mode = WAL;"
                " PRAGMA foreign_keys = ON");
        migrate(db, 1);
        ASSERT_EQ(db.queryInt("PRAGMA user_version"), 1);
        db.exec(R"SQL(
            INSERT INTO models (id, folder, name, weights_sha256, tokenizer_sha256, config_json)
                VALUES (7, '/m/cogito', 'cogito-3b', 'w0', 't0', '{"layers":28}');
            INSERT INTO runs (id, uuid, preset_id, config_json, model_id, status, device, dtype, threads,
                              started_at, ended_at, prompt, generated_text)
                VALUES (3, '11111111-2222-4333-8444-555555555555', '2', '{"threshold":0.1}', 7, 'finished',
                        'cpu', 'bf16', 8, '2026-01-02T03:04:05.000Z', '2026-01-02T03:05:00.000Z',
                        'The quick brown', 'The quick brown [fox/dog] jumps');
            INSERT INTO steps (id, run_id, step, logical_position, elapsed_ms) VALUES (40, 3, 0, 3, 2.5);
            INSERT INTO step_members VALUES (40, 0, 21831, ' fox', 0.375, 3), (40, 1, 5679, ' dog', 0.125, 4);
            INSERT INTO checks (run_id, name, passed, value, detail) VALUES (3, 'rope-shift', 1, 0.0001, 'max diff');
            INSERT INTO metrics (run_id, name, value, step, layer, head) VALUES (3, 'kl', 0.5, 0, NULL, NULL);
            INSERT INTO tensors (run_id, name, step, dtype, shape_json, byte_size, data)
                VALUES (3, 'ids', 0, 'i64', '[2]', 16, x'0100000000000000ff00000000000000');
            INSERT INTO notes (run_id, markdown, created_at, edited_at)
                VALUES (3, 'zebra observation', '2026-01-03T00:00:00.000Z', '2026-01-04T00:00:00.000Z');
            INSERT INTO tags (id, name) VALUES (1, 'legacy');
            INSERT INTO run_tags VALUES (3, 1);
        )SQL");
        EXPECT_EQ(db.queryInt("SELECT count(*) FROM sqlite_master WHERE name = 'sweeps'"), 0);
    }
    Notebook notebook(path);
    EXPECT_EQ(notebook.schemaVersion(), latestSchemaVersion());
    Statement foreignKeyCheck = notebook.database().prepare("PRAGMA foreign_key_check");
    EXPECT_FALSE(foreignKeyCheck.step()) << "a row violates a foreign key";
    auto run = notebook.runs().find(3);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->uuid, "11111111-2222-4333-8444-555555555555");
    EXPECT_EQ(run->presetId, "2");
    EXPECT_EQ(run->status, RunStatus::Finished);
    EXPECT_EQ(run->provenance.dtype, "bf16");
    EXPECT_EQ(run->provenance.threads, 8);
    EXPECT_EQ(run->generatedText, "The quick brown [fox/dog] jumps");
    ASSERT_EQ(run->modelId, std::optional<std::int64_t>(7));
    EXPECT_EQ(notebook.models().find(7)->name, "cogito-3b");
    auto steps = notebook.steps().ofRun(3);
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].logicalPosition, 3);
    EXPECT_EQ(steps[0].tokenIds, (std::vector<std::int64_t>{21831, 5679}));
    EXPECT_EQ(steps[0].tokens, (std::vector<std::string>{" fox", " dog"}));
    EXPECT_EQ(steps[0].probabilities, (std::vector<double>{0.375, 0.125}));
    EXPECT_EQ(steps[0].physicalSlots, (std::vector<std::int64_t>{3, 4}));
    ASSERT_EQ(notebook.checks().ofRun(3).size(), 1u);
    EXPECT_EQ(notebook.checks().ofRun(3)[0].name, "rope-shift");
    ASSERT_EQ(notebook.metrics().ofRun(3).size(), 1u);
    auto tensors = notebook.tensors().infosOfRun(3);
    ASSERT_EQ(tensors.size(), 1u);
    TensorBlob ids = notebook.tensors().load(tensors[0].id);
    std::int64_t values[2];
    std::memcpy(values, ids.data.data(), 16);
    EXPECT_EQ(values[0], 1);
    EXPECT_EQ(values[1], 255);
    EXPECT_EQ(notebook.notes().ofRun(3).at(0).editedAt, "2026-01-04T00:00:00.000Z");
    EXPECT_EQ(notebook.tags().ofRun(3), std::vector<std::string>{"legacy"});
    // The full-text index built by version 1 still finds the run by prompt, note and tag.
    for (const char* word : {"quick", "zebra", "legacy"}) {
        auto found = notebook.runs().list({word, "", std::nullopt, 100, 0});
        ASSERT_EQ(found.size(), 1u) << word;
        EXPECT_EQ(found[0].id, 3);
    }
    // Version 2's tables work on the migrated file.
    SweepRecord sweep;
    sweep.name = "threshold sweep";
    sweep.runs = {{3, R"({"threshold":0.1})"}};
    const std::int64_t sweepId = notebook.sweeps().create(sweep);
    EXPECT_EQ(notebook.sweeps().find(sweepId)->runs.size(), 1u);
    // New runs continue after the old ids.
    EXPECT_GT(notebook.runs().create(testing::sampleRun("after migration")), 3);
}

TEST(NotebookMigrations, ReadOnlyOpenReadsAVersionThreeNotebookAndRefusesOlderOnes)
{
    // A notebook written before schema 4 (made here by migrating to 3 only), browsed read-only as
    // from a folder the user cannot write: its runs are listed, and nothing is migrated.
    test::TempDir dir;
    const std::string path = (dir / "v3.sqlite").string();
    {
        Database db(path, Database::Mode::ReadWriteCreate);
        db.exec("PRAGMA application_id = 1414548546"); // 0x54504C42, as Notebook writes it
        migrate(db, 3);
        db.exec("INSERT INTO runs (uuid, preset_id, prompt, config_json, status, started_at) "
                "VALUES ('u-1', '1a', 'The cat', '{}', 'finished', '2026-12-01T00:00:00Z')");
    }
    {
        Notebook reader(path, OpenMode::ReadOnly);
        EXPECT_EQ(reader.schemaVersion(), 3);
        ASSERT_EQ(reader.runs().list({}).size(), 1u);
        EXPECT_EQ(reader.runs().list({}).front().prompt, "The cat");
    }
    {
        Database db(path, Database::Mode::ReadWrite);
        db.exec("PRAGMA user_version = 2");
    }
    try {
        Notebook reader(path, OpenMode::ReadOnly);
        FAIL() << "a version-2 notebook was opened read-only";
    } catch (const NotebookError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("found 2"), std::string::npos) << message;
        EXPECT_NE(message.find("open it once read-write"), std::string::npos) << message;
    }
}

TEST(NotebookMigrations, MigratingStopsAtRequestedVersion)
{
    test::TempDir dir;
    Database db((dir / "partial.sqlite").string(), Database::Mode::ReadWriteCreate);
    migrate(db, 1);
    EXPECT_EQ(db.queryInt("PRAGMA user_version"), 1);
    migrate(db); // the rest
    EXPECT_EQ(db.queryInt("PRAGMA user_version"), latestSchemaVersion());
    EXPECT_THROW(migrate(db, latestSchemaVersion() + 1), NotebookError);
}

} // namespace
} // namespace tempo::notebook
