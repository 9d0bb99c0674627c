// The decoder forward pass, following transformers' modeling_<family>.py (eager attention):
// embed (x sqrt(H) for gemma2; + learned position row for gpt2) -> per layer [norm -> q/k/v (+bias)
// -> RoPE -> cache -> GQA attention (scaled, soft-capped, masked, windowed) -> o_proj (+bias)
// (-> post-attention norm) -> residual; norm -> MLP (-> post-feedforward norm) -> residual]
// -> final norm -> LM head (-> soft-capping). Every family's fused or transposed tensors are
// split and laid out at load time into the same per-layer weights, so the forward is one path.
// Batch-1 decode is memory-bandwidth bound, so weights are laid out once at construction for
// at::linear ([out, in], contiguous, on the compute device and dtype) and never copied per step.

#include "core/model/llamamodel.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/model/allocation.h"
#include "core/model/fewrowattention.h"
#include "core/model/hugepages.h"
#include "core/model/shapetext.h"
#include "core/model/rope.h"
#include "core/model/rowprojection.h"

namespace tempo {

namespace {

// The family's norm (x [n, H] -> [n, H]):
// - Rms: transformers' LlamaRMSNorm: normalise in float32, cast back, then scale by the weight in
//   the activations' dtype.
// - RmsPlusOne: Gemma2RMSNorm: normalise and scale by (1 + w) in float32, then cast back.
// - LayerNorm: nn.LayerNorm with weight and bias (gpt2).
at::Tensor normalize(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, NormKind kind, double eps)
{
    if (kind == NormKind::LayerNorm)
        return at::layer_norm(x, {x.size(-1)}, weight, bias, eps);
    const at::Tensor x32 = x.to(at::kFloat);
    const at::Tensor variance = x32.pow(2).mean(-1, /*keepdim=*/true); // [n, 1]
    const at::Tensor normed = x32 * at::rsqrt(variance + eps);          // [n, H] f32
    if (kind == NormKind::RmsPlusOne)
        return (normed * (weight.to(at::kFloat) + 1.0)).to(x.scalar_type());
    return weight * normed.to(x.scalar_type());
}

at::Tensor activate(const at::Tensor& x, Activation activation)
{
    switch (activation) {
    case Activation::Silu: return at::silu(x);
    case Activation::GeluTanh: return at::gelu(x, "tanh");
    case Activation::GeluExact: return at::gelu(x);
    }
    return x;
}

// cap * tanh(x / cap): gemma2's soft-capping of attention scores and final logits.
at::Tensor softcap(const at::Tensor& x, double cap)
{
    return at::tanh(x / cap) * cap;
}

// x [n, in] times weight [out, in]^T -> [n, out]. On CPU, up to 256 rows in f32 (decode steps,
// TEMPO parallel sets, prompts) and up to 16 in bf16 stream each weight once through projectRows
// (rowprojection.h explains why BLAS is slow there); one row otherwise is BLAS gemv; longer inputs
// and GPUs use gemm. All read the weight in place (no transpose copy).
at::Tensor project(const at::Tensor& x, const at::Tensor& weight)
{
    if (rowProjectionApplies(x, weight))
        return projectRows(x, weight);
    if (x.size(0) == 1)
        return at::mv(weight, x[0]).unsqueeze(0);
    return at::linear(x, weight);
}

// project plus an optional bias [out].
at::Tensor projectBiased(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias)
{
    at::Tensor y = project(x, weight);
    return bias.defined() ? y + bias : y;
}

} // namespace

// One layer's weights in one layout for every family: nn.Linear [out, in], fused tensors split,
// Conv1D transposed. Undefined tensors are absent in the family (biases, gate, extra norms).
struct LayerWeights {
    at::Tensor inputNorm, inputNormBias;        // [H]
    at::Tensor q, k, v, o;                      // [Hq*D, H], [Hkv*D, H], [Hkv*D, H], [H, Hq*D]
    at::Tensor qBias, kBias, vBias, oBias;      // [Hq*D], [Hkv*D], [Hkv*D], [H]
    at::Tensor postAttentionNorm;               // [H] gemma2's norm of the attention output
    at::Tensor preMlpNorm, preMlpNormBias;      // [H] (llama's post_attention_layernorm)
    at::Tensor gate, up, down;                  // [I, H], [I, H], [H, I]; no gate in gpt2
    at::Tensor upBias, downBias;                // [I], [H] (gpt2)
    at::Tensor postMlpNorm;                     // [H] gemma2's norm of the MLP output
};

struct LlamaModel::Weights {
    at::Tensor embed;              // [V, H]
    at::Tensor positionTable;      // [P, H] learned position embeddings (gpt2)
    std::vector<LayerWeights> layers;
    at::Tensor finalNorm, finalNormBias; // [H]
    at::Tensor lmHead;             // [V, H]; the embedding itself when tied
    at::Tensor inverseFrequencies; // [D/2] float32 on the compute device (RoPE families)
};

LlamaModel::LlamaModel(const Checkpoint& checkpoint, const ComputeOptions& options)
    : weights_(std::make_unique<Weights>()), config_(checkpoint.config), options_(options)
{
    options_.validate();
    options_.applyThreads();
    const LlamaConfig& c = config_;
    const FamilyTraits& traits = c.traits();
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

    // Converted once to the compute dtype/device. On CPU every matrix of 2 MiB or more is copied
    // into memory with 2 MiB pages (hugepages.h): read in place from the checkpoint's file mapping
    // (4 KiB pages) a decode step took 1.5x as long. The process then holds one copy of the weights;
    // the file's pages stay in the page cache, which the system reclaims when memory runs short.
    // Smaller tensors already in the right form are shared with the mapping, not copied. `transform` (a split or a
    // transpose of a fused or Conv1D tensor) runs on the source first.
    const auto prepareFrom = [&](const std::string& name, const std::function<at::Tensor(const at::Tensor&)>& transform) {
        const at::Tensor source = transform ? transform(checkpoint.tensors.at(name)) : checkpoint.tensors.at(name);
        const uint64_t bytes = static_cast<uint64_t>(source.numel()) * c10::elementSize(options_.dtype);
        return guardAllocation("weights '" + name + "' in " + ComputeOptions::dtypeName(options_.dtype) + " on " +
                                   ComputeOptions::deviceName(options_.device),
                               bytes, [&] {
                                   // CPU matrices go to 2 MiB pages (hugepages.h: 1.5x faster decode here).
                                   if (options_.device == c10::DeviceType::CPU && bytes >= kHugePageBytes)
                                       return copyToHugePages(source, options_.dtype);
                                   return source.to(options_.device, options_.dtype).contiguous();
                               });
    };
    const auto prepare = [&](const std::string& name) { return prepareFrom(name, nullptr); };
    // Rows [first, first + count) of a fused [out, in] tensor (dim 0) or entries of a fused bias.
    const auto rowsOf = [&](const std::string& name, int64_t first, int64_t count) {
        return prepareFrom(name, [=](const at::Tensor& t) { return t.narrow(0, first, count); });
    };
    const int64_t queryWidth = c.numAttentionHeads * c.headDim, keyValueWidth = c.numKeyValueHeads * c.headDim;
    const int64_t hidden = c.hiddenSize, intermediate = c.intermediateSize;
    Weights& w = *weights_;

    if (traits.layout == WeightLayout::Gpt2Conv1D) {
        // Conv1D weights are [in, out]: transposed once here to nn.Linear's [out, in].
        const auto transposed = [&](const std::string& name, int64_t first = 0, int64_t count = -1) {
            return prepareFrom(name, [=](const at::Tensor& t) {
                const at::Tensor linear = t.t(); // [out, in]
                return count < 0 ? linear : linear.narrow(0, first, count);
            });
        };
        w.embed = prepare("transformer.wte.weight");
        w.positionTable = prepare("transformer.wpe.weight");
        for (int64_t i = 0; i < c.numHiddenLayers; ++i) {
            const std::string prefix = "transformer.h." + std::to_string(i) + ".";
            LayerWeights layer;
            layer.inputNorm = prepare(prefix + "ln_1.weight");
            layer.inputNormBias = prepare(prefix + "ln_1.bias");
            // c_attn: columns q | k | v.
            layer.q = transposed(prefix + "attn.c_attn.weight", 0, hidden);
            layer.k = transposed(prefix + "attn.c_attn.weight", hidden, hidden);
            layer.v = transposed(prefix + "attn.c_attn.weight", 2 * hidden, hidden);
            layer.qBias = rowsOf(prefix + "attn.c_attn.bias", 0, hidden);
            layer.kBias = rowsOf(prefix + "attn.c_attn.bias", hidden, hidden);
            layer.vBias = rowsOf(prefix + "attn.c_attn.bias", 2 * hidden, hidden);
            layer.o = transposed(prefix + "attn.c_proj.weight");
            layer.oBias = prepare(prefix + "attn.c_proj.bias");
            layer.preMlpNorm = prepare(prefix + "ln_2.weight");
            layer.preMlpNormBias = prepare(prefix + "ln_2.bias");
            layer.up = transposed(prefix + "mlp.c_fc.weight");
            layer.upBias = prepare(prefix + "mlp.c_fc.bias");
            layer.down = transposed(prefix + "mlp.c_proj.weight");
            layer.downBias = prepare(prefix + "mlp.c_proj.bias");
            w.layers.push_back(std::move(layer));
        }
        w.finalNorm = prepare("transformer.ln_f.weight");
        w.finalNormBias = prepare("transformer.ln_f.bias");
        w.lmHead = c.tieWordEmbeddings ? w.embed : prepare("lm_head.weight");
        return;
    }

    w.embed = prepare("model.embed_tokens.weight");
    for (int64_t i = 0; i < c.numHiddenLayers; ++i) {
        const std::string prefix = "model.layers." + std::to_string(i) + ".";
        LayerWeights layer;
        layer.inputNorm = prepare(prefix + "input_layernorm.weight");
        if (traits.layout == WeightLayout::Phi3Fused) {
            // qkv_proj rows: q | k | v; gate_up_proj rows: gate | up.
            const std::string qkv = prefix + "self_attn.qkv_proj.weight";
            layer.q = rowsOf(qkv, 0, queryWidth);
            layer.k = rowsOf(qkv, queryWidth, keyValueWidth);
            layer.v = rowsOf(qkv, queryWidth + keyValueWidth, keyValueWidth);
            layer.gate = rowsOf(prefix + "mlp.gate_up_proj.weight", 0, intermediate);
            layer.up = rowsOf(prefix + "mlp.gate_up_proj.weight", intermediate, intermediate);
        } else {
            layer.q = prepare(prefix + "self_attn.q_proj.weight");
            layer.k = prepare(prefix + "self_attn.k_proj.weight");
            layer.v = prepare(prefix + "self_attn.v_proj.weight");
            if (c.attentionBias) {
                layer.qBias = prepare(prefix + "self_attn.q_proj.bias");
                layer.kBias = prepare(prefix + "self_attn.k_proj.bias");
                layer.vBias = prepare(prefix + "self_attn.v_proj.bias");
            }
            layer.gate = prepare(prefix + "mlp.gate_proj.weight");
            layer.up = prepare(prefix + "mlp.up_proj.weight");
        }
        layer.o = prepare(prefix + "self_attn.o_proj.weight");
        if (traits.sandwichNorms) {
            layer.postAttentionNorm = prepare(prefix + "post_attention_layernorm.weight");
            layer.preMlpNorm = prepare(prefix + "pre_feedforward_layernorm.weight");
            layer.postMlpNorm = prepare(prefix + "post_feedforward_layernorm.weight");
        } else {
            layer.preMlpNorm = prepare(prefix + "post_attention_layernorm.weight");
        }
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

// Learned position tables have a row per position: an id outside is an error, not a wrap.
void requirePositionsInTable(const at::Tensor& positions, int64_t tableRows)
{
    const at::Tensor cpu = positions.to(at::kCPU);
    const int64_t lowest = cpu.min().item<int64_t>(), highest = cpu.max().item<int64_t>();
    if (lowest < 0 || highest >= tableRows)
        throw InvalidArgument(expectedFound("position ids", "rows of the learned position table 0.." +
                                                                std::to_string(tableRows - 1) + " (n_positions)",
                                            "position " + std::to_string(lowest < 0 ? lowest : highest)));
}

} // namespace

at::Tensor LlamaModel::positionEmbeddingRows(const std::vector<int64_t>& positions) const
{
    if (!weights_->positionTable.defined() || positions.empty())
        return at::Tensor();
    const at::Tensor ids = at::tensor(positions, at::kLong); // [n]
    requirePositionsInTable(ids, config_.maxPositionEmbeddings);
    return at::embedding(weights_->positionTable, ids.to(options_.device)).to(at::kCPU, at::kFloat); // [n, H]
}

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
    const FamilyTraits& traits = c.traits();
    const Weights& w = *weights_;
    const int64_t layerCount = c.numHiddenLayers;
    if (capture.keys && (capture.keysLayer < -1 || capture.keysLayer >= layerCount))
        throw InvalidArgument(expectedFound("capture keysLayer", "-1 (every layer) or 0.." + std::to_string(layerCount - 1),
                                            std::to_string(capture.keysLayer)));
    if (!c.usesRope())
        requirePositionsInTable(inputs.positionIds, c.maxPositionEmbeddings);

    const c10::Device device(options_.device);
    const c10::ScalarType dtype = options_.dtype;
    const int64_t n = inputs.tokenIds.size(0);
    const int64_t total = cache.length() + n;
    const int64_t heads = c.numAttentionHeads, kvHeads = c.numKeyValueHeads, headDim = c.headDim;
    const int64_t group = heads / kvHeads; // query heads served by one key/value head
    const double scaling = c.attentionScale();

    const at::Tensor positions = inputs.positionIds.to(device); // [n] the ids handed to RoPE or the table
    RopeTables rope;
    if (c.usesRope())
        rope = ropeTables(positions, w.inverseFrequencies, dtype, device); // [n, D] each
    // false -> -inf before the softmax: a masked slot gets exactly zero probability.
    const at::Tensor allowed = inputs.attentionMask.to(at::kCPU).contiguous();  // [n, T] bool
    const auto biasOf = [&](const at::Tensor& allowedSlots) {
        return at::zeros({n, total}, at::TensorOptions().dtype(dtype).device(device))
            .masked_fill_(allowedSlots.to(device).logical_not(), -std::numeric_limits<double>::infinity()); // [n, T]
    };
    // Sliding-window layers: a row at logical position p sees slot s only if p - position(s) < window
    // (transformers' sliding_window_overlay), on top of the caller's mask.
    const std::vector<int64_t> positionList = [&] {
        const at::Tensor cpu = inputs.positionIds.to(at::kCPU).contiguous();
        return std::vector<int64_t>(cpu.data_ptr<int64_t>(), cpu.data_ptr<int64_t>() + n);
    }();
    cache.writePositions(positionList);
    at::Tensor windowed; // [n, T] bool: `allowed` within the sliding window (sliding layers only)
    if (c.slidingWindow > 0 && std::find(c.slidingLayers.begin(), c.slidingLayers.end(), true) != c.slidingLayers.end()) {
        const at::Tensor slotPositions = at::tensor(cache.slotPositions(n), at::kLong);      // [T]
        const at::Tensor rowPositions = at::tensor(positionList, at::kLong);                 // [n]
        const at::Tensor inWindow = (rowPositions.unsqueeze(1) - slotPositions.unsqueeze(0)) < c.slidingWindow; // [n, T]
        windowed = allowed.logical_and(inWindow).contiguous();
        const at::Tensor rowHasSlot = windowed.any(1);
        if (!rowHasSlot.all().item<bool>()) {
            const int64_t row = at::logical_not(rowHasSlot).nonzero()[0][0].item<int64_t>();
            throw InvalidArgument(expectedFound("forward attention mask row " + std::to_string(row) +
                                                    " within the sliding window of " + std::to_string(c.slidingWindow),
                                                "at least one slot it may attend to", "every slot outside the window"));
        }
    }
    // The additive masks of the general attention path, made when a layer first needs them.
    at::Tensor maskBias, windowBias; // [n, T]
    const auto biasFor = [&](int64_t layer) -> const at::Tensor& {
        if (c.isSlidingLayer(layer)) {
            if (!windowBias.defined())
                windowBias = biasOf(windowed);
            return windowBias;
        }
        if (!maskBias.defined())
            maskBias = biasOf(allowed);
        return maskBias;
    };

    ForwardOutputs out;
    std::vector<at::Tensor> attentionPerLayer, keysBeforePerLayer, keysAfterPerLayer;
    const auto capturesKeysOf = [&](int64_t layer) {
        return capture.keys && (capture.keysLayer == -1 || capture.keysLayer == layer);
    };
    const auto norm = [&](const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
        return normalize(x, weight, bias, traits.norm, c.rmsNormEps);
    };

    at::Tensor hidden = at::embedding(w.embed, inputs.tokenIds.to(device)); // [n, H]
    if (traits.embeddingScaledBySqrtHidden) // gemma2: the normaliser is rounded to the activations' dtype
        hidden = hidden * at::scalar_tensor(std::sqrt(static_cast<double>(c.hiddenSize)),
                                            at::TensorOptions().dtype(dtype).device(device));
    if (w.positionTable.defined()) {
        const at::Tensor positionRows = at::embedding(w.positionTable, positions); // [n, H]
        hidden = hidden + positionRows;
        out.positionEmbeddings = positionRows.to(at::kCPU, at::kFloat);
    }
    for (int64_t l = 0; l < layerCount; ++l) {
        const LayerWeights& lw = w.layers[static_cast<size_t>(l)];
        const at::Tensor normed = norm(hidden, lw.inputNorm, lw.inputNormBias); // [n, H]
        const at::Tensor q = projectBiased(normed, lw.q, lw.qBias).view({n, heads, headDim}).transpose(0, 1);    // [Hq, n, D]
        const at::Tensor k = projectBiased(normed, lw.k, lw.kBias).view({n, kvHeads, headDim}).transpose(0, 1);  // [Hkv, n, D]
        const at::Tensor v = projectBiased(normed, lw.v, lw.vBias).view({n, kvHeads, headDim}).transpose(0, 1);  // [Hkv, n, D]
        const at::Tensor qRotated = c.usesRope() ? rotateWithTables(q, rope) : q; // [Hq, n, D]
        const at::Tensor kRotated = c.usesRope() ? rotateWithTables(k, rope) : k; // [Hkv, n, D]
        if (capturesKeysOf(l)) {
            keysBeforePerLayer.push_back(k.to(at::kCPU, at::kFloat).contiguous());
            keysAfterPerLayer.push_back(kRotated.to(at::kCPU, at::kFloat).contiguous());
        }
        cache.write(l, kRotated, v);
        const at::Tensor keys = cache.keys(l, n);     // [Hkv, T, D]
        const at::Tensor values = cache.values(l, n); // [Hkv, T, D]

        at::Tensor context; // [n, Hq*D]
        if (fewRowAttentionApplies(qRotated, keys, values)) {
            // A decode step or one parallel set on CPU: one pass per head (fewrowattention.h).
            FewRowAttention attention = fewRowAttention(qRotated, keys, values, c.isSlidingLayer(l) ? windowed : allowed,
                                                        scaling, c.attnLogitSoftcap, capture.attention);
            context = attention.context;
            if (capture.attention)
                attentionPerLayer.push_back(attention.probabilities); // [Hq, n, T] f32
        } else {
            // Grouped-query attention without repeating keys: query heads j*group .. j*group+group-1
            // share key/value head j (transformers' repeat_kv order), so [Hq, n, D] regroups as
            // [Hkv, group*n, D] and multiplies the cached keys directly.
            const at::Tensor grouped = qRotated.reshape({kvHeads, group * n, headDim});                      // [Hkv, g*n, D]
            at::Tensor scores = (at::matmul(grouped, keys.transpose(1, 2)) * scaling).view({heads, n, total}); // [Hq, n, T]
            if (c.attnLogitSoftcap > 0.0)
                scores = softcap(scores, c.attnLogitSoftcap);
            scores = scores + biasFor(l);
            const at::Tensor probabilities = at::softmax(scores, -1, at::kFloat); // [Hq, n, T] f32
            if (capture.attention)
                attentionPerLayer.push_back(probabilities.to(at::kCPU));
            context = at::matmul(probabilities.to(dtype).view({kvHeads, group * n, total}), values)
                          .view({heads, n, headDim})
                          .transpose(0, 1)
                          .reshape({n, heads * headDim}); // [n, Hq*D]
        }
        at::Tensor attended = projectBiased(context, lw.o, lw.oBias); // [n, H]
        if (lw.postAttentionNorm.defined())
            attended = norm(attended, lw.postAttentionNorm, at::Tensor());
        hidden = hidden + attended; // [n, H]

        const at::Tensor normedPost = norm(hidden, lw.preMlpNorm, lw.preMlpNormBias); // [n, H]
        const at::Tensor activated = lw.gate.defined()
                                         ? activate(project(normedPost, lw.gate), c.activation) * project(normedPost, lw.up)
                                         : activate(projectBiased(normedPost, lw.up, lw.upBias), c.activation); // [n, I]
        at::Tensor mlpOut = projectBiased(activated, lw.down, lw.downBias); // [n, H]
        if (lw.postMlpNorm.defined())
            mlpOut = norm(mlpOut, lw.postMlpNorm, at::Tensor());
        hidden = hidden + mlpOut; // [n, H]
    }
    cache.advance(n);

    const at::Tensor finalRows = inputs.lastRowLogitsOnly ? hidden.narrow(0, n - 1, 1).contiguous() : hidden; // [n or 1, H]
    const at::Tensor normedFinal = norm(finalRows, w.finalNorm, w.finalNormBias); // [n or 1, H]
    at::Tensor logits = project(normedFinal, w.lmHead);                           // [n or 1, V]
    if (c.finalLogitSoftcap > 0.0)
        logits = softcap(logits, c.finalLogitSoftcap);
    out.logits = logits.to(at::kCPU, at::kFloat);
    out.positionIdsUsed = positions.to(at::kCPU).clone(); // [n]
    if (capture.attention)
        out.attention = at::stack(attentionPerLayer); // [L, Hq, n, T]
    if (capture.keys) {
        out.keysBeforeRope = at::stack(keysBeforePerLayer); // [L or 1, Hkv, n, D]
        out.keysAfterRope = at::stack(keysAfterPerLayer);   // [L or 1, Hkv, n, D]
    }
    return out;
}

} // namespace tempo
