#pragma once
// The decoder forward pass with Hugging Face conventions, one code path for every model family
// (modelfamily.h): token embedding, pre-norm blocks of grouped-query attention and an MLP, final
// norm, tied or untied LM head. What differs by family (RMSNorm or LayerNorm, RoPE or a learned
// position table, SwiGLU/GeGLU/GELU, biases, sliding windows, soft-capping) comes from the
// family's FamilyTraits and the config. The caller chooses position ids and the attention mask,
// which is what lets TEMPO put several tokens at one logical position; sliding-window layers
// measure their window in those position ids.

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/Tensor.h>

#include "core/model/checkpoint.h"
#include "core/model/computeoptions.h"
#include "core/model/kvcache.h"

namespace tempo {

struct ForwardCapture {
    bool attention = false; // attention probabilities of the rows fed
    bool keys = false;      // keys before and after RoPE
    int64_t keysLayer = -1; // -1: every layer; otherwise only this layer
};

struct ForwardInputs {
    at::Tensor tokenIds;      // [n] int64
    at::Tensor positionIds;   // [n] int64, logical positions (RoPE ids, or rows of a learned position table)
    at::Tensor attentionMask; // [n, cached + n] bool, true = may attend
    // Logits of the last row only (a prompt prefill that only needs the next token's distribution):
    // the LM head then reads its weights for one row instead of n.
    bool lastRowLogitsOnly = false;
};

struct ForwardOutputs {
    at::Tensor logits;          // [n, vocab] float32 on CPU ([1, vocab] with lastRowLogitsOnly)
    at::Tensor positionIdsUsed; // [n] int64 on CPU: the ids handed to RoPE or the position table (always filled)
    at::Tensor positionEmbeddings; // [n, H] float32 on CPU: the rows added by a learned position table (gpt2); else undefined
    // Filled only when captured (undefined tensors otherwise), all float32 on CPU:
    at::Tensor attention;       // [layers, heads, n, cached + n]
    at::Tensor keysBeforeRope;  // [layers or 1, H_kv, n, D]
    at::Tensor keysAfterRope;   // [layers or 1, H_kv, n, D] (the same keys in a family without RoPE)
};

class LlamaModel {
public:
    LlamaModel(const Checkpoint& checkpoint, const ComputeOptions& options);
    ~LlamaModel();
    LlamaModel(const LlamaModel&) = delete;
    LlamaModel& operator=(const LlamaModel&) = delete;

    const LlamaConfig& config() const;
    const ComputeOptions& options() const;

    KVCache makeCache(int64_t capacity) const;

    // Rows of the learned position table at `positions` [n] -> [n, H] float32 on CPU, as the
    // forward adds them (undefined tensor for a family with RoPE). Throws InvalidArgument for a
    // position outside the table.
    at::Tensor positionEmbeddingRows(const std::vector<int64_t>& positions) const;

    // Feeds n rows after the cache's current slots, appends their keys/values to the cache and
    // returns logits for every row. Throws InvalidArgument on inconsistent shapes or overflow,
    // ids outside the vocabulary, or a mask row with no true entry. Inputs may live on any device.
    ForwardOutputs forward(const ForwardInputs& inputs, KVCache& cache,
                           const ForwardCapture& capture = {}) const;

private:
    struct Weights;
    std::unique_ptr<Weights> weights_;
    LlamaConfig config_;
    ComputeOptions options_;
};

// RoPE helpers (free functions, exposed for tests and for the rope_rotation check).
// inverse frequencies [D/2] float64 for `config` (including llama3 scaling).
at::Tensor ropeInverseFrequencies(const LlamaConfig& config);
// Rotates x [.., n, D] by positions [n] (rotate-half layout). Returns same shape and dtype as x.
at::Tensor applyRope(const at::Tensor& x, const at::Tensor& positions, const at::Tensor& inverseFrequencies);

} // namespace tempo
