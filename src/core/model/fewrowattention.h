// Attention of a few query rows (a decode step, one TEMPO parallel set) against the KV cache, on CPU.
//
// The general path is ~10 LibTorch operations per layer (grouped matmul, scale, soft-cap, mask
// add, softmax, cast, matmul, reshapes), each allocating its output; for 1..16 rows their fixed
// cost is larger than the arithmetic, and in bf16 every new cache length made oneDNN build a new
// matmul kernel (a decode step of the bundled model took 4.5 ms in bf16 against 0.8 ms in f32).
// This computes the same thing in one pass per query head: scores in f32 (q . k * scaling, the
// soft-cap, the mask), a float32 softmax, and the probabilities times the values summed in f32,
// rounded to the activations' dtype once at the end.
//
// Same conventions as LlamaModel::forward: grouped-query attention where query heads
// j*group .. j*group+group-1 share key/value head j (transformers' repeat_kv order).
#pragma once

#include <cstdint>

#include <ATen/ATen.h>

namespace tempo {

// Rows up to which the kernel is used (prefill goes to LibTorch's batched matmuls).
constexpr int64_t kMaxFewRowAttentionRows = 16;

// True when fewRowAttention handles these: CPU, float32 or bfloat16 (queries, keys and values
// alike), 1..16 query rows, head dims equal, keys and values with unit stride along D.
bool fewRowAttentionApplies(const at::Tensor& queries, const at::Tensor& keys, const at::Tensor& values);

struct FewRowAttention {
    at::Tensor context;       // [n, Hq*D] in the queries' dtype
    at::Tensor probabilities; // [Hq, n, T] float32 when asked for, else undefined
};

// queries [Hq, n, D] (RoPE applied), keys and values [Hkv, T, D] (the cache, new rows included),
// allowed [n, T] bool (true = may attend; every row has at least one true entry), scaling the
// score factor, softcap > 0 for cap * tanh(score / cap) (gemma2), 0 for none.
// Precondition: fewRowAttentionApplies(queries, keys, values).
FewRowAttention fewRowAttention(const at::Tensor& queries, const at::Tensor& keys, const at::Tensor& values,
                                const at::Tensor& allowed, double scaling, double softcap, bool keepProbabilities);

} // namespace tempo
