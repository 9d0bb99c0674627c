// The artifact control (TempoConfig::mechanism = ArtifactControl) on the peaked tiny generated
// model, where sets of 2+ members appear: the control gives identical isolated and visible runs
// while the real mechanism does not; the control feeds exactly one token per step (the last
// member) at its physical slot and matches an independent reference of the original method
// written here on LlamaModel::forward; and its mechanism checks fail with the reason, never
// vacuously. Each assertion breaks if the control ran the real mechanism, or the real mechanism
// ran the control.

#include <gtest/gtest.h>

#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "core/common/errors.h"
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

constexpr int64_t kControlSteps = 10;

TempoConfig configOf(Mechanism mechanism, SiblingMode mode)
{
    TempoConfig c = peakedConfig(mode, kControlSteps);
    c.mechanism = mechanism;
    return c;
}

CaptureOptions readoutsAndLogits()
{
    CaptureOptions c;
    c.logits = true;    // readout distributions p_s
    c.rowLogits = true; // raw logits of every forward
    c.kv = true;        // position ids handed to RoPE
    return c;
}

TempoRun runOf(Mechanism mechanism, SiblingMode mode)
{
    return TempoDecoder(peakedModel()).run(peakedPrompt(), configOf(mechanism, mode), readoutsAndLogits());
}

// Max |p_isolated - p_visible| over the readouts both runs have (forward by forward).
double readoutDifference(const TempoRun& a, const TempoRun& b)
{
    const size_t common = std::min(a.captures.readouts.size(), b.captures.readouts.size());
    double worst = 0.0;
    for (size_t f = 0; f < common; ++f)
        worst = std::max(worst, maxAbsDiff(a.captures.readouts[f].distribution, b.captures.readouts[f].distribution));
    return worst;
}

int64_t fedTokens(const TempoRun& run)
{
    int64_t fed = 0;
    for (const auto& s : run.steps)
        fed += static_cast<int64_t>(s.fedTokenIds.size());
    return fed;
}

int64_t selectedMembers(const TempoRun& run)
{
    int64_t members = 0;
    for (const auto& s : run.steps)
        members += static_cast<int64_t>(s.tokenIds.size());
    return members;
}

int64_t multiMemberSets(const TempoRun& run)
{
    int64_t sets = 0;
    for (const auto& s : run.steps)
        sets += s.tokenIds.size() >= 2 ? 1 : 0;
    return sets;
}

TEST(ArtifactControl, IsolatedEqualsVisibleUnderTheControlButNotUnderTheRealMechanism)
{
    const TempoRun tempoIsolated = runOf(Mechanism::Tempo, SiblingMode::Isolated);
    const TempoRun tempoVisible = runOf(Mechanism::Tempo, SiblingMode::Visible);
    const TempoRun controlIsolated = runOf(Mechanism::ArtifactControl, SiblingMode::Isolated);
    const TempoRun controlVisible = runOf(Mechanism::ArtifactControl, SiblingMode::Visible);

    // The comparison means something only where sets of 2+ members were selected.
    ASSERT_GE(firstMultiMemberStep(tempoIsolated), 0);
    ASSERT_GE(firstMultiMemberStep(controlIsolated), 0);
    ASSERT_EQ(controlIsolated.steps.size(), static_cast<size_t>(kControlSteps));

    const double tempoDiff = readoutDifference(tempoIsolated, tempoVisible);
    const double controlDiff = readoutDifference(controlIsolated, controlVisible);
    std::printf("isolated vs visible readouts maxdiff: real mechanism %.3g (must be > 1e-3), artifact control %.3g "
                "(must be <= 1e-6); control sets of 2+: %lld\n",
                tempoDiff, controlDiff, static_cast<long long>(multiMemberSets(controlIsolated)));
    EXPECT_GT(tempoDiff, 1e-3) << "the real mechanism must tell the modes apart on this model";
    EXPECT_LE(controlDiff, 1e-6) << "under the control the modes are the same computation";
    EXPECT_EQ(controlIsolated.sets(), controlVisible.sets());
    ASSERT_EQ(controlIsolated.captures.readouts.size(), controlVisible.captures.readouts.size());
}

TEST(ArtifactControl, FeedsOnlyTheLastMemberOfEachSetAtItsPhysicalSlot)
{
    const int64_t promptLength = static_cast<int64_t>(peakedPrompt().size());
    for (SiblingMode mode : {SiblingMode::Isolated, SiblingMode::Visible}) {
        SCOPED_TRACE(siblingModeName(mode));
        const TempoRun control = runOf(Mechanism::ArtifactControl, mode);
        const TempoRun tempo = runOf(Mechanism::Tempo, mode);
        ASSERT_GE(firstMultiMemberStep(control), 0);

        // The control: one fed token per step, the last member; every selected member is listed.
        EXPECT_EQ(fedTokens(control), static_cast<int64_t>(control.steps.size()));
        EXPECT_GT(selectedMembers(control), fedTokens(control));
        EXPECT_EQ(control.cacheLength, promptLength + static_cast<int64_t>(control.steps.size()));
        for (const auto& s : control.steps) {
            ASSERT_EQ(s.fedTokenIds, std::vector<int64_t>{s.tokenIds.back()}) << "step " << s.step;
            ASSERT_EQ(s.memberSlots.size(), s.tokenIds.size());
            for (size_t m = 0; m + 1 < s.memberSlots.size(); ++m)
                EXPECT_EQ(s.memberSlots[m], -1) << "step " << s.step << " member " << m << " was not fed";
            EXPECT_EQ(s.memberSlots.back(), promptLength + s.step) << "step " << s.step;
        }
        // Positions advance per fed token: every position id handed to RoPE is the token's slot.
        const KvRecord& kv = control.captures.kv;
        ASSERT_EQ(kv.positionIdsUsed.size(), control.steps.size() + 1);
        std::vector<int64_t> prefill(static_cast<size_t>(promptLength));
        std::iota(prefill.begin(), prefill.end(), 0);
        EXPECT_EQ(kv.positionIdsUsed[0], prefill);
        for (size_t f = 1; f < kv.positionIdsUsed.size(); ++f)
            EXPECT_EQ(kv.positionIdsUsed[f], std::vector<int64_t>{promptLength + static_cast<int64_t>(f) - 1}) << "forward " << f;

        // The real mechanism feeds every member of every set.
        EXPECT_EQ(fedTokens(tempo), selectedMembers(tempo));
        EXPECT_GT(fedTokens(tempo), static_cast<int64_t>(tempo.steps.size()));
        for (const auto& s : tempo.steps)
            EXPECT_EQ(s.fedTokenIds, s.tokenIds) << "step " << s.step;
        EXPECT_EQ(tempo.cacheLength, promptLength + selectedMembers(tempo));
    }
}

// The original method, written here from scratch on LlamaModel::forward: prefill with a causal
// mask, then per step the last member of the control's recorded set at the next slot, with the
// slot as position id and every earlier slot visible. The control's logits must be these.
TEST(ArtifactControl, MatchesAnIndependentReferenceOfTheOriginalMethod)
{
    const LlamaModel& model = peakedModel();
    const std::vector<int64_t> prompt = peakedPrompt();
    const int64_t p = static_cast<int64_t>(prompt.size());
    const TempoRun control = runOf(Mechanism::ArtifactControl, SiblingMode::Visible);
    ASSERT_GE(firstMultiMemberStep(control), 0);
    ASSERT_EQ(control.captures.rowLogits.size(), control.steps.size() + 1);

    KVCache cache = model.makeCache(p + static_cast<int64_t>(control.steps.size()));
    ForwardOutputs out = model.forward({at::tensor(prompt, at::kLong), at::arange(p, at::kLong),
                                        at::ones({p, p}, at::kBool).tril()}, cache);
    double worst = maxAbsDiff(out.logits, control.captures.rowLogits[0].logits);
    for (size_t s = 0; s < control.steps.size(); ++s) {
        const int64_t slot = p + static_cast<int64_t>(s);
        out = model.forward({at::tensor(std::vector<int64_t>{control.steps[s].tokenIds.back()}, at::kLong),
                             at::tensor(std::vector<int64_t>{slot}, at::kLong), at::ones({1, slot + 1}, at::kBool)},
                            cache);
        ASSERT_EQ(out.logits.sizes(), control.captures.rowLogits[s + 1].logits.sizes()) << "forward " << s + 1;
        worst = std::max(worst, maxAbsDiff(out.logits, control.captures.rowLogits[s + 1].logits));
    }
    std::printf("artifact control vs reference of the original method: logits maxdiff %.3g (tolerance 1e-5)\n", worst);
    EXPECT_LE(worst, 1e-5);
}

TEST(ArtifactControl, MechanismChecksFailWithTheReasonNeverVacuously)
{
    // With sets of 2+ members, and with none at all (threshold 1.0: one member per step, where
    // every check would pass vacuously on measurement alone).
    for (double threshold : {test::kPeakedThreshold, 1.0}) {
        SCOPED_TRACE("threshold " + std::to_string(threshold));
        TempoConfig c = configOf(Mechanism::ArtifactControl, SiblingMode::Isolated);
        c.threshold = threshold;
        const TempoRun run = TempoDecoder(peakedModel()).run(peakedPrompt(), c);
        EXPECT_FALSE(run.allChecksPassed());
        const std::vector<std::pair<const char*, const char*>> expected{
            {checkname::kAllMembersCached, "only the last member of each set reached the model (by design of the control)"},
            {checkname::kSharedPositions, "positions advance per fed token"},
            {checkname::kSiblingAttention, "no sibling mask"},
            {checkname::kRopeRotation, "positions advance per fed token"},
        };
        for (const auto& [name, reason] : expected) {
            const CheckResult* check = run.check(name);
            ASSERT_NE(check, nullptr) << name;
            EXPECT_FALSE(check->passed) << name << ": " << check->detail;
            EXPECT_EQ(check->detail.rfind("artifact control: ", 0), 0u) << name << ": " << check->detail;
            EXPECT_NE(check->detail.find(reason), std::string::npos) << name << ": " << check->detail;
            EXPECT_NE(check->detail.find("(by design of the control)"), std::string::npos) << check->detail;
            EXPECT_NE(check->detail.find("; measured: "), std::string::npos) << check->detail;
        }
        // The numbers themselves are healthy: finite is not a mechanism check.
        const CheckResult* finite = run.check(checkname::kFinite);
        ASSERT_NE(finite, nullptr);
        EXPECT_TRUE(finite->passed) << finite->detail;
    }
    // The same model and settings under the real mechanism pass every check.
    const TempoRun tempo = runOf(Mechanism::Tempo, SiblingMode::Isolated);
    for (const auto& check : tempo.checks) {
        EXPECT_TRUE(check.passed) << check.name << ": " << check.detail;
        EXPECT_EQ(check.detail.find("artifact control"), std::string::npos) << check.detail;
    }
}

TEST(ArtifactControl, ThePositionOffsetIsRefusedBeforeAnyForward)
{
    TempoConfig c = configOf(Mechanism::ArtifactControl, SiblingMode::Isolated);
    c.positionOffset = 7;
    EXPECT_THROW(TempoDecoder(peakedModel()).run(peakedPrompt(), c), InvalidArgument);
}

} // namespace
} // namespace tempo
