#pragma once
// EtaEstimator: the time left in a run, forecast from the durations of the steps made so far.
//
// A TEMPO step gets slower as the run goes (every step attends to every earlier slot, and sets can
// be wide), so "mean step time x steps left" under-estimates early and the shown time left rises
// during the run. The estimator fits step time = a + b * step (least squares, b >= 0) to the
// decode steps seen so far and sums that line over the steps still to come. Step 0 carries the
// prefill and is left out of the fit once later steps exist. The time left stays unknown until
// three decode steps after step 0 are in: with fewer, the trend is a guess, and a guess that
// is corrected upwards is exactly the rising estimate this class exists to avoid.

#include <cstdint>
#include <vector>

namespace tempo {

class EtaEstimator {
public:
    // `stepMs`: the duration of step `step` (0-based, in order) in milliseconds.
    void addStep(int64_t step, double stepMs);

    // Seconds for steps [firstStep, lastStep) of this run, from the fitted line; negative while
    // nothing was measured.
    double secondsFor(int64_t firstStep, int64_t lastStep) const;

    // Seconds left when this run is to make steps up to `runSteps` and `laterSteps` more steps
    // follow in later runs of the same job (a group's second run), forecast at this run's pace;
    // negative (unknown) until kStepsForTrend decode steps are in, or nothing is left.
    double secondsLeft(int64_t runSteps, int64_t laterSteps = 0) const;

    static constexpr int64_t kStepsForTrend = 3;

    int64_t stepsSeen() const { return static_cast<int64_t>(samples_.size()); }

private:
    struct Line {
        double intercept = 0.0; // ms
        double slope = 0.0;     // ms per step, >= 0
    };
    Line fit() const;

    struct Sample {
        int64_t step;
        double ms;
    };
    std::vector<Sample> samples_;
};

} // namespace tempo
