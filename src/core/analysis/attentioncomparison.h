#pragma once
// Attention of two runs (typically isolated vs visible, presets 1a/1b) compared element by element,
// aligned by logical step and member.
//
// Alignment: forwards are paired by step (prefill with prefill, the forward feeding step s with
// the one feeding step s in the other run). Within a pair, row r is member r of the set (or prompt
// token r) and is compared only when both runs fed at least r + 1 rows. A slot is identified by
// (step, member): its step from the run's slot map and its distance from the first slot of that
// step. Slot columns are compared only where the same (step, member) exists in both forwards, so
// runs whose earlier sets had different widths are still compared on what they share, never on
// physical slot numbers that mean different tokens. Members are matched by index, not by token id:
// if the two runs selected different tokens, the difference shows up in the numbers.

#include <cstdint>
#include <vector>

#include "core/analysis/analysismetric.h"
#include "core/analysis/attentioncapture.h"

namespace tempo {

// A forward "differs" when the max |attention_a - attention_b| over its aligned elements exceeds
// this. Float32 softmax of the same inputs agrees to ~1e-7 (and bit-exactly on CPU); GPU kernels
// that reduce in a different order stay below ~1e-6. A real sibling effect is orders larger.
inline constexpr double kAttentionDifferenceTolerance = 1e-5;

struct AttentionDifference {
    int64_t elements = 0;        // aligned (layer, head, row, slot) values compared
    double meanAbsDifference = 0.0; // NaN when elements == 0
    double maxAbsDifference = 0.0;  // NaN when elements == 0
    double pearson = 0.0;           // NaN when < 2 elements or either side is constant
};

struct StepAttentionDifference {
    int64_t step = -1;      // -1: prefill
    int64_t forwardA = 0;
    int64_t forwardB = 0;
    int64_t rowsCompared = 0;
    int64_t slotsCompared = 0;
    AttentionDifference difference;
};

struct LayerAttentionDifference {
    int64_t layer = 0;
    AttentionDifference difference;
};

struct HeadAttentionDifference {
    int64_t layer = 0;
    int64_t head = 0;
    AttentionDifference difference;
};

struct AttentionComparison {
    AttentionDifference overall;
    std::vector<StepAttentionDifference> perStep; // steps present in both runs, ascending
    std::vector<LayerAttentionDifference> perLayer;
    std::vector<HeadAttentionDifference> perHead;   // every (layer, head)
    double tolerance = kAttentionDifferenceTolerance;
    // Forward index (in run A) of the first aligned forward whose max |diff| > tolerance; -1: none.
    int64_t firstDifferingForward = -1;
    int64_t firstDifferingStep = -1;   // its step (-1 also when none; see firstDifferingForward)
    int64_t forwardsOnlyInOneRun = 0;  // steps one run reached and the other did not
};

// Throws InvalidArgument when a run is inconsistent (see validateRunAttention) or the runs disagree
// in layers or heads.
AttentionComparison compareAttention(const RunAttention& a, const RunAttention& b,
                                     double tolerance = kAttentionDifferenceTolerance);

// attention.{mean_abs_diff,max_abs_diff,pearson,elements} overall; the same under
// attention.by_step.* (step -1 = prefill), attention.by_layer.*, attention.by_head.* (layer and
// head set); attention.first_differing_forward / first_differing_step (-1: none), attention.tolerance,
// attention.forwards_only_in_one_run.
AnalysisMetrics metrics(const AttentionComparison& comparison);

} // namespace tempo
