#pragma once
// The mechanism checks of DESIGN.md section 1, computed and recorded with every run. Each is a
// pure function over captured records, so a test can feed it hand-made records, and each can
// fail (tests break every property on purpose).

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

#include "core/tempo/records.h"
#include "core/runrecord/tempoconfig.h"

namespace tempo {

namespace checkname {
inline constexpr const char* kAllMembersCached = "all_members_cached";
inline constexpr const char* kSharedPositions = "shared_positions";
inline constexpr const char* kSiblingAttention = "sibling_attention";
inline constexpr const char* kRopeRotation = "rope_rotation";
inline constexpr const char* kFinite = "finite";
} // namespace checkname

// Cache slots (read from the cache) == prompt length + sum of set sizes. value: cache slots.
CheckResult checkAllMembersCached(int64_t cacheLength, int64_t promptLength, const std::vector<int64_t>& setSizes);

// Position ids of one forward: what the layout says and what the model handed to RoPE.
struct FedPositions {
    int64_t forward = 0;
    int64_t step = -1;              // -1: prefill
    std::vector<int64_t> expected;  // from the slot layout
    std::vector<int64_t> used;      // ForwardOutputs::positionIdsUsed
};
// Families with a learned position table (gpt2) only: the rows one forward added
// (ForwardOutputs::positionEmbeddings) and the table's rows at the layout's positions.
struct FedPositionEmbeddings {
    int64_t forward = 0;
    int64_t step = -1;
    at::Tensor rows;         // [n, H]
    at::Tensor expectedRows; // [n, H]
};
// Every set's members were fed with one position id, the logical position of their step (and
// the prefill with consecutive positions). With a learned position table, also: every member of
// a set received exactly the same position-embedding row, the table's row at the step's logical
// position. value: forwards that break it.
CheckResult checkSharedPositions(const std::vector<FedPositions>& forwards,
                                 const std::vector<FedPositionEmbeddings>& embeddings = {});

// Attention among the members of one set: rows and columns are the members, in set order.
struct SiblingAttention {
    int64_t step = 0;
    at::Tensor probabilities; // [L, H, w, w]
};
// isolated: max attention from a member to a sibling is exactly 0 (value: that max);
// visible: min attention to an earlier sibling > 0 and none to a later one (value: that min).
// Not applicable (passed, value NaN) when no forward fed two or more members.
CheckResult checkSiblingAttention(SiblingMode mode, const std::vector<SiblingAttention>& sets);

// Rotates x [.., S, D] by `positions` [S] in double precision (rotate-half layout), independent of
// the model's own RoPE code. inverseFrequencies [D/2]. Returns float64.
at::Tensor referenceRope(const at::Tensor& x, const std::vector<int64_t>& positions, const at::Tensor& inverseFrequencies);

// Allowed max abs error between a cached key and its reference rotation.
double ropeTolerance(bool reducedPrecision, double maxAbsKey, int64_t maxPosition);

// Each cached key equals its pre-RoPE key rotated by its logical position (value: max abs error
// <= tolerance), and differs from the rotation by its physical slot wherever slot != position
// (by more than 2 x tolerance at every such slot).
// keysBeforeRope, cachedKeys: [H_kv, S, D]; logicalPositions: [S].
CheckResult checkRopeRotation(const at::Tensor& keysBeforeRope, const at::Tensor& cachedKeys,
                              const std::vector<int64_t>& logicalPositions, const at::Tensor& inverseFrequencies,
                              double tolerance, int64_t layer);

// rope_rotation in a family whose positions come from a learned table (gpt2): not applicable
// (passed, value NaN, the detail says why and where positions are checked instead).
CheckResult ropeRotationNotApplicable(const std::string& family);

// No NaN/Inf among the logits of any forward, and every readout distribution sums to 1 within
// 1e-4. value: count of non-finite logits.
CheckResult checkFinite(int64_t nonFiniteLogits, int64_t logitsChecked, const std::vector<double>& readoutSums);

// The artifact control (TempoConfig::mechanism) reproduces the original method on purpose, so the
// checks that guard the real mechanism (all_members_cached, shared_positions, sibling_attention,
// rope_rotation) must not pass on it, not even vacuously: each fails with the reason first
// (kArtifactControlCheckPrefix + why, "... (by design of the control)") and the measured detail
// after it; the value is kept. `finite` is a health check of the numbers, not of the mechanism,
// and is returned unchanged.
inline constexpr const char* kArtifactControlCheckPrefix = "artifact control: ";
CheckResult asArtifactControlCheck(const CheckResult& measured);
// The reason a control run fails check `name` ("" for a check the control does not fail).
std::string artifactControlReason(const std::string& checkName);

} // namespace tempo
