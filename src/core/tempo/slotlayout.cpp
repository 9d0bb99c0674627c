#include "core/tempo/slotlayout.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "core/common/errors.h"

namespace tempo {

void SlotLayout::appendPrompt(int64_t promptLength)
{
    if (!logicalPositions_.empty())
        throw InvalidArgument(expectedFound("slot layout prompt", "to be appended first, once", std::to_string(slotCount()) + " slots already laid out"));
    if (promptLength < 1)
        throw InvalidArgument(expectedFound("slot layout prompt length", "at least 1", std::to_string(promptLength)));
    promptLength_ = promptLength;
    for (int64_t i = 0; i < promptLength; ++i) {
        logicalPositions_.push_back(positionOffset_ + i);
        slotSteps_.push_back(-1);
        memberIndices_.push_back(i);
    }
}

int64_t SlotLayout::appendSet(int64_t step, int64_t width)
{
    const int64_t lastStep = slotSteps_.empty() ? -1 : slotSteps_.back();
    if (promptLength_ == 0 || step != lastStep + 1)
        throw InvalidArgument(expectedFound("slot layout step", "step " + std::to_string(lastStep + 1) + " after the prompt",
                                            "step " + std::to_string(step)));
    if (width < 1)
        throw InvalidArgument(expectedFound("slot layout set width", "at least 1", std::to_string(width)));
    const int64_t first = slotCount();
    for (int64_t i = 0; i < width; ++i) {
        logicalPositions_.push_back(logicalPositionOfStep(step));
        slotSteps_.push_back(step);
        memberIndices_.push_back(i);
    }
    return first;
}

at::Tensor SlotLayout::positionIds(int64_t firstSlot, int64_t n) const
{
    if (firstSlot < 0 || n < 0 || firstSlot + n > slotCount())
        throw InvalidArgument(expectedFound("slot range", "inside [0, " + std::to_string(slotCount()) + ")",
                                            "[" + std::to_string(firstSlot) + ", " + std::to_string(firstSlot + n) + ")"));
    at::Tensor ids = at::empty({n}, at::kLong); // [n]
    auto* out = ids.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i)
        out[i] = logicalPositions_[static_cast<size_t>(firstSlot + i)];
    return ids;
}

namespace {

// [width, cachedSlots + width] bool: every row sees the cached slots; among the `width` new slots,
// row i sees slot j when j == i (isolated) or j <= i (causal). Written element by element: a
// handful of operators (ones, eye or tril, narrow, copy) cost more than filling a few hundred bools.
at::Tensor newSlotsMask(int64_t cachedSlots, int64_t width, bool causal)
{
    const int64_t columns = cachedSlots + width;
    at::Tensor mask = at::empty({width, columns}, at::kBool); // [w, cached + w]
    bool* out = mask.data_ptr<bool>();
    for (int64_t i = 0; i < width; ++i) {
        bool* row = out + i * columns;
        std::fill(row, row + cachedSlots, true);
        for (int64_t j = 0; j < width; ++j)
            row[cachedSlots + j] = causal ? j <= i : j == i;
    }
    return mask;
}

} // namespace

at::Tensor causalMask(int64_t length)
{
    return newSlotsMask(0, length, true); // [P, P]
}

at::Tensor parallelSetMask(int64_t cachedSlots, int64_t width, SiblingMode mode)
{
    return newSlotsMask(cachedSlots, width, mode == SiblingMode::Visible); // [w, cached + w]
}

at::Tensor appendedCausalMask(int64_t cachedSlots, int64_t width)
{
    return newSlotsMask(cachedSlots, width, true); // [w, cached + w]
}

} // namespace tempo
