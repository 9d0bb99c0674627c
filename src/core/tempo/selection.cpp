#include "core/tempo/selection.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <optional>

#include <ATen/ATen.h>

#include "core/common/errors.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tempo {

namespace {

bool moreProbable(const Candidate& a, const Candidate& b)
{
    if (a.probability != b.probability)
        return a.probability > b.probability;
    return a.tokenId < b.tokenId;
}

at::Tensor contiguousFloatVector(const at::Tensor& probabilities, const char* what)
{
    if (probabilities.dim() != 1)
        throw InvalidArgument(expectedFound(what, "a [V] probability vector", std::to_string(probabilities.dim()) + " dimensions"));
    return probabilities.to(at::kCPU, at::kFloat).contiguous();
}

// Puts entry v into `best` (sorted by moreProbable, at most k) if it belongs there. False on NaN:
// moreProbable does not order NaN.
inline bool rankCandidate(std::vector<Candidate>& best, int64_t v, float value, int64_t k)
{
    if (value != value)
        return false;
    const Candidate candidate{v, value};
    if (static_cast<int64_t>(best.size()) == k && !moreProbable(candidate, best.back()))
        return true;
    best.insert(std::upper_bound(best.begin(), best.end(), candidate, moreProbable), candidate);
    if (static_cast<int64_t>(best.size()) > k)
        best.pop_back();
    return true;
}

#if defined(__GNUC__) && defined(__x86_64__)
// GCC 12's _mm512_reduce_max_ps starts from _mm512_undefined_ps and trips this warning falsely.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// The same ranking, 16 entries at a time. An entry below `floor` cannot enter: `floor` starts as
// the k-th largest of the 16-entry blocks' maxima (those are k distinct entries, each at least
// `floor`, so anything smaller has k entries strictly above it) and rises to the k-th value held
// (an equal entry comes later, has a larger id and stays out). Most of a vocabulary is below it,
// so one comparison skips 16 entries, and few entries are inserted. Returns false on NaN.
__attribute__((target("avx512f"))) bool rankCandidatesAvx512(std::vector<Candidate>& best, const float* data,
                                                              int64_t vocab, int64_t k)
{
    const int64_t blocks = vocab / 16;
    float blockFloor = -std::numeric_limits<float>::infinity();
    if (blocks >= k) {
        std::vector<float> maxima(static_cast<size_t>(blocks));
        for (int64_t b = 0; b < blocks; ++b) {
            const __m512 x = _mm512_loadu_ps(data + b * 16);
            if (_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q))
                return false;
            maxima[static_cast<size_t>(b)] = _mm512_reduce_max_ps(x);
        }
        std::nth_element(maxima.begin(), maxima.begin() + (k - 1), maxima.end(), std::greater<float>());
        blockFloor = maxima[static_cast<size_t>(k - 1)];
    }
    int64_t v = 0;
    for (; v + 16 <= vocab; v += 16) {
        const float floor = static_cast<int64_t>(best.size()) == k
                                ? std::max(blockFloor, static_cast<float>(best.back().probability))
                                : blockFloor;
        // not (value < floor): true for value >= floor and for NaN
        __mmask16 maybe = _mm512_cmp_ps_mask(_mm512_loadu_ps(data + v), _mm512_set1_ps(floor), _CMP_NLT_UQ);
        while (maybe) {
            const int lane = __builtin_ctz(maybe);
            maybe &= static_cast<__mmask16>(maybe - 1);
            if (!rankCandidate(best, v + lane, data[v + lane], k))
                return false;
        }
    }
    for (; v < vocab; ++v)
        if (!rankCandidate(best, v, data[v], k))
            return false;
    return true;
}
#pragma GCC diagnostic pop
#endif

// The k most probable entries in moreProbable's order, in one pass over the vocabulary (no
// topk call, no copies: this runs for every row of every forward that captures logits). nullopt
// when an entry is NaN: moreProbable does not order NaN, and the topk path below keeps what it
// has always done with one. Without NaN, moreProbable is a strict total order, so the k entries
// are the same as the topk path's.
std::optional<std::vector<Candidate>> topCandidatesWithoutNaN(const float* data, int64_t vocab, int64_t k)
{
    std::vector<Candidate> best; // sorted by moreProbable, at most k
    best.reserve(static_cast<size_t>(k) + 1);
#if defined(__GNUC__) && defined(__x86_64__)
    static const bool avx512 = __builtin_cpu_supports("avx512f");
    if (avx512) {
        if (!rankCandidatesAvx512(best, data, vocab, k))
            return std::nullopt;
        return best;
    }
#endif
    for (int64_t v = 0; v < vocab; ++v)
        if (!rankCandidate(best, v, data[v], k))
            return std::nullopt;
    return best;
}

} // namespace

std::vector<Candidate> selectParallelSet(const float* probabilities, int64_t vocab, double threshold, int64_t maxWidth)
{
    std::vector<Candidate> set;
    int64_t argmax = -1;
    for (int64_t v = 0; v < vocab; ++v) {
        const double p = probabilities[v];
        if (p >= threshold) // false for NaN
            set.push_back({v, p});
        if (p == p && (argmax < 0 || p > probabilities[argmax])) // strict '>': the lowest id wins ties
            argmax = v;
    }
    std::sort(set.begin(), set.end(), moreProbable);
    if (static_cast<int64_t>(set.size()) > maxWidth)
        set.resize(static_cast<size_t>(std::max<int64_t>(maxWidth, 1)));
    if (set.empty() && vocab > 0) {
        // Every entry NaN: fall back to token 0 so the loop can go on and the finite check reports it.
        const int64_t id = argmax < 0 ? 0 : argmax;
        set.push_back({id, static_cast<double>(probabilities[id])});
    }
    return set;
}

std::vector<Candidate> selectParallelSet(const at::Tensor& probabilities, double threshold, int64_t maxWidth)
{
    at::Tensor p = contiguousFloatVector(probabilities, "parallel-set probabilities");
    return selectParallelSet(p.data_ptr<float>(), p.size(0), threshold, maxWidth);
}

std::vector<Candidate> topCandidates(const at::Tensor& probabilities, int64_t k)
{
    at::Tensor p = contiguousFloatVector(probabilities, "top-k probabilities");
    return topCandidates(p.data_ptr<float>(), p.size(0), k);
}

std::vector<Candidate> topCandidates(const float* probabilities, int64_t vocab, int64_t k)
{
    k = std::min(k, vocab);
    if (k <= 0)
        return {};
    if (auto ranked = topCandidatesWithoutNaN(probabilities, vocab, k))
        return std::move(*ranked);
    // topk ties are not ordered by id: take a few extra and sort exactly.
    const at::Tensor p = at::from_blob(const_cast<float*>(probabilities), {vocab}, at::kFloat); // [V], not owned
    const int64_t extra = std::min(vocab, k + 8);
    auto [values, indices] = at::topk(p, extra, /*dim=*/0, /*largest=*/true, /*sorted=*/true);
    const float kth = values[k - 1].item<float>();
    std::vector<Candidate> out;
    const float* data = probabilities;
    if (values[extra - 1].item<float>() >= kth && extra < vocab) {
        // Ties reach past the extra entries: scan everything at or above the k-th value.
        for (int64_t v = 0; v < vocab; ++v)
            if (data[v] >= kth)
                out.push_back({v, data[v]});
    } else {
        auto idx = indices.contiguous();
        const int64_t* ids = idx.data_ptr<int64_t>();
        for (int64_t i = 0; i < extra; ++i)
            out.push_back({ids[i], data[ids[i]]});
    }
    std::sort(out.begin(), out.end(), moreProbable);
    out.resize(static_cast<size_t>(std::min<int64_t>(k, static_cast<int64_t>(out.size()))));
    return out;
}

} // namespace tempo
