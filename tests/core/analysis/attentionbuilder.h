#pragma once
// Builds small hand-written attention records for the analysis tests.

#include <array>
#include <vector>

#include "core/analysis/attentioncapture.h"

namespace tempo::test {

// rowsPerLayerHead[l][h] = the rows of that layer and head, each row one value per slot.
inline AttentionForward attentionForward(int64_t forward, int64_t step, int64_t firstSlot,
                                         const std::vector<std::vector<std::vector<std::vector<float>>>>& rowsPerLayerHead)
{
    const int64_t layers = static_cast<int64_t>(rowsPerLayerHead.size());
    const int64_t heads = static_cast<int64_t>(rowsPerLayerHead[0].size());
    const int64_t rows = static_cast<int64_t>(rowsPerLayerHead[0][0].size());
    const int64_t slots = static_cast<int64_t>(rowsPerLayerHead[0][0][0].size());
    AttentionForward f;
    f.forward = forward;
    f.step = step;
    f.firstSlot = firstSlot;
    f.probabilities = Tensor4::zeros({layers, heads, rows, slots});
    for (int64_t l = 0; l < layers; ++l)
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t s = 0; s < slots; ++s)
                    f.probabilities.at(l, h, r, s) = rowsPerLayerHead[static_cast<size_t>(l)][static_cast<size_t>(h)]
                                                                    [static_cast<size_t>(r)][static_cast<size_t>(s)];
    return f;
}

} // namespace tempo::test
