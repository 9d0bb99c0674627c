#include "core/model/fewrowattention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
// One build for every x86-64 level: the loader picks AVX-512, AVX2+FMA or SSE2 at run time.
#define TEMPO_ATTENTION_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TEMPO_ATTENTION_CLONES
#endif

namespace tempo {

namespace {

inline float widen(float value) { return value; }
inline float widen(at::BFloat16 value) { return static_cast<float>(value); }

// Where one (query head, row) reads and writes. Strides in elements.
struct HeadView {
    const void* queries; int64_t queryHeadStride, queryRowStride;
    const void* keys; int64_t keyHeadStride;     // rows of D at stride D
    const void* values; int64_t valueHeadStride; // rows of D at stride D
    const bool* allowed;                         // [n, T]
    void* context;                               // [n, Hq*D]
    float* probabilities;                        // [Hq, n, T] or null
    int64_t rows, slots, headDim, queryHeads, group;
    float scaling, softcap;
};

// Query heads [headBegin, headEnd): every row's scores, softmax and weighted sum of values.
template <typename Elem>
__attribute__((always_inline)) inline void attendHeads(const HeadView& v, int64_t headBegin, int64_t headEnd)
{
    const int64_t T = v.slots, D = v.headDim;
    std::vector<float> scores(static_cast<size_t>(T));
    std::vector<float> query(static_cast<size_t>(D)), sum(static_cast<size_t>(D));
    const auto* queries = static_cast<const Elem*>(v.queries);
    const auto* keys = static_cast<const Elem*>(v.keys);
    const auto* values = static_cast<const Elem*>(v.values);
    auto* context = static_cast<Elem*>(v.context);
    for (int64_t h = headBegin; h < headEnd; ++h) {
        const int64_t kv = h / v.group;
        const Elem* headKeys = keys + kv * v.keyHeadStride;     // [T, D]
        const Elem* headValues = values + kv * v.valueHeadStride; // [T, D]
        for (int64_t i = 0; i < v.rows; ++i) {
            const Elem* q = queries + h * v.queryHeadStride + i * v.queryRowStride; // [D]
            for (int64_t d = 0; d < D; ++d)
                query[size_t(d)] = widen(q[d]);
            const bool* allowedRow = v.allowed + i * T;
            float highest = -std::numeric_limits<float>::infinity();
            for (int64_t t = 0; t < T; ++t) {
                if (!allowedRow[t]) {
                    scores[size_t(t)] = -std::numeric_limits<float>::infinity();
                    continue;
                }
                const Elem* k = headKeys + t * D;
                float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
                for (int64_t d = 0; d < D; ++d)
                    dot += query[size_t(d)] * widen(k[d]);
                float score = dot * v.scaling;
                if (v.softcap > 0.0f)
                    score = v.softcap * std::tanh(score / v.softcap);
                scores[size_t(t)] = score;
                highest = std::max(highest, score);
            }
            float total = 0.0f;
            for (int64_t t = 0; t < T; ++t) {
                const float e = allowedRow[t] ? std::exp(scores[size_t(t)] - highest) : 0.0f;
                scores[size_t(t)] = e;
                total += e;
            }
            const float inverse = 1.0f / total;
            std::fill(sum.begin(), sum.end(), 0.0f);
            for (int64_t t = 0; t < T; ++t) {
                const float p = scores[size_t(t)] * inverse;
                scores[size_t(t)] = p;
                if (p == 0.0f)
                    continue;
                const Elem* value = headValues + t * D;
#pragma omp simd
                for (int64_t d = 0; d < D; ++d)
                    sum[size_t(d)] += p * widen(value[d]);
            }
            Elem* out = context + i * (v.queryHeads * D) + h * D;
            for (int64_t d = 0; d < D; ++d)
                out[d] = static_cast<Elem>(sum[size_t(d)]);
            if (v.probabilities)
                std::copy(scores.begin(), scores.end(), v.probabilities + (h * v.rows + i) * T);
        }
    }
}

// One clone set per dtype (target_clones does not apply to templates).
TEMPO_ATTENTION_CLONES void attendHeadsFloat(const HeadView& v, int64_t begin, int64_t end)
{
    attendHeads<float>(v, begin, end);
}

TEMPO_ATTENTION_CLONES void attendHeadsBFloat16(const HeadView& v, int64_t begin, int64_t end)
{
    attendHeads<at::BFloat16>(v, begin, end);
}

} // namespace

bool fewRowAttentionApplies(const at::Tensor& queries, const at::Tensor& keys, const at::Tensor& values)
{
    if (queries.dim() != 3 || keys.dim() != 3 || values.dim() != 3)
        return false;
    const at::ScalarType type = queries.scalar_type();
    if ((type != at::kFloat && type != at::kBFloat16) || keys.scalar_type() != type || values.scalar_type() != type)
        return false;
    if (!queries.device().is_cpu() || !keys.device().is_cpu() || !values.device().is_cpu())
        return false;
    const int64_t heads = queries.size(0), kvHeads = keys.size(0), D = queries.size(2);
    return queries.size(1) >= 1 && queries.size(1) <= kMaxFewRowAttentionRows && kvHeads > 0 && heads % kvHeads == 0 &&
           values.size(0) == kvHeads && keys.size(2) == D && values.size(2) == D && keys.size(1) == values.size(1) &&
           queries.stride(2) == 1 && keys.stride(2) == 1 && keys.stride(1) == D && values.stride(2) == 1 &&
           values.stride(1) == D;
}

FewRowAttention fewRowAttention(const at::Tensor& queries, const at::Tensor& keys, const at::Tensor& values,
                                const at::Tensor& allowed, double scaling, double softcap, bool keepProbabilities)
{
    const int64_t heads = queries.size(0), n = queries.size(1), D = queries.size(2), T = keys.size(1);
    const at::Tensor allowedRows = allowed.to(at::kCPU, at::kBool).contiguous(); // [n, T]
    FewRowAttention result;
    result.context = at::empty({n, heads * D}, queries.options()); // [n, Hq*D]
    if (keepProbabilities)
        result.probabilities = at::empty({heads, n, T}, at::TensorOptions().dtype(at::kFloat)); // [Hq, n, T]
    HeadView view{queries.data_ptr(), queries.stride(0), queries.stride(1),
                  keys.data_ptr(), keys.stride(0),
                  values.data_ptr(), values.stride(0),
                  allowedRows.data_ptr<bool>(),
                  result.context.data_ptr(),
                  keepProbabilities ? result.probabilities.data_ptr<float>() : nullptr,
                  n, T, D, heads, heads / keys.size(0),
                  static_cast<float>(scaling), static_cast<float>(softcap)};
    // Small problems (the bundled model's decode: ~0.1 M multiply-adds per layer) stay on the
    // calling thread: waking the pool costs more than the work.
    const int64_t work = heads * n * T * D;
    const int64_t grain = work < (int64_t(1) << 18) ? heads : 1;
    const bool bf16 = queries.scalar_type() == at::kBFloat16;
    at::parallel_for(0, heads, grain, [&](int64_t begin, int64_t end) {
        if (bf16)
            attendHeadsBFloat16(view, begin, end);
        else
            attendHeadsFloat(view, begin, end);
    });
    return result;
}

} // namespace tempo
