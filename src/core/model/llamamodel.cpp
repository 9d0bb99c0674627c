// The Llama forward pass, following transformers' modeling_llama.py (eager attention):
// embed -> per layer [RMSNorm -> q/k/v -> RoPE -> cache -> GQA attention -> o_proj -> residual;
// RMSNorm -> SwiGLU MLP -> residual] -> final RMSNorm -> LM head.
// Batch-1 decode is memory-bandwidth bound, so weights are laid out once at construction for
// at::linear ([out, in], contiguous, on the compute device and dtype) and never copied per step.

#include "core/model/llamamodel.h"

#include <cmath>
#include <limits>
#include <string>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/model/allocation.h"
#include "core/model/shapetext.h"
#include "core/model/rope.h"
#include "core/model/rowprojection.h"

namespace tempo {

namespace {

// transformers' LlamaRMSNorm: normalise in float32, cast back, then scale by the weight in the
// activations' dtype.
at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) // x [n, H] -> [n, H]
{
    const at::Tensor x32 = x.to(at::kFloat);
    const at::Tensor variance = x32.pow(2).mean(-1, /*keepdim=*/true); // [n, 1]
    return weight * (x32 * at::rsqrt(variance + eps)).to(x.scalar_type());
}

// x [n, in] times weight [out, in]^T -> [n, out]. A few rows on CPU in f32 (decode steps, TEMPO
// parallel sets) stream each weight once through projectRows (rowprojection.h explains why BLAS
// is slow there); one row otherwise is BLAS gemv; many rows (prefill) and GPUs use gemm. All read
// the weight in place (no transpose copy).
at::Tensor project(const at::Tensor& x, const at::Tensor& weight)
{
    if (rowProjectionApplies(x, weight))
        return projectRows(x, weight);
    if (x.size(0) == 1)
        return at::mv(weight, x[0]).unsqueeze(0);
    return at::linear(x, weight);
}

} // namespace

struct LayerWeights {
    at::Tensor inputNorm;         // [H]
    at::Tensor q, k, v, o;        // [Hq*D, H], [Hkv*D, H], [Hkv*D, H], [H, Hq*D]
    at::Tensor postNorm;          // [H]
    at::Tensor gate, up, down;    // [I, H], [I, H], [H, I]
};

struct LlamaModel::Weights {
    at::Tensor embed;              // [V, H]
    std::vector<LayerWeights> layers;
    at::Tensor finalNorm;          // [H]
    at::Tensor lmHead;             // [V, H]; the embedding itself when tied
    at::Tensor inverseFrequencies; // [D/2] float32 on the compute device
};

LlamaModel::LlamaModel(const Checkpoint& checkpoint, const ComputeOptions& options)
    : weights_(std::make_unique<Weights>()), config_(checkpoint.config), options_(options)
{
    options_.validate();
    options_.applyThreads();
    const LlamaConfig& c = config_;
    if (c.numKeyValueHeads <= 0 || c.numAttentionHeads % c.numKeyValueHeads != 0)
        throw ConfigError(expectedFound("num_key_value_heads", "a divisor of num_attention_heads " +
                                                                   std::to_string(c.numAttentionHeads),
                                        std::to_string(c.numKeyValueHeads)));

    // Every expected tensor, with its shape, before any conversion work.
    for (const auto& [name, shape] : expectedTensorShapes(c)) {
        auto found = checkpoint.tensors.find(name);
        if (found == checkpoint.tensors.end())
            throw CheckpointError(expectedFound("tensor '" + name + "'", "shape " + shapeText(shape), "no such tensor"));
        if (!found->second.sizes().equals(shape))
            throw CheckpointError(expectedFound("tensor '" + name + "'", "shape " + shapeText(shape),
                                                shapeText(found->second.sizes())));
    }

    // Converted once to the compute dtype/device. A tensor already in that form is shared, not
    // copied (a checkpoint's tensors keep their memory mapping alive themselves), which keeps the
    // peak memory of loading a large model at one copy of the weights.
    const auto prepare = [&](const std::string& name) {
        const at::Tensor& source = checkpoint.tensors.at(name);
        const uint64_t bytes = static_cast<uint64_t>(source.numel()) * c10::elementSize(options_.dtype);
        return guardAllocation("weights '" + name + "' in " + ComputeOptions::dtypeName(options_.dtype) + " on " +
                                   ComputeOptions::deviceName(options_.device),
                               bytes, [&] { return source.to(options_.device, options_.dtype).contiguous(); });
    };
    Weights& w = *weights_;
    w.embed = prepare("model.embed_tokens.weight");
    for (int64_t i = 0; i < c.numHiddenLayers; ++i) {
        const std::string prefix = "model.layers." + std::to_string(i) + ".";
        LayerWeights layer;
        layer.inputNorm = prepare(prefix + "input_layernorm.weight");
        layer.q = prepare(prefix + "self_attn.q_proj.weight");
        layer.k = prepare(prefix + "self_attn.k_proj.weight");
        layer.v = prepare(prefix + "self_attn.v_proj.weight");
        layer.o = prepare(prefix + "self_attn.o_proj.weight");
        layer.postNorm = prepare(prefix + "post_attention_layernorm.weight");
        layer.gate = prepare(prefix + "mlp.gate_proj.weight");
        layer.up = prepare(prefix + "mlp.up_proj.weight");
        layer.down = prepare(prefix + "mlp.down_proj.weight");
        w.layers.push_back(std::move(layer));
    }
    w.finalNorm = prepare("model.norm.weight");
    w.lmHead = c.tieWordEmbeddings ? w.embed : prepare("lm_head.weight");
    w.inverseFrequencies = ropeInverseFrequencies(c).to(options_.device, at::kFloat);
}

LlamaModel::~LlamaModel() = default;

const LlamaConfig& LlamaModel::config() const { return config_; }
const ComputeOptions& LlamaModel::options() const { return options_; }

KVCache LlamaModel::makeCache(int64_t capacity) const { return KVCache(config_, capacity, options_); }

namespace {

void validateInputs(const ForwardInputs& inputs, const KVCache& cache, const LlamaConfig& config,
                    const ComputeOptions& options)
{
    const at::Tensor& ids = inputs.tokenIds;
    if (!ids.defined() || ids.dim() != 1 || ids.size(0) == 0 || ids.scalar_type() != at::kLong)
        throw InvalidArgument(expectedFound("forward token ids", "a non-empty 1-D int64 tensor [n]",
                                            ids.defined() ? shapeText(ids.sizes()) + " " + c10::toString(ids.scalar_type())
                                                          : "an undefined tensor"));
    const int64_t n = ids.size(0);
    const at::Tensor& positions = inputs.positionIds;
    if (!positions.defined() || positions.dim() != 1 || positions.size(0) != n || positions.scalar_type() != at::kLong)
        throw InvalidArgument(expectedFound("forward position ids", "an int64 tensor [" + std::to_string(n) + "]",
                                            positions.defined() ? shapeText(positions.sizes()) + " " +
                                                                      c10::toString(positions.scalar_type())
                                                                : "an undefined tensor"));
    if (cache.layers() != config.numHiddenLayers || cache.keyValueHeads() != config.numKeyValueHeads ||
        cache.headDim() != config.headDim || cache.dtype() != options.dtype || cache.device().type() != options.device)
        throw InvalidArgument(expectedFound("forward KV cache", "one made by this model (LlamaModel::makeCache)",
                                            "a cache of another shape, dtype or device"));
    const int64_t cached = cache.length();
    if (cached + n > cache.capacity())
        throw InvalidArgument(expectedFound("forward of " + std::to_string(n) + " rows after " + std::to_string(cached) +
                                                " cached slots",
                                            "at most " + std::to_string(cache.capacity()) + " slots (the cache capacity)",
                                            std::to_string(cached + n)));
    const at::Tensor& mask = inputs.attentionMask;
    if (!mask.defined() || mask.dim() != 2 || mask.size(0) != n || mask.size(1) != cached + n ||
        mask.scalar_type() != at::kBool)
        throw InvalidArgument(expectedFound("forward attention mask",
                                            "a bool tensor [n, cached + n] = [" + std::to_string(n) + ", " +
                                                std::to_string(cached + n) + "]",
                                            mask.defined() ? shapeText(mask.sizes()) + " " + c10::toString(mask.scalar_type())
                                                           : "an undefined tensor"));
    const at::Tensor idsCpu = ids.to(at::kCPU);
    const int64_t lowest = idsCpu.min().item<int64_t>(), highest = idsCpu.max().item<int64_t>();
    if (lowest < 0 || highest >= config.vocabSize)
        throw InvalidArgument(expectedFound("forward token ids", "ids in 0.." + std::to_string(config.vocabSize - 1),
                                            "id " + std::to_string(lowest < 0 ? lowest : highest)));
    // A row that may attend nowhere has no softmax (it would be NaN); refuse it up front.
    const at::Tensor rowHasSlot = mask.to(at::kCPU).any(1); // [n]
    if (!rowHasSlot.all().item<bool>()) {
        const int64_t row = at::logical_not(rowHasSlot).nonzero()[0][0].item<int64_t>();
        throw InvalidArgument(expectedFound("forward attention mask row " + std::to_string(row),
                                            "at least one slot it may attend to", "every entry false"));
    }
}

} // namespace

ForwardOutputs LlamaModel::forward(const ForwardInputs& inputs, KVCache& cache, const ForwardCapture& capture) const
{
    validateInputs(inputs, cache, config_, options_);
    const LlamaConfig& c = config_;
    const Weights& w = *weights_;
    const int64_t layerCount = c.numHiddenLayers;
    if (capture.keys && (capture.keysLayer < -1 || capture.keysLayer >= layerCount))
        throw InvalidArgument(expectedFound("capture keysLayer", "-1 (every layer) or 0.." + std::to_string(layerCount - 1),
                                            std::to_string(capture.keysLayer)));

    const c10::Device device(options_.device);
    const c10::ScalarType dtype = options_.dtype;
    const int64_t n = inputs.tokenIds.size(0);
    const int64_t total = cache.length() + n;
    const int64_t heads = c.numAttentionHeads, kvHeads = c.numKeyValueHeads, headDim = c.headDim;
    const int64_t group = heads / kvHeads; // query heads served by one key/value head
    const double scaling = 1.0 / std::sqrt(static_cast<double>(headDim));

    const at::Tensor positions = inputs.positionIds.to(device);                      // [n] the ids handed to RoPE
    const RopeTables rope = ropeTables(positions, w.inverseFrequencies, dtype, device); // [n, D] each
    // false -> -inf before the softmax: a masked slot gets exactly zero probability.
    const at::Tensor maskBias = at::zeros({n, total}, at::TensorOptions().dtype(dtype).device(device))
                                    .masked_fill_(inputs.attentionMask.to(device).logical_not(),
                                                  -std::numeric_limits<double>::infinity()); // [n, T]

    ForwardOutputs out;
    std::vector<at::Tensor> attentionPerLayer, keysBeforePerLayer, keysAfterPerLayer;
    const auto capturesKeysOf = [&](int64_t layer) {
        return capture.keys && (capture.keysLayer == -1 || capture.keysLayer == layer);
    };

    at::Tensor hidden = at::embedding(w.embed, inputs.tokenIds.to(device)); // [n, H]
    for (int64_t l = 0; l < layerCount; ++l) {
        const LayerWeights& lw = w.layers[static_cast<size_t>(l)];
        const at::Tensor normed = rmsNorm(hidden, lw.inputNorm, c.rmsNormEps);                 // [n, H]
        const at::Tensor q = project(normed, lw.q).view({n, heads, headDim}).transpose(0, 1);  // [Hq, n, D]
        const at::Tensor k = project(normed, lw.k).view({n, kvHeads, headDim}).transpose(0, 1); // [Hkv, n, D]
        const at::Tensor v = project(normed, lw.v).view({n, kvHeads, headDim}).transpose(0, 1); // [Hkv, n, D]
        const at::Tensor qRotated = rotateWithTables(q, rope); // [Hq, n, D]
        const at::Tensor kRotated = rotateWithTables(k, rope); // [Hkv, n, D]
        if (capturesKeysOf(l)) {
            keysBeforePerLayer.push_back(k.to(at::kCPU, at::kFloat).contiguous());
            keysAfterPerLayer.push_back(kRotated.to(at::kCPU, at::kFloat).contiguous());
        }
        cache.write(l, kRotated, v);
        const at::Tensor keys = cache.keys(l, n);     // [Hkv, T, D]
        const at::Tensor values = cache.values(l, n); // [Hkv, T, D]

        // Grouped-query attention without repeating keys: query heads j*group .. j*group+group-1
        // share key/value head j (transformers' repeat_kv order), so [Hq, n, D] regroups as
        // [Hkv, group*n, D] and multiplies the cached keys directly.
        const at::Tensor grouped = qRotated.reshape({kvHeads, group * n, headDim});                 // [Hkv, g*n, D]
        const at::Tensor scores = (at::matmul(grouped, keys.transpose(1, 2)) * scaling).view({heads, n, total}) +
                                  maskBias;                                                           // [Hq, n, T]
        const at::Tensor probabilities = at::softmax(scores, -1, at::kFloat);                        // [Hq, n, T] f32
        if (capture.attention)
            attentionPerLayer.push_back(probabilities.to(at::kCPU));
        const at::Tensor context = at::matmul(probabilities.to(dtype).view({kvHeads, group * n, total}), values)
                                       .view({heads, n, headDim})
                                       .transpose(0, 1)
                                       .reshape({n, heads * headDim}); // [n, Hq*D]
        hidden = hidden + project(context, lw.o);                   // [n, H]

        const at::Tensor normedPost = rmsNorm(hidden, lw.postNorm, c.rmsNormEps); // [n, H]
        const at::Tensor activated = at::silu(project(normedPost, lw.gate)) * project(normedPost, lw.up); // [n, I]
        hidden = hidden + project(activated, lw.down); // [n, H]
    }
    cache.advance(n);

    const at::Tensor normedFinal = rmsNorm(hidden, w.finalNorm, c.rmsNormEps); // [n, H]
    out.logits = project(normedFinal, w.lmHead).to(at::kCPU, at::kFloat);   // [n, V]
    out.positionIdsUsed = positions.to(at::kCPU).clone();                      // [n]
    if (capture.attention)
        out.attention = at::stack(attentionPerLayer); // [L, Hq, n, T]
    if (capture.keys) {
        out.keysBeforeRope = at::stack(keysBeforePerLayer); // [L or 1, Hkv, n, D]
        out.keysAfterRope = at::stack(keysAfterPerLayer);   // [L or 1, Hkv, n, D]
    }
    return out;
}

} // namespace tempo
