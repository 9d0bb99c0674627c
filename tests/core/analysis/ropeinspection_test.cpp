// RoPE inspection: per-layer pass/fail from the check's numbers and the slot -> position map.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "core/analysis/ropeinspection.h"
#include "core/common/errors.h"

namespace tempo {
namespace {

// Prompt of 2 tokens at positions 0,1; step 0 feeds 2 members at position 2 (slots 2,3);
// step 1 feeds 1 member at position 3 (slot 4).
SlotMapInput slotMap()
{
    SlotMapInput in;
    in.positionIdsUsed = {{0, 1}, {2, 2}, {3}};
    in.cacheLengths = {2, 4, 5};
    in.slotLogicalPositions = {0, 1, 2, 2, 3};
    in.slotSteps = {-1, -1, 0, 0, 1};
    return in;
}

TEST(RopeInspection, LayerVerdictsAndBoundaries)
{
    const double tol = 1e-5;
    const std::vector<RopeLayerCheck> layers{
        {0, 5, 1e-6, 0.5, tol},      // within tolerance, slot rotation far away: passes
        {1, 5, 2e-5, 0.5, tol},      // logical error above tolerance: fails
        {2, 5, 1e-6, 1.5e-5, tol},   // slot rotation within 2 x tolerance: fails
        {3, 5, tol, 2.0 * tol, tol}, // boundaries: error == tolerance passes, physical == 2 x tol fails (must exceed)
        {4, 2, 1e-6, kUndefined, tol}, // every slot equals its position: physical not applicable, passes
    };
    const RopeInspection r = inspectRope(layers, slotMap());
    ASSERT_EQ(r.layers.size(), 5u);
    EXPECT_TRUE(r.layers[0].passed);
    EXPECT_FALSE(r.layers[1].logicalWithinTolerance);
    EXPECT_FALSE(r.layers[1].passed);
    EXPECT_TRUE(r.layers[2].logicalWithinTolerance);
    EXPECT_FALSE(r.layers[2].physicalDistinct);
    EXPECT_TRUE(r.layers[3].logicalWithinTolerance);
    EXPECT_FALSE(r.layers[3].physicalDistinct);
    EXPECT_FALSE(r.layers[4].physicalApplicable);
    EXPECT_TRUE(r.layers[4].passed);
    EXPECT_FALSE(r.allLayersPassed);
    EXPECT_DOUBLE_EQ(r.maxLogicalError, 2e-5);
    EXPECT_DOUBLE_EQ(r.minPhysicalError, 1.5e-5);

    const RopeInspection good = inspectRope({layers[0], layers[4]}, slotMap());
    EXPECT_TRUE(good.allLayersPassed);
    EXPECT_FALSE(inspectRope({}, slotMap()).allLayersPassed); // nothing checked is not a pass
}

TEST(RopeInspection, NanErrorIsNeverAPass)
{
    const RopeInspection r = inspectRope({{0, 5, 1e-6, 0.5, 1e-5}, {1, 5, kUndefined, 0.5, 1e-5}}, slotMap());
    EXPECT_FALSE(r.layers[1].passed);
    EXPECT_TRUE(std::isnan(r.maxLogicalError));
}

TEST(RopeInspection, SlotMapRows)
{
    const RopeInspection r = inspectRope({}, slotMap());
    ASSERT_EQ(r.slotMap.size(), 5u);
    // slot 3: second member of step 0, fed at position 2 like its sibling in slot 2.
    EXPECT_EQ(r.slotMap[3].step, 0);
    EXPECT_EQ(r.slotMap[3].member, 1);
    EXPECT_EQ(r.slotMap[3].positionUsed, 2);
    EXPECT_EQ(r.slotMap[3].positionRecorded, 2);
    EXPECT_TRUE(r.slotMap[3].agrees);
    EXPECT_EQ(r.slotMap[4].member, 0);
    EXPECT_EQ(r.slotMap[1].member, 1); // prompt token 1
    EXPECT_EQ(r.mismatchedSlots, 0);
    EXPECT_EQ(r.unreportedSlots, 0);
    EXPECT_EQ(r.sharedPositionSlots, 2); // slots 2 and 3 share position 2
}

TEST(RopeInspection, MismatchAndMissingPositions)
{
    SlotMapInput in = slotMap();
    in.positionIdsUsed[2] = {4}; // the engine fed step 1 at its slot (4) instead of position 3
    const RopeInspection r = inspectRope({}, in);
    EXPECT_EQ(r.mismatchedSlots, 1);
    EXPECT_FALSE(r.slotMap[4].agrees);

    SlotMapInput partial = slotMap();
    partial.positionIdsUsed.pop_back();
    partial.cacheLengths.pop_back();
    const RopeInspection p = inspectRope({}, partial);
    EXPECT_EQ(p.unreportedSlots, 1);
    EXPECT_EQ(p.slotMap[4].positionUsed, -1);

    SlotMapInput bad = slotMap();
    bad.positionIdsUsed[1] = {2}; // cache grew by 2 but one id reported
    EXPECT_THROW(inspectRope({}, bad), InvalidArgument);
}

TEST(RopeInspection, Metrics)
{
    const AnalysisMetrics m = metrics(inspectRope({{3, 5, 1e-6, 0.5, 1e-5}}, slotMap()));
    bool layer = false;
    bool slot = false;
    for (const auto& x : m) {
        if (x.name == "rope.by_layer.logical_max_error" && x.layer == 3) {
            layer = true;
            EXPECT_DOUBLE_EQ(x.value, 1e-6);
        }
        if (x.name == "rope.by_slot.3.position_used") {
            slot = true;
            EXPECT_DOUBLE_EQ(x.value, 2.0);
            EXPECT_EQ(x.step, 0);
        }
    }
    EXPECT_TRUE(layer && slot);
}

} // namespace
} // namespace tempo
