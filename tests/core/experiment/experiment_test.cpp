// Every shipped preset end to end on the peaked tiny model into a temporary notebook: run rows
// with provenance, steps at the slots and positions of DESIGN.md section 1, every mechanism check
// passed, the captures the preset asked for (and no others), metrics of its analyses, a group of
// two runs for "both", and a verdict.

#include <torch/version.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/common/sha256.h"
#include "core/experiment/capturestore.h"
#include "core/experiment/experimentrunner.h"
#include "core/experiment/experimentfixture.h"

namespace tempo::test {
namespace {

using nlohmann::json;

class PresetEndToEnd : public ExperimentTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(PresetEndToEnd, StoresTheExpectedRecords)
{
    const CatalogEntry entry{*shippedPreset(GetParam()), true};
    const Preset& preset = entry.preset;
    ExperimentRunner runner(book(), cache_);
    std::vector<int64_t> created;
    int64_t lastDone = 0, lastTotal = 0;
    RunCallbacks callbacks;
    callbacks.onRunCreated = [&](int64_t id) { created.push_back(id); };
    callbacks.onProgress = [&](const Progress& p) {
        EXPECT_GT(p.done, lastDone);
        lastDone = p.done;
        lastTotal = p.total;
    };
    const ExperimentResult result = runner.run({entry, peakedModelFolder(), ComputeOptions{}}, callbacks);

    const size_t expectedRuns = preset.mode == PresetMode::Both ? 2 : 1;
    ASSERT_EQ(result.runIds.size(), expectedRuns);
    EXPECT_EQ(created, result.runIds);
    EXPECT_EQ(result.status, notebook::RunStatus::Finished);
    EXPECT_EQ(lastTotal, preset.maxSteps * static_cast<int64_t>(expectedRuns));
    EXPECT_TRUE(result.allChecksPassed());

    const auto model = cache_.get(peakedModelFolder(), ComputeOptions{});
    const int64_t promptLength = static_cast<int64_t>(model->tokenizer->encode(preset.prompt).size());
    for (size_t r = 0; r < result.runIds.size(); ++r) {
        const int64_t runId = result.runIds[r];
        SCOPED_TRACE("preset " + preset.id + " run " + std::to_string(runId));
        const auto run = book().runs().find(runId);
        ASSERT_TRUE(run);
        EXPECT_EQ(run->status, notebook::RunStatus::Finished);
        EXPECT_EQ(run->presetId, preset.id);
        EXPECT_EQ(run->prompt, preset.prompt);
        EXPECT_FALSE(run->endedAt.empty());
        EXPECT_EQ(run->provenance.device, "cpu");
        EXPECT_EQ(run->provenance.dtype, "f32");
        EXPECT_GT(run->provenance.threads, 0);
        EXPECT_EQ(run->provenance.libtorchVersion.substr(0, 2), std::to_string(TORCH_VERSION_MAJOR) + ".");
        EXPECT_FALSE(run->provenance.appVersion.empty());
        EXPECT_FALSE(run->provenance.gitCommit.empty());
        ASSERT_TRUE(run->modelId);
        const auto modelRow = book().models().find(*run->modelId);
        EXPECT_EQ(modelRow->weightsSha256, sha256File(peakedModelFolder() / "model.safetensors"));
        EXPECT_EQ(modelRow->tokenizerSha256, sha256File(peakedModelFolder() / "tokenizer.json"));
        const RunConfig& config = run->config;
        const std::string mode = preset.mode == PresetMode::Both ? (r == 0 ? "isolated" : "visible")
                                                                   : presetModeName(preset.mode);
        EXPECT_EQ(config.modeName(), mode);
        ASSERT_TRUE(config.tempo);
        EXPECT_DOUBLE_EQ(config.tempo->threshold, preset.threshold);
        ASSERT_TRUE(config.preset);
        EXPECT_TRUE(*config.preset == preset) << "the preset as run";
        EXPECT_EQ(config.promptTokenIds.size(), static_cast<size_t>(promptLength));

        // Steps: members in consecutive slots after the prompt, all at logical position P + s.
        const auto steps = book().steps().ofRun(runId);
        ASSERT_GE(steps.size(), 1u);
        EXPECT_LE(static_cast<int64_t>(steps.size()), preset.maxSteps);
        int64_t slot = promptLength;
        for (size_t s = 0; s < steps.size(); ++s) {
            EXPECT_EQ(steps[s].step, static_cast<int>(s));
            EXPECT_EQ(steps[s].logicalPosition, promptLength + static_cast<int64_t>(s));
            for (int64_t physical : steps[s].physicalSlots)
                EXPECT_EQ(physical, slot++);
            // Members pass the threshold; only a lone argmax fallback may sit below it.
            if (steps[s].tokenIds.size() >= 2) {
                for (double p : steps[s].probabilities)
                    EXPECT_GE(p, preset.threshold);
            }
        }
        const int64_t forwards = static_cast<int64_t>(steps.size()) + 1;

        const auto checks = book().checks().ofRun(runId);
        EXPECT_EQ(checks.size(), 5u);
        for (const auto& c : checks)
            EXPECT_TRUE(c.passed) << c.name << ": " << c.detail;

        // The captures asked for, one per forward where per-forward, and nothing else.
        const auto names = tensorNames(runId);
        EXPECT_EQ(static_cast<int64_t>(names.count("attention")), preset.wantsCapture("attention") ? forwards : 0);
        EXPECT_EQ(static_cast<int64_t>(names.count("readout.distribution")), preset.wantsCapture("logits") ? forwards : 0);
        EXPECT_EQ(names.count("kv.keys_after_rope"), preset.wantsCapture("kv") ? 1u : 0u);
        EXPECT_EQ(static_cast<int64_t>(names.count("positions.position_ids_used")),
                  preset.wantsCapture("positions") ? forwards : 0);
        if (preset.wantsCapture("attention")) {
            // Last forward: [layers 2, heads 4, rows = last set's width, slots = every slot so far].
            for (const auto& info : book().tensors().infosOfRun(runId))
                if (info.name == "attention" && info.step && *info.step == static_cast<int>(steps.size()) - 1) {
                    const std::vector<int64_t> shape{2, 4, static_cast<int64_t>(steps.back().tokenIds.size()), slot};
                    EXPECT_EQ(info.shape, shape);
                }
        }

        if (preset.wantsCapture("positions")) {
            // Slot -> logical position by hand: prompt slots 0..P-1, then every member of step s at P + s.
            std::vector<int64_t> expected;
            for (int64_t i = 0; i < promptLength; ++i)
                expected.push_back(i);
            for (const auto& step : steps)
                for (size_t m = 0; m < step.tokenIds.size(); ++m)
                    expected.push_back(promptLength + step.step);
            const auto stored = readTensor(book(), runId, "positions.slot_logical_positions");
            ASSERT_TRUE(stored);
            EXPECT_EQ(blobInt64(*stored), expected);
        }
        if (preset.wantsCapture("attention")) {
            // Every stored attention row is a distribution over the slots it could see.
            double worst = 0.0;
            for (const auto& info : book().tensors().infosOfRun(runId)) {
                if (info.name != "attention")
                    continue;
                const auto values = book().tensors().load(info.id).toF32();
                const int64_t slots = info.shape[3];
                for (size_t row = 0; row * slots < values.size(); ++row) {
                    double sum = 0.0;
                    for (int64_t k = 0; k < slots; ++k)
                        sum += values[row * slots + k];
                    worst = std::max(worst, std::abs(sum - 1.0));
                }
            }
            std::cout << "max |attention row sum - 1| = " << worst << "\n";
            EXPECT_LT(worst, 1e-5);
        }
        if (preset.wantsCapture("logits")) {
            // p_0 is the readout stored for the prefill (step -1), p_{s+1} for step s; the members of
            // step s are exactly the tokens of p_s at or above the threshold (or its argmax).
            for (const auto& step : steps) {
                const auto readout = readTensor(book(), runId, "readout.distribution", step.step - 1);
                ASSERT_TRUE(readout);
                const auto p = readout->toF32();
                std::set<int64_t> above;
                for (size_t v = 0; v < p.size(); ++v)
                    if (p[v] >= preset.threshold)
                        above.insert(static_cast<int64_t>(v));
                if (above.empty())
                    above.insert(std::max_element(p.begin(), p.end()) - p.begin());
                if (static_cast<int64_t>(above.size()) <= preset.maxWidth) {
                    EXPECT_EQ(std::set<int64_t>(step.tokenIds.begin(), step.tokenIds.end()), above) << "step " << step.step;
                }
            }
        }

        // Metrics of the analyses.
        EXPECT_TRUE(hasMetric(runId, "run.steps"));
        // cross_parallel: asked for by the preset, or stored at run end for every run that kept
        // its attention and selected a set of 2+ (analyseRecordedRun).
        bool multiMember = false;
        for (const auto& step : book().steps().ofRun(runId))
            multiMember = multiMember || step.tokenIds.size() >= 2;
        EXPECT_EQ(hasMetric(runId, "cross_parallel."),
                  preset.hasAnalysis("cross_parallel") || (preset.wantsCapture("attention") && multiMember));
        EXPECT_EQ(hasMetric(runId, "rope."), preset.hasAnalysis("rope_inspection"));
        EXPECT_EQ(hasMetric(runId, "parallelism."), preset.hasAnalysis("parallelism"));
        if (preset.hasAnalysis("verdict")) {
            EXPECT_TRUE(hasMetric(runId, "verdict.scenario"));
            const auto tags = book().tags().ofRun(runId);
            ASSERT_EQ(tags.size(), 1u);
            EXPECT_EQ(tags[0].rfind("verdict:", 0), 0u);
        }
        if (preset.hasAnalysis("rope_inspection")) {
            for (const auto& m : book().metrics().ofRun(runId))
                if (m.name == "rope.all_layers_passed") {
                    EXPECT_EQ(m.value, 1.0);
                }
        }
    }

    EXPECT_EQ(result.verdict.has_value(), preset.hasAnalysis("verdict"));
    if (preset.mode == PresetMode::Both) {
        ASSERT_TRUE(result.groupId);
        const auto group = book().groups().find(*result.groupId);
        EXPECT_EQ(group->runIds, result.runIds);
        EXPECT_EQ(group->kind, "mode-pair");
        const GroupComparison& comparison = group->comparison;
        EXPECT_EQ(comparison.isolatedRunId, std::optional<int64_t>(result.runIds[0]));
        EXPECT_EQ(comparison.visibleRunId, std::optional<int64_t>(result.runIds[1]));
        EXPECT_EQ(comparison.presetId, preset.id);
        ASSERT_TRUE(comparison.metrics);
        std::set<std::string> prefixes;
        for (const auto& m : *comparison.metrics)
            prefixes.insert(m.name.substr(0, m.name.find('.')));
        EXPECT_EQ(prefixes.count("attention"), preset.hasAnalysis("attention_comparison") ? 1u : 0u);
        EXPECT_EQ(prefixes.count("distribution"), preset.hasAnalysis("distribution_comparison") ? 1u : 0u);
        ASSERT_TRUE(comparison.verdict);
        EXPECT_EQ(comparison.verdict->scenario, result.verdict->scenario);
    } else {
        EXPECT_FALSE(result.groupId); // no earlier run of the other mode in a fresh notebook
    }
    std::cout << "preset " << preset.id << ": verdict "
              << (result.verdict ? scenarioName(result.verdict->scenario) + " " + result.verdict->inconclusiveReason : "-")
              << "\n";
}

INSTANTIATE_TEST_SUITE_P(Shipped, PresetEndToEnd, ::testing::Values("1a", "1b", "2", "3", "4", "5"));

TEST_F(ExperimentTest, SecondRunOfThePairIsGroupedWithTheFirst)
{
    ExperimentRunner runner(book(), cache_);
    const auto first = runner.run({{*shippedPreset("1a"), true}, peakedModelFolder(), ComputeOptions{}});
    const auto second = runner.run({{*shippedPreset("1b"), true}, peakedModelFolder(), ComputeOptions{}});
    ASSERT_TRUE(second.partnerRunId);
    EXPECT_EQ(*second.partnerRunId, first.runIds[0]);
    ASSERT_TRUE(second.groupId);
    const auto group = book().groups().find(*second.groupId);
    EXPECT_EQ(group->runIds, (std::vector<int64_t>{first.runIds[0], second.runIds[0]}));
    ASSERT_TRUE(group->comparison.metrics);
    bool attention = false;
    for (const auto& m : *group->comparison.metrics)
        attention |= m.name == "attention.pearson";
    EXPECT_TRUE(attention);
    EXPECT_EQ(cache_.loads(), 1u); // the second run reused the loaded model
}

TEST_F(ExperimentTest, BothModesAlwaysMakeAGroupEvenWithoutAnalyses)
{
    ExperimentRunner runner(book(), cache_);
    const Preset preset = applyOverrides(*shippedPreset("2"), {"analyses=", "max_steps=3"});
    const auto result = runner.run({{preset, true}, peakedModelFolder(), ComputeOptions{}});
    ASSERT_EQ(result.runIds.size(), 2u);
    ASSERT_TRUE(result.groupId);
    EXPECT_EQ(book().groups().find(*result.groupId)->runIds, result.runIds);
    EXPECT_FALSE(result.verdict);
    EXPECT_TRUE(book().tags().ofRun(result.runIds[0]).empty()); // no verdict asked, none stored
}

TEST_F(ExperimentTest, CancelMidRunLeavesACancelledRunWithItsSteps)
{
    std::atomic<bool> cancel{false};
    RunCallbacks callbacks;
    callbacks.cancel = &cancel;
    callbacks.onStep = [&](int64_t, const StepRecord& progress) {
        if (progress.step == 2)
            cancel.store(true);
    };
    ExperimentRunner runner(book(), cache_);
    const auto result = runner.run({{*shippedPreset("5"), true}, peakedModelFolder(), ComputeOptions{}}, callbacks);
    EXPECT_EQ(result.status, notebook::RunStatus::Cancelled);
    ASSERT_EQ(result.runIds.size(), 1u); // the visible run of "both" never started
    const auto run = book().runs().find(result.runIds[0]);
    EXPECT_EQ(run->status, notebook::RunStatus::Cancelled);
    EXPECT_EQ(book().steps().ofRun(result.runIds[0]).size(), 3u); // steps 0, 1, 2 were fed before the flag was seen
    EXPECT_EQ(book().runs().count(), 1);
    EXPECT_FALSE(result.verdict);
}

TEST_F(ExperimentTest, CorruptModelFailsWithTheLoadersMessageStoredOnAFailedRun)
{
    TempDir broken("tempo-broken-model");
    TestModelSpec spec;
    spec.peaked = true;
    writeTestModel(broken.path(), spec);
    std::string bytes = readFileBytes(broken.path() / "model.safetensors");
    writeFileBytes(broken.path() / "model.safetensors", bytes.substr(0, bytes.size() / 2)); // truncated download

    ExperimentRunner runner(book(), cache_);
    std::string message;
    try {
        runner.run({{*shippedPreset("1a"), true}, broken.path(), ComputeOptions{}});
        FAIL() << "a truncated weights file was accepted";
    } catch (const CheckpointError& error) {
        message = error.what();
    }
    EXPECT_NE(message.find("model.safetensors"), std::string::npos) << message;
    const auto runs = book().runs().list();
    ASSERT_EQ(runs.size(), 1u);
    const auto run = book().runs().find(runs[0].id);
    EXPECT_EQ(run->status, notebook::RunStatus::Failed);
    EXPECT_EQ(run->errorText, message);
    EXPECT_TRUE(book().steps().ofRun(run->id).empty());
}

TEST_F(ExperimentTest, RunTheModelCannotHoldIsRefusedBeforeARunRowExists)
{
    // 100000 steps cannot fit the test model's position range: refused before the run row is
    // written (issue 14: range errors used to leave a failed 0-step run behind).
    ExperimentRunner runner(book(), cache_);
    const Preset preset = applyOverrides(*shippedPreset("1a"), {"max_steps=100000"});
    std::string message;
    try {
        runner.run({{preset, true}, peakedModelFolder(), ComputeOptions{}});
        FAIL() << "a run longer than the model's positions was accepted";
    } catch (const InvalidArgument& error) {
        message = error.what();
    }
    EXPECT_NE(message.find("max_steps: expected at most"), std::string::npos) << message;
    EXPECT_NE(message.find("found 100000"), std::string::npos) << message;
    EXPECT_EQ(book().runs().count(), 0);
}

TEST_F(ExperimentTest, ModelCacheReloadsWhenTheFolderChanges)
{
    TempDir folder("tempo-cache-model");
    writeTestModel(folder.path(), TestModelSpec{});
    ModelCache cache(2);
    const auto a = cache.get(folder.path(), ComputeOptions{});
    const auto b = cache.get(folder.path(), ComputeOptions{});
    EXPECT_EQ(a.get(), b.get());
    EXPECT_EQ(cache.loads(), 1u);
    const auto config = readFileBytes(folder.path() / "config.json");
    std::filesystem::last_write_time(folder.path() / "config.json",
                                     std::filesystem::last_write_time(folder.path() / "config.json") + std::chrono::seconds(5));
    const auto c = cache.get(folder.path(), ComputeOptions{});
    EXPECT_NE(a.get(), c.get());
    EXPECT_EQ(cache.loads(), 2u);
}

} // namespace
} // namespace tempo::test
