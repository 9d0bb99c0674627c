#pragma once
// Where every fed token lives: its physical slot (index in the KV cache) and its logical
// position (the RoPE position id). The prompt fills slots 0..P-1 at positions 0..P-1; the set of
// step s fills the next consecutive slots, every member at logical position P + s. A constant
// positionOffset is added to every logical position (the position-shift control).

#include <cstdint>
#include <vector>

#include <ATen/Tensor.h>

#include "core/runrecord/tempoconfig.h"

namespace tempo {

class SlotLayout {
public:
    explicit SlotLayout(int64_t positionOffset = 0) : positionOffset_(positionOffset) {}

    // Slots [0, promptLength). Must be called once, first.
    void appendPrompt(int64_t promptLength);
    // `width` consecutive slots for the set of `step` (steps in order 0, 1, ...). Returns the first slot.
    int64_t appendSet(int64_t step, int64_t width);

    int64_t promptLength() const { return promptLength_; }
    int64_t slotCount() const { return static_cast<int64_t>(logicalPositions_.size()); }
    int64_t positionOffset() const { return positionOffset_; }
    int64_t logicalPositionOfStep(int64_t step) const { return positionOffset_ + promptLength_ + step; }

    // slot -> logical position, slot -> step (-1 for prompt slots), slot -> index inside its set
    // (for prompt slots: index in the prompt).
    const std::vector<int64_t>& logicalPositions() const { return logicalPositions_; }
    const std::vector<int64_t>& slotSteps() const { return slotSteps_; }
    const std::vector<int64_t>& memberIndices() const { return memberIndices_; }

    // Position ids of slots [firstSlot, firstSlot + n): [n] int64.
    at::Tensor positionIds(int64_t firstSlot, int64_t n) const;

private:
    int64_t positionOffset_ = 0;
    int64_t promptLength_ = 0;
    std::vector<int64_t> logicalPositions_;
    std::vector<int64_t> slotSteps_;
    std::vector<int64_t> memberIndices_;
};

// Prefill mask, ordinary causal: [P, P] bool, true = may attend.
at::Tensor causalMask(int64_t length);

// Mask of one set fed after `cachedSlots` slots: [width, cachedSlots + width] bool. Every member
// sees every cached slot; among siblings, isolated -> itself only, visible -> itself and earlier ones.
at::Tensor parallelSetMask(int64_t cachedSlots, int64_t width, SiblingMode mode);

// Plain causal mask of `width` tokens fed after `cachedSlots` slots: [width, cachedSlots + width]
// bool, no sibling block (the artifact control; the original method fed one token per step).
at::Tensor appendedCausalMask(int64_t cachedSlots, int64_t width);

} // namespace tempo
