// NaN values survive the notebook. SQLite stores a bound NaN as NULL; every reader turns it back
// into NaN:
// - a set member whose probability is NaN (weights that give NaN logits): schema version 4 allows
//   the NULL (before, "NOT NULL constraint failed: step_members.probability" lost the run and its
//   failed `finite` check);
// - a check that did not apply (passed, value NaN, "not applicable: ..."): it was read back as a
//   pass with value 0, so the run page, the reports and `preset run` showed it as passed;
// - a metric whose statistic is undefined (NaN): it was read back as 0 by MetricStore::ofRun.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/notebook/database.h"
#include "core/notebook/notebook.h"
#include "notebookfixtures.h"
#include "support/testsupport.h"

namespace tempo::notebook {
namespace {

TEST(NotebookNanProbability, IsStoredAsNullAndReadBackAsNan)
{
    test::TempDir dir;
    Notebook notebook((dir / "nan.sqlite").string());
    const std::int64_t runId = notebook.runs().create(testing::sampleRun("nan weights"));
    StepRecord step = testing::sampleStep(1); // two members
    ASSERT_EQ(step.probabilities.size(), 2u);
    step.probabilities[0] = std::numeric_limits<double>::quiet_NaN();
    notebook.steps().append(runId, step);
    EXPECT_EQ(notebook.database().queryInt("SELECT count(*) FROM step_members WHERE probability IS NULL"), 1);

    const auto steps = notebook.steps().ofRun(runId);
    ASSERT_EQ(steps.size(), 1u);
    ASSERT_EQ(steps[0].probabilities.size(), 2u);
    EXPECT_TRUE(std::isnan(steps[0].probabilities[0]));
    EXPECT_EQ(steps[0].probabilities[1], step.probabilities[1]);
    EXPECT_EQ(steps[0].tokenIds, step.tokenIds);
}

TEST(NotebookNanCheckValue, ANotApplicableCheckStaysNotApplicable)
{
    test::TempDir dir;
    Notebook notebook((dir / "nan.sqlite").string());
    const std::int64_t runId = notebook.runs().create(testing::sampleRun("one member per set"));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const CheckRecord notApplicable{"sibling_attention", true, nan, "not applicable: no forward fed 2 or more members of one set"};
    const CheckRecord passed{"finite", true, 0.0, "0 non-finite of 4608 logits"};
    ASSERT_TRUE(notApplicable.notApplicable());
    notebook.checks().record(runId, {notApplicable, passed});

    const auto checks = notebook.checks().ofRun(runId);
    ASSERT_EQ(checks.size(), 2u);
    EXPECT_TRUE(std::isnan(checks[0].value));
    EXPECT_TRUE(checks[0].notApplicable()) << checks[0].detail;
    EXPECT_EQ(checks[1].value, 0.0); // a real 0 stays 0
    EXPECT_FALSE(checks[1].notApplicable());
}

TEST(NotebookNanMetric, AnUndefinedStatisticIsReadBackAsNanByEveryReader)
{
    test::TempDir dir;
    Notebook notebook((dir / "nan.sqlite").string());
    const std::int64_t runId = notebook.runs().create(testing::sampleRun("undefined statistic"));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    notebook.metrics().record(runId, {{"rope.min_physical_error", nan, std::nullopt, 0, std::nullopt},
                                      {"rope.max_logical_error", 0.0, std::nullopt, 0, std::nullopt}});

    const auto all = notebook.metrics().ofRun(runId);
    const auto prefixed = notebook.metrics().withPrefix(runId, "rope.");
    for (const auto* metrics : {&all, &prefixed}) {
        ASSERT_EQ(metrics->size(), 2u);
        EXPECT_TRUE(std::isnan((*metrics)[0].value)) << (*metrics)[0].value;
        EXPECT_EQ((*metrics)[0].layer, 0);
        EXPECT_EQ((*metrics)[1].value, 0.0);
    }
}

} // namespace
} // namespace tempo::notebook
