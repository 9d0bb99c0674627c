// A notebook written by an earlier release (tests/data/notebooks/README.md says how it was made)
// must still open and read: its runs, their configuration, steps and checks, and the group of a
// "both" preset with its comparison. The expected values come from the commands in the README
// (prompt, preset, threshold, max steps, captures) and from the test tokenizer, never from the file.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/notebook/notebook.h"
#include "core/testmodel/testmodel.h"
#include "core/tokenizer/tokenizer.h"
#include "support/testsupport.h"

namespace tempo::notebook {
namespace {

using nlohmann::json;

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
    const json config = json::parse(run->configJson);
    EXPECT_EQ(config["tempo"]["threshold"].get<double>(), kThreshold);
    EXPECT_EQ(config["tempo"]["max_steps"].get<int>(), kMaxSteps);
    EXPECT_EQ(config["tempo"]["mode"], "isolated");
    EXPECT_EQ(config["prompt"], kPrompt);
    EXPECT_EQ(config["prompt_token_ids"].get<std::vector<std::int64_t>>(), expectedPromptIds());
    EXPECT_TRUE(config["captures"]["attention"].get<bool>());
    EXPECT_TRUE(config["captures"]["logits"].get<bool>());
    EXPECT_TRUE(config["preset"].is_null());
    ASSERT_TRUE(run->modelId);
    const auto model = book.models().find(*run->modelId);
    ASSERT_TRUE(model);
    EXPECT_EQ(config["model"]["weights_sha256"], model->weightsSha256);
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
    const json comparison = json::parse(group->comparisonJson);
    EXPECT_EQ(comparison["preset"], "2");
    EXPECT_EQ(comparison["isolated_run"].get<std::int64_t>(), group->runIds[0]);
    EXPECT_EQ(comparison["visible_run"].get<std::int64_t>(), group->runIds[1]);
    const std::string scenario = comparison["verdict"]["scenario"];
    const std::vector<std::string> scenarios{"A", "B", "C", "D", "inconclusive"};
    EXPECT_NE(std::find(scenarios.begin(), scenarios.end(), scenario), scenarios.end()) << scenario;
    EXPECT_FALSE(comparison["verdict"]["criteria"].empty());

    const char* modes[] = {"isolated", "visible"};
    for (size_t i = 0; i < 2; ++i) {
        const auto run = book.runs().find(group->runIds[i]);
        ASSERT_TRUE(run);
        EXPECT_EQ(run->presetId, "2");
        const json config = json::parse(run->configJson);
        EXPECT_EQ(config["tempo"]["mode"], modes[i]);
        EXPECT_EQ(config["tempo"]["threshold"].get<double>(), kThreshold);
        EXPECT_EQ(config["tempo"]["max_steps"].get<int>(), kMaxSteps);
        EXPECT_EQ(config["preset"]["id"], "2");
        EXPECT_EQ(config["preset"]["mode"], "both");
        EXPECT_EQ(config["preset"]["max_steps"].get<int>(), kMaxSteps);
        EXPECT_EQ(config["prompt_token_ids"].get<std::vector<std::int64_t>>(), expectedPromptIds());
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
    const json config = json::parse(run->configJson);
    EXPECT_EQ(config["sweep"]["sweep_id"].get<std::int64_t>(), sweep->id);
    EXPECT_EQ(config["sweep"]["point"]["category"], "animals");
    EXPECT_EQ(config["sweep"]["point"]["prompt_index"].get<int>(), 0);
    EXPECT_EQ(config["sweep"]["point"]["threshold"].get<double>(), kThreshold);
    EXPECT_EQ(config["tempo"]["max_steps"].get<int>(), 3);
    EXPECT_EQ(config["prompt"], kSweepPrompt);
}

TEST_F(ReleaseNotebook, ReadsARunThatFailedBeforeDecoding)
{
    Notebook book(path_.string(), OpenMode::ReadOnly);
    const auto run = book.runs().find(book.runs().list().front().id);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, RunStatus::Failed);
    EXPECT_NE(run->errorText.find("missing-model"), std::string::npos) << run->errorText;
    const json config = json::parse(run->configJson);
    EXPECT_FALSE(config.contains("tempo"));
    EXPECT_FALSE(config.contains("prompt_token_ids"));
    EXPECT_EQ(config["preset"]["id"], "1b");
    EXPECT_EQ(config["prompt"], kPrompt);
    const std::string folder = config["model"]["folder"];
    EXPECT_NE(folder.find("missing-model"), std::string::npos) << folder;
}

} // namespace
} // namespace tempo::notebook
