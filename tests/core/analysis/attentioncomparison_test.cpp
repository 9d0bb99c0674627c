// Attention comparison on two hand-made runs whose first set has different widths, so the
// alignment by (step, member) is exercised. All values are dyadic fractions (exact in float32).
#include <cmath>

#include <gtest/gtest.h>

#include "attentionbuilder.h"
#include "core/analysis/attentioncomparison.h"
#include "core/common/errors.h"

namespace tempo {
namespace {

using test::attentionForward;

// Run A: prompt of 2 tokens (slots 0,1), step 0 has 2 members (slots 2,3), step 1 has 1 (slot 4),
//        step 2 has 1 (slot 5).
// Run B: same prompt, step 0 has 1 member (slot 2), step 1 has 1 (slot 3).
// Two layers, one head. Layer 1 is identical in both runs on every aligned element; layer 0 differs
// only at step 1, where A's row is [1/8, 1/8, 1/4, 3/8, 1/8] over slots keyed
// (p0, p1, s0m0, s0m1, s1m0) and B's row is [1/8, 1/8, 1/2, 1/8] over (p0, p1, s0m0, s1m0).
// Aligned pairs at step 1 (slot s0m1 exists only in A): (1/8,1/8) (1/8,1/8) (1/4,1/2) (1/8,1/8)
// -> |diff| = 0, 0, 1/4, 0. (Rows need not sum to 1 for this comparison.) Aligning by physical
// slot instead would pair A's s0m1 (3/8) with B's s1m0 (1/8) and show a second difference.
RunAttention runA()
{
    RunAttention r;
    r.slotSteps = {-1, -1, 0, 0, 1, 2};
    const std::vector<std::vector<float>> prefill{{1.0f, 0.0f}, {0.5f, 0.5f}};
    const std::vector<std::vector<float>> step0{{0.5f, 0.25f, 0.25f, 0.0f}, {0.25f, 0.25f, 0.25f, 0.25f}};
    const std::vector<std::vector<float>> step1Layer0{{0.125f, 0.125f, 0.25f, 0.375f, 0.125f}};
    const std::vector<std::vector<float>> step1Layer1{{0.25f, 0.25f, 0.25f, 0.0625f, 0.1875f}};
    const std::vector<std::vector<float>> step2{{0.25f, 0.25f, 0.125f, 0.125f, 0.125f, 0.125f}};
    r.forwards.push_back(attentionForward(0, -1, 0, {{prefill}, {prefill}}));
    r.forwards.push_back(attentionForward(1, 0, 2, {{step0}, {step0}}));
    r.forwards.push_back(attentionForward(2, 1, 4, {{step1Layer0}, {step1Layer1}}));
    r.forwards.push_back(attentionForward(3, 2, 5, {{step2}, {step2}}));
    return r;
}

RunAttention runB()
{
    RunAttention r;
    r.slotSteps = {-1, -1, 0, 1};
    const std::vector<std::vector<float>> prefill{{1.0f, 0.0f}, {0.5f, 0.5f}};
    const std::vector<std::vector<float>> step0{{0.5f, 0.25f, 0.25f}};
    // Layer 1 at step 1: A's values at the shared keys (p0, p1, s0m0, s1m0) = 1/4, 1/4, 1/4, 3/16.
    const std::vector<std::vector<float>> step1Layer0{{0.125f, 0.125f, 0.5f, 0.125f}};
    const std::vector<std::vector<float>> step1Layer1{{0.25f, 0.25f, 0.25f, 0.1875f}};
    r.forwards.push_back(attentionForward(0, -1, 0, {{prefill}, {prefill}}));
    r.forwards.push_back(attentionForward(1, 0, 2, {{step0}, {step0}}));
    r.forwards.push_back(attentionForward(2, 1, 3, {{step1Layer0}, {step1Layer1}}));
    return r;
}

TEST(AttentionComparison, AlignsByStepAndMember)
{
    const AttentionComparison c = compareAttention(runA(), runB());
    ASSERT_EQ(c.perStep.size(), 3u); // prefill, step 0, step 1; A's step 2 has no partner
    EXPECT_EQ(c.forwardsOnlyInOneRun, 1);
    // prefill: 2 rows x 2 slots; step 0: 1 row (B fed one member) x 3 shared slots; step 1: 1 x 4.
    EXPECT_EQ(c.perStep[0].rowsCompared, 2);
    EXPECT_EQ(c.perStep[0].slotsCompared, 2);
    EXPECT_EQ(c.perStep[1].rowsCompared, 1);
    EXPECT_EQ(c.perStep[1].slotsCompared, 3);
    EXPECT_EQ(c.perStep[2].rowsCompared, 1);
    EXPECT_EQ(c.perStep[2].slotsCompared, 4);
    EXPECT_DOUBLE_EQ(c.perStep[0].difference.maxAbsDifference, 0.0);
    EXPECT_DOUBLE_EQ(c.perStep[1].difference.maxAbsDifference, 0.0);
    // Step 1 over both layers: 8 elements, one |diff| of 1/4 -> mean 1/32, max 1/4.
    EXPECT_EQ(c.perStep[2].difference.elements, 8);
    EXPECT_DOUBLE_EQ(c.perStep[2].difference.maxAbsDifference, 0.25);
    EXPECT_DOUBLE_EQ(c.perStep[2].difference.meanAbsDifference, 0.25 / 8.0);
}

TEST(AttentionComparison, PerLayerPerHeadAndOverall)
{
    const AttentionComparison c = compareAttention(runA(), runB());
    // Elements per layer: 4 (prefill) + 3 (step 0) + 4 (step 1) = 11; 22 overall.
    ASSERT_EQ(c.perLayer.size(), 2u);
    ASSERT_EQ(c.perHead.size(), 2u);
    EXPECT_EQ(c.perLayer[0].difference.elements, 11);
    EXPECT_EQ(c.overall.elements, 22);
    EXPECT_DOUBLE_EQ(c.perLayer[0].difference.maxAbsDifference, 0.25);
    EXPECT_DOUBLE_EQ(c.perLayer[0].difference.meanAbsDifference, 0.25 / 11.0);
    EXPECT_DOUBLE_EQ(c.perLayer[1].difference.maxAbsDifference, 0.0);
    EXPECT_NEAR(c.perLayer[1].difference.pearson, 1.0, 1e-12); // identical, non-constant series
    EXPECT_DOUBLE_EQ(c.perHead[0].difference.maxAbsDifference, 0.25);
    EXPECT_EQ(c.perHead[1].layer, 1);
    EXPECT_EQ(c.perHead[1].head, 0);
    EXPECT_DOUBLE_EQ(c.overall.maxAbsDifference, 0.25);
    EXPECT_DOUBLE_EQ(c.overall.meanAbsDifference, 0.25 / 22.0);
}

TEST(AttentionComparison, PearsonOfTheDifferingStepLayer)
{
    // One aligned row with its own values: x = [1/8,1/8,1/4,1/4] (A's s0m1 column, 1/4, has no
    // partner), y = [1/8,1/8,1/2,1/4].
    // means 3/16 and 1/4; dx = [-1,-1,1,1]/16, dy = [-1/8,-1/8,1/4,0].
    // Sxy = (1/128 + 1/128 + 1/64) = 1/32; Sxx = 4/256 = 1/64; Syy = 1/64 + 1/64 + 1/16 = 3/32.
    // r = (1/32) / sqrt(3/2048) = sqrt(2/3).
    RunAttention a = runA();
    RunAttention b = runB();
    a.forwards = {a.forwards[2]};
    b.forwards = {b.forwards[2]};
    a.forwards[0].probabilities = Tensor4({1, 1, 1, 5}, {0.125f, 0.125f, 0.25f, 0.25f, 0.25f}); // keys p0 p1 s0m0 s0m1 s1m0
    b.forwards[0].probabilities = Tensor4({1, 1, 1, 4}, {0.125f, 0.125f, 0.5f, 0.25f});
    const AttentionComparison c = compareAttention(a, b);
    EXPECT_NEAR(c.overall.pearson, std::sqrt(2.0 / 3.0), 1e-12);
}

TEST(AttentionComparison, FirstDifferingForwardAgainstTolerance)
{
    // The only difference is 1/4 at forward 2 (step 1); "differs" means max |diff| > tolerance.
    EXPECT_EQ(compareAttention(runA(), runB()).firstDifferingForward, 2);
    EXPECT_EQ(compareAttention(runA(), runB()).firstDifferingStep, 1);
    EXPECT_EQ(compareAttention(runA(), runB(), 0.25).firstDifferingForward, -1);   // equal to tolerance: not above
    EXPECT_EQ(compareAttention(runA(), runB(), 0.2499).firstDifferingForward, 2);
    EXPECT_EQ(compareAttention(runA(), runA()).firstDifferingForward, -1);
    EXPECT_DOUBLE_EQ(kAttentionDifferenceTolerance, 1e-5);
}

TEST(AttentionComparison, NanInsideTheDataCountsAsADifference)
{
    RunAttention b = runB();
    b.forwards[0].probabilities.at(0, 0, 1, 1) = std::nanf("");
    const AttentionComparison c = compareAttention(runA(), b);
    EXPECT_EQ(c.firstDifferingForward, 0);
    EXPECT_TRUE(std::isnan(c.perStep[0].difference.maxAbsDifference));
}

TEST(AttentionComparison, RefusesInconsistentRuns)
{
    RunAttention bad = runB();
    bad.slotSteps = {-1, -1, 0, 0}; // step 1's row would sit in a slot the map gives to step 0
    EXPECT_THROW(compareAttention(runA(), bad), InvalidArgument);
    RunAttention oneLayer = runB();
    for (auto& f : oneLayer.forwards) {
        Tensor4 t = Tensor4::zeros({1, 1, f.probabilities.size(2), f.probabilities.size(3)});
        f.probabilities = t;
    }
    EXPECT_THROW(compareAttention(runA(), oneLayer), InvalidArgument);
    RunAttention shortData = runB();
    shortData.forwards[0].probabilities.data.pop_back();
    EXPECT_THROW(compareAttention(runA(), shortData), InvalidArgument);
}

TEST(AttentionComparison, MetricsNameStepLayerAndHead)
{
    const AnalysisMetrics m = metrics(compareAttention(runA(), runB()));
    bool head = false;
    bool prefill = false;
    bool first = false;
    for (const auto& x : m) {
        if (x.name == "attention.by_head.max_abs_diff" && x.layer == 0 && x.head == 0) {
            head = true;
            EXPECT_DOUBLE_EQ(x.value, 0.25);
        }
        if (x.name == "attention.by_step.elements" && x.step == -1) {
            prefill = true;
            EXPECT_DOUBLE_EQ(x.value, 8.0); // 2 layers x 2 rows x 2 slots
        }
        if (x.name == "attention.first_differing_forward") {
            first = true;
            EXPECT_DOUBLE_EQ(x.value, 2.0);
        }
    }
    EXPECT_TRUE(head && prefill && first);
}

} // namespace
} // namespace tempo
