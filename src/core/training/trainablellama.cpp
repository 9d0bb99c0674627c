#include "core/training/trainablellama.h"

#include <cmath>
#include <fstream>
#include <limits>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/model/rope.h"
#include "core/model/safetensorswriter.h"

namespace tempo {

namespace {

// transformers' LlamaRMSNorm (as the engine): normalise in float32, then scale.
at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) // x [.., H] -> [.., H]
{
    const at::Tensor variance = x.pow(2).mean({-1}, /*keepdim=*/true);
    return weight * (x * at::rsqrt(variance + eps));
}

at::Tensor project(const at::Tensor& x, const at::Tensor& weight) // x [.., in], weight [out, in] -> [.., out]
{
    return at::matmul(x, weight.t());
}

std::string layerName(int64_t layer, const std::string& suffix)
{
    return "model.layers." + std::to_string(layer) + "." + suffix;
}

} // namespace

TrainableLlama::TrainableLlama(const TrainableLlamaShape& shape, uint64_t seed)
{
    if (shape.heads % shape.kvHeads != 0)
        throw InvalidArgument(expectedFound("attention heads", "a multiple of the key/value heads (" +
                                                std::to_string(shape.kvHeads) + ")", std::to_string(shape.heads)));
    config_.hiddenSize = shape.hidden;
    config_.intermediateSize = shape.intermediate;
    config_.numHiddenLayers = shape.layers;
    config_.numAttentionHeads = shape.heads;
    config_.numKeyValueHeads = shape.kvHeads;
    config_.headDim = shape.headDim;
    config_.vocabSize = shape.vocabSize;
    config_.maxPositionEmbeddings = shape.maxPositions;
    config_.rmsNormEps = 1e-5;
    config_.ropeTheta = shape.ropeTheta;
    config_.tieWordEmbeddings = true;
    config_.bosTokenId = shape.bosTokenId;
    if (shape.eosTokenId >= 0)
        config_.eosTokenIds = {shape.eosTokenId};
    config_.torchDtype = "float32";

    at::manual_seed(seed);
    const double std = 0.02;
    const double residualStd = std / std::sqrt(2.0 * static_cast<double>(shape.layers));
    auto matrix = [](int64_t rows, int64_t cols, double deviation) {
        return (at::randn({rows, cols}, at::kFloat) * deviation).requires_grad_(true);
    };
    auto ones = [](int64_t size) { return at::ones({size}, at::kFloat).requires_grad_(true); };
    const int64_t queryWidth = shape.heads * shape.headDim;
    const int64_t keyValueWidth = shape.kvHeads * shape.headDim;
    parameters_["model.embed_tokens.weight"] = matrix(shape.vocabSize, shape.hidden, std);
    for (int64_t l = 0; l < shape.layers; ++l) {
        parameters_[layerName(l, "input_layernorm.weight")] = ones(shape.hidden);
        parameters_[layerName(l, "self_attn.q_proj.weight")] = matrix(queryWidth, shape.hidden, std);
        parameters_[layerName(l, "self_attn.k_proj.weight")] = matrix(keyValueWidth, shape.hidden, std);
        parameters_[layerName(l, "self_attn.v_proj.weight")] = matrix(keyValueWidth, shape.hidden, std);
        parameters_[layerName(l, "self_attn.o_proj.weight")] = matrix(shape.hidden, queryWidth, residualStd);
        parameters_[layerName(l, "post_attention_layernorm.weight")] = ones(shape.hidden);
        parameters_[layerName(l, "mlp.gate_proj.weight")] = matrix(shape.intermediate, shape.hidden, std);
        parameters_[layerName(l, "mlp.up_proj.weight")] = matrix(shape.intermediate, shape.hidden, std);
        parameters_[layerName(l, "mlp.down_proj.weight")] = matrix(shape.hidden, shape.intermediate, residualStd);
    }
    parameters_["model.norm.weight"] = ones(shape.hidden);
    inverseFrequencies_ = ropeInverseFrequencies(config_);
}

const at::Tensor& TrainableLlama::param(const std::string& name) const
{
    return parameters_.at(name);
}

bool TrainableLlama::isMatrix(const std::string& name)
{
    return name.find("norm") == std::string::npos;
}

int64_t TrainableLlama::parameterCount() const
{
    int64_t count = 0;
    for (const auto& [name, tensor] : parameters_)
        count += tensor.numel();
    return count;
}

at::Tensor TrainableLlama::logits(const at::Tensor& tokenIds) const
{
    const LlamaConfig& c = config_;
    const int64_t batch = tokenIds.size(0);
    const int64_t length = tokenIds.size(1);
    const int64_t heads = c.numAttentionHeads;
    const int64_t kvHeads = c.numKeyValueHeads;
    const int64_t headDim = c.headDim;

    const at::Tensor positions = at::arange(length, at::kLong);                              // [T]
    const RopeTables rope = ropeTables(positions, inverseFrequencies_, at::kFloat, at::kCPU); // [T, D] each
    // Causal: row i may attend to columns 0..i; masked scores become -inf (probability exactly 0).
    const at::Tensor future = at::ones({length, length}, at::kBool).triu(1);                 // [T, T]
    const double scale = 1.0 / std::sqrt(static_cast<double>(headDim));

    at::Tensor hidden = at::embedding(param("model.embed_tokens.weight"), tokenIds); // [B, T, H]
    for (int64_t l = 0; l < c.numHiddenLayers; ++l) {
        const at::Tensor normed = rmsNorm(hidden, param(layerName(l, "input_layernorm.weight")), c.rmsNormEps);
        at::Tensor q = project(normed, param(layerName(l, "self_attn.q_proj.weight")))
                           .view({batch, length, heads, headDim}).transpose(1, 2);   // [B, Hq, T, D]
        at::Tensor k = project(normed, param(layerName(l, "self_attn.k_proj.weight")))
                           .view({batch, length, kvHeads, headDim}).transpose(1, 2); // [B, Hkv, T, D]
        at::Tensor v = project(normed, param(layerName(l, "self_attn.v_proj.weight")))
                           .view({batch, length, kvHeads, headDim}).transpose(1, 2); // [B, Hkv, T, D]
        q = rotateWithTables(q, rope);
        k = rotateWithTables(k, rope);
        // GQA without repeating keys: query heads j*g .. j*g+g-1 share key/value head j
        // (transformers' repeat_kv order), so [B, Hq, T, D] regroups as [B, Hkv, g*T, D].
        const int64_t group = heads / kvHeads;
        const at::Tensor grouped = q.reshape({batch, kvHeads, group * length, headDim}); // [B, Hkv, g*T, D]
        at::Tensor scores = (at::matmul(grouped, k.transpose(-1, -2)) * scale)
                                .view({batch, heads, length, length});                   // [B, Hq, T, T]
        scores = scores.masked_fill(future, -std::numeric_limits<float>::infinity());
        const at::Tensor probabilities = at::softmax(scores, -1);                        // [B, Hq, T, T]
        const at::Tensor attended =
            at::matmul(probabilities.view({batch, kvHeads, group * length, length}), v)  // [B, Hkv, g*T, D]
                .view({batch, heads, length, headDim})
                .transpose(1, 2)
                .reshape({batch, length, heads * headDim});                               // [B, T, Hq*D]
        hidden = hidden + project(attended, param(layerName(l, "self_attn.o_proj.weight")));

        const at::Tensor normedPost =
            rmsNorm(hidden, param(layerName(l, "post_attention_layernorm.weight")), c.rmsNormEps);
        const at::Tensor activated = at::silu(project(normedPost, param(layerName(l, "mlp.gate_proj.weight")))) *
                                     project(normedPost, param(layerName(l, "mlp.up_proj.weight"))); // [B, T, I]
        hidden = hidden + project(activated, param(layerName(l, "mlp.down_proj.weight")));
    }
    const at::Tensor normedFinal = rmsNorm(hidden, param("model.norm.weight"), c.rmsNormEps); // [B, T, H]
    return project(normedFinal, param("model.embed_tokens.weight"));                          // [B, T, V]
}

at::Tensor TrainableLlama::loss(const at::Tensor& tokenIds, const at::Tensor& targets) const
{
    const at::Tensor scores = logits(tokenIds); // [B, T, V]
    return at::cross_entropy_loss(scores.reshape({-1, config_.vocabSize}), targets.reshape({-1}));
}

void TrainableLlama::exportFolder(const std::filesystem::path& folder, const std::string& tokenizerJson,
                                  c10::ScalarType dtype) const
{
    if (dtype != at::kFloat && dtype != at::kBFloat16)
        throw InvalidArgument(expectedFound("export dtype", "float32 or bfloat16", std::string(c10::toString(dtype))));
    std::filesystem::create_directories(folder);
    LlamaConfig config = config_;
    config.torchDtype = dtype == at::kFloat ? "float32" : "bfloat16";
    std::map<std::string, at::Tensor> tensors;
    for (const auto& [name, tensor] : parameters_)
        tensors[name] = tensor.detach().to(dtype).contiguous();
    writeSafetensors(folder / "model.safetensors", tensors, {{"format", "pt"}});
    auto writeText = [&](const std::string& name, const std::string& text) {
        std::ofstream out(folder / name, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out)
            throw CheckpointError(expectedFound("writing " + (folder / name).string(), "success", "an I/O error"));
    };
    writeText("config.json", config.toJson().dump(2) + "\n");
    writeText("tokenizer.json", tokenizerJson);
}

} // namespace tempo
