#include "core/experiment/etaestimator.h"

#include <algorithm>

namespace tempo {

void EtaEstimator::addStep(int64_t step, double stepMs)
{
    samples_.push_back({step, std::max(stepMs, 0.0)});
}

EtaEstimator::Line EtaEstimator::fit() const
{
    // Step 0 includes the prefill: fit on later steps as soon as there are any.
    auto first = samples_.begin();
    if (samples_.size() > 1 && first->step == 0)
        ++first;
    const auto count = static_cast<double>(std::distance(first, samples_.end()));
    double meanStep = 0.0, meanMs = 0.0;
    for (auto it = first; it != samples_.end(); ++it) {
        meanStep += static_cast<double>(it->step);
        meanMs += it->ms;
    }
    meanStep /= count;
    meanMs /= count;
    double covariance = 0.0, variance = 0.0;
    for (auto it = first; it != samples_.end(); ++it) {
        const double dx = static_cast<double>(it->step) - meanStep;
        covariance += dx * (it->ms - meanMs);
        variance += dx * dx;
    }
    Line line;
    line.slope = count >= 2 && variance > 0 ? std::max(covariance / variance, 0.0) : 0.0;
    line.intercept = meanMs - line.slope * meanStep;
    return line;
}

double EtaEstimator::secondsFor(int64_t firstStep, int64_t lastStep) const
{
    if (samples_.empty())
        return -1.0;
    if (lastStep <= firstStep)
        return 0.0;
    const Line line = fit();
    // Sum of a + b * k for k in [firstStep, lastStep): n * a + b * (sum of k).
    const double n = static_cast<double>(lastStep - firstStep);
    const double sumSteps = n * static_cast<double>(firstStep + lastStep - 1) / 2.0;
    const double ms = n * line.intercept + line.slope * sumSteps;
    return std::max(ms, 0.0) / 1000.0;
}

double EtaEstimator::secondsLeft(int64_t runSteps, int64_t laterSteps) const
{
    if (samples_.empty())
        return -1.0;
    const int64_t next = samples_.back().step + 1;
    if (next >= runSteps && laterSteps <= 0)
        return 0.0;
    const auto decodeSteps = std::count_if(samples_.begin(), samples_.end(), [](const Sample& s) { return s.step > 0; });
    if (decodeSteps < kStepsForTrend)
        return -1.0;
    double seconds = secondsFor(next, runSteps);
    if (laterSteps > 0 && runSteps > 0) {
        // A later run makes its steps from 0 again: its pace is this run's mean over its steps.
        const double perStep = secondsFor(0, runSteps) / static_cast<double>(runSteps);
        seconds += perStep * static_cast<double>(laterSteps);
    }
    return seconds;
}

} // namespace tempo
