// The mechanism checks on hand-made records: each passes on a correct record and fails on a
// record that breaks its property.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>

#include "core/tempo/checks.h"

namespace tempo {
namespace {

TEST(Checks, AllMembersCachedComparesCacheWithPromptPlusSetSizes)
{
    const auto ok = checkAllMembersCached(6 + 3 + 1 + 2, 6, {3, 1, 2});
    EXPECT_TRUE(ok.passed) << ok.detail;
    EXPECT_EQ(ok.name, "all_members_cached");
    EXPECT_EQ(ok.value, 12.0);
    const auto bug = checkAllMembersCached(6 + 3, 6, {3, 1, 2}); // one slot per step, as in the Python bug
    EXPECT_FALSE(bug.passed);
    EXPECT_NE(bug.detail.find("never reached"), std::string::npos) << bug.detail;
}

TEST(Checks, SharedPositionsPassesWhenEverySetUsesItsLogicalPosition)
{
    const std::vector<FedPositions> good{
        {0, -1, {0, 1, 2}, {0, 1, 2}},
        {1, 0, {3, 3}, {3, 3}},
        {2, 1, {4}, {4}},
    };
    const auto r = checkSharedPositions(good);
    EXPECT_TRUE(r.passed) << r.detail;
    EXPECT_EQ(r.value, 0.0);
}

TEST(Checks, SharedPositionsFailsOnSpreadWrongOrMissingPositions)
{
    const std::vector<FedPositions> spread{{0, -1, {0, 1}, {0, 1}}, {1, 0, {2, 2, 2}, {2, 3, 4}}};
    auto r = checkSharedPositions(spread);
    EXPECT_FALSE(r.passed);
    EXPECT_NE(r.detail.find("different position ids [2,3,4]"), std::string::npos) << r.detail;

    const std::vector<FedPositions> shiftedTogether{{1, 0, {2, 2}, {5, 5}}}; // shared, but not the logical position
    r = checkSharedPositions(shiftedTogether);
    EXPECT_FALSE(r.passed) << r.detail;

    const std::vector<FedPositions> prefill{{0, -1, {0, 1, 2}, {0, 2, 1}}};
    EXPECT_FALSE(checkSharedPositions(prefill).passed);

    const std::vector<FedPositions> unreported{{0, -1, {0, 1}, {}}};
    EXPECT_FALSE(checkSharedPositions(unreported).passed);
    EXPECT_FALSE(checkSharedPositions({}).passed);
}

// [L=1, H=1, w, w] attention block from rows written out by hand.
at::Tensor block(const std::vector<std::vector<double>>& rows)
{
    const int64_t w = static_cast<int64_t>(rows.size());
    at::Tensor t = at::zeros({1, 1, w, w}, at::kFloat);
    for (int64_t i = 0; i < w; ++i)
        for (int64_t j = 0; j < w; ++j)
            t[0][0][i][j] = rows[static_cast<size_t>(i)][static_cast<size_t>(j)];
    return t;
}

TEST(Checks, SiblingAttentionIsolatedNeedsExactZeros)
{
    const std::vector<SiblingAttention> isolated{{0, block({{0.3, 0.0}, {0.0, 0.2}})}};
    auto r = checkSiblingAttention(SiblingMode::Isolated, isolated);
    EXPECT_TRUE(r.passed) << r.detail;
    EXPECT_EQ(r.value, 0.0);

    const std::vector<SiblingAttention> leaked{{0, block({{0.3, 0.0}, {0.0, 0.2}})}, {3, block({{0.3, 0.0}, {1e-30, 0.2}})}};
    r = checkSiblingAttention(SiblingMode::Isolated, leaked);
    EXPECT_FALSE(r.passed);
    EXPECT_FLOAT_EQ(static_cast<float>(r.value), 1e-30f);
    EXPECT_NE(r.detail.find("step 3"), std::string::npos) << r.detail;
}

TEST(Checks, SiblingAttentionVisibleNeedsPositiveWeightOnEarlierSiblingsOnly)
{
    const std::vector<SiblingAttention> visible{{0, block({{0.3, 0.0, 0.0}, {0.1, 0.2, 0.0}, {0.05, 0.01, 0.2}})}};
    auto r = checkSiblingAttention(SiblingMode::Visible, visible);
    EXPECT_TRUE(r.passed) << r.detail;
    EXPECT_FLOAT_EQ(static_cast<float>(r.value), 0.01f);

    const std::vector<SiblingAttention> isolatedLooking{{2, block({{0.3, 0.0}, {0.0, 0.2}})}};
    r = checkSiblingAttention(SiblingMode::Visible, isolatedLooking);
    EXPECT_FALSE(r.passed) << r.detail;
    EXPECT_EQ(r.value, 0.0);

    const std::vector<SiblingAttention> seesLater{{0, block({{0.3, 0.1}, {0.1, 0.2}})}};
    EXPECT_FALSE(checkSiblingAttention(SiblingMode::Visible, seesLater).passed);
}

TEST(Checks, SiblingAttentionIsNotApplicableWithoutMultiMemberSets)
{
    const std::vector<SiblingAttention> singles{{0, block({{1.0}})}};
    for (auto mode : {SiblingMode::Isolated, SiblingMode::Visible}) {
        const auto r = checkSiblingAttention(mode, singles);
        EXPECT_TRUE(r.passed);
        EXPECT_TRUE(std::isnan(r.value));
        EXPECT_NE(r.detail.find("not applicable"), std::string::npos);
    }
}

TEST(Checks, ReferenceRopeMatchesHandRotation)
{
    // D = 4: pairs (0,2) and (1,3) with frequencies 1 and 0.5; position 2 rotates by 2 rad and 1 rad.
    at::Tensor x = at::tensor({1.0, 2.0, 3.0, 4.0}, at::kDouble).reshape({1, 1, 4}); // [H=1, S=1, D=4]
    at::Tensor freq = at::tensor({1.0, 0.5}, at::kDouble);
    at::Tensor y = referenceRope(x, {2}, freq).reshape({4});
    const double c0 = std::cos(2.0), s0 = std::sin(2.0), c1 = std::cos(1.0), s1 = std::sin(1.0);
    const double expected[4] = {1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 3 * c0 + 1 * s0, 4 * c1 + 2 * s1};
    for (int i = 0; i < 4; ++i)
        EXPECT_NEAR(y[i].item<double>(), expected[i], 1e-12) << "component " << i;
}

TEST(Checks, RopeRotationPassesForLogicalRotationAndFailsForPhysicalRotation)
{
    at::manual_seed(7);
    at::Tensor before = at::randn({2, 5, 8}, at::kFloat); // [H_kv, S, D]
    at::Tensor freq = at::pow(10000.0, -at::arange(0, 8, 2, at::kDouble) / 8.0);
    const std::vector<int64_t> logical{0, 1, 2, 2, 3}; // a set of 2 at slots 2, 3
    const std::vector<int64_t> physical{0, 1, 2, 3, 4};
    const double tol = ropeTolerance(false, before.abs().max().item<double>(), 3);

    const at::Tensor cachedLogical = referenceRope(before, logical, freq).to(at::kFloat);
    auto r = checkRopeRotation(before, cachedLogical, logical, freq, tol, 0);
    EXPECT_TRUE(r.passed) << r.detail;
    EXPECT_LE(r.value, tol);
    std::printf("rope check on hand-made keys: %s\n", r.detail.c_str());

    const at::Tensor cachedPhysical = referenceRope(before, physical, freq).to(at::kFloat);
    r = checkRopeRotation(before, cachedPhysical, logical, freq, tol, 0);
    EXPECT_FALSE(r.passed) << r.detail;
    EXPECT_GT(r.value, 0.1);

    EXPECT_FALSE(checkRopeRotation(at::Tensor(), cachedLogical, logical, freq, tol, 0).passed);
}

TEST(Checks, RopeRotationValueIsTheOperatorReferenceErrorAndANaNKeyFails)
{
    // checkRopeRotation computes in plain loops; referenceRope (LibTorch operators) is the
    // independent reference for its value: max |cached - R(logical) k| over heads, slots, dims.
    at::manual_seed(11);
    const at::Tensor before = at::randn({3, 7, 16}, at::kFloat); // [H_kv, S, D]
    const at::Tensor freq = at::pow(10000.0, -at::arange(0, 16, 2, at::kDouble) / 16.0);
    const std::vector<int64_t> logical{0, 1, 2, 3, 3, 3, 4}; // a set of 3 at slots 3..5
    const at::Tensor exact = referenceRope(before, logical, freq); // [H_kv, S, D] float64
    const at::Tensor cached = (exact + at::randn({3, 7, 16}, at::kDouble) * 1e-6).to(at::kFloat);
    const double expected = (cached.to(at::kDouble) - exact).abs().max().item<double>();
    auto r = checkRopeRotation(before, cached, logical, freq, 1e-4, 0);
    std::printf("rope check value %.17g, operator reference %.17g (must be equal: same arithmetic)\n", r.value, expected);
    EXPECT_TRUE(r.passed) << r.detail;
    EXPECT_EQ(r.value, expected);

    at::Tensor broken = cached.clone();
    broken[1][4][5] = std::numeric_limits<float>::quiet_NaN();
    r = checkRopeRotation(before, broken, logical, freq, 1e-4, 0);
    EXPECT_FALSE(r.passed) << r.detail;
    EXPECT_TRUE(std::isnan(r.value)) << r.value;
    EXPECT_ANY_THROW(checkRopeRotation(before, cached, logical, at::tensor({1.0, 0.5}, at::kDouble), 1e-4, 0));
}

TEST(Checks, RopeRotationFailsWhenKeysWereNotRotatedAtAll)
{
    at::manual_seed(8);
    at::Tensor before = at::randn({1, 3, 4}, at::kFloat);
    at::Tensor freq = at::tensor({1.0, 0.01}, at::kDouble);
    const std::vector<int64_t> logical{5, 6, 6}; // offset 5: every slot differs from its position
    EXPECT_FALSE(checkRopeRotation(before, before, logical, freq, 1e-4, 0).passed);
}

TEST(Checks, FiniteFailsOnNonFiniteLogitsOrReadoutsThatDoNotSumToOne)
{
    EXPECT_TRUE(checkFinite(0, 100, {1.0, 1.0 + 5e-5, 1.0 - 5e-5}).passed);
    auto r = checkFinite(1, 100, {1.0});
    EXPECT_FALSE(r.passed);
    EXPECT_EQ(r.value, 1.0);
    EXPECT_FALSE(checkFinite(0, 100, {1.0, 1.0002}).passed);
    r = checkFinite(0, 100, {1.0, std::numeric_limits<double>::quiet_NaN()});
    EXPECT_FALSE(r.passed) << r.detail;
}

TEST(Checks, ArtifactControlTurnsEveryMechanismCheckIntoAFailureThatSaysWhy)
{
    // Records on which each check passes: under the control they must fail all the same.
    const std::vector<CheckResult> passing{
        checkAllMembersCached(6 + 2, 6, {1, 1}),
        checkSharedPositions({{0, -1, {0, 1}, {0, 1}}, {1, 0, {2}, {2}}}),
        checkSiblingAttention(SiblingMode::Isolated, {}), // not applicable: passes vacuously
    };
    for (const CheckResult& measured : passing) {
        ASSERT_TRUE(measured.passed) << measured.name;
        const CheckResult control = asArtifactControlCheck(measured);
        EXPECT_EQ(control.name, measured.name);
        EXPECT_FALSE(control.passed) << control.name;
        EXPECT_EQ(control.detail, artifactControlReason(measured.name) + "; measured: " + measured.detail);
        EXPECT_EQ(control.detail.rfind(kArtifactControlCheckPrefix, 0), 0u) << control.detail;
        EXPECT_TRUE(std::isnan(control.value) == std::isnan(measured.value));
    }
    EXPECT_NE(artifactControlReason(checkname::kAllMembersCached)
                  .find("only the last member of each set reached the model (by design of the control)"),
              std::string::npos);
    EXPECT_NE(artifactControlReason(checkname::kSharedPositions).find("positions advance per fed token"), std::string::npos);
    EXPECT_NE(artifactControlReason(checkname::kSiblingAttention).find("no sibling mask"), std::string::npos);
    EXPECT_NE(artifactControlReason(checkname::kRopeRotation).find("physical slot"), std::string::npos);

    // finite checks the numbers, not the mechanism: unchanged either way.
    const CheckResult finite = checkFinite(0, 10, {1.0});
    const CheckResult asControl = asArtifactControlCheck(finite);
    EXPECT_TRUE(asControl.passed);
    EXPECT_EQ(asControl.detail, finite.detail);
    EXPECT_EQ(artifactControlReason(checkname::kFinite), "");
}

} // namespace
} // namespace tempo
