// Parallelism summary: widths, time vs width, numerical health.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "core/analysis/parallelism.h"
#include "core/common/errors.h"

namespace tempo {
namespace {

TEST(Parallelism, WidthsAndTimeVersusWidth)
{
    ParallelismInput in;
    in.widths = {1, 2, 3, 2};
    in.stepMilliseconds = {10, 12, 17, 14};
    const ParallelismSummary s = summariseParallelism(in);
    EXPECT_EQ(s.maxWidth, 3);
    EXPECT_DOUBLE_EQ(s.meanWidth, 2.0);  // (1 + 2 + 3 + 2) / 4
    EXPECT_EQ(s.multiMemberSteps, 3);
    // Least squares: mean width 2, mean ms 53/4 = 13.25; dx = [-1, 0, 1, 0];
    // Sxy = (-1)(10 - 13.25) + (1)(17 - 13.25) = 3.25 + 3.75 = 7; Sxx = 2
    // slope = 3.5 ms per extra member; intercept = 13.25 - 3.5 * 2 = 6.25.
    EXPECT_DOUBLE_EQ(s.msPerExtraMember, 3.5);
    EXPECT_DOUBLE_EQ(s.interceptMs, 6.25);
    EXPECT_DOUBLE_EQ(s.totalMilliseconds, 53.0);
    ASSERT_EQ(s.timeByWidth.size(), 3u);
    EXPECT_EQ(s.timeByWidth[1].width, 2);
    EXPECT_EQ(s.timeByWidth[1].steps, 2);
    EXPECT_DOUBLE_EQ(s.timeByWidth[1].meanMilliseconds, 13.0); // (12 + 14) / 2
}

TEST(Parallelism, SlopeUndefinedWhenEveryStepHasOneWidth)
{
    ParallelismInput in;
    in.widths = {2, 2, 2};
    in.stepMilliseconds = {5, 6, 7};
    EXPECT_TRUE(std::isnan(summariseParallelism(in).msPerExtraMember));
    in.stepMilliseconds = {5, 6};
    EXPECT_THROW(summariseParallelism(in), InvalidArgument);
}

TEST(Parallelism, NumericalHealth)
{
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    ParallelismInput in;
    in.widths = {1, 1, 1, 1};
    // Sums: 1, 0.95 (|sum - 1| = 0.05), and two readouts with a NaN / an Inf (left out of the sum
    // check, counted instead). Logits add one NaN and one -Inf.
    in.readouts = {{0.5f, 0.5f}, {0.25f, 0.7f}, {nan, 1.0f}, {inf, 0.0f}};
    in.logits = {1.0f, nan, -inf, 2.0f};
    const ParallelismSummary s = summariseParallelism(in);
    EXPECT_EQ(s.nonFiniteValues, 4);
    EXPECT_EQ(s.nonFiniteReadouts, 2);
    EXPECT_NEAR(s.maxProbabilitySumError, 0.05, 1e-7); // 0.7f = 0.699999988
    ParallelismInput clean;
    clean.readouts = {{0.5f, 0.5f}};
    EXPECT_DOUBLE_EQ(summariseParallelism(clean).maxProbabilitySumError, 0.0);
    EXPECT_TRUE(std::isnan(summariseParallelism(ParallelismInput{}).maxProbabilitySumError));
}

TEST(Parallelism, Metrics)
{
    ParallelismInput in;
    in.widths = {1, 3};
    in.stepMilliseconds = {10, 16};
    const AnalysisMetrics m = metrics(summariseParallelism(in));
    bool width = false;
    bool slope = false;
    for (const auto& x : m) {
        if (x.name == "parallelism.by_step.width" && x.step == 1) {
            width = true;
            EXPECT_DOUBLE_EQ(x.value, 3.0);
        }
        if (x.name == "parallelism.ms_per_extra_member") {
            slope = true;
            EXPECT_DOUBLE_EQ(x.value, 3.0); // (16 - 10) / (3 - 1)
        }
    }
    EXPECT_TRUE(width && slope);
}

} // namespace
} // namespace tempo
