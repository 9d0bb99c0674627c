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
    nlohmann::json json = {
        {"architectures", {"LlamaForCausalLM"}},
        {"model_type", "llama"},
        {"hidden_size", spec.hidden},
        {"intermediate_size", spec.intermediate},
        {"num_hidden_layers", spec.layers},
        {"num_attention_heads", spec.heads},
        {"num_key_value_heads", spec.kvHeads},
        {"vocab_size", kTestVocabSize},
        {"max_position_embeddings", 2048},
        {"rms_norm_eps", 1e-5},
        {"rope_theta", spec.ropeTheta},
        {"tie_word_embeddings", spec.tied},
        {"bos_token_id", kTestBeginOfTextId},
        {"eos_token_id", kTestEndOfTextId},
        {"torch_dtype", torchDtypeName(spec.diskDtype)},
    };
    if (spec.headDim > 0)
        json["head_dim"] = spec.headDim;
    if (spec.llama3RopeScaling) {
        // A small original context so that, for the test models' short head_dim, some frequencies
        // are kept, some interpolated and some scaled (all three branches of llama3 scaling).
        json["rope_scaling"] = {{"rope_type", "llama3"},
                                {"factor", 8.0},
                                {"low_freq_factor", 1.0},
                                {"high_freq_factor", 4.0},
                                {"original_max_position_embeddings", 256}};
    }
    try {
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

    for (const auto& [name, shape] : expectedTensorShapes(config)) {
        at::Tensor tensor;
        if (endsWith(name, "norm.weight") || endsWith(name, "layernorm.weight")) {
            tensor = randomTensor(shape, 1.0, scales.normNoise, spec.seed, name); // [H]
        } else if (name == "model.embed_tokens.weight" || name == "lm_head.weight") {
            // [V, H]
            tensor = randomTensor(shape, 0.0, scales.logitStd / std::sqrt(double(config.hiddenSize)), spec.seed, name);
        } else {
            // Linear weights [out, in] (HF layout): fan-in is the last dimension.
            const double fanIn = static_cast<double>(shape.back());
            const bool writesResidual = endsWith(name, "o_proj.weight") || endsWith(name, "down_proj.weight");
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
