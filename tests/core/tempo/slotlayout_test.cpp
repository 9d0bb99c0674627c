// Slot/position layout and masks on hand-worked examples (DESIGN.md section 1, step 3).

#include <gtest/gtest.h>

#include <vector>

#include <ATen/ATen.h>

#include "core/tempo/slotlayout.h"

namespace tempo {
namespace {

std::vector<int64_t> asIds(const at::Tensor& t)
{
    at::Tensor c = t.contiguous();
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

// Rows written out by hand: 1 = may attend.
at::Tensor maskFromRows(const std::vector<std::vector<int>>& rows)
{
    at::Tensor m = at::zeros({static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size())}, at::kBool);
    for (size_t i = 0; i < rows.size(); ++i)
        for (size_t j = 0; j < rows[i].size(); ++j)
            m[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = rows[i][j] != 0;
    return m;
}

TEST(SlotLayout, SetsShareOneLogicalPositionOnConsecutiveSlots)
{
    SlotLayout layout;
    layout.appendPrompt(3);                // slots 0..2 at positions 0..2
    EXPECT_EQ(layout.appendSet(0, 2), 3);  // slots 3,4 at position 3
    EXPECT_EQ(layout.appendSet(1, 1), 5);  // slot 5 at position 4
    EXPECT_EQ(layout.appendSet(2, 3), 6);  // slots 6..8 at position 5
    EXPECT_EQ(layout.slotCount(), 9);
    EXPECT_EQ(layout.logicalPositions(), (std::vector<int64_t>{0, 1, 2, 3, 3, 4, 5, 5, 5}));
    EXPECT_EQ(layout.slotSteps(), (std::vector<int64_t>{-1, -1, -1, 0, 0, 1, 2, 2, 2}));
    EXPECT_EQ(layout.memberIndices(), (std::vector<int64_t>{0, 1, 2, 0, 1, 0, 0, 1, 2}));
    EXPECT_EQ(asIds(layout.positionIds(6, 3)), (std::vector<int64_t>{5, 5, 5}));
    EXPECT_EQ(asIds(layout.positionIds(0, 4)), (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(SlotLayout, OffsetShiftsEveryLogicalPositionButNoSlot)
{
    SlotLayout layout(100);
    layout.appendPrompt(2);
    EXPECT_EQ(layout.appendSet(0, 2), 2);
    EXPECT_EQ(layout.logicalPositions(), (std::vector<int64_t>{100, 101, 102, 102}));
    EXPECT_EQ(layout.logicalPositionOfStep(5), 107);
}

TEST(SlotLayout, RefusesOutOfOrderUse)
{
    SlotLayout layout;
    EXPECT_ANY_THROW(layout.appendSet(0, 1)); // no prompt yet
    layout.appendPrompt(2);
    EXPECT_ANY_THROW(layout.appendPrompt(2));
    EXPECT_ANY_THROW(layout.appendSet(1, 1)); // step 0 first
    EXPECT_ANY_THROW(layout.appendSet(0, 0));
    EXPECT_ANY_THROW(layout.positionIds(1, 2));
}

TEST(Masks, PrefillIsCausal)
{
    EXPECT_TRUE(at::equal(causalMask(3), maskFromRows({{1, 0, 0}, {1, 1, 0}, {1, 1, 1}})));
}

TEST(Masks, IsolatedMembersSeeContextAndThemselvesOnly)
{
    // 2 cached slots, a set of 3.
    EXPECT_TRUE(at::equal(parallelSetMask(2, 3, SiblingMode::Isolated),
                          maskFromRows({{1, 1, 1, 0, 0}, {1, 1, 0, 1, 0}, {1, 1, 0, 0, 1}})));
}

TEST(Masks, VisibleMembersSeeEarlierSiblingsInCausalOrder)
{
    EXPECT_TRUE(at::equal(parallelSetMask(2, 3, SiblingMode::Visible),
                          maskFromRows({{1, 1, 1, 0, 0}, {1, 1, 1, 1, 0}, {1, 1, 1, 1, 1}})));
}

TEST(Masks, SingleMemberSetIsTheSameInBothModes)
{
    EXPECT_TRUE(at::equal(parallelSetMask(4, 1, SiblingMode::Isolated), parallelSetMask(4, 1, SiblingMode::Visible)));
    EXPECT_TRUE(parallelSetMask(4, 1, SiblingMode::Isolated).all().item<bool>());
}

} // namespace
} // namespace tempo
