#pragma once
// The attention of one run as the analyses read it: one record per forward, plus the run's slot
// map. Mirrors tempo::ForwardAttention (core/tempo/records.h) with plain vectors, so a thin adapter
// (or the notebook's stored blobs) can fill it.

#include <cstdint>
#include <string>
#include <vector>

#include "core/analysis/tensor4.h"

namespace tempo {

// Attention probabilities of one forward.
struct AttentionForward {
    int64_t forward = 0;    // 0: prefill; s + 1 feeds the set of step s
    int64_t step = -1;      // -1: prefill
    int64_t firstSlot = 0;  // physical slot of row 0; row r sits at slot firstSlot + r
    Tensor4 probabilities;  // [layers, heads, rows fed, slots so far] (rows: prompt tokens or set members)
};

struct RunAttention {
    std::vector<AttentionForward> forwards; // in forward order
    // slot -> step (-1: prompt) for every slot of the run (TempoRun::slotSteps). A slot's member
    // index is its distance from the first slot of its step. Must cover every forward's slots.
    std::vector<int64_t> slotSteps;
};

// Checks that every forward's shape agrees with the slot map (rows fed sit at the forward's step in
// slotSteps, slots fit the map, layers and heads agree between forwards). Throws InvalidArgument
// naming the run (`what`) and the forward.
void validateRunAttention(const RunAttention& run, const std::string& what);

} // namespace tempo
