// The controls of DESIGN.md section 1 on a peaked tiny generated model: each compares a TEMPO run
// with an independent reference (plain greedy decoding, one full forward with a mask written
// here from scratch, the other mode, a shifted run) and prints the max difference.

#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include <ATen/ATen.h>

#include "core/tempo/checks.h"
#include "core/tempo/tempodecoder.h"
#include "peakedmodel.h"

namespace tempo {
namespace {

using test::firstMultiMemberStep;
using test::maxAbsDiff;
using test::peakedConfig;
using test::peakedModel;
using test::peakedPrompt;

CaptureOptions rowLogitsOnly()
{
    CaptureOptions c;
    c.rowLogits = true;
    return c;
}

// Plain greedy decoding written directly on LlamaModel::forward: prefill with a causal mask,
// then one token per forward at the next position. Returns the ids and every forward's logits.
struct Greedy {
    std::vector<int64_t> ids;
    std::vector<at::Tensor> logits; // per forward [n, V]
};

Greedy greedyDecode(const LlamaModel& model, const std::vector<int64_t>& prompt, int64_t steps)
{
    const int64_t p = static_cast<int64_t>(prompt.size());
    KVCache cache = model.makeCache(p + steps);
    Greedy g;
    ForwardOutputs out = model.forward({at::tensor(prompt, at::kLong), at::arange(p, at::kLong),
                                        at::ones({p, p}, at::kBool).tril()}, cache);
    g.logits.push_back(out.logits);
    for (int64_t s = 0; s < steps; ++s) {
        at::Tensor last = out.logits[out.logits.size(0) - 1].contiguous(); // [V]
        const float* v = last.data_ptr<float>();
        int64_t best = 0;
        for (int64_t i = 1; i < last.numel(); ++i)
            if (v[i] > v[best])
                best = i;
        g.ids.push_back(best);
        out = model.forward({at::tensor(std::vector<int64_t>{best}, at::kLong), at::tensor(std::vector<int64_t>{p + s}, at::kLong),
                             at::ones({1, p + s + 1}, at::kBool)}, cache);
        g.logits.push_back(out.logits);
    }
    return g;
}

TEST(TempoControls, ThresholdAboveEveryProbabilityIsGreedyDecoding)
{
    const LlamaModel& model = peakedModel();
    const auto prompt = peakedPrompt();
    TempoConfig config = peakedConfig(SiblingMode::Isolated, 12);
    config.threshold = 1.0; // the range ends at 1; no token reaches p = 1 (checked below)
    CaptureOptions captures = rowLogitsOnly();
    captures.logits = true;
    const TempoRun run = TempoDecoder(model).run(prompt, config, captures);
    const Greedy greedy = greedyDecode(model, prompt, 12);

    ASSERT_EQ(run.steps.size(), 12u);
    for (const auto& r : run.captures.readouts)
        ASSERT_LT(r.distribution.max().item<double>(), 1.0) << "a token reached p = 1 at forward " << r.forward
                                                            << ": threshold 1.0 would not be 'above every probability'";
    double worst = 0.0;
    for (size_t s = 0; s < run.steps.size(); ++s) {
        ASSERT_EQ(run.steps[s].tokenIds, std::vector<int64_t>{greedy.ids[s]}) << "step " << s;
    }
    ASSERT_EQ(run.captures.rowLogits.size(), greedy.logits.size());
    for (size_t f = 0; f < greedy.logits.size(); ++f)
        worst = std::max(worst, maxAbsDiff(run.captures.rowLogits[f].logits, greedy.logits[f]));
    std::printf("TEMPO(threshold 1.0) vs greedy: %zu steps, same ids, logits maxdiff %.3g (tolerance 1e-5)\n",
                run.steps.size(), worst);
    EXPECT_LE(worst, 1e-5);
    EXPECT_TRUE(run.allChecksPassed());
}

TEST(TempoControls, IsolatedAndVisibleAgreeUntilTheFirstMultiMemberSetThenDifferFromItsSecondMember)
{
    const LlamaModel& model = peakedModel();
    const TempoRun isolated = TempoDecoder(model).run(peakedPrompt(), peakedConfig(SiblingMode::Isolated), rowLogitsOnly());
    const TempoRun visible = TempoDecoder(model).run(peakedPrompt(), peakedConfig(SiblingMode::Visible), rowLogitsOnly());
    const int64_t first = firstMultiMemberStep(isolated);
    ASSERT_GE(first, 0) << "the peaked model gave no set of 2+ members; pick another seed/threshold";
    ASSERT_EQ(firstMultiMemberStep(visible), first);

    // Forwards 0 .. first feed the prompt and single-member sets: identical.
    double before = 0.0;
    for (int64_t f = 0; f <= first; ++f) {
        ASSERT_EQ(isolated.captures.rowLogits[f].logits.sizes(), visible.captures.rowLogits[f].logits.sizes());
        before = std::max(before, maxAbsDiff(isolated.captures.rowLogits[f].logits, visible.captures.rowLogits[f].logits));
    }
    for (int64_t s = 0; s <= first; ++s)
        ASSERT_EQ(isolated.steps[s].tokenIds, visible.steps[s].tokenIds) << "step " << s;

    // Forward first + 1 feeds the set: member 0 sees the same inputs in both modes, member 1 on do not.
    const at::Tensor a = isolated.captures.rowLogits[first + 1].logits; // [w, V]
    const at::Tensor b = visible.captures.rowLogits[first + 1].logits;
    const double member0 = maxAbsDiff(a[0], b[0]);
    std::printf("first multi-member set at step %lld, width %lld; before it maxdiff %.3g; in it: member 0 %.3g",
                static_cast<long long>(first), static_cast<long long>(a.size(0)), before, member0);
    EXPECT_LE(before, 1e-6);
    EXPECT_LE(member0, 1e-5);
    for (int64_t m = 1; m < a.size(0); ++m) {
        const double d = maxAbsDiff(a[m], b[m]);
        std::printf(", member %lld %.3g", static_cast<long long>(m), d);
        EXPECT_GT(d, 1e-3) << "member " << m << " saw its earlier siblings in visible mode: its logits must change";
    }
    std::printf("\n");
}

// The mask of one full forward over every slot of a run, written from the definition: slot i
// sees slot j <= i unless both belong to the same set and the mode is isolated (then only i == j).
at::Tensor fullRunMask(const std::vector<int64_t>& slotSet /* -1: prompt */, SiblingMode mode)
{
    const int64_t n = static_cast<int64_t>(slotSet.size());
    at::Tensor mask = at::zeros({n, n}, at::kBool);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j <= i; ++j) {
            const bool siblings = slotSet[i] >= 0 && slotSet[i] == slotSet[j];
            mask[i][j] = !(siblings && mode == SiblingMode::Isolated && i != j);
        }
    return mask;
}

void expectCachedEqualsRecomputed(SiblingMode mode)
{
    const LlamaModel& model = peakedModel();
    const auto prompt = peakedPrompt();
    const int64_t p = static_cast<int64_t>(prompt.size());
    const TempoRun run = TempoDecoder(model).run(prompt, peakedConfig(mode), rowLogitsOnly());
    ASSERT_GE(firstMultiMemberStep(run), 0);

    std::vector<int64_t> ids = prompt, positions, slotSet(prompt.size(), -1);
    for (int64_t i = 0; i < p; ++i)
        positions.push_back(i);
    for (const auto& s : run.steps)
        for (auto id : s.tokenIds) {
            ids.push_back(id);
            positions.push_back(p + s.step);
            slotSet.push_back(s.step);
        }
    const int64_t n = static_cast<int64_t>(ids.size());
    KVCache cache = model.makeCache(n);
    const ForwardOutputs full = model.forward({at::tensor(ids, at::kLong), at::tensor(positions, at::kLong),
                                               fullRunMask(slotSet, mode)}, cache);
    double worst = 0.0;
    for (const auto& f : run.captures.rowLogits) {
        const int64_t rows = f.logits.size(0);
        worst = std::max(worst, maxAbsDiff(f.logits, full.logits.narrow(0, f.firstSlot, rows)));
    }
    std::printf("%s: step-by-step cached logits vs one full forward over %lld slots: maxdiff %.3g (tolerance 1e-4)\n",
                siblingModeName(mode).c_str(), static_cast<long long>(n), worst);
    EXPECT_LE(worst, 1e-4);
}

TEST(TempoControls, CachedStepsEqualOneFullForwardOverTheSameSlotsPositionsAndMaskIsolated)
{
    expectCachedEqualsRecomputed(SiblingMode::Isolated);
}

TEST(TempoControls, CachedStepsEqualOneFullForwardOverTheSameSlotsPositionsAndMaskVisible)
{
    expectCachedEqualsRecomputed(SiblingMode::Visible);
}

TEST(TempoControls, ShiftingEveryPositionLeavesAWholeRunUnchanged)
{
    const LlamaModel& model = peakedModel();
    for (auto mode : {SiblingMode::Isolated, SiblingMode::Visible}) {
        TempoConfig shifted = peakedConfig(mode);
        shifted.positionOffset = 300;
        const TempoRun base = TempoDecoder(model).run(peakedPrompt(), peakedConfig(mode), rowLogitsOnly());
        const TempoRun moved = TempoDecoder(model).run(peakedPrompt(), shifted, rowLogitsOnly());
        ASSERT_GE(firstMultiMemberStep(base), 0);
        ASSERT_EQ(base.sets(), moved.sets());
        ASSERT_EQ(moved.slotLogicalPositions.front(), 300);
        double worst = 0.0;
        for (size_t f = 0; f < base.captures.rowLogits.size(); ++f)
            worst = std::max(worst, maxAbsDiff(base.captures.rowLogits[f].logits, moved.captures.rowLogits[f].logits));
        std::printf("%s: positions shifted by 300: same sets, logits maxdiff %.3g (tolerance 1e-3)\n",
                    siblingModeName(mode).c_str(), worst);
        EXPECT_LE(worst, 1e-3);
        EXPECT_TRUE(moved.allChecksPassed()) << checkname::kRopeRotation << ": " << moved.check(checkname::kRopeRotation)->detail;
    }
}

TEST(TempoControls, TheOriginalBugFeedingOnlyTheLastMemberIsCaughtAndMakesTheModesIdentical)
{
    const LlamaModel& model = peakedModel();
    std::vector<TempoRun> bug, fixed;
    for (auto mode : {SiblingMode::Isolated, SiblingMode::Visible}) {
        TempoConfig c = peakedConfig(mode);
        fixed.push_back(TempoDecoder(model).run(peakedPrompt(), c, rowLogitsOnly()));
        c.faultsForTesting.feedOnlyLastMember = true;
        bug.push_back(TempoDecoder(model).run(peakedPrompt(), c, rowLogitsOnly()));
    }
    ASSERT_GE(firstMultiMemberStep(bug[0]), 0) << "the bug only shows with sets of 2+ members";
    for (const auto& run : bug) {
        const CheckResult* cached = run.check(checkname::kAllMembersCached);
        ASSERT_NE(cached, nullptr);
        EXPECT_FALSE(cached->passed) << cached->detail;
        std::printf("bug run (%s): %s\n", siblingModeName(run.config.mode).c_str(), cached->detail.c_str());
    }
    // With one token per forward the mode can no longer matter: identical sets and logits.
    ASSERT_EQ(bug[0].sets(), bug[1].sets());
    double bugDiff = 0.0, fixedDiff = 0.0;
    for (size_t f = 0; f < bug[0].captures.rowLogits.size(); ++f)
        bugDiff = std::max(bugDiff, maxAbsDiff(bug[0].captures.rowLogits[f].logits, bug[1].captures.rowLogits[f].logits));
    const size_t common = std::min(fixed[0].captures.rowLogits.size(), fixed[1].captures.rowLogits.size());
    for (size_t f = 0; f < common; ++f)
        if (fixed[0].captures.rowLogits[f].logits.sizes() == fixed[1].captures.rowLogits[f].logits.sizes())
            fixedDiff = std::max(fixedDiff, maxAbsDiff(fixed[0].captures.rowLogits[f].logits, fixed[1].captures.rowLogits[f].logits));
    std::printf("isolated vs visible logits maxdiff: bug path %.3g, correct path %.3g\n", bugDiff, fixedDiff);
    EXPECT_LE(bugDiff, 1e-6);
    EXPECT_GT(fixedDiff, 1e-3);
    for (const auto& run : fixed)
        EXPECT_TRUE(run.allChecksPassed());
}

} // namespace
} // namespace tempo
