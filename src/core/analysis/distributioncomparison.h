#pragma once
// Readout distributions of two runs compared step by step (preset 2: isolated vs visible), and the
// first step whose selected parallel sets differ. All divergences are in nats (natural log).

#include <array>
#include <cstdint>
#include <vector>

#include "core/analysis/analysismetric.h"

namespace tempo {

// KL(p || q) floors q at this value. A float32 softmax underflows to exactly 0 for tokens far below
// the maximum logit, so one run can give a token 1e-30 and the other 0 purely through rounding;
// unfloored, KL would be infinite and say nothing about behaviour. With the floor one such token
// adds at most p ln(p / 1e-12) <= 27.7 p nats. Probabilities this small never reach a TEMPO
// threshold (>= 1e-3 in any sensible preset), so the floor cannot hide a selection difference.
inline constexpr double kKlProbabilityFloor = 1e-12;

// Two readouts are "identical" when no token's probability differs by this much or more. Float32
// softmax over the same inputs agrees to ~1e-7; anything at 1e-6 or above is a real change.
inline constexpr double kIdenticalDistributionTolerance = 1e-6;

// The k of the top-k overlaps reported per step.
inline constexpr std::array<int64_t, 4> kTopKOverlapSizes{1, 5, 10, 20};

// One run's readouts: p_s (the distribution that selected the set of step s) is the readout of
// forward s, and the selected sets in step order.
struct ReadoutDistribution {
    int64_t forward = 0;              // p_{forward}; compared as step `forward`
    std::vector<float> probabilities; // [V]
};

struct RunDistributions {
    std::vector<ReadoutDistribution> readouts;
    std::vector<std::vector<int64_t>> sets; // sets[s]: the token ids selected at step s (any order)
};

// -sum p ln p over p > 0 (nats).
double entropy(const std::vector<float>& p);
// sum over p_i > 0 of p_i ln(p_i / max(q_i, kKlProbabilityFloor)) (nats). Sizes must match.
double klDivergence(const std::vector<float>& p, const std::vector<float>& q);
// (KL(p || m) + KL(q || m)) / 2 with m = (p + q) / 2 (nats, in [0, ln 2]); no floor needed since
// m_i >= p_i / 2 wherever p_i > 0.
double jensenShannon(const std::vector<float>& p, const std::vector<float>& q);
// p . q / (|p| |q|); NaN when either is all zeros.
double cosineSimilarity(const std::vector<float>& p, const std::vector<float>& q);
// max_i |p_i - q_i|.
double maxAbsDifference(const std::vector<float>& p, const std::vector<float>& q);
// Token ids of the k most probable entries (descending probability, ties by lower id); k is cut to V.
std::vector<int64_t> topKTokens(const std::vector<float>& p, int64_t k);
// |topk(p) ∩ topk(q)| / k', k' = min(k, V) (so a vocabulary smaller than k still scores 1 when equal).
double topKOverlap(const std::vector<float>& p, const std::vector<float>& q, int64_t k);

struct StepDistributionComparison {
    int64_t step = 0;
    double entropyA = 0.0;
    double entropyB = 0.0;
    double topProbabilityA = 0.0;
    double topProbabilityB = 0.0;
    double klAB = 0.0; // KL(p_a || p_b)
    double klBA = 0.0; // KL(p_b || p_a)
    double jensenShannon = 0.0;
    double cosine = 0.0;
    double maxAbsDifference = 0.0; // max over tokens |p_a - p_b|
    std::array<double, 4> topKOverlap{}; // for kTopKOverlapSizes
};

struct DistributionComparison {
    std::vector<StepDistributionComparison> steps; // steps both runs have a readout for, ascending
    int64_t vocabulary = 0;
    double maxAbsDifference = 0.0; // max over compared steps (NaN when none)
    std::array<double, 4> minTopKOverlap{}; // min over compared steps (NaN when none)
    // First step whose selected sets differ as sets (order ignored); a step only one run reached
    // counts as differing. -1: the runs selected the same sets throughout.
    int64_t firstDifferingSetStep = -1;
    // First compared step whose max |p_a - p_b| >= kIdenticalDistributionTolerance (or is NaN):
    // where the modes' distributions diverge. -1: identical throughout.
    int64_t firstDifferingDistributionStep = -1;
    int64_t stepsOnlyInOneRun = 0; // readouts one run has and the other does not
};

// Throws InvalidArgument when the runs' vocabularies differ or a run has two readouts for a forward.
DistributionComparison compareDistributions(const RunDistributions& a, const RunDistributions& b);

// distribution.by_step.{entropy_a, entropy_b, top_probability_a, top_probability_b, kl_ab, kl_ba,
// js, cosine, max_abs_diff, top1_overlap, top5_overlap, top10_overlap, top20_overlap} per step;
// distribution.{max_abs_diff, min_top<k>_overlap, first_differing_set_step,
// first_differing_distribution_step, steps_compared,
// steps_only_in_one_run, mean_js, mean_kl_ab, mean_kl_ba}.
AnalysisMetrics metrics(const DistributionComparison& comparison);

} // namespace tempo
