// Sweeps over a 3-prompt suite and 2 thresholds: per-category aggregates recomputed here from the
// stored per-run metrics with an independent implementation, and cancel + resume without redoing
// finished runs.

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/experiment/sweep.h"
#include "core/experiment/sweepstatistics.h"
#include "core/experiment/experimentfixture.h"

namespace tempo::test {
namespace {

using nlohmann::json;

const char* kSuite = R"({"category": "narrative", "prompt": "The cat sat on the"}
{"category": "narrative", "prompt": "Once upon a time the"}

{"category": "factual", "prompt": "The quick brown"}
)";

SweepRequest smallSweep(const std::string& presetId, const std::vector<std::string>& overrides)
{
    SweepRequest request;
    request.preset = {applyOverrides(*shippedPreset(presetId), overrides), true};
    request.modelFolder = peakedModelFolder();
    request.suite = parseSuite(kSuite, "test suite");
    request.thresholds = {0.05, 0.1};
    return request;
}

// Mean and sample std written out again; the 95% interval is the bootstrap of sweepstatistics
// (tested there against its properties): here it must lie inside the values it summarises.
struct Expected {
    double mean, stddev, smallest, largest;
};
Expected expectedStatistics(const std::vector<double>& v)
{
    double sum = 0;
    for (double x : v)
        sum += x;
    const double mean = sum / v.size();
    const auto [smallest, largest] = std::minmax_element(v.begin(), v.end());
    if (v.size() < 2)
        return {mean, NAN, *smallest, *largest};
    double ss = 0;
    for (double x : v)
        ss += (x - mean) * (x - mean);
    return {mean, std::sqrt(ss / (v.size() - 1)), *smallest, *largest};
}

void expectStats(const json& stats, const std::vector<double>& values, const std::string& what)
{
    SCOPED_TRACE(what);
    const Expected e = expectedStatistics(values);
    EXPECT_EQ(stats["n"].get<size_t>(), values.size());
    EXPECT_NEAR(stats["mean"].get<double>(), e.mean, 1e-9 * (1 + std::abs(e.mean)));
    if (values.size() < 2) {
        EXPECT_TRUE(stats["std"].is_null());
        EXPECT_TRUE(stats["ci95_low"].is_null());
        return;
    }
    EXPECT_NEAR(stats["std"].get<double>(), e.stddev, 1e-9 * (1 + e.stddev));
    EXPECT_GE(stats["ci95_low"].get<double>(), e.smallest);
    EXPECT_LE(stats["ci95_low"].get<double>(), stats["ci95_high"].get<double>());
    EXPECT_LE(stats["ci95_high"].get<double>(), e.largest);
}

TEST(Suite, ParsesAndRefusesBadLines)
{
    const auto suite = parseSuite(kSuite, "s");
    ASSERT_EQ(suite.size(), 3u);
    EXPECT_EQ(suite[2].category, "factual");
    EXPECT_THROW(parseSuite("{\"category\": \"x\"}\n", "s"), InvalidArgument);
    EXPECT_THROW(parseSuite("not json\n", "s"), InvalidArgument);
    EXPECT_THROW(parseSuite("\n", "s"), InvalidArgument);
}

// One reader for every threshold field (CLI --thresholds of sweeps and studies, the window's fields).
std::string thresholdError(const std::string& text)
{
    try {
        parseThresholdList(text, "--thresholds");
    } catch (const InvalidArgument& error) {
        return error.what();
    }
    return "(accepted)";
}

TEST(ThresholdList, AcceptsCommasSemicolonsAndSpacesAndRefusesOutOfRange)
{
    EXPECT_EQ(parseThresholdList("0.001,0.01, 0.5;1", "t"), (std::vector<double>{0.001, 0.01, 0.5, 1.0}));
    EXPECT_EQ(parseThresholdList(" 0.1 ", "t"), (std::vector<double>{0.1}));
    EXPECT_EQ(thresholdError("0.1,abc"), "--thresholds item: expected a number in (0, 1] such as 0.05, found 'abc'");
    EXPECT_EQ(thresholdError("0.1,1.5"), "--thresholds item: expected a number in (0, 1] such as 0.05, found '1.5'");
    EXPECT_EQ(thresholdError("0"), "--thresholds item: expected a number in (0, 1] such as 0.05, found '0'");
    EXPECT_EQ(thresholdError("0.1x"), "--thresholds item: expected a number in (0, 1] such as 0.05, found '0.1x'");
    EXPECT_EQ(thresholdError(" , ;"), "--thresholds: expected at least one threshold such as 0.1, found none");
}

// The message names the line and the field, so a hand-written suite is fixed in one go.
std::string suiteError(const std::string& text)
{
    try {
        parseSuite(text, "s");
    } catch (const InvalidArgument& error) {
        return error.what();
    }
    return "(accepted)";
}

TEST(Suite, FamilyAndStepsAreReadAndCheckedByLine)
{
    const auto suite = parseSuite("{\"family\": \"code\", \"prompt\": \"def f(x):\", \"steps\": 50}\n"
                                  "{\"category\": \"narrative\", \"prompt\": \"Once\"}\n",
                                  "s");
    ASSERT_EQ(suite.size(), 2u);
    EXPECT_EQ(suite[0].category, "code");
    EXPECT_EQ(suite[0].steps, 50);
    EXPECT_EQ(suite[1].category, "narrative");
    EXPECT_EQ(suite[1].steps, 0);

    const std::string good = "{\"family\": \"code\", \"prompt\": \"x\"}\n";
    EXPECT_NE(suiteError(good + "{\"family\": \"code\", \"prompt\": \"x\", \"steps\": 0}\n").find("line 2 field 'steps'"),
              std::string::npos);
    EXPECT_NE(suiteError(good + good + "{\"family\": \"a\", \"prompt\": \"x\", \"steps\": \"10\"}\n").find("line 3 field 'steps'"),
              std::string::npos);
    EXPECT_NE(suiteError("{\"family\": \"a\", \"prompt\": \"x\", \"step\": 10}\n").find("line 1 field 'step'"), std::string::npos);
    EXPECT_NE(suiteError("{\"prompt\": \"x\"}\n").find("line 1 field 'family'"), std::string::npos);
    EXPECT_NE(suiteError(good + "{\"family\": \"a\", \"category\": \"b\", \"prompt\": \"x\"}\n").find("line 2"),
              std::string::npos);
    EXPECT_EQ(suiteError(good), "(accepted)");
}

// Issue 16: the shipped suites answer the original project's limitations: at least 30 prompts in
// the four families, with runs of 10, 50 and 100 steps.
TEST(Suite, ShippedSuitesHaveFourFamiliesAndThreeLengths)
{
    for (const char* name : {"default.jsonl", "general.jsonl"}) {
        SCOPED_TRACE(name);
        const auto shipped =
            loadSuite(std::filesystem::path(TEMPO_TEST_DATA_DIR) / ".." / ".." / "resources" / "suites" / name);
        EXPECT_GE(shipped.size(), 30u);
        std::map<std::string, int> families;
        std::set<int64_t> lengths;
        for (const auto& prompt : shipped) {
            ++families[prompt.category];
            lengths.insert(prompt.steps);
        }
        EXPECT_EQ(families.size(), 4u);
        for (const char* family : {"narrative", "code", "reasoning", "creative"})
            EXPECT_GE(families[family], 5) << family;
        EXPECT_EQ(lengths, (std::set<int64_t>{10, 50, 100}));
    }
}

TEST_F(ExperimentTest, SweepAggregatesMatchAnIndependentRecomputation)
{
    SweepRunner runner(book(), cache_);
    const SweepResult result = runner.run(smallSweep("3", {"max_steps=4"}));
    EXPECT_EQ(result.points, 6);
    EXPECT_EQ(result.pointsRun, 6);
    EXPECT_EQ(result.runsMade, 6);
    EXPECT_FALSE(result.cancelled);
    EXPECT_EQ(book().runs().count(), 6);

    const auto sweep = book().sweeps().find(result.sweepId);
    ASSERT_EQ(sweep->runs.size(), 6u);
    const json stored = json::parse(sweep->specJson);
    EXPECT_EQ(stored["status"], "finished");
    EXPECT_EQ(stored["aggregate"], result.aggregate);

    // Gather per-run scalar metrics by (threshold, category) straight from the notebook.
    std::map<double, std::map<std::string, std::map<std::string, std::vector<double>>>> samples;
    for (const auto& [runId, pointText] : sweep->runs) {
        const json point = json::parse(pointText);
        for (const auto& m : book().metrics().ofRun(runId))
            if (!m.step && !m.layer && !m.head && m.name.rfind("verdict.", 0) != 0 && std::isfinite(m.value))
                samples[point["threshold"].get<double>()][point["category"].get<std::string>()][m.name].push_back(m.value);
    }
    ASSERT_EQ(result.aggregate["by_threshold"].size(), 2u);
    int compared = 0;
    for (const auto& entry : result.aggregate["by_threshold"]) {
        const double threshold = entry["threshold"].get<double>();
        EXPECT_EQ(entry["points"], 3);
        for (const std::string category : {"narrative", "factual"}) {
            const json& metrics = entry["categories"][category]["metrics"];
            const auto& expected = samples[threshold][category];
            ASSERT_FALSE(expected.empty());
            for (const auto& [name, values] : expected) {
                ASSERT_TRUE(metrics.contains(name)) << name;
                expectStats(metrics[name], values, category + " " + name);
                ++compared;
            }
        }
        // Overall = both categories pooled.
        for (const auto& [name, values] : samples[threshold]["narrative"]) {
            std::vector<double> pooled = values;
            for (double x : samples[threshold]["factual"][name])
                pooled.push_back(x);
            expectStats(entry["overall"][name], pooled, "overall " + name);
        }
    }
    EXPECT_GT(compared, 20);
    EXPECT_EQ(result.aggregate["method"], kConfidenceIntervalMethod);
}

TEST_F(ExperimentTest, CancelledSweepResumesWithoutRedoingFinishedRuns)
{
    std::atomic<bool> cancel{false};
    SweepCallbacks callbacks;
    callbacks.run.cancel = &cancel;
    int64_t runsStarted = 0;
    callbacks.run.onRunCreated = [&](int64_t) { ++runsStarted; };
    // Cancel inside the third point's run, after its second step.
    callbacks.run.onStep = [&](int64_t, const StepRecord& progress) {
        if (runsStarted == 3 && progress.step == 1)
            cancel.store(true);
    };
    SweepRunner runner(book(), cache_);
    const SweepResult first = runner.run(smallSweep("1b", {"max_steps=4"}), callbacks);
    EXPECT_TRUE(first.cancelled);
    EXPECT_EQ(first.pointsRun, 2);
    EXPECT_EQ(first.runsMade, 3);
    EXPECT_EQ(book().runs().count(), 3);
    EXPECT_EQ(json::parse(book().sweeps().find(first.sweepId)->specJson)["status"], "cancelled");
    EXPECT_EQ(first.aggregate["all_thresholds"]["points"], 2);

    const SweepResult second = runner.run(smallSweep("1b", {"max_steps=4"})); // no cancel this time
    EXPECT_TRUE(second.resumed);
    EXPECT_EQ(second.sweepId, first.sweepId);
    EXPECT_EQ(second.pointsSkipped, 2);
    EXPECT_EQ(second.pointsRun, 4);
    EXPECT_EQ(second.runsMade, 4);
    // 2 finished + 1 cancelled from the first call, 4 from the second: nothing finished was redone.
    EXPECT_EQ(book().runs().count(), 7);
    EXPECT_EQ(book().sweeps().find(second.sweepId)->runs.size(), 7u);
    EXPECT_EQ(second.aggregate["all_thresholds"]["points"], 6);

    // A third call has nothing left to do.
    const SweepResult third = runner.run(smallSweep("1b", {"max_steps=4"}));
    EXPECT_EQ(third.pointsSkipped, 6);
    EXPECT_EQ(third.runsMade, 0);
    EXPECT_EQ(book().runs().count(), 7);
}

TEST_F(ExperimentTest, SweepOfABothPresetAggregatesPairs)
{
    SweepRunner runner(book(), cache_);
    SweepRequest request = smallSweep("2", {"max_steps=3"});
    request.thresholds = {0.1};
    const SweepResult result = runner.run(request);
    EXPECT_EQ(result.runsMade, 6); // 3 points x (isolated + visible)
    const json& overall = result.aggregate["all_thresholds"]["overall"];
    EXPECT_TRUE(overall.contains("isolated.run.steps"));
    EXPECT_TRUE(overall.contains("visible.run.steps"));
    EXPECT_TRUE(overall.contains("distribution.max_abs_diff"));
    EXPECT_EQ(overall["visible.run.steps"]["n"], 3);
}

} // namespace
} // namespace tempo::test
