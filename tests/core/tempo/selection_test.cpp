// Parallel-set selection on hand-made distributions (DESIGN.md section 1, step 2).

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include <ATen/ATen.h>

#include "core/tempo/selection.h"

namespace tempo {
namespace {

std::vector<int64_t> ids(const std::vector<Candidate>& set)
{
    std::vector<int64_t> out;
    for (const auto& c : set)
        out.push_back(c.tokenId);
    return out;
}

TEST(Selection, KeepsEveryTokenAtOrAboveThresholdSortedByProbabilityThenId)
{
    //                          0     1     2     3     4     5
    const std::vector<float> p{0.05f, 0.30f, 0.10f, 0.30f, 0.20f, 0.05f};
    const auto set = selectParallelSet(p.data(), 6, 0.10, 32);
    EXPECT_EQ(ids(set), (std::vector<int64_t>{1, 3, 4, 2})); // 0.30 (id 1 before 3), 0.20, 0.10 (== threshold)
    EXPECT_FLOAT_EQ(static_cast<float>(set[0].probability), 0.30f);
    EXPECT_FLOAT_EQ(static_cast<float>(set[3].probability), 0.10f);
}

TEST(Selection, CutsToMaxWidthKeepingTheMostProbable)
{
    const std::vector<float> p{0.25f, 0.15f, 0.35f, 0.25f};
    EXPECT_EQ(ids(selectParallelSet(p.data(), 4, 0.1, 2)), (std::vector<int64_t>{2, 0}));
    EXPECT_EQ(ids(selectParallelSet(p.data(), 4, 0.1, 1)), (std::vector<int64_t>{2}));
}

TEST(Selection, EmptySetFallsBackToArgmaxWithLowestIdOnTies)
{
    const std::vector<float> p{0.2f, 0.4f, 0.4f};
    const auto set = selectParallelSet(p.data(), 3, 1.0, 32);
    ASSERT_EQ(set.size(), 1u);
    EXPECT_EQ(set[0].tokenId, 1);
    EXPECT_FLOAT_EQ(static_cast<float>(set[0].probability), 0.4f);
}

TEST(Selection, ThresholdOneSelectsOnlyACertainToken)
{
    const std::vector<float> p{0.0f, 1.0f, 0.0f};
    EXPECT_EQ(ids(selectParallelSet(p.data(), 3, 1.0, 32)), (std::vector<int64_t>{1}));
}

TEST(Selection, NaNNeverQualifiesAndAllNaNStillYieldsOneToken)
{
    const float nan = std::nanf("");
    const std::vector<float> p{nan, 0.6f, nan, 0.4f};
    EXPECT_EQ(ids(selectParallelSet(p.data(), 4, 0.3, 32)), (std::vector<int64_t>{1, 3}));
    const std::vector<float> allNan{nan, nan};
    EXPECT_EQ(selectParallelSet(allNan.data(), 2, 0.3, 32).size(), 1u);
}

TEST(Selection, TensorOverloadAgreesWithPointerOverloadAndRefusesMatrices)
{
    at::Tensor p = at::tensor({0.1, 0.5, 0.4}, at::kDouble);
    EXPECT_EQ(ids(selectParallelSet(p, 0.4, 32)), (std::vector<int64_t>{1, 2}));
    EXPECT_ANY_THROW(selectParallelSet(at::ones({2, 2}), 0.1, 4));
}

TEST(Selection, TopCandidatesOrdersByProbabilityThenIdIncludingTies)
{
    // Twelve tokens tied at 0.05 exceed topk's extra margin; order must still be by id.
    std::vector<float> values(40, 0.0f);
    values[30] = 0.2f;
    for (int i = 0; i < 12; ++i)
        values[static_cast<size_t>(2 + i * 2)] = 0.05f;
    at::Tensor p = at::tensor(values, at::kFloat);
    const auto top = topCandidates(p, 5);
    EXPECT_EQ(ids(top), (std::vector<int64_t>{30, 2, 4, 6, 8}));
    EXPECT_EQ(topCandidates(p, 100).size(), 40u);
    EXPECT_TRUE(topCandidates(p, 0).empty());
}

} // namespace
} // namespace tempo
