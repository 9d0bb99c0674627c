// Sweep statistics: mean and standard deviation against hand arithmetic, the bootstrap interval
// against its defining properties (inside the data, deterministic, close to the t-interval where
// the t-interval is right), and numbers rounded for people.

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "core/common/errors.h"
#include "core/experiment/sweepstatistics.h"

namespace tempo {
namespace {

TEST(SweepStatistics, MeanAndStandardDeviationByHand)
{
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 40 / 8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32;
    // s = sqrt(32 / 7) = 2.1380899.
    const SampleSummary s = summarizeSample({2, 4, 4, 4, 5, 5, 7, 9});
    EXPECT_EQ(s.n, 8);
    EXPECT_DOUBLE_EQ(s.mean, 5.0);
    EXPECT_NEAR(s.stddev, 2.138090, 1e-6);
    EXPECT_LT(s.ciLow, s.mean);
    EXPECT_GT(s.ciHigh, s.mean);
}

TEST(SweepStatistics, IntervalOfAPositiveSkewedQuantityNeverGoesBelowZero)
{
    // The sweep that prompted this: total_ms of a few runs, one slow. The t-interval of these
    // (mean 253, s 453, t(3) = 3.182) is [-468, 974]; times cannot be negative.
    const std::vector<double> totalMs{12.0, 15.0, 18.0, 967.0};
    const SampleSummary s = summarizeSample(totalMs);
    const double tLow = s.mean - 3.182 * s.stddev / 2.0;
    ASSERT_LT(tLow, 0.0) << "the case the t-interval gets wrong";
    EXPECT_GE(s.ciLow, 12.0) << s.ciLow;
    EXPECT_LE(s.ciHigh, 967.0) << s.ciHigh;
    EXPECT_LT(s.ciLow, s.mean);
    EXPECT_GT(s.ciHigh, s.mean);
    // Proportions stay inside [0, 1].
    const SampleSummary p = summarizeSample({0, 0, 0, 1, 0, 0});
    EXPECT_GE(p.ciLow, 0.0);
    EXPECT_LE(p.ciHigh, 1.0);
    std::printf("total_ms [%.1f, %.1f] (t-interval [%.1f, %.1f]); proportion [%.3f, %.3f]\n", s.ciLow, s.ciHigh, tLow,
                s.mean + 3.182 * s.stddev / 2.0, p.ciLow, p.ciHigh);
}

TEST(SweepStatistics, IntervalIsDeterministicAndMatchesTheTIntervalForALargeNormalSample)
{
    std::mt19937_64 random(7);
    std::normal_distribution<double> normal(10.0, 2.0);
    std::vector<double> values(200);
    for (double& v : values)
        v = normal(random);
    const SampleSummary a = summarizeSample(values);
    const SampleSummary b = summarizeSample(values);
    EXPECT_EQ(a.ciLow, b.ciLow) << "fixed seed: the same values give the same interval";
    EXPECT_EQ(a.ciHigh, b.ciHigh);
    // For n = 200 from a normal distribution the t-interval is right: half width 1.972 s / sqrt(n).
    // The bootstrap's half width agrees within 10% (resampling noise of 2000 resamples ~3%).
    const double tHalf = 1.972 * a.stddev / std::sqrt(200.0);
    const double bootHalf = (a.ciHigh - a.ciLow) / 2.0;
    std::printf("half width: bootstrap %.5f, t %.5f, ratio %.4f\n", bootHalf, tHalf, bootHalf / tHalf);
    EXPECT_NEAR(bootHalf / tHalf, 1.0, 0.10);
    EXPECT_NEAR((a.ciLow + a.ciHigh) / 2.0, a.mean, 0.2 * tHalf);
}

TEST(SweepStatistics, EqualValuesGiveAPointInterval)
{
    const SampleSummary s = summarizeSample({0.1, 0.1, 0.1});
    EXPECT_EQ(s.ciLow, 0.1);
    EXPECT_EQ(s.ciHigh, 0.1);
}

TEST(SweepStatistics, NonFiniteValuesAreLeftOutAndCounted)
{
    const SampleSummary s = summarizeSample({1.0, std::nan(""), 3.0, INFINITY});
    EXPECT_EQ(s.n, 2);
    EXPECT_EQ(s.nonFinite, 2);
    EXPECT_DOUBLE_EQ(s.mean, 2.0);
    EXPECT_NEAR(s.stddev, std::sqrt(2.0), 1e-12); // (1 + 1) / 1
    EXPECT_GE(s.ciLow, 1.0);
    EXPECT_LE(s.ciHigh, 3.0);
    const SampleSummary one = summarizeSample({4.0});
    EXPECT_DOUBLE_EQ(one.mean, 4.0);
    EXPECT_TRUE(std::isnan(one.stddev));
    EXPECT_TRUE(std::isnan(one.ciLow));
    EXPECT_TRUE(std::isnan(summarizeSample({}).mean));
}

TEST(SweepStatistics, QuantilesInterpolateLikeNumpy)
{
    // numpy.quantile([1, 2, 3, 4], [0, 0.025, 0.5, 0.975, 1]) = [1, 1.075, 2.5, 3.925, 4]
    const std::vector<double> v{1, 2, 3, 4};
    EXPECT_DOUBLE_EQ(sortedQuantile(v, 0.0), 1.0);
    EXPECT_NEAR(sortedQuantile(v, 0.025), 1.075, 1e-12);
    EXPECT_DOUBLE_EQ(sortedQuantile(v, 0.5), 2.5);
    EXPECT_NEAR(sortedQuantile(v, 0.975), 3.925, 1e-12);
    EXPECT_DOUBLE_EQ(sortedQuantile(v, 1.0), 4.0);
    EXPECT_THROW(sortedQuantile({}, 0.5), InvalidArgument);
    EXPECT_THROW(sortedQuantile(v, 1.5), InvalidArgument);
}

TEST(SweepStatistics, DisplayNumbersAreRoundedForPeople)
{
    EXPECT_EQ(displayNumber(0.30000000000000004), "0.3");
    EXPECT_EQ(displayNumber(812.3456789), "812.3");
    EXPECT_EQ(displayNumber(-308.123456), "-308.1");
    EXPECT_EQ(displayNumber(0.0123456789), "0.01235");
    EXPECT_EQ(displayNumber(3.0), "3");
    EXPECT_EQ(displayNumber(0.0), "0");
    EXPECT_EQ(displayNumber(1.23456e-7), "1.23e-07");
    EXPECT_EQ(displayNumber(std::nan("")), "n/a");
}

} // namespace
} // namespace tempo
