// Distribution comparison on hand-computed examples. Every float input below is a dyadic fraction
// (exact in float32), so the only rounding is in the double arithmetic (tolerance 1e-12).
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "core/analysis/distributioncomparison.h"
#include "core/common/errors.h"

namespace tempo {
namespace {

constexpr double kTol = 1e-12;

TEST(DistributionMath, EntropyOfHalfQuarterQuarter)
{
    // H = -(0.5 ln 0.5 + 2 * 0.25 ln 0.25) = 0.5 ln 2 + 0.5 * 2 ln 2 = 1.5 ln 2
    EXPECT_NEAR(entropy({0.5f, 0.25f, 0.25f}), 1.5 * std::log(2.0), kTol);
    // Zeros contribute nothing: H([1, 0]) = 0.
    EXPECT_NEAR(entropy({1.0f, 0.0f}), 0.0, kTol);
}

TEST(DistributionMath, KlBothWaysOfTwoElementDistributions)
{
    // p = [1/2, 1/2], q = [1/4, 3/4]
    // KL(p||q) = 1/2 ln(2) + 1/2 ln(2/3) = 1/2 ln(4/3) = 0.143841...
    // KL(q||p) = 1/4 ln(1/2) + 3/4 ln(3/2) = 0.130812...
    const std::vector<float> p{0.5f, 0.5f};
    const std::vector<float> q{0.25f, 0.75f};
    EXPECT_NEAR(klDivergence(p, q), 0.5 * std::log(4.0 / 3.0), kTol);
    EXPECT_NEAR(klDivergence(q, p), 0.25 * std::log(0.5) + 0.75 * std::log(1.5), kTol);
    EXPECT_NEAR(klDivergence(p, p), 0.0, kTol);
}

TEST(DistributionMath, KlFloorsTheSecondDistribution)
{
    // q_1 = 0 would make KL infinite; with the 1e-12 floor:
    // KL([1/2,1/2] || [1,0]) = 1/2 ln(1/2) + 1/2 ln(0.5 / 1e-12)
    const double expected = 0.5 * std::log(0.5) + 0.5 * std::log(0.5 / kKlProbabilityFloor);
    EXPECT_NEAR(klDivergence({0.5f, 0.5f}, {1.0f, 0.0f}), expected, 1e-10);
    EXPECT_TRUE(std::isfinite(klDivergence({0.5f, 0.5f}, {1.0f, 0.0f})));
    // p_i = 0 terms vanish: KL([1,0] || [1/2,1/2]) = ln 2.
    EXPECT_NEAR(klDivergence({1.0f, 0.0f}, {0.5f, 0.5f}), std::log(2.0), kTol);
}

TEST(DistributionMath, JensenShannon)
{
    // p = [1/2,1/2], q = [1/4,3/4], m = [3/8, 5/8]
    // KL(p||m) = 1/2 ln(4/3) + 1/2 ln(4/5); KL(q||m) = 1/4 ln(2/3) + 3/4 ln(6/5); JS = half the sum.
    const double klPM = 0.5 * std::log(4.0 / 3.0) + 0.5 * std::log(4.0 / 5.0);
    const double klQM = 0.25 * std::log(2.0 / 3.0) + 0.75 * std::log(6.0 / 5.0);
    EXPECT_NEAR(jensenShannon({0.5f, 0.5f}, {0.25f, 0.75f}), 0.5 * (klPM + klQM), kTol);
    // Disjoint supports reach the bound ln 2.
    EXPECT_NEAR(jensenShannon({1.0f, 0.0f}, {0.0f, 1.0f}), std::log(2.0), kTol);
    EXPECT_NEAR(jensenShannon({0.25f, 0.75f}, {0.25f, 0.75f}), 0.0, kTol);
}

TEST(DistributionMath, CosineAndMaxAbsDifference)
{
    // p.q = 1/8 + 3/8 = 1/2; |p| = sqrt(1/2); |q| = sqrt(1/16 + 9/16) = sqrt(5/8)
    // cos = (1/2) / sqrt(5/16) = 2 / sqrt(5)
    EXPECT_NEAR(cosineSimilarity({0.5f, 0.5f}, {0.25f, 0.75f}), 2.0 / std::sqrt(5.0), kTol);
    EXPECT_TRUE(std::isnan(cosineSimilarity({0.0f, 0.0f}, {0.25f, 0.75f})));
    EXPECT_DOUBLE_EQ(maxAbsDifference({0.5f, 0.5f}, {0.25f, 0.75f}), 0.25);
    EXPECT_THROW(maxAbsDifference({0.5f}, {0.25f, 0.75f}), InvalidArgument);
}

TEST(DistributionMath, TopKTiesByTokenId)
{
    EXPECT_EQ(topKTokens({0.25f, 0.25f, 0.25f, 0.25f}, 2), (std::vector<int64_t>{0, 1}));
    EXPECT_EQ(topKTokens({0.125f, 0.375f, 0.125f, 0.375f}, 3), (std::vector<int64_t>{1, 3, 0}));
    EXPECT_EQ(topKTokens({0.5f, 0.5f}, 5), (std::vector<int64_t>{0, 1})); // k cut to V
}

// 25 tokens, p_i = (25 - i) / 325 so the ranking is 0, 1, 2, ...; q equals p except token 4 is
// pushed to the bottom. Then top-k(q) skips token 4:
//   k=1:  {0} vs {0}                               -> 1/1
//   k=5:  {0..4} vs {0,1,2,3,5}                     -> 4/5 = 0.8
//   k=10: {0..9} vs {0..3,5..10}                    -> 9/10 = 0.9
//   k=20: {0..19} vs {0..3,5..20}                   -> 19/20 = 0.95
TEST(DistributionMath, TopKOverlapForOneDemotedToken)
{
    std::vector<float> p(25);
    for (int i = 0; i < 25; ++i)
        p[static_cast<size_t>(i)] = static_cast<float>(25 - i) / 325.0f;
    std::vector<float> q = p;
    q[4] = 1e-6f;
    EXPECT_DOUBLE_EQ(topKOverlap(p, q, 1), 1.0);
    EXPECT_DOUBLE_EQ(topKOverlap(p, q, 5), 0.8);
    EXPECT_DOUBLE_EQ(topKOverlap(p, q, 10), 0.9);
    EXPECT_DOUBLE_EQ(topKOverlap(p, q, 20), 0.95);
}

RunDistributions run(std::vector<std::vector<float>> readouts, std::vector<std::vector<int64_t>> sets)
{
    RunDistributions r;
    for (size_t f = 0; f < readouts.size(); ++f)
        r.readouts.push_back({static_cast<int64_t>(f), readouts[f]});
    r.sets = std::move(sets);
    return r;
}

TEST(DistributionComparison, PerStepNumbersAndFirstDifferingSet)
{
    // Step 0 identical; step 1: A = [1/2,1/2], B = [1/4,3/4]; A has a step 2 that B lacks.
    const RunDistributions a = run({{0.5f, 0.5f}, {0.5f, 0.5f}, {0.5f, 0.5f}}, {{5}, {1, 2}, {3}});
    const RunDistributions b = run({{0.5f, 0.5f}, {0.25f, 0.75f}}, {{5}, {2, 1}, {4}});
    const DistributionComparison c = compareDistributions(a, b);
    ASSERT_EQ(c.steps.size(), 2u);
    EXPECT_EQ(c.stepsOnlyInOneRun, 1);
    EXPECT_EQ(c.vocabulary, 2);

    const auto& s0 = c.steps[0];
    EXPECT_NEAR(s0.klAB, 0.0, kTol);
    EXPECT_NEAR(s0.jensenShannon, 0.0, kTol);
    EXPECT_DOUBLE_EQ(s0.maxAbsDifference, 0.0);
    EXPECT_NEAR(s0.cosine, 1.0, kTol);

    const auto& s1 = c.steps[1];
    EXPECT_EQ(s1.step, 1);
    EXPECT_NEAR(s1.entropyA, std::log(2.0), kTol);
    // H(B) = -(1/4 ln 1/4 + 3/4 ln 3/4) = 0.562335...
    EXPECT_NEAR(s1.entropyB, -(0.25 * std::log(0.25) + 0.75 * std::log(0.75)), kTol);
    EXPECT_DOUBLE_EQ(s1.topProbabilityA, 0.5);
    EXPECT_DOUBLE_EQ(s1.topProbabilityB, 0.75);
    EXPECT_NEAR(s1.klAB, 0.5 * std::log(4.0 / 3.0), kTol);
    EXPECT_NEAR(s1.klBA, 0.25 * std::log(0.5) + 0.75 * std::log(1.5), kTol);
    EXPECT_NEAR(s1.cosine, 2.0 / std::sqrt(5.0), kTol);
    EXPECT_DOUBLE_EQ(s1.maxAbsDifference, 0.25);
    // top-1: A {0} (tie broken by id) vs B {1} -> 0; k >= 2 is cut to V = 2 -> {0,1} both -> 1.
    EXPECT_DOUBLE_EQ(s1.topKOverlap[0], 0.0);
    EXPECT_DOUBLE_EQ(s1.topKOverlap[1], 1.0);
    EXPECT_DOUBLE_EQ(c.minTopKOverlap[0], 0.0);
    EXPECT_DOUBLE_EQ(c.maxAbsDifference, 0.25);
    // Sets {1,2} and {2,1} are equal as sets; {3} vs {4} differs at step 2.
    EXPECT_EQ(c.firstDifferingSetStep, 2);
    EXPECT_EQ(c.firstDifferingDistributionStep, 1); // step 0 identical, step 1 max |dp| = 1/4
}

TEST(DistributionComparison, FirstDifferingDistributionStepThreshold)
{
    // |dp| = 2^-20 ~ 9.5e-7 < 1e-6 counts as identical; 2^-19 ~ 1.9e-6 does not.
    const float small = std::ldexp(1.0f, -20);
    const RunDistributions a = run({{0.5f, 0.5f}, {0.5f, 0.5f}}, {});
    const RunDistributions below = run({{0.5f + small, 0.5f - small}, {0.5f, 0.5f}}, {});
    const RunDistributions above = run({{0.5f, 0.5f}, {0.5f + 2 * small, 0.5f - 2 * small}}, {});
    EXPECT_EQ(compareDistributions(a, below).firstDifferingDistributionStep, -1);
    EXPECT_EQ(compareDistributions(a, above).firstDifferingDistributionStep, 1);
}

TEST(DistributionComparison, StepOnlyOneRunReachedCountsAsDiffering)
{
    const RunDistributions a = run({{0.5f, 0.5f}}, {{5}, {1, 2}, {3}});
    const RunDistributions b = run({{0.5f, 0.5f}}, {{5}, {1, 2}});
    EXPECT_EQ(compareDistributions(a, b).firstDifferingSetStep, 2);
    EXPECT_EQ(compareDistributions(a, a).firstDifferingSetStep, -1);
}

TEST(DistributionComparison, RefusesDifferentVocabularies)
{
    const RunDistributions a = run({{0.5f, 0.5f}}, {});
    const RunDistributions b = run({{0.25f, 0.25f, 0.5f}}, {});
    EXPECT_THROW(compareDistributions(a, b), InvalidArgument);
}

TEST(DistributionComparison, OverlapsAndTopProbabilityMatchTheStandaloneFunctions)
{
    // compareDistributions ranks each distribution once and reads every k off that ranking; the
    // standalone functions rank per call. Random distributions with many ties (values drawn from
    // a few levels, a NaN in one step), over a vocabulary larger and one smaller than the largest k.
    std::mt19937 random(18);
    const float levels[] = {0.0f, 0.001f, 0.01f, 0.01f, 0.05f, 0.2f};
    for (const size_t vocab : {size_t{300}, size_t{7}}) {
        RunDistributions a, b;
        for (int64_t forward = 0; forward < 12; ++forward) {
            std::vector<float> p(vocab), q(vocab);
            for (size_t i = 0; i < vocab; ++i) {
                p[i] = levels[random() % 6];
                q[i] = random() % 4 == 0 ? p[i] : levels[random() % 6];
            }
            if (forward == 3)
                q[vocab / 2] = std::nanf("");
            a.readouts.push_back({forward, p});
            b.readouts.push_back({forward, q});
        }
        const DistributionComparison c = compareDistributions(a, b);
        ASSERT_EQ(c.steps.size(), 12u);
        for (const StepDistributionComparison& s : c.steps) {
            const std::vector<float>& p = a.readouts[static_cast<size_t>(s.step)].probabilities;
            const std::vector<float>& q = b.readouts[static_cast<size_t>(s.step)].probabilities;
            for (size_t k = 0; k < kTopKOverlapSizes.size(); ++k) {
                const double expected = topKOverlap(p, q, kTopKOverlapSizes[k]);
                EXPECT_TRUE(expected == s.topKOverlap[k] || (std::isnan(expected) && std::isnan(s.topKOverlap[k])))
                    << "vocab " << vocab << " forward " << s.step << " k " << kTopKOverlapSizes[k] << ": "
                    << s.topKOverlap[k] << " vs " << expected;
            }
            EXPECT_EQ(s.topProbabilityA, p[static_cast<size_t>(topKTokens(p, 1).front())]) << "forward " << s.step;
            EXPECT_EQ(s.topProbabilityB, q[static_cast<size_t>(topKTokens(q, 1).front())]) << "forward " << s.step;
        }
    }
}

TEST(DistributionComparison, DivergencesMatchTheStandaloneFunctions)
{
    // compareDistributions takes each token's logs once for the entropies, both KLs and JS; the
    // standalone functions are the reference. Softmax-like distributions over 4096 tokens (tails
    // below the KL floor, exact zeros, tokens equal in both runs), one step with a NaN in run B,
    // one step identical in both runs. Entropies are the same sums of the same logs (exact); KL and
    // JS take ln a - ln b for ln(a / b), within 1e-13 nats.
    std::mt19937 random(4);
    std::normal_distribution<double> logit(0.0, 6.0);
    RunDistributions a, b;
    for (int64_t forward = 0; forward < 10; ++forward) {
        std::vector<float> p(4096), q(4096);
        double sumP = 0.0, sumQ = 0.0;
        for (size_t i = 0; i < p.size(); ++i) {
            const double x = logit(random);
            p[i] = static_cast<float>(std::exp(x));
            q[i] = random() % 3 == 0 ? p[i] : static_cast<float>(std::exp(x + 0.3 * logit(random)));
            if (random() % 50 == 0)
                (random() % 2 ? p[i] : q[i]) = 0.0f;
            sumP += p[i];
            sumQ += q[i];
        }
        for (size_t i = 0; i < p.size(); ++i) {
            p[i] = static_cast<float>(p[i] / sumP);
            q[i] = static_cast<float>(q[i] / sumQ);
        }
        if (forward == 4)
            q = p;
        if (forward == 7)
            q[100] = std::nanf("");
        a.readouts.push_back({forward, p});
        b.readouts.push_back({forward, q});
    }
    const DistributionComparison c = compareDistributions(a, b);
    ASSERT_EQ(c.steps.size(), 10u);
    double maxDiff = 0.0;
    auto same = [&](double got, double expected, const char* what, int64_t step) {
        if (std::isnan(expected)) {
            EXPECT_TRUE(std::isnan(got)) << what << " step " << step << ": " << got;
            return;
        }
        maxDiff = std::max(maxDiff, std::abs(got - expected));
        EXPECT_NEAR(got, expected, 1e-13) << what << " step " << step;
    };
    bool tailBelowFloor = false;
    for (const StepDistributionComparison& s : c.steps) {
        const std::vector<float>& p = a.readouts[static_cast<size_t>(s.step)].probabilities;
        const std::vector<float>& q = b.readouts[static_cast<size_t>(s.step)].probabilities;
        for (float v : q)
            tailBelowFloor = tailBelowFloor || (v > 0.0f && v < kKlProbabilityFloor);
        const double hA = entropy(p);
        const double hB = entropy(q);
        EXPECT_TRUE(s.entropyA == hA || (std::isnan(hA) && std::isnan(s.entropyA))) << "step " << s.step;
        EXPECT_TRUE(s.entropyB == hB || (std::isnan(hB) && std::isnan(s.entropyB))) << "step " << s.step;
        same(s.klAB, klDivergence(p, q), "kl_ab", s.step);
        same(s.klBA, klDivergence(q, p), "kl_ba", s.step);
        same(s.jensenShannon, jensenShannon(p, q), "js", s.step);
    }
    EXPECT_TRUE(tailBelowFloor); // the floor was exercised
    EXPECT_TRUE(std::isnan(c.steps[7].entropyB) && std::isnan(c.steps[7].klAB) && std::isnan(c.steps[7].jensenShannon));
    EXPECT_FALSE(std::isnan(c.steps[7].entropyA));
    EXPECT_EQ(c.steps[4].jensenShannon, 0.0); // identical step (its KL is not 0: the floor)
    std::printf("DIVERGENCES OK, maxdiff %.3g nats\n", maxDiff);
}

TEST(DistributionComparison, MetricsCarryStepAndNames)
{
    const RunDistributions a = run({{0.5f, 0.5f}, {0.5f, 0.5f}}, {{1}, {2}});
    const RunDistributions b = run({{0.5f, 0.5f}, {0.25f, 0.75f}}, {{1}, {2}});
    const AnalysisMetrics m = metrics(compareDistributions(a, b));
    bool foundKl = false;
    bool foundTop20 = false;
    for (const auto& x : m) {
        if (x.name == "distribution.by_step.kl_ab" && x.step == 1) {
            foundKl = true;
            EXPECT_NEAR(x.value, 0.5 * std::log(4.0 / 3.0), kTol);
            EXPECT_EQ(x.layer, -1);
        }
        if (x.name == "distribution.by_step.top20_overlap" && x.step == 0)
            foundTop20 = true;
        if (x.name == "distribution.max_abs_diff") {
            EXPECT_DOUBLE_EQ(x.value, 0.25);
            EXPECT_EQ(x.step, -1);
        }
    }
    EXPECT_TRUE(foundKl);
    EXPECT_TRUE(foundTop20);
    // 13 per step (2 steps) + 12 summary rows (max diff, 4 min overlaps, 3 means, first differing
    // set step, first differing distribution step, steps compared, steps only in one run).
    EXPECT_EQ(m.size(), 2u * 13u + 12u);
}

} // namespace
} // namespace tempo
