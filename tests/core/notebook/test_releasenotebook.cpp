// A notebook written by an earlier release (tests/data/notebooks/README.md says how it was made)
// must still open and read: its runs, their configuration, steps and checks, and the group of a
// "both" preset with its comparison, through the typed run record (core/runrecord). The expected values come from the commands in the README
// (prompt, preset, threshold, max steps, captures) and from the test tokenizer, never from the file.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/notebook/database.h"
#include "core/notebook/notebook.h"
#include "core/testmodel/testmodel.h"
#include "core/tokenizer/tokenizer.h"
#include "support/testsupport.h"

namespace tempo::notebook {
namespace {

const std::string kPrompt = "The cat sat on the";
constexpr double kThreshold = 0.05;
constexpr int kMaxSteps = 4;
const std::string kSweepPrompt = "The dog ran to the";

// A copy in a temp folder: opening may add WAL files next to the notebook, never in the source tree.
class ReleaseNotebook : public ::testing::Test {
protected:
    void SetUp() override
    {
        const std::filesystem::path source = std::filesystem::path(TEMPO_TEST_DATA_DIR) / "notebooks" / "release-0.sqlite";
        ASSERT_TRUE(std::filesystem::exists(source)) << source;
        path_ = dir_ / "release-0.sqlite";
        std::filesystem::copy_file(source, path_);
    }

    std::vector<std::int64_t> expectedPromptIds() const
    {
        return Tokenizer::fromJsonText(testTokenizerJson(), "test tokenizer").encode(kPrompt, true);
    }

    test::TempDir dir_{"tempo-release-notebook"};
    std::filesystem::path path_;
};

TEST_F(ReleaseNotebook, OpensAndListsItsRuns)
{
    Notebook book(path_.string(), OpenMode::ReadOnly);
    const auto runs = book.runs().list();
    // Newest first: the failed run, the sweep's run, the visible and isolated runs of preset 2, the plain run.
    ASSERT_EQ(runs.size(), 5u);
    EXPECT_EQ(runs[0].status, RunStatus::Failed);
    EXPECT_EQ(runs[0].presetId, "1b");
    EXPECT_EQ(runs[0].stepCount, 0);
    EXPECT_EQ(runs[1].presetId, "1a");
    EXPECT_EQ(runs[1].prompt, kSweepPrompt);
    for (size_t i = 1; i < runs.size(); ++i) {
        EXPECT_EQ(runs[i].status, RunStatus::Finished) << runs[i].id;
        EXPECT_GE(runs[i].stepCount, 1);
        EXPECT_LE(runs[i].stepCount, kMaxSteps);
    }
    for (size_t i = 2; i < runs.size(); ++i)
        EXPECT_EQ(runs[i].prompt, kPrompt);
}

TEST_F(ReleaseNotebook, ReadsThePlainRunsConfiguration)
{
    Notebook book(path_.string(), OpenMode::ReadOnly);
    const std::int64_t runId = book.runs().list().back().id; // made first
    const auto run = book.runs().find(runId);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->presetId, "run");
    const RunConfig& config = run->config;
    ASSERT_TRUE(config.tempo);
    EXPECT_EQ(config.tempo->threshold, kThreshold);
    EXPECT_EQ(config.tempo->maxSteps, kMaxSteps);
    EXPECT_EQ(config.tempo->mode, SiblingMode::Isolated);
    EXPECT_EQ(config.tempo->readout, Readout::Mean);   // the CLI's default
    EXPECT_TRUE(config.tempo->stopAtEos);              // the CLI's default
    EXPECT_EQ(config.prompt, kPrompt);
    EXPECT_EQ(config.promptTokenIds, expectedPromptIds());
    EXPECT_TRUE(config.captures.attention);
    EXPECT_TRUE(config.captures.logits);
    EXPECT_FALSE(config.captures.kv);
    EXPECT_FALSE(config.preset);
    EXPECT_FALSE(config.sweep);
    EXPECT_EQ(config.compute.device, "cpu");
    EXPECT_EQ(config.compute.dtype, "f32");
    EXPECT_EQ(config.compute.threads, 1);
    ASSERT_TRUE(run->modelId);
    const auto model = book.models().find(*run->modelId);
    ASSERT_TRUE(model);
    EXPECT_EQ(config.model.weightsSha256, model->weightsSha256);
    EXPECT_EQ(config.model.folder, model->folder);
    EXPECT_EQ(book.steps().ofRun(runId).size(), static_cast<size_t>(book.runs().list().back().stepCount));
    EXPECT_FALSE(book.checks().ofRun(runId).empty());
}

TEST_F(ReleaseNotebook, ReadsTheGroupOfABothPreset)
{
    Notebook book(path_.string(), OpenMode::ReadOnly);
    const auto groups = book.groups().all();
    ASSERT_EQ(groups.size(), 1u);
    const auto group = book.groups().find(groups.front());
    ASSERT_TRUE(group);
    EXPECT_EQ(group->kind, "mode-pair");
    ASSERT_EQ(group->runIds.size(), 2u);
    const GroupComparison& comparison = group->comparison;
    EXPECT_EQ(comparison.kind, "mode-pair");
    EXPECT_EQ(comparison.presetId, "2");
    EXPECT_EQ(comparison.isolatedRunId, std::optional<std::int64_t>(group->runIds[0]));
    EXPECT_EQ(comparison.visibleRunId, std::optional<std::int64_t>(group->runIds[1]));
    ASSERT_TRUE(comparison.verdict);
    EXPECT_FALSE(comparison.verdict->criteria.empty());
    ASSERT_TRUE(comparison.metrics);
    // Preset 2 asks for distribution_comparison: its pair metrics are stored with the group.
    EXPECT_TRUE(std::any_of(comparison.metrics->begin(), comparison.metrics->end(),
                            [](const AnalysisMetric& m) { return m.name.rfind("distribution.", 0) == 0; }));

    const SiblingMode modes[] = {SiblingMode::Isolated, SiblingMode::Visible};
    for (size_t i = 0; i < 2; ++i) {
        const auto run = book.runs().find(group->runIds[i]);
        ASSERT_TRUE(run);
        EXPECT_EQ(run->presetId, "2");
        const RunConfig& config = run->config;
        ASSERT_TRUE(config.tempo);
        EXPECT_EQ(config.tempo->mode, modes[i]);
        EXPECT_EQ(config.tempo->threshold, kThreshold);
        EXPECT_EQ(config.tempo->maxSteps, kMaxSteps);
        ASSERT_TRUE(config.preset);
        EXPECT_EQ(config.preset->id, "2");
        EXPECT_EQ(config.preset->mode, PresetMode::Both);
        EXPECT_EQ(config.preset->maxSteps, kMaxSteps);
        EXPECT_EQ(config.preset->threshold, kThreshold);
        EXPECT_TRUE(config.preset->hasAnalysis("verdict"));
        EXPECT_EQ(config.promptTokenIds, expectedPromptIds());
        EXPECT_EQ(book.groups().ofRun(run->id), groups);
    }
}

TEST_F(ReleaseNotebook, ReadsTheSweepRunAndItsPoint)
{
    Notebook book(path_.string(), OpenMode::ReadOnly);
    const auto sweeps = book.sweeps().all();
    ASSERT_EQ(sweeps.size(), 1u);
    const auto sweep = book.sweeps().find(sweeps.front());
    ASSERT_TRUE(sweep);
    ASSERT_EQ(sweep->runs.size(), 1u);
    const auto run = book.runs().find(sweep->runs.front().first);
    ASSERT_TRUE(run);
    const RunConfig& config = run->config;
    ASSERT_TRUE(config.sweep);
    EXPECT_EQ(config.sweep->sweepId, sweep->id);
    EXPECT_EQ(config.sweep->category, "animals");
    EXPECT_EQ(config.sweep->promptIndex, 0);
    EXPECT_EQ(config.sweep->threshold, kThreshold);
    ASSERT_TRUE(config.tempo);
    EXPECT_EQ(config.tempo->maxSteps, 3);
    EXPECT_EQ(config.tempo->threshold, kThreshold);
    EXPECT_EQ(config.prompt, kSweepPrompt);
    ASSERT_TRUE(config.preset);
    EXPECT_EQ(config.preset->id, "1a");
}

TEST_F(ReleaseNotebook, ReadsARunThatFailedBeforeDecoding)
{
    Notebook book(path_.string(), OpenMode::ReadOnly);
    const auto run = book.runs().find(book.runs().list().front().id);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, RunStatus::Failed);
    EXPECT_NE(run->errorText.find("missing-model"), std::string::npos) << run->errorText;
    const RunConfig& config = run->config;
    EXPECT_FALSE(config.decoded());
    EXPECT_TRUE(config.promptTokenIds.empty());
    ASSERT_TRUE(config.preset);
    EXPECT_EQ(config.preset->id, "1b");
    EXPECT_EQ(config.prompt, kPrompt);
    EXPECT_NE(config.model.folder.find("missing-model"), std::string::npos) << config.model.folder;
    EXPECT_TRUE(config.model.weightsSha256.empty());
}

// The one writer gives back exactly what the release stored: reading then writing loses nothing.
TEST_F(ReleaseNotebook, WritingTheReadRecordsGivesTheStoredJson)
{
    Notebook book(path_.string(), OpenMode::ReadOnly);
    Statement runs = book.database().prepare("SELECT id, config_json FROM runs ORDER BY id");
    int count = 0;
    while (runs.step()) {
        const auto run = book.runs().find(runs.int64(0));
        ASSERT_TRUE(run);
        EXPECT_EQ(runConfigJson(run->config), nlohmann::json::parse(runs.text(1))) << "run " << run->id;
        ++count;
    }
    EXPECT_EQ(count, 5);
    Statement groups = book.database().prepare("SELECT id, comparison_json FROM run_groups ORDER BY id");
    ASSERT_TRUE(groups.step());
    const auto group = book.groups().find(groups.int64(0));
    ASSERT_TRUE(group);
    EXPECT_EQ(groupComparisonJson(group->comparison), nlohmann::json::parse(groups.text(1)));
}

} // namespace
} // namespace tempo::notebook
