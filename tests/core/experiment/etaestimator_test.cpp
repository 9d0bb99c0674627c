// EtaEstimator against step times whose true total is known by hand arithmetic.

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/experiment/etaestimator.h"

namespace tempo {
namespace {

// Steps that slow down as the run grows (as TEMPO steps do): step k takes 20 + 2 k ms, and step 0
// also carries a 500 ms prefill.
double stepMs(int64_t step)
{
    return 20.0 + 2.0 * static_cast<double>(step) + (step == 0 ? 500.0 : 0.0);
}

double trueSecondsLeft(int64_t nextStep, int64_t steps)
{
    double ms = 0.0;
    for (int64_t k = nextStep; k < steps; ++k)
        ms += stepMs(k);
    return ms / 1000.0;
}

TEST(EtaEstimator, UnknownUntilThreeDecodeStepsAreMeasured)
{
    EtaEstimator eta;
    EXPECT_LT(eta.secondsLeft(10), 0.0);
    eta.addStep(0, 600.0); // prefill + step 0
    EXPECT_LT(eta.secondsLeft(10), 0.0);
    eta.addStep(1, 100.0);
    eta.addStep(2, 100.0);
    EXPECT_LT(eta.secondsLeft(10), 0.0);
    eta.addStep(3, 100.0);
    EXPECT_NEAR(eta.secondsLeft(10), 0.6, 1e-9); // 6 steps left at the pace of steps 1-3
    EXPECT_EQ(eta.secondsLeft(4), 0.0);          // nothing left
}

TEST(EtaEstimator, NeverRisesWhileStepsSlowDownSteadily)
{
    const int64_t steps = 60;
    EtaEstimator eta;
    double previous = INFINITY;
    double worstRelativeError = 0.0;
    for (int64_t k = 0; k + 1 < steps; ++k) {
        eta.addStep(k, stepMs(k));
        const double forecast = eta.secondsLeft(steps);
        if (forecast < 0) { // still unknown: allowed only before three decode steps are in
            EXPECT_LT(k, EtaEstimator::kStepsForTrend);
            continue;
        }
        const double truth = trueSecondsLeft(k + 1, steps);
        EXPECT_LE(forecast, previous) << "the time left rose after step " << k;
        previous = forecast;
        worstRelativeError = std::max(worstRelativeError, std::fabs(forecast - truth) / truth);
    }
    std::printf("worst relative error of the time left once known: %.2e\n", worstRelativeError);
    EXPECT_LT(worstRelativeError, 1e-9); // the steps lie on a line: the fit is exact
}

TEST(EtaEstimator, MeanPaceAloneUnderEstimates)
{
    // The estimate it replaces: elapsed / steps done x steps left. After 10 of 60 steps it is
    // about 11% short of the truth (3.95 s vs 4.45 s) even with the prefill in its average, so it
    // rises as the run goes; the fitted line is exact.
    const int64_t steps = 60;
    EtaEstimator eta;
    double elapsedMs = 0.0;
    for (int64_t k = 0; k < 10; ++k) {
        eta.addStep(k, stepMs(k));
        elapsedMs += stepMs(k);
    }
    const double truth = trueSecondsLeft(10, steps);
    const double meanPace = elapsedMs / 10.0 * 50.0 / 1000.0;
    EXPECT_NEAR(eta.secondsLeft(steps), truth, 1e-9 * truth);
    EXPECT_LT(meanPace, 0.95 * truth) << meanPace << " vs " << truth;
}

TEST(EtaEstimator, NoisyStepsStayNearTheTruth)
{
    // +-10% jitter from a fixed pattern: the forecast stays within 15% once 10 steps are in.
    const int64_t steps = 80;
    const double jitter[] = {1.08, 0.93, 1.02, 0.97, 1.10, 0.90, 1.05, 0.95};
    EtaEstimator eta;
    for (int64_t k = 0; k + 1 < steps; ++k) {
        eta.addStep(k, stepMs(k) * jitter[k % 8]);
        if (k < 10)
            continue;
        const double truth = trueSecondsLeft(k + 1, steps);
        EXPECT_NEAR(eta.secondsLeft(steps), truth, 0.15 * truth) << "after step " << k;
    }
}

TEST(EtaEstimator, LaterRunsOfAGroupCountAtThisRunsPace)
{
    // Run 1 of 2 with 20 steps each, every step 10 ms: after 5 steps, 15 + 20 steps are left.
    EtaEstimator eta;
    for (int64_t k = 0; k < 5; ++k)
        eta.addStep(k, 10.0);
    EXPECT_NEAR(eta.secondsLeft(20, 20), 0.35, 1e-9);
}

} // namespace
} // namespace tempo
