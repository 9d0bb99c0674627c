#include "core/testmodel/testmodel.h"

#include <cmath>
#include <fstream>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/safetensors.h"
#include "core/model/safetensorswriter.h"

namespace tempo {

namespace {

// Weight scales. Why these numbers:
// - q/k/v/gate/up: std 1/sqrt(fan_in), so projections of a unit-RMS (normed) input have unit RMS
//   and attention scores q.k/sqrt(D) have std about 1 (neither uniform nor one-hot attention).
// - o_proj/down: std residualGain/sqrt(fan_in): what each block adds to the residual stream.
// - embedding / lm_head: after the final RMSNorm the hidden state has unit RMS, so each logit is
//   a sum of H terms and has std = embedStd * sqrt(H). logitStd sets that directly.
// For i.i.d. Gaussian logits over 512 tokens, a std of 2.5-3 gives 2-5 tokens with p >= 0.05 in
// ~85-90% of draws (simulated); std 1 gives flat distributions (top p ~ 0.01-0.02).
// With tied embeddings the current token's own row adds |e_t|^2 / RMS(x) to its logit, which would
// dominate unless the blocks' contributions outweigh the embedding in the residual stream; the
// peaked model therefore uses a larger residualGain.
struct WeightScales {
    double logitStd;
    double residualGain;
    double normNoise = 0.05; // norms are 1 + N(0, normNoise): close to 1 but not exactly ones
};

WeightScales scalesFor(const TestModelSpec& spec)
{
    if (spec.peaked)
        return {2.75, 2.0};
    return {1.0, 1.0};
}

// splitmix64 (Steele, Lea, Flood 2014): a tiny PRNG whose output is fixed by its definition, so
// models are identical across LibTorch versions and machines.
class NormalStream {
public:
    explicit NormalStream(uint64_t seed) : state_(seed) {}
    uint64_t nextBits()
    {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in (0, 1): 53 random bits, never 0.
    double nextUniform() { return (static_cast<double>(nextBits() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
    // Standard normal by Box-Muller (both outputs used).
    double nextNormal()
    {
        if (hasSpare_) {
            hasSpare_ = false;
            return spare_;
        }
        const double radius = std::sqrt(-2.0 * std::log(nextUniform()));
        const double angle = 2.0 * M_PI * nextUniform();
        spare_ = radius * std::sin(angle);
        hasSpare_ = true;
        return radius * std::cos(angle);
    }

private:
    uint64_t state_;
    double spare_ = 0.0;
    bool hasSpare_ = false;
};

// Each tensor gets its own stream from (seed, name): a tensor does not change when other tensors
// are added (e.g. more layers, or an untied head).
uint64_t streamSeed(uint64_t seed, const std::string& name)
{
    uint64_t hash = 0xcbf29ce484222325ull; // FNV-1a 64
    for (unsigned char c : name)
        hash = (hash ^ c) * 0x100000001b3ull;
    NormalStream mix(seed ^ hash);
    return mix.nextBits();
}

// [shape...] float32: mean + std * N(0, 1).
at::Tensor randomTensor(const std::vector<int64_t>& shape, double mean, double std, uint64_t seed,
                        const std::string& name)
{
    at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(at::kFloat));
    NormalStream stream(streamSeed(seed, name));
    float* values = tensor.data_ptr<float>();
    for (int64_t i = 0; i < tensor.numel(); ++i)
        values[i] = static_cast<float>(mean + std * stream.nextNormal());
    return tensor;
}

bool endsWith(const std::string& text, const std::string& suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string torchDtypeName(const std::string& diskDtype)
{
    if (diskDtype == "F32")
        return "float32";
    if (diskDtype == "F16")
        return "float16";
    if (diskDtype == "BF16")
        return "bfloat16";
    throw InvalidArgument(expectedFound("test model disk dtype", "F32, F16 or BF16", "\"" + diskDtype + "\""));
}

} // namespace

LlamaConfig testModelConfig(const TestModelSpec& spec)
{
    // Built as a config, written in the family's config.json names and read back: what the
    // generator writes is exactly what the loader accepts.
    LlamaConfig c;
    c.family = spec.family;
    c.hiddenSize = spec.hidden;
    c.intermediateSize = spec.intermediate;
    c.numHiddenLayers = spec.layers;
    c.numAttentionHeads = spec.heads;
    c.numKeyValueHeads = spec.family == ModelFamily::Gpt2 ? spec.heads : spec.kvHeads;
    c.headDim = spec.headDim > 0 && spec.family != ModelFamily::Gpt2 ? spec.headDim
                                                                     : (spec.heads > 0 ? spec.hidden / spec.heads : 0);
    if (spec.vocab != 0 && spec.vocab < kTestVocabSize)
        throw InvalidArgument(expectedFound("test model vocab", "0 (the tokenizer's " + std::to_string(kTestVocabSize) +
                                                                    ") or at least " + std::to_string(kTestVocabSize),
                                            std::to_string(spec.vocab)));
    c.vocabSize = spec.vocab > 0 ? spec.vocab : kTestVocabSize;
    c.maxPositionEmbeddings = 2048;
    c.rmsNormEps = c.family == ModelFamily::Gemma2 ? 1e-6 : 1e-5;
    c.ropeTheta = spec.ropeTheta;
    c.tieWordEmbeddings = spec.tied;
    c.bosTokenId = kTestBeginOfTextId;
    c.eosTokenIds = {kTestEndOfTextId};
    c.torchDtype = torchDtypeName(spec.diskDtype);
    c.activation = c.family == ModelFamily::Gemma2 || c.family == ModelFamily::Gpt2 ? Activation::GeluTanh
                                                                                     : Activation::Silu;
    c.attentionBias = c.family == ModelFamily::Qwen2 || c.family == ModelFamily::Gpt2;
    c.slidingWindow = spec.slidingWindow;
    for (int64_t l = 0; l < spec.layers; ++l) {
        bool sliding = spec.slidingWindow > 0;
        if (c.family == ModelFamily::Qwen2)
            sliding = sliding && l >= 1;
        if (c.family == ModelFamily::Gemma2)
            sliding = sliding && l % 2 == 0;
        c.slidingLayers.push_back(sliding);
    }
    if (c.family == ModelFamily::Gemma2) {
        c.queryPreAttnScalar = static_cast<double>(c.headDim);
        c.attnLogitSoftcap = 50.0;
        c.finalLogitSoftcap = 30.0;
    }
    if (spec.llama3RopeScaling) {
        // A small original context so that, for the test models' short head_dim, some frequencies
        // are kept, some interpolated and some scaled (all three branches of llama3 scaling).
        c.ropeScaling.type = RopeScaling::Type::Llama3;
        c.ropeScaling.factor = 8.0;
        c.ropeScaling.lowFreqFactor = 1.0;
        c.ropeScaling.highFreqFactor = 4.0;
        c.ropeScaling.originalMaxPositionEmbeddings = 256;
    }
    if (spec.heads <= 0 || (spec.family == ModelFamily::Gpt2 && spec.hidden % spec.heads != 0))
        throw InvalidArgument(expectedFound("test model heads", "a positive divisor of hidden (" +
                                                                    std::to_string(spec.hidden) + ")",
                                            std::to_string(spec.heads)));
    try {
        nlohmann::json json = c.toJson();
        if (spec.headDim <= 0 && c.family != ModelFamily::Gpt2 && c.family != ModelFamily::Gemma2)
            json.erase("head_dim"); // hidden / heads, checked by the parser (gemma2's default is 256)
        return LlamaConfig::fromJson(json, "test model spec");
    } catch (const ConfigError& error) {
        throw InvalidArgument(error.what());
    }
}

Checkpoint makeTestCheckpoint(const TestModelSpec& spec)
{
    Checkpoint checkpoint;
    checkpoint.config = testModelConfig(spec);
    const LlamaConfig& config = checkpoint.config;
    const WeightScales scales = scalesFor(spec);
    const c10::ScalarType diskType = safetensorsScalarType(spec.diskDtype, "test model disk dtype");

    // gemma2 stores norm weights w for a scale of (1 + w): centred on 0 there, on 1 elsewhere.
    const double normMean = config.traits().norm == NormKind::RmsPlusOne ? 0.0 : 1.0;
    const bool conv1d = config.traits().layout == WeightLayout::Gpt2Conv1D;
    for (const auto& [name, shape] : expectedTensorShapes(config)) {
        at::Tensor tensor;
        const bool isNorm = name.find("norm") != std::string::npos || name.find(".ln_") != std::string::npos;
        if (isNorm && endsWith(name, ".weight")) {
            // gemma2's post-attention / post-feedforward norms set what a block adds to the residual
            // stream (its output has their scale), which the embedding, scaled by sqrt(H), would
            // otherwise outweigh: the residual gain goes there, doubled.
            const bool postNorm = config.traits().sandwichNorms &&
                                  (endsWith(name, "post_attention_layernorm.weight") ||
                                   endsWith(name, "post_feedforward_layernorm.weight"));
            const double mean = postNorm ? 2.0 * scales.residualGain - 1.0 : normMean;
            tensor = randomTensor(shape, mean, scales.normNoise, spec.seed, name); // [H]
        } else if (endsWith(name, ".bias")) {
            // Biases (qwen2's q/k/v, gpt2's everywhere, LayerNorm shifts): small but not negligible.
            tensor = randomTensor(shape, 0.0, isNorm ? scales.normNoise : 0.1, spec.seed, name);
        } else if (name == "model.embed_tokens.weight" || name == "lm_head.weight" || name == "transformer.wte.weight" ||
                   name == "transformer.wpe.weight") {
            // [V, H] (or gpt2's position table [P, H], of the same scale as the token rows)
            tensor = randomTensor(shape, 0.0, scales.logitStd / std::sqrt(double(config.hiddenSize)), spec.seed, name);
        } else {
            // Linear weights [out, in] (HF layout): fan-in is the last dimension; gpt2's Conv1D
            // stores [in, out], fan-in first.
            const double fanIn = static_cast<double>(conv1d ? shape.front() : shape.back());
            const bool writesResidual = endsWith(name, "o_proj.weight") || endsWith(name, "down_proj.weight") ||
                                        endsWith(name, "c_proj.weight");
            const double gain = writesResidual ? scales.residualGain : 1.0;
            tensor = randomTensor(shape, 0.0, gain / std::sqrt(fanIn), spec.seed, name);
        }
        checkpoint.tensors.emplace(name, tensor.to(diskType));
    }
    return checkpoint;
}

void writeTestModel(const std::filesystem::path& dir, const TestModelSpec& spec)
{
    const Checkpoint checkpoint = makeTestCheckpoint(spec);
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error)
        throw InvalidArgument(expectedFound(dir.string(), "a folder that can be created", error.message()));

    auto writeText = [](const std::filesystem::path& path, const std::string& text) {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        out.close();
        if (!out)
            throw InvalidArgument(expectedFound(path.string(), "a writable file", "a write error"));
    };
    writeText(dir / "config.json", checkpoint.config.toJson().dump(2) + "\n");
    writeSafetensors(dir / "model.safetensors", checkpoint.tensors, {{"format", "pt"}});
    writeText(dir / "tokenizer.json", testTokenizerJson());
}

} // namespace tempo
