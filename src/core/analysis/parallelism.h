#pragma once
// High parallelism (preset 5): set width per step, time per step against width, numerical health.

#include <cstdint>
#include <vector>

#include "core/analysis/analysismetric.h"

namespace tempo {

struct ParallelismInput {
    std::vector<int64_t> widths;              // members of the set of each step, step order
    std::vector<double> stepMilliseconds;     // per step (StepRecord::milliseconds); empty: no timing
    std::vector<std::vector<float>> readouts; // readout distributions [V] each, for the health counts
    std::vector<float> logits;                // any captured logits, flattened (may be empty)
};

struct WidthTiming {
    int64_t width = 0;
    int64_t steps = 0;
    double meanMilliseconds = 0.0;
};

struct ParallelismSummary {
    std::vector<int64_t> widths;
    int64_t maxWidth = 0;
    double meanWidth = 0.0;         // NaN when no step
    int64_t multiMemberSteps = 0;   // steps whose set has >= 2 members
    std::vector<WidthTiming> timeByWidth; // ascending width
    // Least squares ms = intercept + slope * width over steps: slope = ms per extra member. NaN
    // when fewer than 2 timed steps or every timed step had the same width.
    double msPerExtraMember = 0.0;
    double interceptMs = 0.0;
    double totalMilliseconds = 0.0;
    // Numerical health.
    int64_t nonFiniteValues = 0;        // NaN/Inf among readouts and logits
    int64_t nonFiniteReadouts = 0;      // readouts holding at least one NaN/Inf
    double maxProbabilitySumError = 0.0; // max |sum(p) - 1| over the finite readouts (NaN when none)
};

// Throws InvalidArgument when stepMilliseconds is neither empty nor one per step.
ParallelismSummary summariseParallelism(const ParallelismInput& input);

// parallelism.by_step.width (step set); parallelism.by_width.{steps, mean_ms} (the width is in the
// name: parallelism.by_width.<w>.steps); parallelism.{max_width, mean_width, multi_member_steps,
// ms_per_extra_member, intercept_ms, total_ms, non_finite_values, non_finite_readouts,
// max_probability_sum_error}.
AnalysisMetrics metrics(const ParallelismSummary& summary);

} // namespace tempo
