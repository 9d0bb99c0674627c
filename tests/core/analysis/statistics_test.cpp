// Shared statistics on hand-computed examples.
#include <cmath>

#include <gtest/gtest.h>

#include "core/analysis/statistics.h"
#include "core/common/errors.h"

namespace tempo {
namespace {

TEST(Statistics, PearsonOfHandExample)
{
    // x = [1,2,3], y = [2,4,7]: means 2 and 13/3; deviations dx = [-1,0,1], dy = [-7/3,-1/3,8/3].
    // Sxy = 7/3 + 8/3 = 5, Sxx = 2, Syy = (49 + 1 + 64) / 9 = 38/3.
    // r = 5 / sqrt(2 * 38/3) = 5 / sqrt(76/3) = 0.993399...
    const double expected = 5.0 / std::sqrt(76.0 / 3.0);
    const double r = pearsonCorrelation({1, 2, 3}, {2, 4, 7});
    EXPECT_NEAR(r, expected, 1e-12) << "max diff " << std::abs(r - expected);
    EXPECT_NEAR(expected, 0.9933992677987828, 1e-12);
}

TEST(Statistics, PearsonOfPerfectAndAntiCorrelation)
{
    EXPECT_DOUBLE_EQ(pearsonCorrelation({1, 2, 3}, {10, 20, 30}), 1.0);
    EXPECT_DOUBLE_EQ(pearsonCorrelation({1, 2, 3}, {3, 2, 1}), -1.0);
}

TEST(Statistics, PearsonIsUndefinedForConstantOrTooShortSeries)
{
    EXPECT_TRUE(std::isnan(pearsonCorrelation({1, 1, 1}, {1, 2, 3})));
    EXPECT_TRUE(std::isnan(pearsonCorrelation({1}, {2})));
    EXPECT_TRUE(std::isnan(pearsonCorrelation({}, {})));
    EXPECT_THROW(pearsonCorrelation({1, 2}, {1}), InvalidArgument);
}

TEST(Statistics, LeastSquaresOfHandExample)
{
    // x = [1,2,3], y = [10,12,17]: means 2 and 13; dx = [-1,0,1], dy = [-3,-1,4].
    // slope = Sxy / Sxx = (3 + 4) / 2 = 3.5; intercept = 13 - 3.5 * 2 = 6.
    const LinearFit fit = leastSquares({1, 2, 3}, {10, 12, 17});
    EXPECT_DOUBLE_EQ(fit.slope, 3.5);
    EXPECT_DOUBLE_EQ(fit.intercept, 6.0);
    EXPECT_EQ(fit.points, 3);
}

TEST(Statistics, LeastSquaresUndefinedWithoutSpreadInX)
{
    EXPECT_TRUE(std::isnan(leastSquares({2, 2, 2}, {1, 2, 3}).slope));
    EXPECT_TRUE(std::isnan(leastSquares({1}, {1}).slope));
}

TEST(Statistics, RunningSummaryMeanMaxMin)
{
    RunningSummary s;
    EXPECT_TRUE(std::isnan(s.mean()));
    for (double x : {0.5, -1.0, 2.5})
        s.add(x);
    // mean = (0.5 - 1 + 2.5) / 3 = 2 / 3
    EXPECT_DOUBLE_EQ(s.mean(), 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(s.max(), 2.5);
    EXPECT_DOUBLE_EQ(s.min(), -1.0);
    EXPECT_EQ(s.count(), 3);
}

} // namespace
} // namespace tempo
