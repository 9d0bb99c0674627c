#include "core/tempo/checks.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <utility>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/runrecord/checkoutcome.h"

namespace tempo {

namespace {

constexpr double kNotApplicable = std::numeric_limits<double>::quiet_NaN();
constexpr double kReadoutSumTolerance = 1e-4;

std::string sci(double value)
{
    std::ostringstream out;
    out.precision(3);
    out << std::scientific << value;
    return out.str();
}

std::string joinIds(const std::vector<int64_t>& ids)
{
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i)
        out += (i ? "," : "") + std::to_string(ids[i]);
    return out + "]";
}

} // namespace

CheckResult checkAllMembersCached(int64_t cacheLength, int64_t promptLength, const std::vector<int64_t>& setSizes)
{
    int64_t members = 0;
    for (int64_t size : setSizes)
        members += size;
    const int64_t expected = promptLength + members;
    CheckResult r{checkname::kAllMembersCached, cacheLength == expected, static_cast<double>(cacheLength), ""};
    r.detail = "cache holds " + std::to_string(cacheLength) + " slots; prompt " + std::to_string(promptLength)
        + " + members of " + std::to_string(setSizes.size()) + " sets " + std::to_string(members) + " = "
        + std::to_string(expected);
    if (!r.passed)
        r.detail += cacheLength < expected ? " (set members never reached the model)" : " (extra slots were fed)";
    return r;
}

CheckResult checkSharedPositions(const std::vector<FedPositions>& forwards,
                                 const std::vector<FedPositionEmbeddings>& embeddings)
{
    int64_t broken = 0;
    std::string firstProblem;
    int64_t sets = 0;
    int64_t embeddingForwards = 0;
    for (const auto& f : forwards) {
        std::string problem;
        if (f.used.size() != f.expected.size()) {
            problem = "model reported " + std::to_string(f.used.size()) + " position ids for "
                + std::to_string(f.expected.size()) + " rows";
        } else if (f.step >= 0) {
            ++sets;
            const bool shared = std::all_of(f.used.begin(), f.used.end(), [&](int64_t p) { return p == f.used.front(); });
            if (!shared)
                problem = "members fed with different position ids " + joinIds(f.used);
            else if (f.used != f.expected)
                problem = "members fed at position " + std::to_string(f.used.front()) + ", logical position is "
                    + std::to_string(f.expected.front());
        } else if (f.used != f.expected) {
            problem = "prefill fed with positions " + joinIds(f.used) + ", expected " + joinIds(f.expected);
        }
        if (!problem.empty()) {
            if (broken == 0)
                firstProblem = "forward " + std::to_string(f.forward)
                    + (f.step >= 0 ? " (step " + std::to_string(f.step) + ")" : " (prefill)") + ": " + problem;
            ++broken;
        }
    }
    for (const auto& e : embeddings) {
        ++embeddingForwards;
        std::string problem;
        const at::Tensor rows = e.rows.defined() ? e.rows.to(at::kDouble) : at::Tensor(); // [n, H]
        const at::Tensor expected = e.expectedRows.defined() ? e.expectedRows.to(at::kDouble) : at::Tensor();
        if (!rows.defined() || !expected.defined() || !rows.sizes().equals(expected.sizes()))
            problem = "position-embedding rows missing or of another shape than the table's rows";
        else if (e.step >= 0 && rows.size(0) >= 2 && !at::equal(rows, rows[0].unsqueeze(0).expand_as(rows)))
            problem = "members received different position-embedding rows";
        else if (!at::equal(rows, expected))
            problem = "position-embedding rows differ from the table's rows at the logical positions (max |diff| " +
                      sci((rows - expected).abs().max().item<double>()) + ")";
        if (!problem.empty()) {
            if (broken == 0)
                firstProblem = "forward " + std::to_string(e.forward) +
                               (e.step >= 0 ? " (step " + std::to_string(e.step) + ")" : " (prefill)") + ": " + problem;
            ++broken;
        }
    }
    CheckResult r{checkname::kSharedPositions, broken == 0 && !forwards.empty(), static_cast<double>(broken), ""};
    if (forwards.empty())
        r.detail = "no forward reported the position ids it used";
    else if (broken == 0)
        r.detail = embeddingForwards > 0
                       ? "every member of " + std::to_string(sets) + " sets was fed with its step's logical position and "
                             "received the same position-embedding row, the table's row at that position (read from "
                             "the position ids and rows the forward used, " + std::to_string(embeddingForwards) + " forwards)"
                       : "every member of " + std::to_string(sets) + " sets was fed with its step's logical position "
                         "(read from the position ids handed to RoPE)";
    else
        r.detail = std::to_string(broken) + " forwards broke it; first: " + firstProblem;
    return r;
}

CheckResult checkSiblingAttention(SiblingMode mode, const std::vector<SiblingAttention>& sets)
{
    CheckResult r{checkname::kSiblingAttention, true, kNotApplicable, ""};
    std::vector<const SiblingAttention*> multi;
    for (const auto& s : sets)
        if (s.probabilities.defined() && s.probabilities.size(-1) >= 2)
            multi.push_back(&s);
    if (multi.empty()) {
        r.detail = std::string(kNotApplicablePrefix) + ": no forward fed 2 or more members of one set";
        return r;
    }
    double extreme = mode == SiblingMode::Isolated ? 0.0 : std::numeric_limits<double>::infinity();
    double laterMax = 0.0; // visible: attention to later siblings must stay 0
    int64_t extremeStep = -1;
    for (const auto* s : multi) {
        // One copy to CPU float64, then plain loops: masked_select and max per set cost a dozen
        // operators each, more than the few hundred weights they look at.
        const at::Tensor a = s->probabilities.to(at::kCPU, at::kDouble).contiguous(); // [L, H, w, w]
        const int64_t w = a.size(-1);
        const int64_t blocks = a.numel() / (w * w);
        const double* weights = a.data_ptr<double>();
        // max / min over the sibling entries where `select`(i, j) holds, NaN when any is NaN
        // (as max() and min() of masked_select).
        auto extremeOf = [&](auto select, bool largest) {
            double found = largest ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
            for (int64_t b = 0; b < blocks; ++b)
                for (int64_t i = 0; i < w; ++i)
                    for (int64_t j = 0; j < w; ++j) {
                        if (!select(i, j))
                            continue;
                        const double x = weights[(b * w + i) * w + j];
                        if (x != x || (largest ? x > found : x < found))
                            found = x;
                    }
            return found;
        };
        if (mode == SiblingMode::Isolated) {
            const double m = extremeOf([](int64_t i, int64_t j) { return i != j; }, true);
            if (extremeStep < 0 || m > extreme) {
                extreme = m;
                extremeStep = s->step;
            }
        } else {
            const double m = extremeOf([](int64_t i, int64_t j) { return j < i; }, false);
            if (m < extreme) {
                extreme = m;
                extremeStep = s->step;
            }
            laterMax = std::max(laterMax, extremeOf([](int64_t i, int64_t j) { return j > i; }, true));
        }
    }
    r.value = extreme;
    const std::string where = std::to_string(multi.size()) + " multi-member sets, all layers and heads";
    if (mode == SiblingMode::Isolated) {
        r.passed = extreme == 0.0;
        r.detail = "isolated: max attention from a member to a sibling = " + sci(extreme) + " over " + where
            + (r.passed ? " (exactly 0)" : " (must be exactly 0; worst at step " + std::to_string(extremeStep) + ")");
    } else {
        r.passed = extreme > 0.0 && laterMax == 0.0;
        r.detail = "visible: min attention to an earlier sibling = " + sci(extreme) + " (must be > 0), max to a later sibling = "
            + sci(laterMax) + " (must be 0) over " + where;
        if (!r.passed && extremeStep >= 0)
            r.detail += "; smallest at step " + std::to_string(extremeStep);
    }
    return r;
}

namespace {

void requireRopeInputs(int64_t s, int64_t d, size_t positions, int64_t frequencies)
{
    if (static_cast<int64_t>(positions) != s || d % 2 != 0 || frequencies != d / 2)
        throw InvalidArgument(expectedFound("reference RoPE inputs",
                                            "x [.., S, D] with S positions and D/2 inverse frequencies",
                                            "S=" + std::to_string(s) + ", D=" + std::to_string(d) + ", "
                                                + std::to_string(positions) + " positions, "
                                                + std::to_string(frequencies) + " frequencies"));
}

// cos and sin of position * frequency for every slot: [S, D/2] float64 each (referenceRope's
// tables, and checkRopeRotation's, so both rotate with the same bits). frequencies: [D/2] float64.
std::pair<at::Tensor, at::Tensor> ropeCosSin(const std::vector<int64_t>& positions, const at::Tensor& frequencies)
{
    const int64_t s = static_cast<int64_t>(positions.size());
    at::Tensor pos = at::empty({s, 1}, at::kDouble); // [S, 1]
    double* positionData = pos.data_ptr<double>();   // filled directly: indexing costs operators per slot
    for (int64_t i = 0; i < s; ++i)
        positionData[i] = static_cast<double>(positions[static_cast<size_t>(i)]);
    const at::Tensor angles = pos * frequencies.reshape({1, frequencies.numel()}); // [S, D/2]
    return {angles.cos().contiguous(), angles.sin().contiguous()};
}

// Per slot, max over heads and dimensions of |cached - R(position) k| in float64, with
// referenceRope's arithmetic (x cos + rotate_half(x) sin, same tables) in plain loops: its
// operators (cat, negation, products) cost more than the few thousand products. NaN when any
// difference is NaN. before, cached: [H, S, D] float64 contiguous; cosines, sines: [S, D/2].
std::vector<double> ropeErrorPerSlot(const double* before, const double* cached, int64_t heads, int64_t slots,
                                     int64_t dim, const double* cosines, const double* sines)
{
    const int64_t half = dim / 2;
    std::vector<double> worst(static_cast<size_t>(slots), 0.0);
    for (int64_t i = 0; i < slots; ++i) {
        const double* c = cosines + i * half; // [D/2]
        const double* sn = sines + i * half;  // [D/2]
        double w = 0.0;
        for (int64_t h = 0; h < heads; ++h) {
            const double* x = before + (h * slots + i) * dim; // [D]
            const double* k = cached + (h * slots + i) * dim; // [D]
            for (int64_t d = 0; d < dim; ++d) {
                const int64_t j = d < half ? d : d - half;
                const double rotated = d < half ? -x[d + half] : x[d - half];
                const double product = x[d] * c[j];
                const double diff = std::abs(k[d] - (product + rotated * sn[j]));
                if (diff != diff || diff > w) // a NaN stays
                    w = diff;
            }
        }
        worst[static_cast<size_t>(i)] = w;
    }
    return worst;
}

} // namespace

at::Tensor referenceRope(const at::Tensor& x, const std::vector<int64_t>& positions, const at::Tensor& inverseFrequencies)
{
    const int64_t d = x.size(-1);
    const int64_t s = x.size(-2);
    requireRopeInputs(s, d, positions.size(), inverseFrequencies.numel());
    const auto [halfCos, halfSin] = ropeCosSin(positions, inverseFrequencies.to(at::kDouble)); // [S, D/2] each
    const at::Tensor cos = at::cat({halfCos, halfCos}, -1);                                    // [S, D]
    const at::Tensor sin = at::cat({halfSin, halfSin}, -1);                                    // [S, D]
    const at::Tensor xd = x.to(at::kDouble);
    const at::Tensor rotated = at::cat({-xd.narrow(-1, d / 2, d / 2), xd.narrow(-1, 0, d / 2)}, -1); // rotate_half
    return xd * cos + rotated * sin;
}

double ropeTolerance(bool reducedPrecision, double maxAbsKey, int64_t maxPosition)
{
    // f32: the angle position * frequency carries a relative rounding error of ~6e-8.
    const double relative = reducedPrecision ? 2e-2 : 1e-5 + 2e-7 * static_cast<double>(std::max<int64_t>(maxPosition, 1));
    return relative * std::max(1.0, maxAbsKey);
}

CheckResult checkRopeRotation(const at::Tensor& keysBeforeRope, const at::Tensor& cachedKeys,
                              const std::vector<int64_t>& logicalPositions, const at::Tensor& inverseFrequencies,
                              double tolerance, int64_t layer)
{
    CheckResult r{checkname::kRopeRotation, false, kNotApplicable, ""};
    if (!keysBeforeRope.defined() || !cachedKeys.defined() || keysBeforeRope.sizes() != cachedKeys.sizes()
        || keysBeforeRope.dim() != 3 || keysBeforeRope.size(1) != static_cast<int64_t>(logicalPositions.size())) {
        r.detail = "keys before RoPE and cached keys of layer " + std::to_string(layer)
            + " are missing or disagree in shape with the " + std::to_string(logicalPositions.size()) + " slots";
        return r;
    }
    const int64_t heads = cachedKeys.size(0);
    const int64_t slots = cachedKeys.size(1);
    const int64_t dim = cachedKeys.size(2);
    requireRopeInputs(slots, dim, logicalPositions.size(), inverseFrequencies.numel());
    const at::Tensor before = keysBeforeRope.to(at::kCPU, at::kDouble).contiguous();     // [H_kv, S, D]
    const at::Tensor cached = cachedKeys.to(at::kCPU, at::kDouble).contiguous();         // [H_kv, S, D]
    const at::Tensor frequencies = inverseFrequencies.to(at::kCPU, at::kDouble).contiguous(); // [D/2]
    auto perSlotError = [&](const std::vector<int64_t>& positions) {
        const auto [cosines, sines] = ropeCosSin(positions, frequencies);
        return ropeErrorPerSlot(before.data_ptr<double>(), cached.data_ptr<double>(), heads, slots, dim,
                                cosines.data_ptr<double>(), sines.data_ptr<double>());
    };
    double error = 0.0;
    for (double e : perSlotError(logicalPositions))
        if (e != e || e > error) // NaN stays, as max() of a tensor
            error = e;
    r.value = error;
    const bool logicalOk = error <= tolerance;

    std::vector<int64_t> physical(static_cast<size_t>(slots));
    std::vector<int64_t> differing;
    for (int64_t i = 0; i < slots; ++i) {
        physical[static_cast<size_t>(i)] = i;
        if (logicalPositions[static_cast<size_t>(i)] != i)
            differing.push_back(i);
    }
    bool physicalDistinct = true;
    std::string physicalText = "every slot equals its logical position, so rotation by slot is indistinguishable";
    if (!differing.empty()) {
        const std::vector<double> byPhysical = perSlotError(physical);
        double minDiff = std::numeric_limits<double>::infinity();
        for (int64_t i : differing) {
            const double e = byPhysical[static_cast<size_t>(i)];
            if (e != e || e < minDiff) // NaN stays, as min() of a tensor
                minDiff = e;
            if (minDiff != minDiff)
                break;
        }
        physicalDistinct = minDiff > 2.0 * tolerance;
        physicalText = "min over " + std::to_string(differing.size()) + " slots whose slot != position of max |cached - R(slot) k| = "
            + sci(minDiff) + (physicalDistinct ? " (differs)" : " (must exceed " + sci(2.0 * tolerance) + ")");
    }
    r.passed = logicalOk && physicalDistinct;
    r.detail = "layer " + std::to_string(layer) + ", " + std::to_string(slots) + " slots: max |cached - R(logical) k| = "
        + sci(error) + " (tolerance " + sci(tolerance) + "); " + physicalText;
    return r;
}

CheckResult ropeRotationNotApplicable(const std::string& family)
{
    CheckResult r{checkname::kRopeRotation, true, kNotApplicable, ""};
    r.detail = std::string(kNotApplicablePrefix) + ": " + family + " has no rotary position embedding (positions come from a learned table; "
               "shared_positions checks that every member of a set received the same position-embedding row)";
    return r;
}

CheckResult checkFinite(int64_t nonFiniteLogits, int64_t logitsChecked, const std::vector<double>& readoutSums)
{
    double worst = 0.0;
    bool sumsOk = true;
    for (double sum : readoutSums) {
        const double dev = std::abs(sum - 1.0);
        if (!(dev <= kReadoutSumTolerance)) // NaN fails
            sumsOk = false;
        if (std::isnan(dev)) {
            worst = dev;
            break;
        }
        worst = std::max(worst, dev);
    }
    CheckResult r{checkname::kFinite, nonFiniteLogits == 0 && sumsOk, static_cast<double>(nonFiniteLogits), ""};
    r.detail = std::to_string(nonFiniteLogits) + " non-finite of " + std::to_string(logitsChecked) + " logits; max |sum p - 1| = "
        + sci(worst) + " over " + std::to_string(readoutSums.size()) + " readout distributions (tolerance 1e-4)";
    return r;
}

std::string artifactControlReason(const std::string& checkName)
{
    const std::string byDesign = " (by design of the control)";
    if (checkName == checkname::kAllMembersCached)
        return std::string(kArtifactControlCheckPrefix) + "only the last member of each set reached the model" + byDesign;
    if (checkName == checkname::kSharedPositions)
        return std::string(kArtifactControlCheckPrefix)
            + "positions advance per fed token (each fed token's position id is its physical slot), not one "
              "shared logical position for every member of a set"
            + byDesign;
    if (checkName == checkname::kSiblingAttention)
        return std::string(kArtifactControlCheckPrefix)
            + "no sibling mask: one token per set under a plain causal mask, so isolated and visible are the same "
              "computation"
            + byDesign;
    if (checkName == checkname::kRopeRotation)
        return std::string(kArtifactControlCheckPrefix)
            + "keys are rotated by physical slot (positions advance per fed token), so rotation by a set's shared "
              "logical position is never exercised"
            + byDesign;
    return "";
}

CheckResult asArtifactControlCheck(const CheckResult& measured)
{
    const std::string reason = artifactControlReason(measured.name);
    if (reason.empty())
        return measured;
    CheckResult r = measured;
    r.passed = false;
    r.detail = reason + "; measured: " + measured.detail;
    return r;
}

} // namespace tempo
