#include "core/analysis/ropeinspection.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "core/common/errors.h"

namespace tempo {

RopeInspection inspectRope(const std::vector<RopeLayerCheck>& layers, const SlotMapInput& in)
{
    RopeInspection out;
    out.maxLogicalError = kUndefined;
    out.minPhysicalError = kUndefined;
    out.allLayersPassed = !layers.empty();
    for (const auto& n : layers) {
        RopeLayerSummary s;
        s.numbers = n;
        s.logicalWithinTolerance = n.logicalMaxError <= n.tolerance; // NaN fails
        s.physicalApplicable = !std::isnan(n.physicalMinError);
        s.physicalDistinct = !s.physicalApplicable || n.physicalMinError > kPhysicalRotationSeparation * n.tolerance;
        s.passed = s.logicalWithinTolerance && s.physicalDistinct;
        out.allLayersPassed = out.allLayersPassed && s.passed;
        // A NaN error in any layer makes the maximum NaN: it must not hide behind finite layers.
        if (out.layers.empty() || std::isnan(n.logicalMaxError))
            out.maxLogicalError = n.logicalMaxError;
        else if (!std::isnan(out.maxLogicalError))
            out.maxLogicalError = std::max(out.maxLogicalError, n.logicalMaxError);
        if (s.physicalApplicable)
            out.minPhysicalError = std::isnan(out.minPhysicalError) ? n.physicalMinError
                                                                    : std::min(out.minPhysicalError, n.physicalMinError);
        out.layers.push_back(s);
    }

    if (in.positionIdsUsed.size() != in.cacheLengths.size())
        throw InvalidArgument(expectedFound("slot map input", "one cache length per forward's position ids",
                                            std::to_string(in.positionIdsUsed.size()) + " forwards of position ids, "
                                                + std::to_string(in.cacheLengths.size()) + " cache lengths"));
    // Position actually used per slot, from the forwards.
    std::vector<int64_t> used;
    int64_t previous = 0;
    for (size_t f = 0; f < in.positionIdsUsed.size(); ++f) {
        const int64_t grown = in.cacheLengths[f] - previous;
        if (grown != static_cast<int64_t>(in.positionIdsUsed[f].size()))
            throw InvalidArgument(expectedFound("forward " + std::to_string(f) + " position ids",
                                                std::to_string(grown) + " ids (cache grew from " + std::to_string(previous) + " to "
                                                    + std::to_string(in.cacheLengths[f]) + " slots)",
                                                std::to_string(in.positionIdsUsed[f].size()) + " ids"));
        used.insert(used.end(), in.positionIdsUsed[f].begin(), in.positionIdsUsed[f].end());
        previous = in.cacheLengths[f];
    }
    const size_t slots = std::max({used.size(), in.slotLogicalPositions.size(), in.slotSteps.size()});
    std::map<int64_t, int64_t> slotsAtPosition;
    for (int64_t p : used)
        ++slotsAtPosition[p];
    std::map<int64_t, int64_t> firstSlotOfStep;
    for (size_t slot = 0; slot < slots; ++slot) {
        SlotMapRow row;
        row.slot = static_cast<int64_t>(slot);
        if (slot < in.slotSteps.size()) {
            row.step = in.slotSteps[slot];
            row.member = row.slot - firstSlotOfStep.emplace(row.step, row.slot).first->second;
        } else {
            row.step = -1;
            row.member = row.slot;
        }
        if (slot < used.size())
            row.positionUsed = used[slot];
        else
            ++out.unreportedSlots;
        if (slot < in.slotLogicalPositions.size())
            row.positionRecorded = in.slotLogicalPositions[slot];
        const bool bothKnown = slot < used.size() && slot < in.slotLogicalPositions.size();
        row.agrees = bothKnown && row.positionUsed == row.positionRecorded;
        if (bothKnown && !row.agrees)
            ++out.mismatchedSlots;
        if (slot < used.size() && slotsAtPosition[row.positionUsed] > 1)
            ++out.sharedPositionSlots;
        out.slotMap.push_back(row);
    }
    return out;
}

AnalysisMetrics metrics(const RopeInspection& r)
{
    AnalysisMetrics out;
    for (const auto& l : r.layers) {
        out.push_back({"rope.by_layer.logical_max_error", l.numbers.logicalMaxError, -1, l.numbers.layer});
        out.push_back({"rope.by_layer.physical_min_error", l.numbers.physicalMinError, -1, l.numbers.layer});
        out.push_back({"rope.by_layer.tolerance", l.numbers.tolerance, -1, l.numbers.layer});
        out.push_back({"rope.by_layer.passed", l.passed ? 1.0 : 0.0, -1, l.numbers.layer});
    }
    for (const auto& s : r.slotMap) {
        const std::string prefix = "rope.by_slot." + std::to_string(s.slot) + ".";
        out.push_back({prefix + "position_used", static_cast<double>(s.positionUsed), s.step});
        out.push_back({prefix + "position_recorded", static_cast<double>(s.positionRecorded), s.step});
    }
    out.push_back({"rope.max_logical_error", r.maxLogicalError});
    out.push_back({"rope.min_physical_error", r.minPhysicalError});
    out.push_back({"rope.mismatched_slots", static_cast<double>(r.mismatchedSlots)});
    out.push_back({"rope.unreported_slots", static_cast<double>(r.unreportedSlots)});
    out.push_back({"rope.shared_position_slots", static_cast<double>(r.sharedPositionSlots)});
    out.push_back({"rope.all_layers_passed", r.allLayersPassed ? 1.0 : 0.0});
    return out;
}

} // namespace tempo
