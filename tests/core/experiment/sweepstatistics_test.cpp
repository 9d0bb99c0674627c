// Sweep statistics against hand arithmetic and published t quantiles.

#include <cmath>

#include <gtest/gtest.h>

#include "core/common/errors.h"
#include "core/experiment/sweepstatistics.h"

namespace tempo {
namespace {

TEST(SweepStatistics, TQuantilesMatchPublishedTables)
{
    // Two-sided 95% critical values (any statistics textbook table; df = inf gives 1.960).
    EXPECT_NEAR(studentTQuantile975(1), 12.706, 5e-4);
    EXPECT_NEAR(studentTQuantile975(2), 4.303, 5e-4);
    EXPECT_NEAR(studentTQuantile975(10), 2.228, 5e-4);
    EXPECT_NEAR(studentTQuantile975(30), 2.042, 5e-4);
    // Computed range (Cornish-Fisher): published 40 -> 2.021, 60 -> 2.000, 120 -> 1.980.
    EXPECT_NEAR(studentTQuantile975(40), 2.021, 5e-4);
    EXPECT_NEAR(studentTQuantile975(60), 2.000, 5e-4);
    EXPECT_NEAR(studentTQuantile975(120), 1.980, 5e-4);
    EXPECT_NEAR(studentTQuantile975(1000000), 1.95996, 1e-4);
    // The table and the expansion meet without a jump.
    EXPECT_NEAR(studentTQuantile975(31), 2.040, 5e-4);
    EXPECT_GT(studentTQuantile975(30), studentTQuantile975(31));
    EXPECT_THROW(studentTQuantile975(0), InvalidArgument);
}

TEST(SweepStatistics, SummaryByHand)
{
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 40 / 8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32;
    // s = sqrt(32 / 7) = 2.1380899; s / sqrt(8) = 0.7559289; t(7) = 2.365; half width = 2.365 * 0.7559289
    // = 1.7877719.
    const SampleSummary s = summarizeSample({2, 4, 4, 4, 5, 5, 7, 9});
    EXPECT_EQ(s.n, 8);
    EXPECT_DOUBLE_EQ(s.mean, 5.0);
    EXPECT_NEAR(s.stddev, 2.138090, 1e-6);
    EXPECT_DOUBLE_EQ(s.t, 2.365);
    EXPECT_NEAR(s.ciLow, 5.0 - 1.7877719, 1e-6);
    EXPECT_NEAR(s.ciHigh, 5.0 + 1.7877719, 1e-6);
}

TEST(SweepStatistics, NonFiniteValuesAreLeftOutAndCounted)
{
    const SampleSummary s = summarizeSample({1.0, std::nan(""), 3.0, INFINITY});
    EXPECT_EQ(s.n, 2);
    EXPECT_EQ(s.nonFinite, 2);
    EXPECT_DOUBLE_EQ(s.mean, 2.0);
    EXPECT_NEAR(s.stddev, std::sqrt(2.0), 1e-12); // (1 + 1) / 1
    const SampleSummary one = summarizeSample({4.0});
    EXPECT_DOUBLE_EQ(one.mean, 4.0);
    EXPECT_TRUE(std::isnan(one.stddev));
    EXPECT_TRUE(std::isnan(one.ciLow));
    EXPECT_TRUE(std::isnan(summarizeSample({}).mean));
}

} // namespace
} // namespace tempo
