// Parallel-set selection on hand-made distributions (DESIGN.md section 1, step 2).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
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

TEST(Selection, TopCandidatesEqualTheFullSortOnRandomTiedDistributions)
{
    // topCandidates ranks in one pass; the reference sorts the whole vocabulary by probability,
    // then id. Values from a few levels so that ties cross the k-th place; -0.0 next to 0.0.
    std::mt19937 random(4);
    const float levels[] = {-0.0f, 0.0f, 1e-4f, 0.003f, 0.003f, 0.02f, 0.1f, 0.35f};
    for (int trial = 0; trial < 50; ++trial) {
        const int64_t vocab = 1 + static_cast<int64_t>(random() % 600);
        std::vector<float> values(static_cast<size_t>(vocab));
        for (float& v : values)
            v = levels[random() % 8];
        std::vector<Candidate> all;
        for (int64_t v = 0; v < vocab; ++v)
            all.push_back({v, values[static_cast<size_t>(v)]});
        std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
            return a.probability > b.probability; // stable: equal probabilities keep id order
        });
        for (int64_t k : {1, 3, 10, 20, 700}) {
            const auto top = topCandidates(at::tensor(values, at::kFloat), k);
            const size_t expected = static_cast<size_t>(std::min(k, vocab));
            ASSERT_EQ(top.size(), expected) << "trial " << trial << " k " << k;
            for (size_t i = 0; i < expected; ++i) {
                EXPECT_EQ(top[i].tokenId, all[i].tokenId) << "trial " << trial << " k " << k << " rank " << i;
                EXPECT_EQ(top[i].probability, all[i].probability) << "trial " << trial << " k " << k << " rank " << i;
            }
        }
    }
}

TEST(Selection, TopCandidatesEqualTheFullSortOnVocabulariesWithManyBlocks)
{
    // Vocabularies of at least k blocks of 16 start from the k-th largest block maximum: tied
    // levels, one dominant level, values rounded like float32 probabilities, and a tail that
    // is not a whole block.
    std::mt19937 random(5);
    for (int64_t vocab : {int64_t{319}, int64_t{320}, int64_t{4096}, int64_t{4101}}) {
        for (int shape = 0; shape < 3; ++shape) {
            std::vector<float> values(static_cast<size_t>(vocab));
            for (float& v : values) {
                if (shape == 0)
                    v = static_cast<float>(random() % 6) * 0.01f; // few levels, ties everywhere
                else if (shape == 1)
                    v = random() % 200 == 0 ? 0.2f : 1e-6f * static_cast<float>(random() % 3);
                else
                    v = static_cast<float>(std::exp(-static_cast<double>(random() % 100000) / 3000.0) / 4096.0);
            }
            std::vector<Candidate> all;
            for (int64_t v = 0; v < vocab; ++v)
                all.push_back({v, values[static_cast<size_t>(v)]});
            std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
                return a.probability > b.probability;
            });
            for (int64_t k : {1, 20, 21}) {
                const auto top = topCandidates(values.data(), vocab, k);
                ASSERT_EQ(top.size(), static_cast<size_t>(k));
                for (size_t i = 0; i < top.size(); ++i) {
                    EXPECT_EQ(top[i].tokenId, all[i].tokenId) << "V " << vocab << " shape " << shape << " k " << k << " rank " << i;
                    EXPECT_EQ(top[i].probability, all[i].probability) << "V " << vocab << " shape " << shape << " k " << k;
                }
            }
        }
    }
}

TEST(Selection, TopCandidatesWithANaNEntryStillReturnK)
{
    // A NaN row takes the topk path (the one-pass ranking needs an ordered vocabulary): k entries,
    // the most probable finite one among them.
    std::vector<float> values(30, 0.01f);
    values[7] = 0.4f;
    values[19] = std::nanf("");
    const auto top = topCandidates(at::tensor(values, at::kFloat), 3);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(std::count_if(top.begin(), top.end(), [](const Candidate& c) { return c.tokenId == 7; }), 1);
}

} // namespace
} // namespace tempo
