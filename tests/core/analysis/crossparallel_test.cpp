// Cross-parallel attention on hand-made forwards.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "attentionbuilder.h"
#include "core/analysis/crossparallel.h"

namespace tempo {
namespace {

using test::attentionForward;

// Prompt of 2 tokens (slots 0,1), then a set of 2 members at step 0 (slots 2,3), then a single
// member at step 1 (slot 4). One head, two layers. Masses per member row:
//   layer 0, member 0: [0.5, 0.3 | 0.0 (self), 0.2 (sibling)]  -> prior 0.8, sibling 0.2, self 0
//   layer 0, member 1: [0.4, 0.4 | 0.2 (sibling), 0.0 (self)]  -> prior 0.8, sibling 0.2, self 0
//   layer 1, member 0: [0.5, 0.3 | 0.2 (self), 0.0]            -> prior 0.8, sibling 0.0, self 0.2
//   layer 1, member 1: [0.4, 0.2 | 0.3 (sibling), 0.1 (self)]  -> prior 0.6, sibling 0.3, self 0.1
RunAttention run()
{
    RunAttention r;
    r.slotSteps = {-1, -1, 0, 0, 1};
    const std::vector<std::vector<float>> prefill{{1.0f, 0.0f}, {0.5f, 0.5f}};
    const std::vector<std::vector<float>> setLayer0{{0.5f, 0.3f, 0.0f, 0.2f}, {0.4f, 0.4f, 0.2f, 0.0f}};
    const std::vector<std::vector<float>> setLayer1{{0.5f, 0.3f, 0.2f, 0.0f}, {0.4f, 0.2f, 0.3f, 0.1f}};
    const std::vector<std::vector<float>> single{{0.2f, 0.2f, 0.2f, 0.2f, 0.2f}};
    r.forwards.push_back(attentionForward(0, -1, 0, {{prefill}, {prefill}}));
    r.forwards.push_back(attentionForward(1, 0, 2, {{setLayer0}, {setLayer1}}));
    r.forwards.push_back(attentionForward(2, 1, 4, {{single}, {single}}));
    return r;
}

constexpr double kFloatInputTol = 1e-6; // float32 inputs such as 0.3f carry ~1e-8 relative error

TEST(CrossParallel, SiblingTwoTenthsPriorEightTenthsGivesRatioOneQuarter)
{
    const CrossParallelAttention c = analyseCrossParallelAttention(run());
    ASSERT_EQ(c.multiMemberSets(), 1); // the prefill and the single-member step are skipped
    ASSERT_EQ(c.perLayer.size(), 2u);
    // Layer 0: sibling 0.2 and prior 0.8 for both members -> ratio 0.2 / 0.8 = 0.25.
    const AttentionMassSummary& l0 = c.perLayer[0].mass;
    EXPECT_EQ(l0.rows, 2);
    EXPECT_NEAR(l0.meanSibling, 0.2, kFloatInputTol);
    EXPECT_NEAR(l0.meanPrior, 0.8, kFloatInputTol);
    EXPECT_NEAR(l0.ratio, 0.25, kFloatInputTol);
    EXPECT_NEAR(l0.meanSelf, 0.0, kFloatInputTol);
}

TEST(CrossParallel, MeanMaxMinAndRatioOverLayersAndSet)
{
    const CrossParallelAttention c = analyseCrossParallelAttention(run());
    // Layer 1: siblings [0.0, 0.3] mean 0.15; prior [0.8, 0.6] mean 0.7 -> ratio 0.15/0.7 = 3/14.
    const AttentionMassSummary& l1 = c.perLayer[1].mass;
    EXPECT_NEAR(l1.meanSibling, 0.15, kFloatInputTol);
    EXPECT_NEAR(l1.maxSibling, 0.3, kFloatInputTol);
    EXPECT_NEAR(l1.minSibling, 0.0, kFloatInputTol);
    EXPECT_NEAR(l1.meanPrior, 0.7, kFloatInputTol);
    EXPECT_NEAR(l1.ratio, 3.0 / 14.0, kFloatInputTol);
    EXPECT_NEAR(l1.meanSelf, 0.15, kFloatInputTol);
    // Overall (= the one set): siblings [0.2, 0.2, 0.0, 0.3] mean 0.175, max 0.3, min 0;
    // prior [0.8, 0.8, 0.8, 0.6] mean 0.75, max 0.8, min 0.6; ratio 0.175 / 0.75 = 7/30.
    for (const AttentionMassSummary* m : {&c.overall, &c.sets[0].mass}) {
        EXPECT_EQ(m->rows, 4);
        EXPECT_NEAR(m->meanSibling, 0.175, kFloatInputTol);
        EXPECT_NEAR(m->maxSibling, 0.3, kFloatInputTol);
        EXPECT_NEAR(m->minSibling, 0.0, kFloatInputTol);
        EXPECT_NEAR(m->meanPrior, 0.75, kFloatInputTol);
        EXPECT_NEAR(m->maxPrior, 0.8, kFloatInputTol);
        EXPECT_NEAR(m->minPrior, 0.6, kFloatInputTol);
        EXPECT_NEAR(m->ratio, 7.0 / 30.0, kFloatInputTol);
    }
    EXPECT_EQ(c.sets[0].step, 0);
    EXPECT_EQ(c.sets[0].width, 2);
    // Per head (one head per layer) equals per layer here.
    ASSERT_EQ(c.perHead.size(), 2u);
    EXPECT_NEAR(c.perHead[1].mass.ratio, 3.0 / 14.0, kFloatInputTol);
}

TEST(CrossParallel, RatioWhenPriorIsZero)
{
    EXPECT_DOUBLE_EQ(siblingToPriorRatio(0.2, 0.8), 0.25);
    EXPECT_EQ(siblingToPriorRatio(0.2, 0.0), std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isnan(siblingToPriorRatio(0.0, 0.0)));
    EXPECT_DOUBLE_EQ(siblingToPriorRatio(0.0, 0.5), 0.0);
}

TEST(CrossParallel, NoMultiMemberSet)
{
    RunAttention r = run();
    r.forwards.erase(r.forwards.begin() + 1);
    const CrossParallelAttention c = analyseCrossParallelAttention(r);
    EXPECT_EQ(c.multiMemberSets(), 0);
    EXPECT_EQ(c.overall.rows, 0);
    EXPECT_TRUE(std::isnan(c.overall.ratio));
    EXPECT_TRUE(c.perLayer.empty());
}

TEST(CrossParallel, MetricsCarrySetStepLayerHead)
{
    const AnalysisMetrics m = metrics(analyseCrossParallelAttention(run()));
    bool bySet = false;
    bool byHead = false;
    for (const auto& x : m) {
        if (x.name == "cross_parallel.by_set.ratio" && x.step == 0) {
            bySet = true;
            EXPECT_NEAR(x.value, 7.0 / 30.0, kFloatInputTol);
        }
        if (x.name == "cross_parallel.by_head.ratio" && x.layer == 0 && x.head == 0) {
            byHead = true;
            EXPECT_NEAR(x.value, 0.25, kFloatInputTol);
        }
    }
    EXPECT_TRUE(bySet && byHead);
}

} // namespace
} // namespace tempo
