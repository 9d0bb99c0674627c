#pragma once
// KV cache / RoPE inspection (preset 4): the rope_rotation check's numbers per layer and the
// physical slot -> logical position map, as rows a report can print.

#include <cstdint>
#include <vector>

#include "core/analysis/analysismetric.h"

namespace tempo {

// A key rotated by its physical slot must differ from the cached key by more than this many
// tolerances wherever slot != logical position (the same factor the rope_rotation check uses), so
// "rotated by slot" and "rotated by position" are told apart with a margin.
inline constexpr double kPhysicalRotationSeparation = 2.0;

// The numbers of one layer's rope_rotation check (core/tempo/checks.h), as plain numbers.
struct RopeLayerCheck {
    int64_t layer = 0;
    int64_t slots = 0;
    double logicalMaxError = 0.0;  // max |cached key - R(logical position) k_before_rope|
    // min over slots whose slot != logical position of max |cached key - R(slot) k_before_rope|;
    // NaN when every slot equals its logical position (the two rotations cannot be told apart).
    double physicalMinError = 0.0;
    double tolerance = 0.0;        // allowed logicalMaxError (ropeTolerance)
};

struct RopeLayerSummary {
    RopeLayerCheck numbers;
    bool logicalWithinTolerance = false; // logicalMaxError <= tolerance
    bool physicalDistinct = false;       // physicalMinError > 2 x tolerance, or not applicable (NaN)
    bool physicalApplicable = false;     // some slot differs from its logical position
    bool passed = false;                 // both
};

// What the engine reported while it fed the run.
struct SlotMapInput {
    // Per forward (0 = prefill): the position ids handed to RoPE, one per row fed.
    std::vector<std::vector<int64_t>> positionIdsUsed;
    // Per forward: cache slots after it, so forward f's rows sit at slots
    // [cacheLengths[f - 1], cacheLengths[f]) (from 0 for the prefill).
    std::vector<int64_t> cacheLengths;
    std::vector<int64_t> slotLogicalPositions; // the decoder's bookkeeping slot -> position (may be empty)
    std::vector<int64_t> slotSteps;            // slot -> step, -1: prompt (may be empty)
};

struct SlotMapRow {
    int64_t slot = 0;
    int64_t step = -1;             // -1: prompt (or unknown when slotSteps was empty)
    int64_t member = 0;            // index within its step (prompt: token index)
    int64_t positionUsed = -1;     // read from the position ids handed to RoPE; -1: not reported
    int64_t positionRecorded = -1; // from the bookkeeping map; -1: not given
    bool agrees = false;           // both known and equal
};

struct RopeInspection {
    std::vector<RopeLayerSummary> layers;
    std::vector<SlotMapRow> slotMap;
    int64_t mismatchedSlots = 0;      // slots where used and recorded positions are both known and differ
    int64_t unreportedSlots = 0;      // slots no forward reported a position for
    int64_t sharedPositionSlots = 0;  // slots whose used position equals another slot's (set members)
    double maxLogicalError = 0.0;     // over layers (NaN when no layer)
    double minPhysicalError = 0.0;    // over layers where applicable (NaN when none)
    bool allLayersPassed = false;     // false when no layer was checked
};

// Throws InvalidArgument when a forward's position ids disagree in count with its cache growth.
RopeInspection inspectRope(const std::vector<RopeLayerCheck>& layers, const SlotMapInput& slotMap);

// rope.by_layer.{logical_max_error, physical_min_error, tolerance, passed} (layer set);
// rope.by_slot.<slot>.{position_used, position_recorded} (the slot index is part of the name since
// several slots share a step; step column = the slot's step, -1 for the prompt);
// rope.{max_logical_error, min_physical_error, mismatched_slots, unreported_slots,
// shared_position_slots, all_layers_passed}.
AnalysisMetrics metrics(const RopeInspection& inspection);

} // namespace tempo
