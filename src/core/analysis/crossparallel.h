#pragma once
// Cross-parallel attention (preset 3): inside each set of >= 2 members, how much attention mass
// each member sends to its siblings versus to the prior context (the prompt and every earlier set).
//
// For member row i of the forward that feeds a set occupying slots [f, f + w):
//   sibling mass = sum of a[i, f + j] over j != i     (the other members of the same set)
//   self mass    = a[i, f + i]
//   prior mass   = sum of a[i, 0 .. f)                (everything cached before the set)
// For a normalised row, sibling + self + prior = 1. Every member counts, including member 0 in
// visible mode (which can see no sibling, so its sibling mass is 0): the set as fed is the unit,
// and excluding rows by mode would make isolated and visible numbers incomparable.

#include <cstdint>
#include <vector>

#include "core/analysis/analysismetric.h"
#include "core/analysis/attentioncapture.h"

namespace tempo {

// Ratio of mean sibling mass to mean prior mass (a ratio of means, robust to single rows with a
// tiny prior). When the prior mass is 0: +infinity if the sibling mass is > 0, NaN if both are 0
// (no attention left the set at all, so the ratio is undefined).
double siblingToPriorRatio(double meanSiblingMass, double meanPriorMass);

struct AttentionMassSummary {
    int64_t rows = 0; // (member row, layer, head) triples summarised
    double meanSibling = 0.0;
    double maxSibling = 0.0;
    double minSibling = 0.0;
    double meanPrior = 0.0;
    double maxPrior = 0.0;
    double minPrior = 0.0;
    double meanSelf = 0.0;
    double ratio = 0.0; // siblingToPriorRatio(meanSibling, meanPrior)
};

struct SetCrossAttention {
    int64_t step = 0;
    int64_t forward = 0;
    int64_t width = 0;
    AttentionMassSummary mass; // over members, layers and heads of this set
};

struct LayerCrossAttention {
    int64_t layer = 0;
    AttentionMassSummary mass; // over every multi-member set, member and head
};

struct HeadCrossAttention {
    int64_t layer = 0;
    int64_t head = 0;
    AttentionMassSummary mass; // over every multi-member set and member
};

struct CrossParallelAttention {
    std::vector<SetCrossAttention> sets; // sets of >= 2 members with attention captured, step order
    std::vector<LayerCrossAttention> perLayer;
    std::vector<HeadCrossAttention> perHead;
    AttentionMassSummary overall;        // rows == 0 (and means NaN) when no multi-member set
    int64_t multiMemberSets() const { return static_cast<int64_t>(sets.size()); }
};

// Reads every forward with step >= 0 and >= 2 rows. Throws InvalidArgument when the run is
// inconsistent (validateRunAttention).
CrossParallelAttention analyseCrossParallelAttention(const RunAttention& run);

// cross_parallel.{rows, mean_sibling, max_sibling, min_sibling, mean_prior, max_prior, min_prior,
// mean_self, ratio} overall; the same under cross_parallel.by_set.* (step set),
// cross_parallel.by_layer.*, cross_parallel.by_head.*; cross_parallel.multi_member_sets.
AnalysisMetrics metrics(const CrossParallelAttention& analysis);

} // namespace tempo
