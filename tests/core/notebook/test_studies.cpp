// Studies (schema 5): the store round trip, status and writer, sweeps, report links, the
// typed spec/summary records refusing bad fields, older notebooks, and transfers carrying studies.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/notebook/database.h"
#include "core/notebook/migrations.h"
#include "core/notebook/notebook.h"
#include "core/notebook/notebooktransfer.h"
#include "notebookfixtures.h"
#include "support/testsupport.h"

namespace tempo::notebook {
namespace {

StudyRecord sampleStudy()
{
    StudyRecord study;
    study.name = "default suite on tiny-llama";
    study.modelFolder = "/models/tiny-llama";
    study.spec.suiteName = "default.jsonl";
    study.spec.prompts = {{"narrative", "The cat sat on the", 10}, {"code", "def add(a, b):", std::nullopt}};
    study.spec.thresholds = {0.01, 0.3};
    study.spec.presets = {"1a", "2"};
    study.spec.stepsOverride = 5;
    study.spec.control = true;
    study.spec.compute = {"cpu", "f32", 2};
    return study;
}

std::int64_t sampleSweep(Notebook& notebook, const std::string& name)
{
    return notebook.sweeps().create({0, "", name, R"({"spec":{}})", "", {}});
}

TEST(NotebookStudies, StoreRoundTripsSpecSummarySweepsAndStatus)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const StudyRecord written = sampleStudy();
    const std::int64_t id = notebook.studies().create(written);
    auto read = notebook.studies().find(id);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->spec, written.spec);
    EXPECT_EQ(read->name, written.name);
    EXPECT_EQ(read->modelFolder, written.modelFolder);
    EXPECT_EQ(read->status, StudyStatus::Running);
    EXPECT_EQ(read->uuid.size(), 36u);
    EXPECT_FALSE(read->createdAt.empty());
    EXPECT_TRUE(read->finishedAt.empty());
    EXPECT_EQ(notebook.studies().findByUuid(read->uuid), id);

    StudySummary summary;
    summary.points = 12;
    summary.pointsDone = 7;
    summary.pointsReused = 3;
    summary.runsMade = 9;
    summary.wallSeconds = 41.5;
    summary.forwardSeconds = 39.25;
    summary.tensorRetention = "first prompt of each family";
    summary.widthCaps = {{"1a", 0, 0.01, 10, 32, 4}};
    notebook.studies().setSummary(id, summary);
    EXPECT_EQ(notebook.studies().find(id)->summary, summary);

    const std::int64_t tempoSweep = sampleSweep(notebook, "preset 1a");
    const std::int64_t controlSweep = sampleSweep(notebook, "preset 2 control");
    notebook.studies().addSweep(id, {controlSweep, "2", StudySweepRole::Control, 1});
    notebook.studies().addSweep(id, {tempoSweep, "1a", StudySweepRole::Tempo, 0});
    const auto sweeps = notebook.studies().sweepsOf(id);
    ASSERT_EQ(sweeps.size(), 2u);
    EXPECT_EQ(sweeps[0], (StudySweep{tempoSweep, "1a", StudySweepRole::Tempo, 0})) << "ordered by position";
    EXPECT_EQ(sweeps[1], (StudySweep{controlSweep, "2", StudySweepRole::Control, 1}));
    EXPECT_EQ(notebook.studies().ofSweep(controlSweep), std::vector<std::int64_t>{id});
    notebook.studies().addSweep(id, {tempoSweep, "1a", StudySweepRole::Tempo, 5}); // again: updated, not doubled
    EXPECT_EQ(notebook.studies().sweepsOf(id).size(), 2u);
    EXPECT_EQ(notebook.studies().sweepsOf(id).back().position, 5);
    EXPECT_THROW(notebook.studies().addSweep(id, {9999, "1a", StudySweepRole::Tempo, 0}), InvalidArgument);
    EXPECT_THROW(notebook.studies().addSweep(9999, {tempoSweep, "1a", StudySweepRole::Tempo, 0}), InvalidArgument);

    notebook.studies().setStatus(id, StudyStatus::Cancelled);
    EXPECT_EQ(notebook.studies().find(id)->status, StudyStatus::Cancelled);
    EXPECT_FALSE(notebook.studies().find(id)->finishedAt.empty());
    notebook.studies().setStatus(id, StudyStatus::Running);
    EXPECT_TRUE(notebook.studies().find(id)->finishedAt.empty()) << "a resumed study is not finished";
    EXPECT_THROW(notebook.studies().setStatus(9999, StudyStatus::Finished), InvalidArgument);
    EXPECT_THROW(notebook.studies().setSummary(9999, summary), InvalidArgument);

    const std::int64_t second = notebook.studies().create(sampleStudy());
    ASSERT_EQ(notebook.studies().list().size(), 2u);
    EXPECT_EQ(notebook.studies().list()[1].id, second);
    EXPECT_EQ(notebook.studies().all(), (std::vector<std::int64_t>{id, second}));
}

TEST(NotebookStudies, ReportsLinkToTheirStudy)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const std::int64_t id = notebook.studies().create(sampleStudy());
    ReportRecord report;
    report.title = "Study 1";
    report.markdown = "# Study 1\n";
    report.studyId = id;
    const std::int64_t reportId = notebook.reports().add(report);
    EXPECT_EQ(notebook.reports().ofStudy(id), std::vector<std::int64_t>{reportId});
    EXPECT_EQ(notebook.reports().find(reportId)->studyId, id);
    EXPECT_FALSE(notebook.reports().find(reportId)->sweepId);
    ReportRecord other;
    other.title = "not a study's";
    EXPECT_FALSE(notebook.reports().find(notebook.reports().add(other))->studyId);
}

TEST(NotebookStudies, RunningStudyOfADeadWriterReadsInterruptedAfterOpen)
{
    test::TempDir dir;
    const std::string path = (dir / "n.sqlite").string();
    std::int64_t dead = 0, alive = 0;
    {
        Notebook notebook(path);
        dead = notebook.studies().create(sampleStudy());
        alive = notebook.studies().create(sampleStudy());
        // A pid no process has: the writer was killed.
        notebook.database().exec("UPDATE studies SET writer_pid = 2147483000 WHERE id = " + std::to_string(dead));
    }
    {
        Notebook reader(path, OpenMode::ReadOnly);
        EXPECT_EQ(reader.studies().find(dead)->status, StudyStatus::Running) << "read-only opens change nothing";
    }
    Notebook notebook(path);
    EXPECT_EQ(notebook.studies().find(dead)->status, StudyStatus::Interrupted);
    EXPECT_EQ(notebook.studies().find(alive)->status, StudyStatus::Running) << "this process still runs it";
    EXPECT_EQ(notebook.studiesInterruptedOnOpen(), std::vector<std::int64_t>{dead});
}

TEST(NotebookStudies, OlderNotebooksReadWithoutStudiesAndMigrate)
{
    test::TempDir dir;
    const std::string path = (dir / "v4.sqlite").string();
    {
        Database db(path, Database::Mode::ReadWriteCreate);
        db.exec("PRAGMA application_id = 1414548546");
        migrate(db, 4);
        db.exec("INSERT INTO reports (title, markdown, created_at) VALUES ('old', '# old', '2026-12-01T00:00:00Z')");
    }
    {
        Notebook reader(path, OpenMode::ReadOnly);
        EXPECT_EQ(reader.schemaVersion(), 4);
        EXPECT_TRUE(reader.studies().list().empty());
        EXPECT_FALSE(reader.studies().find(1));
        EXPECT_TRUE(reader.reports().ofStudy(1).empty());
        ASSERT_TRUE(reader.reports().find(1));
        EXPECT_FALSE(reader.reports().find(1)->studyId);
    }
    Notebook notebook(path);
    EXPECT_EQ(notebook.schemaVersion(), 5);
    EXPECT_EQ(notebook.studies().find(notebook.studies().create(sampleStudy()))->spec, sampleStudy().spec);
}

TEST(NotebookStudies, StatusColumnRefusesUnknownWords)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    notebook.studies().create(sampleStudy());
    EXPECT_THROW(notebook.database().exec("UPDATE studies SET status = 'paused'"), NotebookError);
    EXPECT_THROW(studyStatusFromString("paused"), InvalidArgument);
    EXPECT_EQ(studyStatusFromString("partial"), StudyStatus::Partial);
}

TEST(StudyRecord, SpecReaderRefusesBadFieldsByName)
{
    const StudySpec spec = sampleStudy().spec;
    EXPECT_EQ(readStudySpec(studySpecJson(spec)), spec);
    EXPECT_EQ(readStudySpecText("{}").presets, defaultStudyPresets()) << "a missing key takes its default";
    EXPECT_EQ(readStudySpecText("{}").thresholds, defaultStudyThresholds());
    const std::vector<std::pair<std::string, std::string>> bad{
        {R"({"prompts": [{"family": "code", "prompt": "x", "steps": 0}]})", "prompts.0.steps"},
        {R"({"prompts": [{"family": 3, "prompt": "x"}]})", "prompts.0.family"},
        {R"({"thresholds": [0.1, "wide"]})", "thresholds.1"},
        {R"({"presets": "1a"})", "presets"},
        {R"({"steps": -2})", "steps"},
        {R"({"control": "yes"})", "control"},
        {R"({"compute": {"threads": "four"}})", "compute.threads"},
    };
    for (const auto& [text, field] : bad) {
        try {
            readStudySpecText(text);
            ADD_FAILURE() << "accepted " << text;
        } catch (const InvalidArgument& error) {
            EXPECT_NE(std::string(error.what()).find("study spec field " + field), std::string::npos) << error.what();
        }
    }
    EXPECT_THROW(readStudySpecText("not json"), InvalidArgument);
    EXPECT_THROW(readStudySummaryText(R"({"width_caps": [{"max_width_cap": "four"}]})"), InvalidArgument);
}

TEST(StudyRecord, StepsComeFromOverrideThenPromptThenPreset)
{
    StudySpec spec = sampleStudy().spec;
    spec.stepsOverride.reset();
    EXPECT_EQ(spec.stepsFor(0, 8), 10) << "the prompt's own steps";
    EXPECT_EQ(spec.stepsFor(1, 8), 8) << "no steps on the line: the preset's";
    spec.stepsOverride = 3;
    EXPECT_EQ(spec.stepsFor(0, 8), 3);
    EXPECT_EQ(spec.stepsFor(1, 8), 3);
}

TEST(NotebookStudies, TransfersCarryStudiesWithTheirSweepsAndReports)
{
    test::TempDir dir;
    Notebook server((dir / "server.sqlite").string());
    const std::int64_t runId = testing::writeFullRun(server, "The cat sat on the", 3);
    const std::int64_t sweepId = server.sweeps().create({0, "", "preset 1a", R"({"spec":{}})", "", {{runId, "{}"}}});
    server.sweeps().create({0, "", "an unrelated sweep", R"({"spec":{}})", "", {}});
    const std::int64_t studyId = server.studies().create(sampleStudy());
    server.studies().addSweep(studyId, {sweepId, "1a", StudySweepRole::Tempo, 0});
    ReportRecord report;
    report.title = "Study";
    report.markdown = "# Study\n";
    report.studyId = studyId;
    server.reports().add(report);

    const std::string exported = (dir / "export.sqlite").string();
    const TransferResult out = exportRuns(server, {runId}, exported);
    EXPECT_EQ(out.studiesCopied, 1);
    Notebook home((dir / "home.sqlite").string());
    home.sweeps().create({0, "", "a home sweep first, so ids differ", R"({"spec":{}})", "", {}});
    const TransferResult in = mergeNotebook(home, exported);
    EXPECT_EQ(in.studiesCopied, 1);
    ASSERT_EQ(home.studies().list().size(), 1u);
    const StudyRecord copied = home.studies().list().front();
    EXPECT_EQ(copied.uuid, server.studies().find(studyId)->uuid);
    EXPECT_EQ(copied.spec, sampleStudy().spec);
    EXPECT_EQ(copied.status, StudyStatus::Interrupted) << "a running study arrives interrupted";
    const auto sweeps = home.studies().sweepsOf(copied.id);
    ASSERT_EQ(sweeps.size(), 1u);
    EXPECT_EQ(home.sweeps().find(sweeps[0].sweepId)->name, "preset 1a") << "the link names the destination's sweep";
    ASSERT_EQ(home.reports().ofStudy(copied.id).size(), 1u);
    EXPECT_EQ(home.reports().find(home.reports().ofStudy(copied.id)[0])->title, "Study");

    const TransferResult again = mergeNotebook(home, exported);
    EXPECT_EQ(again.studiesCopied, 0);
    EXPECT_EQ(again.studiesSkipped, 1);
    EXPECT_EQ(home.studies().list().size(), 1u);
}

TEST(NotebookStudies, RemovingARunsTensorsKeepsEverythingElse)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const std::int64_t pruned = testing::writeFullRun(notebook, "pruned", 3);
    const std::int64_t kept = testing::writeFullRun(notebook, "kept", 3);
    std::int64_t expectedBytes = 0;
    for (const TensorInfo& info : notebook.tensors().infosOfRun(pruned))
        expectedBytes += info.byteSize;
    ASSERT_GT(expectedBytes, 0);
    EXPECT_EQ(notebook.tensors().removeOfRun(pruned), expectedBytes);
    notebook.tensors().releaseFreePages();
    EXPECT_TRUE(notebook.tensors().infosOfRun(pruned).empty());
    EXPECT_EQ(notebook.steps().ofRun(pruned).size(), 3u) << "steps stay";
    EXPECT_FALSE(notebook.metrics().ofRun(pruned).empty()) << "metrics stay";
    EXPECT_EQ(notebook.tensors().infosOfRun(kept).size(), 2u) << "other runs keep theirs";
}

} // namespace
} // namespace tempo::notebook
