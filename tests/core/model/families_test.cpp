// Every model family (llama, mistral, qwen2, phi3, gemma2, gpt2): a tiny random checkpoint written
// by the generator in the family's Hugging Face layout loads, and its forward matches an
// independent reference written here from transformers' modeling_<family>.py formulas: float64,
// one token at a time, no KV cache, reading the tensors by their Hugging Face names (fused
// tensors sliced and Conv1D weights used as [in, out] here, not by the model's loader). Then:
// incremental decode with the cache equals the full forward, sliding windows are measured in
// logical positions, and bad configs are refused naming what was expected and what was found.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/model/safetensorswriter.h"
#include "core/testmodel/testmodel.h"
#include "support/testsupport.h"

namespace tempo {
namespace {

using Mask = std::vector<std::vector<bool>>; // [n][n] true = may attend

// ---------------------------------------------------------------------------------------------
// Reference. Per family (transformers' modeling_<family>.py):
//   llama/mistral/qwen2/phi3: x = E[t]; per layer h += o(attn(rms(h))), h += down(silu(gate) * up)(rms(h));
//     qwen2 adds biases to q/k/v; phi3 reads q|k|v rows of qkv_proj and gate|up rows of gate_up_proj;
//     mistral/phi3 window every layer, qwen2 the layers from max_window_layers on.
//   gemma2: x = E[t] * sqrt(H); rms with (1 + w); h += post_attn_norm(attn); h += post_ffw_norm(mlp(pre_ffw_norm(h)));
//     GeGLU with gelu-tanh; scores * query_pre_attn_scalar^-1/2, cap * tanh(s / cap); window on even layers;
//     logits cap * tanh(l / cap).
//   gpt2: x = wte[t] + wpe[p]; LayerNorm with bias; c_attn [H, 3H] (Conv1D, x @ W + b) split q|k|v;
//     h += c_proj(attn(ln_1(h))); h += c_proj(gelu_tanh(c_fc(ln_2(h)))); logits = ln_f(h) @ wte^T.
//   Sliding window (transformers' sliding_window_overlay): row at position p sees q when p - q < window.
// ---------------------------------------------------------------------------------------------

class ReferenceModel {
public:
    ReferenceModel(const Checkpoint& checkpoint) : c_(checkpoint.config), tensors_(checkpoint.tensors) {}

    // logits [n, V] float64 for tokens at `positions` under `mask` (row i may see j when mask[i][j]).
    at::Tensor logits(const std::vector<int64_t>& tokens, const std::vector<int64_t>& positions, const Mask& mask,
                      bool applyWindow = true) const
    {
        const int64_t n = static_cast<int64_t>(tokens.size());
        const bool gpt2 = c_.family == ModelFamily::Gpt2, gemma = c_.family == ModelFamily::Gemma2;
        std::vector<at::Tensor> h(n);
        for (int64_t i = 0; i < n; ++i) {
            if (gpt2) {
                h[i] = w("transformer.wte.weight")[tokens[i]] + w("transformer.wpe.weight")[positions[i]];
            } else {
                h[i] = w("model.embed_tokens.weight")[tokens[i]].clone();
                if (gemma)
                    h[i] = h[i] * std::sqrt(double(c_.hiddenSize));
            }
        }
        for (int64_t l = 0; l < c_.numHiddenLayers; ++l) {
            const std::string p = gpt2 ? "transformer.h." + std::to_string(l) + "." : "model.layers." + std::to_string(l) + ".";
            std::vector<at::Tensor> q(n), k(n), v(n);
            for (int64_t i = 0; i < n; ++i) {
                const at::Tensor x = gpt2 ? layerNorm(h[i], p + "ln_1") : rms(h[i], p + "input_layernorm.weight");
                projectQkv(x, p, q[i], k[i], v[i]);
                if (!gpt2) {
                    q[i] = rope(q[i], c_.numAttentionHeads, positions[i]);
                    k[i] = rope(k[i], c_.numKeyValueHeads, positions[i]);
                }
            }
            const bool windowed = applyWindow && slides(l);
            for (int64_t i = 0; i < n; ++i) {
                at::Tensor context = at::zeros({c_.numAttentionHeads * c_.headDim}, at::kDouble);
                for (int64_t head = 0; head < c_.numAttentionHeads; ++head) {
                    const int64_t kvHead = head / (c_.numAttentionHeads / c_.numKeyValueHeads);
                    const at::Tensor qh = q[i].narrow(0, head * c_.headDim, c_.headDim);
                    std::vector<double> scores(n, -std::numeric_limits<double>::infinity());
                    double best = -std::numeric_limits<double>::infinity();
                    for (int64_t j = 0; j < n; ++j) {
                        if (!mask[i][j] || (windowed && positions[i] - positions[j] >= c_.slidingWindow))
                            continue;
                        double s = (qh * k[j].narrow(0, kvHead * c_.headDim, c_.headDim)).sum().item<double>() * scale();
                        if (gemma && c_.attnLogitSoftcap > 0)
                            s = c_.attnLogitSoftcap * std::tanh(s / c_.attnLogitSoftcap);
                        scores[j] = s;
                        best = std::max(best, s);
                    }
                    double sum = 0;
                    for (double& s : scores)
                        sum += (s = std::exp(s - best));
                    for (int64_t j = 0; j < n; ++j)
                        if (scores[j] > 0)
                            context.narrow(0, head * c_.headDim, c_.headDim) +=
                                (scores[j] / sum) * v[j].narrow(0, kvHead * c_.headDim, c_.headDim);
                }
                at::Tensor attended = gpt2 ? conv1d(context, p + "attn.c_proj") : linear(context, p + "self_attn.o_proj.weight");
                if (gemma)
                    attended = rms(attended, p + "post_attention_layernorm.weight");
                h[i] = h[i] + attended;
            }
            for (int64_t i = 0; i < n; ++i)
                h[i] = h[i] + mlp(h[i], p);
        }
        at::Tensor out = at::empty({n, c_.vocabSize}, at::kDouble);
        for (int64_t i = 0; i < n; ++i) {
            const at::Tensor x = gpt2 ? layerNorm(h[i], "transformer.ln_f") : rms(h[i], "model.norm.weight");
            const std::string head = !c_.tieWordEmbeddings ? "lm_head.weight"
                                     : gpt2                ? "transformer.wte.weight"
                                                           : "model.embed_tokens.weight";
            at::Tensor row = at::mv(w(head), x);
            if (gemma && c_.finalLogitSoftcap > 0)
                row = at::tanh(row / c_.finalLogitSoftcap) * c_.finalLogitSoftcap;
            out[i] = row;
        }
        return out;
    }

private:
    at::Tensor w(const std::string& name) const { return tensors_.at(name).to(at::kDouble); }

    bool slides(int64_t layer) const
    {
        if (c_.slidingWindow <= 0)
            return false;
        switch (c_.family) {
        case ModelFamily::Mistral:
        case ModelFamily::Phi3: return true;
        case ModelFamily::Qwen2: return layer >= 1; // the generator's max_window_layers
        case ModelFamily::Gemma2: return layer % 2 == 0;
        default: return false;
        }
    }

    double scale() const
    {
        return c_.family == ModelFamily::Gemma2 ? 1.0 / std::sqrt(c_.queryPreAttnScalar) : 1.0 / std::sqrt(double(c_.headDim));
    }

    at::Tensor linear(const at::Tensor& x, const std::string& name) const { return at::mv(w(name), x); }
    at::Tensor conv1d(const at::Tensor& x, const std::string& base) const // Conv1D: x @ W[in, out] + b
    {
        return at::mv(w(base + ".weight").t(), x) + w(base + ".bias");
    }

    void projectQkv(const at::Tensor& x, const std::string& p, at::Tensor& q, at::Tensor& k, at::Tensor& v) const
    {
        const int64_t qw = c_.numAttentionHeads * c_.headDim, kw = c_.numKeyValueHeads * c_.headDim;
        if (c_.family == ModelFamily::Gpt2) {
            const at::Tensor all = conv1d(x, p + "attn.c_attn");
            q = all.narrow(0, 0, qw), k = all.narrow(0, qw, kw), v = all.narrow(0, qw + kw, kw);
        } else if (c_.family == ModelFamily::Phi3) {
            const at::Tensor all = linear(x, p + "self_attn.qkv_proj.weight");
            q = all.narrow(0, 0, qw), k = all.narrow(0, qw, kw), v = all.narrow(0, qw + kw, kw);
        } else {
            q = linear(x, p + "self_attn.q_proj.weight");
            k = linear(x, p + "self_attn.k_proj.weight");
            v = linear(x, p + "self_attn.v_proj.weight");
            if (c_.family == ModelFamily::Qwen2) {
                q = q + w(p + "self_attn.q_proj.bias");
                k = k + w(p + "self_attn.k_proj.bias");
                v = v + w(p + "self_attn.v_proj.bias");
            }
        }
    }

    at::Tensor mlp(const at::Tensor& hidden, const std::string& p) const
    {
        switch (c_.family) {
        case ModelFamily::Gpt2:
            return conv1d(geluTanh(conv1d(layerNorm(hidden, p + "ln_2"), p + "mlp.c_fc")), p + "mlp.c_proj");
        case ModelFamily::Gemma2: {
            const at::Tensor x = rms(hidden, p + "pre_feedforward_layernorm.weight");
            const at::Tensor inner = geluTanh(linear(x, p + "mlp.gate_proj.weight")) * linear(x, p + "mlp.up_proj.weight");
            return rms(linear(inner, p + "mlp.down_proj.weight"), p + "post_feedforward_layernorm.weight");
        }
        case ModelFamily::Phi3: {
            const at::Tensor both = linear(rms(hidden, p + "post_attention_layernorm.weight"), p + "mlp.gate_up_proj.weight");
            const at::Tensor gate = both.narrow(0, 0, c_.intermediateSize), up = both.narrow(0, c_.intermediateSize, c_.intermediateSize);
            return linear(silu(gate) * up, p + "mlp.down_proj.weight");
        }
        default: {
            const at::Tensor x = rms(hidden, p + "post_attention_layernorm.weight");
            return linear(silu(linear(x, p + "mlp.gate_proj.weight")) * linear(x, p + "mlp.up_proj.weight"),
                          p + "mlp.down_proj.weight");
        }
        }
    }

    static at::Tensor silu(const at::Tensor& a) { return a / (1.0 + at::exp(-a)); }
    static at::Tensor geluTanh(const at::Tensor& a)
    {
        return 0.5 * a * (1.0 + at::tanh(std::sqrt(2.0 / M_PI) * (a + 0.044715 * a * a * a)));
    }

    at::Tensor rms(const at::Tensor& x, const std::string& weight) const
    {
        const double inv = 1.0 / std::sqrt((x * x).mean().item<double>() + c_.rmsNormEps);
        const at::Tensor scale = c_.family == ModelFamily::Gemma2 ? 1.0 + w(weight) : w(weight);
        return scale * x * inv;
    }
    at::Tensor layerNorm(const at::Tensor& x, const std::string& base) const
    {
        const double mean = x.mean().item<double>();
        const double variance = ((x - mean) * (x - mean)).mean().item<double>();
        return (x - mean) / std::sqrt(variance + c_.rmsNormEps) * w(base + ".weight") + w(base + ".bias");
    }

    // Rotate-half RoPE of every head of x [heads * D] by `position`, inverse frequency theta^(-2j/D).
    at::Tensor rope(const at::Tensor& x, int64_t heads, int64_t position) const
    {
        at::Tensor out = x.clone();
        const int64_t d = c_.headDim, half = d / 2;
        for (int64_t head = 0; head < heads; ++head)
            for (int64_t j = 0; j < half; ++j) {
                const double angle = double(position) * std::pow(c_.ropeTheta, -2.0 * double(j) / double(d));
                const double a = x[head * d + j].item<double>(), b = x[head * d + j + half].item<double>();
                out[head * d + j] = a * std::cos(angle) - b * std::sin(angle);
                out[head * d + j + half] = b * std::cos(angle) + a * std::sin(angle);
            }
        return out;
    }

    LlamaConfig c_;
    std::map<std::string, at::Tensor> tensors_;
};

Mask causal(int64_t n)
{
    Mask m(n, std::vector<bool>(n, false));
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j <= i; ++j)
            m[i][j] = true;
    return m;
}

at::Tensor toMask(const Mask& m)
{
    const int64_t n = static_cast<int64_t>(m.size());
    at::Tensor t = at::zeros({n, n}, at::kBool);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j)
            t[i][j] = bool(m[i][j]);
    return t;
}

double maxDiff(const at::Tensor& a, const at::Tensor& b)
{
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

// Small enough windows that a 14-token sequence crosses them.
constexpr int64_t kWindow = 5;

TestModelSpec familySpec(ModelFamily family)
{
    TestModelSpec spec;
    spec.family = family;
    spec.seed = 7;
    spec.tied = family == ModelFamily::Gemma2 || family == ModelFamily::Gpt2 || family == ModelFamily::Qwen2;
    spec.slidingWindow = familyTraits(family).slidingWindowAllowed ? kWindow : 0;
    if (family == ModelFamily::Gemma2)
        spec.headDim = 32; // other than hidden / heads, as gemma2's own head_dim
    return spec;
}

const std::vector<int64_t> kTokens = {510, 84, 104, 101, 32, 99, 97, 116, 32, 115, 97, 116, 46, 10};

class Families : public ::testing::TestWithParam<ModelFamily> {};

TEST_P(Families, WrittenCheckpointLoadsAndMatchesTheReference)
{
    const ModelFamily family = GetParam();
    test::TempDir dir;
    writeTestModel(dir.path(), familySpec(family));
    const nlohmann::json written = nlohmann::json::parse(test::readFileBytes(dir / "config.json"));
    EXPECT_EQ(written["model_type"], familyName(family));
    EXPECT_EQ(written["architectures"][0], familyTraits(family).architecture);

    const Checkpoint checkpoint = loadCheckpoint(dir.path());
    ASSERT_EQ(checkpoint.config.family, family);
    const LlamaModel model(checkpoint, ComputeOptions{});
    const int64_t n = static_cast<int64_t>(kTokens.size());
    std::vector<int64_t> positions(n);
    for (int64_t i = 0; i < n; ++i)
        positions[i] = i;
    KVCache cache = model.makeCache(64);
    const ForwardOutputs out = model.forward({at::tensor(kTokens, at::kLong), at::tensor(positions, at::kLong),
                                              toMask(causal(n))}, cache);
    const ReferenceModel reference(checkpoint);
    const at::Tensor expected = reference.logits(kTokens, positions, causal(n));
    const double diff = maxDiff(out.logits, expected);
    std::printf("%s: forward vs reference max |diff| %.3e (logit scale %.3f)\n", familyName(family).c_str(), diff,
                expected.abs().max().item<double>());
    EXPECT_LT(diff, 1e-4);
    if (checkpoint.config.slidingWindow > 0) {
        // The window must matter on this sequence, else the comparison above would not test it.
        const double windowEffect = maxDiff(expected, reference.logits(kTokens, positions, causal(n), false));
        std::printf("  the sliding window of %lld changes the reference logits by %.3e\n",
                    static_cast<long long>(kWindow), windowEffect);
        EXPECT_GT(windowEffect, 1e-2);
    }
}

TEST_P(Families, IncrementalDecodeWithTheCacheEqualsTheFullForward)
{
    const Checkpoint checkpoint = makeTestCheckpoint(familySpec(GetParam()));
    const LlamaModel model(checkpoint, ComputeOptions{});
    const int64_t n = static_cast<int64_t>(kTokens.size());
    KVCache full = model.makeCache(64);
    const at::Tensor all = model.forward({at::tensor(kTokens, at::kLong), at::arange(n, at::kLong), toMask(causal(n))}, full)
                               .logits; // [n, V]
    KVCache cache = model.makeCache(64);
    const int64_t prefill = 4;
    const std::vector<int64_t> head(kTokens.begin(), kTokens.begin() + prefill);
    const at::Tensor first =
        model.forward({at::tensor(head, at::kLong), at::arange(prefill, at::kLong), toMask(causal(prefill))}, cache).logits;
    double worst = maxDiff(first, all.narrow(0, 0, prefill));
    for (int64_t i = prefill; i < n; ++i) {
        const at::Tensor row = model.forward({at::tensor(std::vector<int64_t>{kTokens[i]}, at::kLong),
                                              at::tensor(std::vector<int64_t>{i}, at::kLong),
                                              at::ones({1, i + 1}, at::kBool)},
                                             cache)
                                   .logits;
        worst = std::max(worst, maxDiff(row, all.narrow(0, i, 1)));
    }
    std::printf("%s: incremental vs full max |diff| %.3e\n", familyName(GetParam()).c_str(), worst);
    EXPECT_LT(worst, 1e-5);
}

// TEMPO's layout: a prompt, then sets of 3 members sharing one logical position, each member seeing
// the prompt, earlier sets and itself (isolated). Sliding windows count logical positions, so a
// member sees as far back as a single token at its position would, however many slots sets used.
TEST_P(Families, SharedLogicalPositionsAndWindowsMatchTheReference)
{
    const Checkpoint checkpoint = makeTestCheckpoint(familySpec(GetParam()));
    const LlamaModel model(checkpoint, ComputeOptions{});
    const std::vector<int64_t> tokens = {510, 84, 104, 101, 32, 99, 97, 116, 32, 115, 97, 116, 46, 10, 65, 66};
    const std::vector<int64_t> positions = {0, 1, 2, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7};
    const std::vector<int64_t> setOf = {-1, -1, -1, -1, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3};
    const int64_t n = static_cast<int64_t>(tokens.size());
    Mask mask(n, std::vector<bool>(n, false));
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j <= i; ++j)
            mask[i][j] = j == i || setOf[j] < 0 || setOf[j] < setOf[i];
    KVCache cache = model.makeCache(64);
    const ForwardOutputs out = model.forward({at::tensor(tokens, at::kLong), at::tensor(positions, at::kLong), toMask(mask)},
                                             cache, ForwardCapture{true, false, -1});
    const ReferenceModel reference(checkpoint);
    const double diff = maxDiff(out.logits, reference.logits(tokens, positions, mask));
    std::printf("%s: shared positions vs reference max |diff| %.3e\n", familyName(GetParam()).c_str(), diff);
    EXPECT_LT(diff, 1e-4);
    // Members of one set received one position: their rows differ only by their own token.
    const at::Tensor used = out.positionIdsUsed;
    EXPECT_EQ(used[4].item<int64_t>(), 4);
    EXPECT_EQ(used[6].item<int64_t>(), 4);
    if (out.positionEmbeddings.defined()) {
        EXPECT_TRUE(at::equal(out.positionEmbeddings[4], out.positionEmbeddings[6]));
        EXPECT_TRUE(at::equal(out.positionEmbeddings[4], model.positionEmbeddingRows({4})[0]));
        EXPECT_FALSE(at::equal(out.positionEmbeddings[4], out.positionEmbeddings[7]));
    }
    // A sliding layer gives exactly zero attention to slots at logical distance >= window.
    const LlamaConfig& c = checkpoint.config;
    for (int64_t l = 0; l < c.numHiddenLayers; ++l) {
        if (!c.isSlidingLayer(l))
            continue;
        const at::Tensor a = out.attention[l]; // [Hq, n, n]
        const int64_t last = n - 1;            // position 7: slots at positions <= 2 are outside a window of 5
        EXPECT_EQ(a.select(1, last).narrow(1, 0, 3).abs().max().item<double>(), 0.0) << "layer " << l;
        EXPECT_GT(a.select(1, last).narrow(1, 3, 1).min().item<double>(), 0.0) << "layer " << l;
    }
}

// gemma2's soft-capping at strong settings (the generator writes transformers' defaults, 50 and 30,
// which barely touch a tiny model's scores): model and reference still agree, and the caps matter.
TEST(FamilyForward, Gemma2SoftCappingMatchesTheReferenceWhereItBites)
{
    Checkpoint checkpoint = makeTestCheckpoint(familySpec(ModelFamily::Gemma2));
    const int64_t n = static_cast<int64_t>(kTokens.size());
    std::vector<int64_t> positions(n);
    for (int64_t i = 0; i < n; ++i)
        positions[i] = i;
    const at::Tensor uncapped = [&] {
        Checkpoint plain = checkpoint;
        plain.config.attnLogitSoftcap = 0.0;
        plain.config.finalLogitSoftcap = 0.0;
        return ReferenceModel(plain).logits(kTokens, positions, causal(n));
    }();
    checkpoint.config.attnLogitSoftcap = 1.5;
    checkpoint.config.finalLogitSoftcap = 2.0;
    const LlamaModel model(checkpoint, ComputeOptions{});
    KVCache cache = model.makeCache(64);
    const at::Tensor logits =
        model.forward({at::tensor(kTokens, at::kLong), at::tensor(positions, at::kLong), toMask(causal(n))}, cache).logits;
    const at::Tensor expected = ReferenceModel(checkpoint).logits(kTokens, positions, causal(n));
    const double diff = maxDiff(logits, expected), effect = maxDiff(expected, uncapped);
    std::printf("gemma2 capped at 1.5 / 2.0: forward vs reference %.3e, caps change logits by %.3e\n", diff, effect);
    EXPECT_LT(diff, 1e-4);
    EXPECT_GT(effect, 0.5);
    EXPECT_LE(logits.abs().max().item<double>(), 2.0);
}

// Llama's linear rope scaling (transformers' _compute_linear_scaling_rope_parameters): every inverse
// frequency divided by the factor.
TEST(FamilyConfig, LinearRopeScalingDividesEveryFrequency)
{
    nlohmann::json config = testModelConfig(familySpec(ModelFamily::Llama)).toJson();
    config["rope_scaling"] = {{"type", "linear"}, {"factor", 4.0}};
    const LlamaConfig parsed = LlamaConfig::fromJson(config);
    ASSERT_EQ(parsed.ropeScaling.type, RopeScaling::Type::Linear);
    const at::Tensor inverse = ropeInverseFrequencies(parsed); // [D/2]
    double worst = 0;
    for (int64_t j = 0; j < parsed.headDim / 2; ++j) {
        const double expected = std::pow(parsed.ropeTheta, -2.0 * double(j) / double(parsed.headDim)) / 4.0;
        worst = std::max(worst, std::abs(inverse[j].item<double>() - expected) / expected);
    }
    EXPECT_LT(worst, 1e-6); // float32 frequencies, as transformers computes them
    EXPECT_EQ(LlamaConfig::fromJson(parsed.toJson()).ropeScaling.type, RopeScaling::Type::Linear);
    EXPECT_THROW(ropeInverseFrequencies(testModelConfig(familySpec(ModelFamily::Gpt2))), InvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(AllFamilies, Families,
                         ::testing::Values(ModelFamily::Llama, ModelFamily::Mistral, ModelFamily::Qwen2, ModelFamily::Phi3,
                                           ModelFamily::Gemma2, ModelFamily::Gpt2),
                         [](const ::testing::TestParamInfo<ModelFamily>& info) { return familyName(info.param); });

// ---------------------------------------------------------------------------------------------
// Bad configs.
// ---------------------------------------------------------------------------------------------

std::string configErrorOf(const nlohmann::json& config)
{
    try {
        LlamaConfig::fromJson(config);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "";
}

void expectWords(const std::string& message, const std::vector<std::string>& words)
{
    ASSERT_FALSE(message.empty()) << "accepted";
    for (const std::string& word : words)
        EXPECT_NE(message.find(word), std::string::npos) << "'" << word << "' not in: " << message;
}

TEST(FamilyConfig, UnknownArchitecturesAreRefusedNamingTheSupportedOnes)
{
    nlohmann::json config = testModelConfig(familySpec(ModelFamily::Mistral)).toJson();
    config["model_type"] = "falcon";
    config["architectures"] = {"FalconForCausalLM"};
    expectWords(configErrorOf(config), {"unsupported architecture \"falcon\"", "supported: llama (LlamaForCausalLM)",
                                        "mistral", "qwen2", "phi3", "gemma2", "gpt2 (GPT2LMHeadModel)", "found \"falcon\""});
    config.erase("model_type");
    expectWords(configErrorOf(config), {"unsupported architecture [\"FalconForCausalLM\"]", "supported:"});
    config.erase("architectures");
    expectWords(configErrorOf(config), {"'model_type'", "neither model_type nor architectures"});
    // model_type and architectures must agree.
    config = testModelConfig(familySpec(ModelFamily::Qwen2)).toJson();
    config["architectures"] = {"LlamaForCausalLM"};
    expectWords(configErrorOf(config), {"'architectures'", "\"Qwen2ForCausalLM\" (model_type \"qwen2\")", "LlamaForCausalLM"});
    // architectures alone picks the family.
    config.erase("model_type");
    config["architectures"] = {"Qwen2ForCausalLM"};
    EXPECT_EQ(LlamaConfig::fromJson(config).family, ModelFamily::Qwen2);
}

TEST(FamilyConfig, MissingAndWrongKeysNameExpectedAndFound)
{
    struct Case {
        ModelFamily family;
        const char* key;
        nlohmann::json value; // null: erase the key
        std::vector<std::string> words;
    };
    const std::vector<Case> cases = {
        {ModelFamily::Gpt2, "n_embd", nullptr, {"'n_embd'", "an integer", "no such key"}},
        {ModelFamily::Gpt2, "n_head", 5, {"'n_embd'", "a multiple of n_head (5)", "found 64"}},
        {ModelFamily::Gpt2, "activation_function", "relu", {"'activation_function'", "\"gelu_new\"", "found the string \"relu\""}},
        {ModelFamily::Gpt2, "scale_attn_by_inverse_layer_idx", true, {"'scale_attn_by_inverse_layer_idx'", "false", "found true"}},
        {ModelFamily::Mistral, "hidden_size", nullptr, {"'hidden_size'", "no such key"}},
        {ModelFamily::Mistral, "sliding_window", -3, {"'sliding_window'", "positive", "found -3"}},
        {ModelFamily::Qwen2, "num_hidden_layers", nullptr, {"'num_hidden_layers'", "no such key"}},
        {ModelFamily::Phi3, "partial_rotary_factor", 0.5, {"'partial_rotary_factor'", "1.0", "found 0.5"}},
        {ModelFamily::Phi3, "rope_scaling", {{"type", "longrope"}}, {"rope_type", "found \"longrope\""}},
        {ModelFamily::Gemma2, "hidden_activation", "gelu", {"'hidden_activation'", "\"gelu_pytorch_tanh\"", "found the string \"gelu\""}},
        {ModelFamily::Gemma2, "query_pre_attn_scalar", 0, {"'query_pre_attn_scalar'", "positive", "found 0"}},
        {ModelFamily::Gemma2, "layer_types", {"full_attention"}, {"'layer_types'", "a list of 2 entries", "found a list"}},
        {ModelFamily::Llama, "sliding_window", 8, {"'sliding_window'", "absent or null for llama", "found 8"}},
    };
    for (const Case& c : cases) {
        nlohmann::json config = testModelConfig(familySpec(c.family)).toJson();
        if (c.value.is_null())
            config.erase(c.key);
        else
            config[c.key] = c.value;
        SCOPED_TRACE(familyName(c.family) + ": " + c.key + " = " + c.value.dump());
        expectWords(configErrorOf(config), c.words);
    }
}

TEST(FamilyConfig, FamilyDefaultsFollowTransformers)
{
    // Mistral without sliding_window: MistralConfig's 4096; with null: no window.
    nlohmann::json config = testModelConfig(familySpec(ModelFamily::Mistral)).toJson();
    config.erase("sliding_window");
    config.erase("layer_types");
    EXPECT_EQ(LlamaConfig::fromJson(config).slidingWindow, 4096);
    config["sliding_window"] = nullptr;
    EXPECT_EQ(LlamaConfig::fromJson(config).slidingWindow, 0);
    // Qwen2: the window applies only with use_sliding_window, from max_window_layers on.
    config = testModelConfig(familySpec(ModelFamily::Qwen2)).toJson();
    config.erase("layer_types");
    config["use_sliding_window"] = false;
    EXPECT_FALSE(LlamaConfig::fromJson(config).isSlidingLayer(1));
    config["use_sliding_window"] = true;
    config["max_window_layers"] = 1;
    const LlamaConfig qwen = LlamaConfig::fromJson(config);
    EXPECT_FALSE(qwen.isSlidingLayer(0));
    EXPECT_TRUE(qwen.isSlidingLayer(1));
    // Gemma2: head_dim 256, soft-capping 50 / 30, even layers slide, head tied.
    config = testModelConfig(familySpec(ModelFamily::Gemma2)).toJson();
    for (const char* key : {"head_dim", "attn_logit_softcapping", "final_logit_softcapping", "layer_types", "tie_word_embeddings"})
        config.erase(key);
    const LlamaConfig gemma = LlamaConfig::fromJson(config);
    EXPECT_EQ(gemma.headDim, 256);
    EXPECT_EQ(gemma.attnLogitSoftcap, 50.0);
    EXPECT_EQ(gemma.finalLogitSoftcap, 30.0);
    EXPECT_TRUE(gemma.isSlidingLayer(0));
    EXPECT_FALSE(gemma.isSlidingLayer(1));
    EXPECT_TRUE(gemma.tieWordEmbeddings);
    // gpt2: n_inner null -> 4 * n_embd, n_positions 1024, tied.
    config = testModelConfig(familySpec(ModelFamily::Gpt2)).toJson();
    config["n_inner"] = nullptr;
    for (const char* key : {"n_positions", "tie_word_embeddings"})
        config.erase(key);
    const LlamaConfig gpt2 = LlamaConfig::fromJson(config);
    EXPECT_EQ(gpt2.intermediateSize, 4 * 64);
    EXPECT_EQ(gpt2.maxPositionEmbeddings, 1024);
    EXPECT_TRUE(gpt2.tieWordEmbeddings);
    EXPECT_FALSE(gpt2.usesRope());
}

TEST(FamilyCheckpoint, Gpt2NamesWithoutTheTransformerPrefixAndMaskBuffersLoad)
{
    // openai-community/gpt2's own file names tensors "h.0.attn.c_attn.weight", "wte.weight", ...
    // and carries attn.bias mask buffers.
    test::TempDir dir;
    const TestModelSpec spec = familySpec(ModelFamily::Gpt2);
    writeTestModel(dir.path(), spec);
    Checkpoint written = makeTestCheckpoint(spec);
    std::map<std::string, at::Tensor> renamed;
    for (const auto& [name, tensor] : written.tensors)
        renamed.emplace(name.substr(std::string("transformer.").size()), tensor);
    renamed.emplace("h.0.attn.bias", at::ones({1, 1, 4, 4}));
    writeSafetensors(dir / "model.safetensors", renamed, {{"format", "pt"}});
    const Checkpoint loaded = loadCheckpoint(dir.path());
    EXPECT_TRUE(loaded.tensors.count("transformer.h.0.attn.c_attn.weight"));
    EXPECT_FALSE(loaded.tensors.count("transformer.h.0.attn.bias"));

    // A tensor of the wrong shape names the tensor, the shape expected and the one found.
    renamed.erase("h.0.attn.bias");
    renamed["h.1.mlp.c_fc.weight"] = at::zeros({128, 64}); // nn.Linear's [out, in] instead of Conv1D's [in, out]
    writeSafetensors(dir / "model.safetensors", renamed, {{"format", "pt"}});
    try {
        loadCheckpoint(dir.path());
        FAIL() << "accepted";
    } catch (const CheckpointError& error) {
        expectWords(error.what(), {"transformer.h.1.mlp.c_fc.weight", "expected shape [64, 128]", "found [128, 64]"});
    }
}

TEST(FamilyCheckpoint, PositionsOutsideALearnedTableAreRefused)
{
    const Checkpoint checkpoint = makeTestCheckpoint(familySpec(ModelFamily::Gpt2));
    const LlamaModel model(checkpoint, ComputeOptions{});
    KVCache cache = model.makeCache(4);
    try {
        model.forward({at::tensor(std::vector<int64_t>{1}, at::kLong), at::tensor(std::vector<int64_t>{2048}, at::kLong),
                       at::ones({1, 1}, at::kBool)},
                      cache);
        FAIL() << "accepted";
    } catch (const InvalidArgument& error) {
        expectWords(error.what(), {"position ids", "0..2047", "found position 2048"});
    }
}

} // namespace
} // namespace tempo
