// The decode loop on a peaked tiny generated model: every check passes on a correct run and
// fails when its property is broken on purpose; captures hold what they document; selection,
// readout, cancellation and the {eos} stop behave as DESIGN.md section 1 says.

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/model/llamamodel.h"
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

void printChecks(const TempoRun& run, const std::string& label)
{
    for (const auto& c : run.checks)
        std::printf("  [%s] %-18s %s  value=%g  %s\n", label.c_str(), c.name.c_str(), c.passed ? "pass" : "FAIL", c.value,
                    c.detail.c_str());
}

TEST(TempoDecoder, CorrectRunsPassEveryCheckInBothModes)
{
    for (auto mode : {SiblingMode::Isolated, SiblingMode::Visible}) {
        const TempoRun run = TempoDecoder(peakedModel()).run(peakedPrompt(), peakedConfig(mode));
        printChecks(run, siblingModeName(mode));
        ASSERT_GE(firstMultiMemberStep(run), 0);
        ASSERT_EQ(run.checks.size(), 5u);
        EXPECT_TRUE(run.allChecksPassed());
        const CheckResult* sibling = run.check(checkname::kSiblingAttention);
        if (mode == SiblingMode::Isolated)
            EXPECT_EQ(sibling->value, 0.0);
        else
            EXPECT_GT(sibling->value, 0.0);
        // A set of 2+ makes some slot differ from its logical position, so the rope check's
        // "differs from rotation by slot" half was exercised.
        EXPECT_EQ(run.check(checkname::kRopeRotation)->detail.find("indistinguishable"), std::string::npos);
    }
}

struct Fault {
    const char* name;
    const char* brokenCheck;
    SiblingMode mode;
    void (*apply)(TempoConfig&);
};

TEST(TempoDecoder, EveryCheckFailsWhenItsPropertyIsBrokenOnPurpose)
{
    const Fault faults[] = {
        {"feed only the last member", checkname::kAllMembersCached, SiblingMode::Isolated,
         [](TempoConfig& c) { c.faultsForTesting.feedOnlyLastMember = true; }},
        {"spread sibling positions", checkname::kSharedPositions, SiblingMode::Isolated,
         [](TempoConfig& c) { c.faultsForTesting.spreadSiblingPositions = true; }},
        {"visible mask in isolated mode", checkname::kSiblingAttention, SiblingMode::Isolated,
         [](TempoConfig& c) { c.faultsForTesting.swapSiblingMask = true; }},
        {"isolated mask in visible mode", checkname::kSiblingAttention, SiblingMode::Visible,
         [](TempoConfig& c) { c.faultsForTesting.swapSiblingMask = true; }},
        {"rotate by physical slot", checkname::kRopeRotation, SiblingMode::Isolated,
         [](TempoConfig& c) { c.faultsForTesting.rotateByPhysicalSlot = true; }},
        {"rotate by physical slot, shifted run", checkname::kRopeRotation, SiblingMode::Visible,
         [](TempoConfig& c) { c.faultsForTesting.rotateByPhysicalSlot = true; c.positionOffset = 7; }},
        {"NaN in the logits", checkname::kFinite, SiblingMode::Isolated,
         [](TempoConfig& c) { c.faultsForTesting.nanLogitsAtStep = 1; }},
    };
    for (const auto& fault : faults) {
        SCOPED_TRACE(fault.name);
        TempoConfig config = peakedConfig(fault.mode);
        fault.apply(config);
        const TempoRun run = TempoDecoder(peakedModel()).run(peakedPrompt(), config);
        const CheckResult* check = run.check(fault.brokenCheck);
        ASSERT_NE(check, nullptr);
        std::printf("fault '%s' -> %s: %s (%s)\n", fault.name, check->name.c_str(), check->passed ? "pass" : "FAIL",
                    check->detail.c_str());
        EXPECT_FALSE(check->passed);
        EXPECT_FALSE(run.allChecksPassed());
    }
}

TEST(TempoDecoder, EachSetIsSelectedFromTheCapturedReadoutAndFedAtItsLogicalPosition)
{
    CaptureOptions captures;
    captures.logits = true;
    captures.kv = true;
    TempoConfig config = peakedConfig(SiblingMode::Visible);
    config.threshold = 0.04; // low enough that some step has more candidates than max_width
    config.maxWidth = 2;
    const TempoRun run = TempoDecoder(peakedModel()).run(peakedPrompt(), config, captures);
    const int64_t p = static_cast<int64_t>(peakedPrompt().size());
    ASSERT_EQ(run.captures.readouts.size(), run.steps.size() + 1);
    bool sawCut = false;
    int64_t slot = p;
    for (const auto& s : run.steps) {
        // Recompute the set from p_s by the definition: p >= t, most probable first, ties by id.
        at::Tensor dist = run.captures.readouts[s.step].distribution.contiguous();
        const float* v = dist.data_ptr<float>();
        std::vector<std::pair<float, int64_t>> qualifying;
        int64_t argmax = 0;
        for (int64_t i = 0; i < dist.numel(); ++i) {
            if (v[i] >= config.threshold)
                qualifying.push_back({-v[i], i});
            if (v[i] > v[argmax])
                argmax = i;
        }
        std::sort(qualifying.begin(), qualifying.end());
        std::vector<int64_t> expected;
        for (size_t i = 0; i < qualifying.size() && i < 2; ++i)
            expected.push_back(qualifying[i].second);
        if (expected.empty())
            expected.push_back(argmax);
        sawCut = sawCut || qualifying.size() > 2;
        EXPECT_EQ(s.tokenIds, expected) << "step " << s.step;
        EXPECT_EQ(s.logicalPosition, p + s.step);
        EXPECT_EQ(s.firstSlot, slot);
        EXPECT_EQ(run.captures.kv.positionIdsUsed[s.step + 1], std::vector<int64_t>(s.tokenIds.size(), p + s.step));
        slot += static_cast<int64_t>(s.tokenIds.size());
        EXPECT_EQ(run.captures.kv.cacheLengths[s.step + 1], slot);
    }
    EXPECT_EQ(run.cacheLength, slot);
    EXPECT_TRUE(sawCut) << "no step had more than max_width candidates: the cut was not exercised";
}

TEST(TempoDecoder, ReadoutMeanAveragesMemberSoftmaxesAndLastTakesTheLastMember)
{
    for (auto readout : {Readout::Mean, Readout::Last}) {
        TempoConfig config = peakedConfig(SiblingMode::Isolated);
        config.readout = readout;
        CaptureOptions captures;
        captures.logits = true;
        captures.rowLogits = true;
        const TempoRun run = TempoDecoder(peakedModel()).run(peakedPrompt(), config, captures);
        ASSERT_GE(firstMultiMemberStep(run), 0);
        double worst = 0.0;
        for (size_t f = 1; f < run.captures.rowLogits.size(); ++f) {
            const at::Tensor softmax = at::softmax(run.captures.rowLogits[f].logits.to(at::kDouble), -1); // [w, V]
            const at::Tensor expected = readout == Readout::Mean ? softmax.mean(0) : softmax[softmax.size(0) - 1];
            worst = std::max(worst, maxAbsDiff(run.captures.readouts[f].distribution, expected));
            // Each member's top-20 comes from its own softmax.
            ASSERT_EQ(run.captures.readouts[f].rowTop.size(), static_cast<size_t>(softmax.size(0)));
            for (int64_t m = 0; m < softmax.size(0); ++m) {
                const auto& top = run.captures.readouts[f].rowTop[static_cast<size_t>(m)];
                ASSERT_EQ(top.size(), 20u);
                EXPECT_EQ(top[0].tokenId, softmax[m].argmax().item<int64_t>());
                for (size_t k = 1; k < top.size(); ++k)
                    EXPECT_GE(top[k - 1].probability, top[k].probability);
            }
        }
        std::printf("readout %s vs softmax of captured logits (double): maxdiff %.3g (tolerance 1e-6)\n",
                    readoutName(readout).c_str(), worst);
        EXPECT_LE(worst, 1e-6);
    }
}

TEST(TempoDecoder, CapturesHaveTheDocumentedShapesAndAreEmptyWhenNotRequested)
{
    const LlamaModel& model = peakedModel();
    const LlamaConfig& mc = model.config();
    const int64_t p = static_cast<int64_t>(peakedPrompt().size());
    const TempoRun bare = TempoDecoder(model).run(peakedPrompt(), peakedConfig(SiblingMode::Isolated, 4));
    EXPECT_TRUE(bare.captures.attention.empty());
    EXPECT_TRUE(bare.captures.readouts.empty());
    EXPECT_TRUE(bare.captures.rowLogits.empty());
    EXPECT_FALSE(bare.captures.hasKv);

    CaptureOptions all;
    all.attention = all.logits = all.kv = true;
    TempoConfig config = peakedConfig(SiblingMode::Visible, 4);
    config.keysLayer = -1; // the last layer
    const TempoRun run = TempoDecoder(model).run(peakedPrompt(), config, all);
    ASSERT_EQ(run.captures.attention.size(), run.steps.size() + 1);
    int64_t slots = p;
    for (size_t f = 0; f < run.captures.attention.size(); ++f) {
        const auto& a = run.captures.attention[f];
        const int64_t rows = f == 0 ? p : static_cast<int64_t>(run.steps[f - 1].tokenIds.size());
        if (f > 0)
            slots += rows;
        EXPECT_EQ(a.probabilities.sizes().vec(),
                  (std::vector<int64_t>{mc.numHiddenLayers, mc.numAttentionHeads, rows, slots}));
        // Every row is a distribution over the slots it may see.
        EXPECT_LE(maxAbsDiff(a.probabilities.sum(-1), at::ones({mc.numHiddenLayers, mc.numAttentionHeads, rows})), 1e-5);
    }
    for (const auto& r : run.captures.readouts) {
        EXPECT_EQ(r.distribution.numel(), mc.vocabSize);
        EXPECT_NEAR(r.distribution.sum(at::kDouble).item<double>(), 1.0, 1e-5);
    }
    const KvRecord& kv = run.captures.kv;
    ASSERT_TRUE(run.captures.hasKv);
    EXPECT_EQ(kv.layer, mc.numHiddenLayers - 1);
    EXPECT_EQ(kv.slotLogicalPositions, run.slotLogicalPositions);
    EXPECT_EQ(static_cast<int64_t>(kv.slotLogicalPositions.size()), slots);
    EXPECT_EQ(kv.cacheLengths.size(), run.steps.size() + 1);
    EXPECT_EQ(kv.cacheLengths.front(), p);
    std::vector<int64_t> prefillPositions;
    for (int64_t i = 0; i < p; ++i)
        prefillPositions.push_back(i);
    EXPECT_EQ(kv.positionIdsUsed.front(), prefillPositions);
    const std::vector<int64_t> keyShape{mc.numKeyValueHeads, slots, mc.headDim};
    EXPECT_EQ(kv.keysBeforeRope.sizes().vec(), keyShape);
    EXPECT_EQ(kv.keysAfterRope.sizes().vec(), keyShape);
    // Keys of one set share a rotation: two members of a set differ in content, but a member's
    // cached key is its own pre-RoPE key rotated by the set's position (checked against the reference).
    const at::Tensor byLogical = referenceRope(kv.keysBeforeRope, kv.slotLogicalPositions, ropeInverseFrequencies(mc));
    const double err = maxAbsDiff(kv.keysAfterRope, byLogical);
    std::printf("captured keys (layer %lld): max |after - R(logical) before| = %.3g\n", static_cast<long long>(kv.layer), err);
    EXPECT_LE(err, 1e-4);
}

TEST(TempoDecoder, StepRecordsNameTheSlotEachMemberWasFedInto)
{
    // The decoder's own slot map (run.slotSteps, from its SlotLayout) is the reference: every
    // member's recorded slot holds that member's step, and the slots a step names are exactly
    // the slots the map gives that step.
    auto expectSlotsMatchTheLayout = [](const TempoRun& run, const std::string& label) {
        std::vector<std::vector<int64_t>> slotsOfStep(run.steps.size());
        for (size_t slot = 0; slot < run.slotSteps.size(); ++slot)
            if (run.slotSteps[slot] >= 0)
                slotsOfStep[static_cast<size_t>(run.slotSteps[slot])].push_back(static_cast<int64_t>(slot));
        for (const StepRecord& step : run.steps) {
            ASSERT_EQ(step.memberSlots.size(), step.tokenIds.size()) << label << " step " << step.step;
            std::vector<int64_t> fedSlots;
            for (size_t m = 0; m < step.memberSlots.size(); ++m)
                if (step.memberSlots[m] >= 0) {
                    fedSlots.push_back(step.memberSlots[m]);
                    // the member in that slot is the one that was fed there
                    EXPECT_EQ(step.fedTokenIds[static_cast<size_t>(step.memberSlots[m] - step.firstSlot)], step.tokenIds[m])
                        << label << " step " << step.step << " member " << m;
                }
            EXPECT_EQ(fedSlots, slotsOfStep[static_cast<size_t>(step.step)]) << label << " step " << step.step;
        }
    };

    const TempoRun run = TempoDecoder(peakedModel()).run(peakedPrompt(), peakedConfig(SiblingMode::Isolated));
    ASSERT_GE(firstMultiMemberStep(run), 0);
    expectSlotsMatchTheLayout(run, "whole sets");
    for (const StepRecord& step : run.steps)
        for (int64_t slot : step.memberSlots)
            EXPECT_GE(slot, 0) << "step " << step.step << ": every member of a correct run is fed";

    // A run that feeds fewer tokens than it selects: one row per step, the last member's. Its
    // other members have no slot (-1), and the next step starts one slot later, not a set later.
    TempoConfig partial = peakedConfig(SiblingMode::Isolated);
    partial.faultsForTesting.feedOnlyLastMember = true;
    const TempoRun fewer = TempoDecoder(peakedModel()).run(peakedPrompt(), partial);
    ASSERT_GE(firstMultiMemberStep(fewer), 0);
    expectSlotsMatchTheLayout(fewer, "last member only");
    int64_t nextSlot = static_cast<int64_t>(peakedPrompt().size());
    for (const StepRecord& step : fewer.steps) {
        std::vector<int64_t> expected(step.tokenIds.size(), -1);
        expected.back() = nextSlot++;
        EXPECT_EQ(step.memberSlots, expected) << "step " << step.step;
    }
    EXPECT_EQ(nextSlot, fewer.cacheLength);
}

TEST(TempoDecoder, ProgressIsReportedAfterEachStepAndCancellationKeepsWhatWasProduced)
{
    std::atomic<bool> cancel{false};
    std::vector<int64_t> reported;
    double lastElapsed = -1.0;
    RunControl control;
    control.cancel = &cancel;
    control.onStep = [&](const StepRecord& progress) {
        reported.push_back(progress.step);
        EXPECT_FALSE(progress.tokenIds.empty());
        EXPECT_GE(progress.elapsedMs, lastElapsed);
        lastElapsed = progress.elapsedMs;
        if (progress.step == 2)
            cancel = true;
    };
    const TempoRun run = TempoDecoder(peakedModel()).run(peakedPrompt(), peakedConfig(SiblingMode::Visible), {}, control);
    EXPECT_EQ(reported, (std::vector<int64_t>{0, 1, 2}));
    EXPECT_TRUE(run.cancelled());
    EXPECT_EQ(stopReasonName(run.stopReason), "cancelled");
    ASSERT_EQ(run.steps.size(), 3u);
    EXPECT_TRUE(run.allChecksPassed()); // the checks cover what was fed
    EXPECT_EQ(run.timing.stepMs.size(), 3u);

    cancel = true; // cancelled before anything: no forward at all
    const TempoRun none = TempoDecoder(peakedModel()).run(peakedPrompt(), peakedConfig(SiblingMode::Visible), {}, control);
    EXPECT_TRUE(none.cancelled());
    EXPECT_TRUE(none.steps.empty());
    EXPECT_EQ(none.cacheLength, 0);
}

TEST(TempoDecoder, StopsWhenASetIsExactlyEos)
{
    // Make the token greedy decoding emits at step 3 the model's eos, then run again.
    test::LoadedModel loaded;
    loaded.checkpoint = makeTestCheckpoint(test::peakedSpec());
    loaded.model = std::make_unique<LlamaModel>(loaded.checkpoint, ComputeOptions{});
    TempoConfig greedy = peakedConfig(SiblingMode::Isolated, 6);
    greedy.threshold = 1.0;
    const TempoRun first = TempoDecoder(*loaded.model).run(peakedPrompt(), greedy);
    const int64_t token = first.steps[3].tokenIds.front();
    int64_t firstOccurrence = 3;
    for (int64_t s = 2; s >= 0; --s) // the earliest step that emits `token`
        if (first.steps[s].tokenIds.front() == token)
            firstOccurrence = s;

    Checkpoint withEos = loaded.checkpoint;
    withEos.config.eosTokenIds = {token};
    const LlamaModel model(withEos, ComputeOptions{});
    greedy.stopAtEos = true;
    const TempoRun stopped = TempoDecoder(model).run(peakedPrompt(), greedy);
    EXPECT_EQ(stopped.stopReason, StopReason::EndOfSequence);
    EXPECT_EQ(static_cast<int64_t>(stopped.steps.size()), firstOccurrence + 1);
    EXPECT_EQ(stopped.steps.back().tokenIds, std::vector<int64_t>{token});
    EXPECT_TRUE(stopped.allChecksPassed());
    greedy.stopAtEos = false;
    EXPECT_EQ(TempoDecoder(model).run(peakedPrompt(), greedy).steps.size(), 6u);
}

TEST(TempoDecoder, RefusesPromptsOutsideTheVocabularyAndConfigsThatDoNotFit)
{
    const LlamaModel& model = peakedModel();
    EXPECT_THROW(TempoDecoder(model).run({1, 2, model.config().vocabSize}, peakedConfig(SiblingMode::Isolated)), InvalidArgument);
    EXPECT_THROW(TempoDecoder(model).run({}, peakedConfig(SiblingMode::Isolated)), InvalidArgument);
    TempoConfig tooLong = peakedConfig(SiblingMode::Isolated, model.config().maxPositionEmbeddings);
    EXPECT_THROW(TempoDecoder(model).run(peakedPrompt(), tooLong), InvalidArgument);
    TempoConfig badThreshold = peakedConfig(SiblingMode::Isolated);
    badThreshold.threshold = 1.5;
    EXPECT_THROW(TempoDecoder(model).run(peakedPrompt(), badThreshold), InvalidArgument);
}

TEST(TempoDecoder, ARunThatMayUseTwoBillionSlotsStartsWithASmallCache)
{
    // max_position_embeddings = 2e9 and a run that may feed 10 members a step for 1e8 steps: the
    // cache used to be allocated whole up front (1e9 slots, 512 GB on this model) and die in
    // LibTorch. It now grows as steps need slots, so the run starts at once; it is cancelled
    // after three steps.
    Checkpoint checkpoint = makeTestCheckpoint(test::peakedSpec());
    checkpoint.config.maxPositionEmbeddings = 2000000000;
    const LlamaModel model(checkpoint, ComputeOptions{});
    TempoConfig config = test::peakedConfig(SiblingMode::Isolated, 100000000); // threshold 0.1, no stop at eos
    config.stopAtEos = true; // may stop after one step: never refused up front for memory
    std::atomic<bool> cancel{false};
    RunControl control;
    control.cancel = &cancel;
    control.onStep = [&](const StepRecord& progress) {
        if (progress.step == 2)
            cancel = true;
    };
    const TempoRun run = TempoDecoder(model).run(test::peakedPrompt(), config, {}, control);
    // Three steps, unless a set was exactly {eos} before (stop at eos).
    ASSERT_GE(run.steps.size(), 1u);
    EXPECT_TRUE(run.cancelled() || run.stopReason == StopReason::EndOfSequence);
    EXPECT_LE(run.steps.size(), 3u);
    EXPECT_TRUE(run.allChecksPassed());
}

} // namespace
} // namespace tempo
