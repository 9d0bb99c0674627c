// The one reader and writer of a run group's comparison (core/runrecord/groupcomparison.h).

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "recordtesting.h"
#include "core/runrecord/groupcomparison.h"

namespace tempo {
namespace {

using nlohmann::json;
using recordtesting::expectContains;
using recordtesting::refusal;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

GroupComparison modePair()
{
    GroupComparison comparison;
    comparison.kind = "mode-pair";
    comparison.presetId = "2";
    comparison.isolatedRunId = 7;
    comparison.visibleRunId = 8;
    Verdict verdict;
    verdict.scenario = Scenario::C;
    verdict.criteria.push_back({"identical", "<", 1e-6, 0.141, false, "readouts identical"});
    verdict.criteria.push_back({"prior_dominates", "<", 0.1, kNaN, false, "not measured"});
    comparison.verdict = verdict;
    comparison.metrics = AnalysisMetrics{{"distribution.max_abs_diff", 0.141},
                                         {"distribution.by_step.js", 0.02, 3},
                                         {"attention.by_head.max_abs_diff", kNaN, -1, 1, 2}};
    return comparison;
}


TEST(GroupComparison, WrittenComparisonReadsBackEqual)
{
    const GroupComparison comparison = modePair();
    const json written = groupComparisonJson(comparison);
    EXPECT_EQ(written["isolated_run"], 7);
    EXPECT_EQ(written["verdict"]["scenario"], "C");
    EXPECT_EQ(written["verdict"]["title"], scenarioTitle(Scenario::C));
    EXPECT_TRUE(written["verdict"]["criteria"][1]["value"].is_null()) << "NaN is stored as null";
    EXPECT_TRUE(written["metrics"][2]["value"].is_null());
    EXPECT_FALSE(written["metrics"][0].contains("step"));
    EXPECT_EQ(written["metrics"][1]["step"], 3);

    const GroupComparison read = readGroupComparisonText(written.dump());
    EXPECT_TRUE(read == comparison);
    ASSERT_TRUE(read.verdict);
    EXPECT_TRUE(std::isnan(read.verdict->criteria[1].value));
    EXPECT_TRUE(std::isnan(read.metrics->at(2).value));
    EXPECT_EQ(read.metrics->at(2).layer, 1);
    EXPECT_EQ(read.metrics->at(2).head, 2);
}

TEST(GroupComparison, EqualityLooksAtEveryField)
{
    const GroupComparison base = modePair();
    std::vector<std::function<void(GroupComparison&)>> changes = {
        [](GroupComparison& c) { c.kind = ""; },
        [](GroupComparison& c) { c.presetId = "5"; },
        [](GroupComparison& c) { c.isolatedRunId = 9; },
        [](GroupComparison& c) { c.visibleRunId.reset(); },
        [](GroupComparison& c) { c.verdict->scenario = Scenario::A; },
        [](GroupComparison& c) { c.verdict->inconclusiveReason = "x"; },
        [](GroupComparison& c) { c.verdict->criteria[0].met = true; },
        [](GroupComparison& c) { c.verdict->criteria[1].value = 0.5; },
        [](GroupComparison& c) { c.metrics->at(1).step = 4; },
        [](GroupComparison& c) { c.metrics.reset(); },
    };
    for (size_t i = 0; i < changes.size(); ++i) {
        GroupComparison changed = base;
        changes[i](changed);
        EXPECT_FALSE(changed == base) << "change " << i;
        EXPECT_TRUE(readGroupComparison(groupComparisonJson(changed)) == changed) << "change " << i;
    }
}

TEST(GroupComparison, CancelledPairKeepsItsShape)
{
    GroupComparison cancelled;
    cancelled.status = "cancelled";
    EXPECT_EQ(groupComparisonJson(cancelled), (json{{"status", "cancelled"}}));
    const GroupComparison read = readGroupComparison(json{{"status", "cancelled"}});
    EXPECT_EQ(read.status, "cancelled");
    EXPECT_FALSE(read.verdict);
    EXPECT_FALSE(read.metrics);
    EXPECT_FALSE(read.isolatedRunId);
}

TEST(GroupComparison, PartialJsonReadsWithDefaults)
{
    // A stored verdict without criteria or reason (older writers) and unknown keys.
    const GroupComparison read = readGroupComparison(json::parse(R"({"verdict": {"scenario": "B"}, "first_step": 3})"));
    ASSERT_TRUE(read.verdict);
    EXPECT_EQ(read.verdict->scenario, Scenario::B);
    EXPECT_TRUE(read.verdict->criteria.empty());
    EXPECT_EQ(read.verdict->inconclusiveReason, "");
    EXPECT_EQ(read.kind, "");
    EXPECT_FALSE(read.metrics);
    EXPECT_EQ(readGroupComparison(json::object()), GroupComparison{});
}

TEST(GroupComparison, BadValuesNameFieldExpectedAndFound)
{
    struct Case {
        const char* json;
        const char* field;
        const char* expected;
        const char* found;
    };
    const Case cases[] = {
        {R"({"verdict": {"scenario": "E"}})", "group comparison field verdict.scenario", "\"A\", \"B\", \"C\", \"D\" or \"inconclusive\"",
         "found \"E\""},
        {R"({"verdict": {"criteria": [{"met": "yes"}]}})", "group comparison field verdict.criteria[0].met",
         "expected true or false", "found \"yes\""},
        {R"({"verdict": {"criteria": {}}})", "group comparison field verdict.criteria", "expected an array", "found {}"},
        {R"({"verdict": "C"})", "group comparison field verdict", "expected a JSON object", "found \"C\""},
        {R"({"metrics": [{"name": "x", "value": "big"}]})", "group comparison field metrics[0].value",
         "expected a number or null", "found \"big\""},
        {R"({"metrics": [{"name": "x", "step": 1.5}]})", "group comparison field metrics[0].step", "expected an integer",
         "found 1.5"},
        {R"({"metrics": 3})", "group comparison field metrics", "expected an array", "found 3"},
        {R"({"isolated_run": "7"})", "group comparison field isolated_run", "expected an integer", "found \"7\""},
        {R"({"preset": 2})", "group comparison field preset", "expected a string", "found 2"},
        {R"("cancelled")", "group comparison", "expected a JSON object", "found \"cancelled\""},
    };
    for (const Case& c : cases) {
        const std::string message = refusal([&] { readGroupComparison(json::parse(c.json)); });
        SCOPED_TRACE(c.json);
        ASSERT_FALSE(message.empty());
        expectContains(message, c.field);
        expectContains(message, c.expected);
        expectContains(message, c.found);
    }
    expectContains(refusal([] { readGroupComparisonText("not json"); }), "group comparison: expected JSON text");
}

} // namespace
} // namespace tempo
