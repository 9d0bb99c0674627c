// LlamaModel::forward against an independent naive reference written here from the Hugging Face
// formulas (float64, explicit loops for RoPE, attention and RMSNorm; no code shared with
// llamamodel.cpp or rope.cpp), plus the properties TEMPO relies on: cache == no cache, RoPE is
// relative, masked slots get exactly zero attention, truncate rollback, precision options.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "core/common/errors.h"
#include "core/model/llamamodel.h"
#include "core/testmodel/testmodel.h"

namespace tempo {
namespace {

using Mask = std::vector<std::vector<bool>>; // [n][n] true = may attend

// ---------------------------------------------------------------------------------------------
// Naive reference (float64). Formulas from transformers' modeling_llama.py:
//   RMSNorm(x) = w * x / sqrt(mean(x^2) + eps)
//   inv_freq_j = theta^(-2j/D), llama3: keep if 2pi/inv < orig/high, inv/factor if 2pi/inv > orig/low,
//                else (1-s) inv/factor + s inv with s = (orig/wavelen - low)/(high - low)
//   RoPE rotate-half: out_j = x_j cos(p f_j) - x_{j+D/2} sin(p f_j), out_{j+D/2} = x_{j+D/2} cos + x_j sin
//   attention: softmax_t(q.k_t / sqrt(D), masked -> -inf) . v, query head h uses kv head h / (Hq/Hkv)
//   MLP: down(silu(gate x) * up x), silu(a) = a / (1 + e^-a)
// ---------------------------------------------------------------------------------------------

struct Reference {
    at::Tensor logits;    // [n, V] float64
    at::Tensor attention; // [L, Hq, n, n] float64
};

std::vector<double> referenceInverseFrequencies(const LlamaConfig& c)
{
    std::vector<double> inv;
    for (int64_t j = 0; j < c.headDim / 2; ++j) {
        double f = 1.0 / std::pow(c.ropeTheta, 2.0 * j / double(c.headDim));
        if (c.ropeScaling.type == RopeScaling::Type::Llama3) {
            const RopeScaling& s = c.ropeScaling;
            const double orig = double(s.originalMaxPositionEmbeddings);
            const double wavelen = 2.0 * M_PI / f;
            if (wavelen > orig / s.lowFreqFactor) {
                f = f / s.factor;
            } else if (wavelen >= orig / s.highFreqFactor) {
                const double smooth = (orig / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
                f = (1.0 - smooth) * f / s.factor + smooth * f;
            }
        }
        inv.push_back(f);
    }
    return inv;
}

at::Tensor refRmsNorm(const at::Tensor& x, const at::Tensor& w, double eps) // [n, H]
{
    at::Tensor out = at::empty_like(x);
    auto xa = x.accessor<double, 2>();
    auto wa = w.accessor<double, 1>();
    auto oa = out.accessor<double, 2>();
    for (int64_t i = 0; i < x.size(0); ++i) {
        double sum = 0;
        for (int64_t j = 0; j < x.size(1); ++j)
            sum += xa[i][j] * xa[i][j];
        const double inv = 1.0 / std::sqrt(sum / double(x.size(1)) + eps);
        for (int64_t j = 0; j < x.size(1); ++j)
            oa[i][j] = wa[j] * xa[i][j] * inv;
    }
    return out;
}

// x [n, heads*D] -> rotated copy, head by head.
at::Tensor refRope(const at::Tensor& x, int64_t heads, int64_t D, const std::vector<int64_t>& positions,
                   const std::vector<double>& inv)
{
    at::Tensor out = x.clone();
    auto xa = x.accessor<double, 2>();
    auto oa = out.accessor<double, 2>();
    const int64_t half = D / 2;
    for (int64_t i = 0; i < x.size(0); ++i)
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t j = 0; j < half; ++j) {
                const double angle = double(positions[size_t(i)]) * inv[size_t(j)];
                const double a = xa[i][h * D + j], b = xa[i][h * D + j + half];
                oa[i][h * D + j] = a * std::cos(angle) - b * std::sin(angle);
                oa[i][h * D + j + half] = b * std::cos(angle) + a * std::sin(angle);
            }
    return out;
}

Reference referenceForward(const Checkpoint& ck, const std::vector<int64_t>& ids, const std::vector<int64_t>& positions,
                           const Mask& mask)
{
    const LlamaConfig& c = ck.config;
    const auto W = [&](const std::string& name) { return ck.tensors.at(name).to(at::kDouble); };
    const int64_t n = int64_t(ids.size()), D = c.headDim, Hq = c.numAttentionHeads, Hkv = c.numKeyValueHeads;
    const std::vector<double> inv = referenceInverseFrequencies(c);
    const at::Tensor embed = W("model.embed_tokens.weight");
    at::Tensor x = at::empty({n, c.hiddenSize}, at::kDouble);
    for (int64_t i = 0; i < n; ++i)
        x[i].copy_(embed[ids[size_t(i)]]);
    at::Tensor attention = at::zeros({c.numHiddenLayers, Hq, n, n}, at::kDouble);
    for (int64_t l = 0; l < c.numHiddenLayers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        const at::Tensor h = refRmsNorm(x, W(p + "input_layernorm.weight"), c.rmsNormEps);
        const at::Tensor q = refRope(at::mm(h, W(p + "self_attn.q_proj.weight").t()), Hq, D, positions, inv);
        const at::Tensor k = refRope(at::mm(h, W(p + "self_attn.k_proj.weight").t()), Hkv, D, positions, inv);
        const at::Tensor v = at::mm(h, W(p + "self_attn.v_proj.weight").t());
        at::Tensor context = at::zeros({n, Hq * D}, at::kDouble);
        auto qa = q.accessor<double, 2>();
        auto ka = k.accessor<double, 2>();
        auto va = v.accessor<double, 2>();
        auto ca = context.accessor<double, 2>();
        auto aa = attention.accessor<double, 4>();
        for (int64_t head = 0; head < Hq; ++head) {
            const int64_t kvHead = head / (Hq / Hkv);
            for (int64_t i = 0; i < n; ++i) {
                std::vector<double> score(size_t(n), -std::numeric_limits<double>::infinity());
                double best = -std::numeric_limits<double>::infinity();
                for (int64_t t = 0; t < n; ++t) {
                    if (!mask[size_t(i)][size_t(t)])
                        continue;
                    double dot = 0;
                    for (int64_t d = 0; d < D; ++d)
                        dot += qa[i][head * D + d] * ka[t][kvHead * D + d];
                    score[size_t(t)] = dot / std::sqrt(double(D));
                    best = std::max(best, score[size_t(t)]);
                }
                double sum = 0;
                for (int64_t t = 0; t < n; ++t)
                    sum += mask[size_t(i)][size_t(t)] ? std::exp(score[size_t(t)] - best) : 0.0;
                for (int64_t t = 0; t < n; ++t) {
                    const double prob = mask[size_t(i)][size_t(t)] ? std::exp(score[size_t(t)] - best) / sum : 0.0;
                    aa[l][head][i][t] = prob;
                    for (int64_t d = 0; d < D; ++d)
                        ca[i][head * D + d] += prob * va[t][kvHead * D + d];
                }
            }
        }
        x = x + at::mm(context, W(p + "self_attn.o_proj.weight").t());
        const at::Tensor h2 = refRmsNorm(x, W(p + "post_attention_layernorm.weight"), c.rmsNormEps);
        const at::Tensor gate = at::mm(h2, W(p + "mlp.gate_proj.weight").t());
        const at::Tensor up = at::mm(h2, W(p + "mlp.up_proj.weight").t());
        const at::Tensor silu = gate / (1.0 + at::exp(-gate));
        x = x + at::mm(silu * up, W(p + "mlp.down_proj.weight").t());
    }
    const at::Tensor final = refRmsNorm(x, W("model.norm.weight"), c.rmsNormEps);
    const at::Tensor head = c.tieWordEmbeddings ? embed : W("lm_head.weight");
    return {at::mm(final, head.t()), attention};
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

Mask causalMask(int64_t n)
{
    Mask m(size_t(n), std::vector<bool>(size_t(n), false));
    for (int64_t i = 0; i < n; ++i)
        for (int64_t t = 0; t <= i; ++t)
            m[size_t(i)][size_t(t)] = true;
    return m;
}

at::Tensor maskTensor(const Mask& m, int64_t fromRow = 0, int64_t rows = -1)
{
    if (rows < 0)
        rows = int64_t(m.size()) - fromRow;
    const int64_t cols = fromRow + rows;
    at::Tensor t = at::zeros({rows, cols}, at::kBool);
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
            t[i][j] = bool(m[size_t(fromRow + i)][size_t(j)]);
    return t;
}

at::Tensor longs(const std::vector<int64_t>& v) { return at::tensor(v, at::kLong); }

double maxAbsDiff(const at::Tensor& a, const at::Tensor& b)
{
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

ComputeOptions cpuOptions(c10::ScalarType dtype = at::kFloat)
{
    ComputeOptions options;
    options.dtype = dtype;
    options.threads = 1;
    return options;
}

const std::vector<int64_t> kPromptIds = {510, 72, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100};

// ---------------------------------------------------------------------------------------------
// Reference equality over architecture variants
// ---------------------------------------------------------------------------------------------

struct Variant {
    const char* name;
    TestModelSpec spec;
};

std::vector<Variant> variants()
{
    std::vector<Variant> v;
    TestModelSpec gqa; // 4 query heads share 2 KV heads, tied head
    v.push_back({"gqa_tied", gqa});
    TestModelSpec mha;
    mha.kvHeads = 4; // kv_heads == heads
    mha.tied = false;
    mha.seed = 2;
    v.push_back({"mha_untied", mha});
    TestModelSpec mqa;
    mqa.kvHeads = 1;
    mqa.heads = 8;
    mqa.headDim = 16; // head_dim != hidden / heads
    mqa.seed = 3;
    v.push_back({"mqa_headdim16", mqa});
    TestModelSpec llama3;
    llama3.llama3RopeScaling = true;
    llama3.ropeTheta = 500000.0;
    llama3.tied = false;
    llama3.seed = 4;
    v.push_back({"llama3_untied", llama3});
    return v;
}

// Tolerance f32 vs f64 reference: the logits have magnitude ~3 and pass through a few hundred
// float32 accumulations; 1e-4 absolute is ~100x float32 epsilon at that scale.
constexpr double kF32LogitTolerance = 1e-4;
constexpr double kF32ProbabilityTolerance = 1e-5;

TEST(ForwardTest, MatchesNaiveReferenceAcrossVariants)
{
    for (const Variant& variant : variants()) {
        const Checkpoint ck = makeTestCheckpoint(variant.spec);
        const LlamaModel model(ck, cpuOptions());
        const int64_t n = int64_t(kPromptIds.size());
        // Non-trivial positions and a TEMPO-like mask: rows 8 and 9 share position 7 and do not see
        // each other; row 10 sees both.
        std::vector<int64_t> positions = {0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 10};
        Mask mask = causalMask(n);
        mask[9][8] = false;
        const Reference ref = referenceForward(ck, kPromptIds, positions, mask);
        KVCache cache = model.makeCache(n + 4);
        ForwardCapture capture;
        capture.attention = true;
        const ForwardOutputs out = model.forward({longs(kPromptIds), longs(positions), maskTensor(mask)}, cache, capture);
        ASSERT_EQ(out.logits.sizes(), ref.logits.sizes());
        ASSERT_EQ(out.logits.scalar_type(), at::kFloat);
        const double logitDiff = maxAbsDiff(out.logits, ref.logits);
        const double attentionDiff = maxAbsDiff(out.attention, ref.attention);
        std::cout << "[" << variant.name << "] max |logit - reference| = " << logitDiff
                  << " (tolerance " << kF32LogitTolerance << "), max |attention - reference| = " << attentionDiff
                  << " (tolerance " << kF32ProbabilityTolerance << "), max |logit| = "
                  << ref.logits.abs().max().item<double>() << "\n";
        EXPECT_LT(logitDiff, kF32LogitTolerance) << variant.name;
        EXPECT_LT(attentionDiff, kF32ProbabilityTolerance) << variant.name;
        EXPECT_EQ(cache.length(), n);
        EXPECT_TRUE(at::equal(out.positionIdsUsed, longs(positions)));
    }
}

// A prompt prefill that asks for the last row's logits only gets exactly that row of the reference.
TEST(ForwardTest, LastRowLogitsOnlyIsTheLastRowOfTheReference)
{
    const Checkpoint ck = makeTestCheckpoint(TestModelSpec{});
    const LlamaModel model(ck, cpuOptions());
    const int64_t n = int64_t(kPromptIds.size());
    std::vector<int64_t> positions(kPromptIds.size());
    for (size_t i = 0; i < positions.size(); ++i)
        positions[i] = int64_t(i);
    const Reference ref = referenceForward(ck, kPromptIds, positions, causalMask(n));
    KVCache cache = model.makeCache(n);
    const ForwardOutputs out = model.forward({longs(kPromptIds), longs(positions), maskTensor(causalMask(n)), true}, cache);
    ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{1, ref.logits.size(1)}));
    EXPECT_LT(maxAbsDiff(out.logits[0], ref.logits[n - 1]), kF32LogitTolerance);
    EXPECT_EQ(cache.length(), n); // every row still went through the layers and into the cache
}

TEST(ForwardTest, ReducedPrecisionCheckpointConvertsToF32)
{
    for (const char* diskDtype : {"BF16", "F16"}) {
        TestModelSpec spec;
        spec.diskDtype = diskDtype;
        const Checkpoint ck = makeTestCheckpoint(spec);
        ASSERT_NE(ck.tensors.at("model.norm.weight").scalar_type(), at::kFloat);
        const LlamaModel model(ck, cpuOptions());
        const int64_t n = int64_t(kPromptIds.size());
        std::vector<int64_t> positions(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            positions[size_t(i)] = i;
        const Reference ref = referenceForward(ck, kPromptIds, positions, causalMask(n));
        KVCache cache = model.makeCache(n);
        const ForwardOutputs out = model.forward({longs(kPromptIds), longs(positions), maskTensor(causalMask(n))}, cache);
        const double diff = maxAbsDiff(out.logits, ref.logits);
        std::cout << "[disk " << diskDtype << " -> f32] max |logit - reference| = " << diff << " (tolerance "
                  << kF32LogitTolerance << ")\n";
        EXPECT_LT(diff, kF32LogitTolerance);
    }
}

// ---------------------------------------------------------------------------------------------
// Cache, positions, mask
// ---------------------------------------------------------------------------------------------

TEST(ForwardTest, OneTokenAtATimeWithCacheEqualsOneFullForward)
{
    TestModelSpec spec;
    spec.llama3RopeScaling = true;
    const Checkpoint ck = makeTestCheckpoint(spec);
    const LlamaModel model(ck, cpuOptions());
    const int64_t n = int64_t(kPromptIds.size());
    KVCache full = model.makeCache(n);
    const ForwardOutputs whole = model.forward({longs(kPromptIds), at::arange(n, at::kLong), maskTensor(causalMask(n))}, full);

    KVCache cache = model.makeCache(n);
    double worst = 0;
    for (int64_t i = 0; i < n; ++i) {
        const ForwardOutputs step = model.forward(
            {longs({kPromptIds[size_t(i)]}), longs({i}), at::ones({1, i + 1}, at::kBool)}, cache);
        worst = std::max(worst, maxAbsDiff(step.logits[0], whole.logits[i]));
    }
    // Tolerance: same float32 arithmetic in a different order (matrix-vector vs matrix-matrix).
    std::cout << "cached one-at-a-time vs full forward: max |logit diff| = " << worst << " (tolerance 1e-5)\n";
    EXPECT_LT(worst, 1e-5);
    EXPECT_EQ(cache.length(), n);
    // The caches hold the same keys and values.
    EXPECT_LT(maxAbsDiff(cache.keys(1, 0), full.keys(1, 0)), 1e-5);
    EXPECT_LT(maxAbsDiff(cache.values(1, 0), full.values(1, 0)), 1e-5);
}

TEST(ForwardTest, ShiftingEveryPositionLeavesLogitsUnchanged)
{
    TestModelSpec spec;
    spec.llama3RopeScaling = true;
    const Checkpoint ck = makeTestCheckpoint(spec);
    const LlamaModel model(ck, cpuOptions());
    const int64_t n = int64_t(kPromptIds.size());
    const at::Tensor mask = maskTensor(causalMask(n));
    KVCache a = model.makeCache(n), b = model.makeCache(n);
    const ForwardOutputs base = model.forward({longs(kPromptIds), at::arange(n, at::kLong), mask}, a);
    const ForwardOutputs shifted = model.forward({longs(kPromptIds), at::arange(n, at::kLong) + 37, mask}, b);
    const double diff = maxAbsDiff(base.logits, shifted.logits);
    // Tolerance: angles p*f are rounded to float32, so a shift changes their rounding (~1e-6 rad
    // at p ~ 50) and each rotation by ~1e-6 relative; 1e-4 on logits of magnitude ~3.
    std::cout << "positions + 37: max |logit diff| = " << diff << " (tolerance 1e-4)\n";
    EXPECT_LT(diff, 1e-4);
    // And the shift is not a no-op on the keys themselves (RoPE really ran on the new ids).
    EXPECT_GT(maxAbsDiff(a.keys(0, 0), b.keys(0, 0)), 1e-2);
    EXPECT_TRUE(at::equal(shifted.positionIdsUsed, at::arange(n, at::kLong) + 37));
}

TEST(ForwardTest, MaskedSlotGetsZeroAttentionAndCannotInfluenceRowsThatDoNotSeeIt)
{
    const Checkpoint ck = makeTestCheckpoint(TestModelSpec{});
    const LlamaModel model(ck, cpuOptions());
    const int64_t n = int64_t(kPromptIds.size());
    // Slot 5 is hidden from every later row; only row 5 itself sees it.
    Mask mask = causalMask(n);
    for (int64_t i = 6; i < n; ++i)
        mask[size_t(i)][5] = false;
    std::vector<int64_t> changed = kPromptIds;
    changed[5] = 300;
    ForwardCapture capture;
    capture.attention = true;
    KVCache a = model.makeCache(n), b = model.makeCache(n);
    const ForwardOutputs first = model.forward({longs(kPromptIds), at::arange(n, at::kLong), maskTensor(mask)}, a, capture);
    const ForwardOutputs second = model.forward({longs(changed), at::arange(n, at::kLong), maskTensor(mask)}, b, capture);

    // [L, H, n, n]: rows 6.. never attend to slot 5, exactly.
    const at::Tensor toSlot5 = first.attention.narrow(2, 6, n - 6).select(3, 5);
    EXPECT_EQ(toSlot5.abs().max().item<double>(), 0.0);
    // Rows that may attend do so with a real weight (the mask is not blanket).
    EXPECT_GT(first.attention.select(2, 5).select(2, 5).min().item<double>(), 0.0);

    const double unaffected = maxAbsDiff(first.logits.narrow(0, 6, n - 6), second.logits.narrow(0, 6, n - 6));
    const double before = maxAbsDiff(first.logits.narrow(0, 0, 5), second.logits.narrow(0, 0, 5));
    const double row5 = maxAbsDiff(first.logits[5], second.logits[5]);
    std::cout << "masked slot token changed: rows that cannot see it max |diff| = " << unaffected
              << ", rows before it " << before << ", the row itself " << row5 << "\n";
    EXPECT_LE(unaffected, 1e-6);
    EXPECT_LE(before, 1e-6);
    EXPECT_GT(row5, 1e-3); // the changed token itself does change its own row
}

TEST(ForwardTest, TruncateRollbackThenRefeedGivesSameLogits)
{
    const Checkpoint ck = makeTestCheckpoint(TestModelSpec{});
    const LlamaModel model(ck, cpuOptions());
    const int64_t p = 6;
    const std::vector<int64_t> prompt(kPromptIds.begin(), kPromptIds.begin() + p);
    KVCache cache = model.makeCache(p + 3);
    model.forward({longs(prompt), at::arange(p, at::kLong), maskTensor(causalMask(p))}, cache);
    const auto feed = [&](const std::vector<int64_t>& ids) {
        const int64_t k = int64_t(ids.size());
        at::Tensor mask = at::ones({k, p + k}, at::kBool);
        mask.narrow(1, p, k).copy_(at::ones({k, k}, at::kBool).tril());
        return model.forward({longs(ids), at::arange(p, p + k, at::kLong), mask}, cache).logits;
    };
    const at::Tensor firstA = feed({100, 101, 102});
    EXPECT_EQ(cache.length(), p + 3);
    cache.truncate(p);
    const at::Tensor b = feed({200, 201, 202});
    cache.truncate(p);
    const at::Tensor againA = feed({100, 101, 102});
    const double diff = maxAbsDiff(firstA, againA);
    std::cout << "truncate + re-feed: max |logit diff| = " << diff << " (tolerance 0: same inputs, same arithmetic)\n";
    EXPECT_EQ(diff, 0.0);
    EXPECT_GT(maxAbsDiff(firstA, b), 1e-3); // the other branch really was different

    // And the rolled-back branch B equals a fresh run over prompt + B.
    KVCache fresh = model.makeCache(p + 3);
    std::vector<int64_t> all = prompt;
    all.insert(all.end(), {200, 201, 202});
    const at::Tensor freshLogits =
        model.forward({longs(all), at::arange(p + 3, at::kLong), maskTensor(causalMask(p + 3))}, fresh).logits;
    const double freshDiff = maxAbsDiff(freshLogits.narrow(0, p, 3), b);
    std::cout << "branch after rollback vs fresh run: max |logit diff| = " << freshDiff << " (tolerance 1e-5)\n";
    EXPECT_LT(freshDiff, 1e-5);
}

// ---------------------------------------------------------------------------------------------
// Captures
// ---------------------------------------------------------------------------------------------

TEST(ForwardTest, CapturesAreOffByDefaultAndConsistentWhenOn)
{
    TestModelSpec spec;
    spec.llama3RopeScaling = true;
    const Checkpoint ck = makeTestCheckpoint(spec);
    const LlamaModel model(ck, cpuOptions());
    const LlamaConfig& c = model.config();
    const int64_t n = 5;
    const std::vector<int64_t> ids(kPromptIds.begin(), kPromptIds.begin() + n);
    const std::vector<int64_t> positions = {0, 1, 2, 2, 3};
    Mask mask = causalMask(n);
    mask[3][2] = false;

    KVCache plain = model.makeCache(n);
    const ForwardOutputs off = model.forward({longs(ids), longs(positions), maskTensor(mask)}, plain);
    EXPECT_FALSE(off.attention.defined());
    EXPECT_FALSE(off.keysBeforeRope.defined());
    EXPECT_FALSE(off.keysAfterRope.defined());

    ForwardCapture all;
    all.attention = true;
    all.keys = true;
    KVCache cache = model.makeCache(n);
    const ForwardOutputs on = model.forward({longs(ids), longs(positions), maskTensor(mask)}, cache, all);
    EXPECT_TRUE(at::equal(on.logits, off.logits)); // capturing does not change the computation
    ASSERT_EQ(on.attention.sizes(), (std::vector<int64_t>{c.numHiddenLayers, c.numAttentionHeads, n, n}));
    ASSERT_EQ(on.keysBeforeRope.sizes(), (std::vector<int64_t>{c.numHiddenLayers, c.numKeyValueHeads, n, c.headDim}));
    // Rows sum to 1; masked entries are 0.
    EXPECT_LT((on.attention.sum(-1) - 1).abs().max().item<double>(), 1e-5);
    EXPECT_EQ(on.attention.select(2, 3).select(2, 2).abs().max().item<double>(), 0.0);
    // Keys after RoPE are what the cache holds, and are the keys before RoPE rotated by the ids used.
    for (int64_t l = 0; l < c.numHiddenLayers; ++l) {
        EXPECT_LT(maxAbsDiff(on.keysAfterRope[l], cache.keys(l, 0)), 1e-6);
        const at::Tensor rotated = applyRope(on.keysBeforeRope[l], on.positionIdsUsed, ropeInverseFrequencies(c));
        EXPECT_LT(maxAbsDiff(rotated, on.keysAfterRope[l]), 1e-5);
    }

    ForwardCapture oneLayer;
    oneLayer.keys = true;
    oneLayer.keysLayer = 1;
    KVCache third = model.makeCache(n);
    const ForwardOutputs layer1 = model.forward({longs(ids), longs(positions), maskTensor(mask)}, third, oneLayer);
    ASSERT_EQ(layer1.keysAfterRope.size(0), 1);
    EXPECT_TRUE(at::equal(layer1.keysAfterRope[0], on.keysAfterRope[1]));
    EXPECT_FALSE(layer1.attention.defined());
}

// ---------------------------------------------------------------------------------------------
// Precision, devices, input validation
// ---------------------------------------------------------------------------------------------

TEST(ForwardTest, Bf16OnCpuRunsAndIsCloseToF32)
{
    const Checkpoint ck = makeTestCheckpoint(TestModelSpec{});
    const LlamaModel f32(ck, cpuOptions(at::kFloat));
    const LlamaModel bf16(ck, cpuOptions(at::kBFloat16));
    const int64_t n = int64_t(kPromptIds.size());
    const at::Tensor mask = maskTensor(causalMask(n));
    KVCache a = f32.makeCache(n), b = bf16.makeCache(n);
    const at::Tensor la = f32.forward({longs(kPromptIds), at::arange(n, at::kLong), mask}, a).logits;
    const at::Tensor lb = bf16.forward({longs(kPromptIds), at::arange(n, at::kLong), mask}, b).logits;
    EXPECT_EQ(lb.scalar_type(), at::kFloat);
    const double logitDiff = maxAbsDiff(la, lb);
    const double probDiff = maxAbsDiff(at::softmax(la, -1), at::softmax(lb, -1));
    // Tolerance: bf16 keeps 8 mantissa bits (relative error ~4e-3 per rounding); after two layers
    // logits of magnitude ~3 move by a few hundredths. 0.15 on logits, 0.02 on probabilities.
    std::cout << "bf16 vs f32: max |logit diff| = " << logitDiff << " (tolerance 0.15), max |prob diff| = " << probDiff
              << " (tolerance 0.02)\n";
    EXPECT_LT(logitDiff, 0.15);
    EXPECT_LT(probDiff, 0.02);
    EXPECT_GT(logitDiff, 0.0); // it really ran in another precision

    // One decode step (the single-row matrix-vector path) in bf16 too.
    KVCache a2 = f32.makeCache(n + 1), b2 = bf16.makeCache(n + 1);
    f32.forward({longs(kPromptIds), at::arange(n, at::kLong), mask}, a2);
    bf16.forward({longs(kPromptIds), at::arange(n, at::kLong), mask}, b2);
    const ForwardInputs step{longs({300}), longs({n}), at::ones({1, n + 1}, at::kBool)};
    const double stepDiff = maxAbsDiff(f32.forward(step, a2).logits, bf16.forward(step, b2).logits);
    std::cout << "bf16 vs f32 decode step: max |logit diff| = " << stepDiff << " (tolerance 0.15)\n";
    EXPECT_LT(stepDiff, 0.15);
}

TEST(ForwardTest, F16OnCpuAndCudaWithoutCudaAreRefused)
{
    const Checkpoint ck = makeTestCheckpoint(TestModelSpec{});
    try {
        LlamaModel model(ck, cpuOptions(at::kHalf));
        FAIL() << "f16 on CPU was accepted";
    } catch (const InvalidArgument& error) {
        std::cout << "f16 on cpu: " << error.what() << "\n";
        EXPECT_NE(std::string(error.what()).find("f16"), std::string::npos);
        EXPECT_NE(std::string(error.what()).find("expected"), std::string::npos);
    }
    ComputeOptions cuda = cpuOptions();
    cuda.device = c10::DeviceType::CUDA;
    if (at::hasCUDA()) {
        // With a GPU the same request must work: one forward runs and gives finite logits.
        const LlamaModel model(ck, cuda);
        KVCache cache = model.makeCache(2);
        const ForwardOutputs out = model.forward({longs({1, 2}), longs({0, 1}), maskTensor(causalMask(2))}, cache);
        EXPECT_TRUE(at::isfinite(out.logits).all().item<bool>());
        EXPECT_EQ(out.logits.device().type(), c10::DeviceType::CPU);
    } else {
        try {
            LlamaModel model(ck, cuda);
            FAIL() << "cuda was accepted without CUDA";
        } catch (const InvalidArgument& error) {
            std::cout << "cuda without CUDA: " << error.what() << "\n";
            EXPECT_NE(std::string(error.what()).find("cuda"), std::string::npos);
        }
    }
    EXPECT_THROW(ComputeOptions::parseDtype("f8"), InvalidArgument);
    EXPECT_THROW(ComputeOptions::parseDevice("tpu"), InvalidArgument);
    EXPECT_EQ(ComputeOptions::parseDtype("bf16"), at::kBFloat16);
    EXPECT_EQ(ComputeOptions::dtypeName(at::kHalf), "f16");
}

TEST(ForwardTest, ThreadCountsPastTheMachinesCoresAreRefusedBeforeTheyReachLibTorch)
{
    // --threads 100000 used to reach at::set_num_threads and start hundreds of threads (the CLI
    // hung). validate() and applyThreads() refuse it; the pool keeps its size.
    const int poolBefore = at::get_num_threads();
    ComputeOptions options = cpuOptions();
    options.threads = 100000;
    try {
        options.applyThreads();
        FAIL() << "100000 threads accepted";
    } catch (const InvalidArgument& error) {
        std::cout << "threads 100000: " << error.what() << "\n";
        EXPECT_NE(std::string(error.what()).find("1.." + std::to_string(ComputeOptions::maxThreads())), std::string::npos);
        EXPECT_NE(std::string(error.what()).find("found 100000"), std::string::npos);
    }
    EXPECT_EQ(at::get_num_threads(), poolBefore);
    options.threads = -1;
    EXPECT_THROW(options.validate(), InvalidArgument);
    options.threads = ComputeOptions::maxThreads();
    EXPECT_NO_THROW(options.validate());
    EXPECT_EQ(options.effectiveThreads(), ComputeOptions::maxThreads());
    EXPECT_GE(ComputeOptions::maxThreads(), 1);
}

TEST(ForwardTest, InconsistentInputsAreRefusedWithExpectedAndFound)
{
    const Checkpoint ck = makeTestCheckpoint(TestModelSpec{});
    const LlamaModel model(ck, cpuOptions());
    KVCache cache = model.makeCache(4);
    const auto expectRefused = [&](const ForwardInputs& inputs, const std::string& mentions) {
        try {
            model.forward(inputs, cache);
            ADD_FAILURE() << "accepted: " << mentions;
        } catch (const InvalidArgument& error) {
            const std::string text = error.what();
            EXPECT_NE(text.find("expected"), std::string::npos) << text;
            EXPECT_NE(text.find(mentions), std::string::npos) << text;
        }
    };
    expectRefused({longs({1, 2}), longs({0, 1}), at::ones({2, 3}, at::kBool)}, "[2, 3]");            // mask shape
    expectRefused({longs({1, 2}), longs({0}), maskTensor(causalMask(2))}, "position ids");          // positions
    expectRefused({longs({1, kTestVocabSize}), longs({0, 1}), maskTensor(causalMask(2))}, "id 512"); // vocab
    expectRefused({longs({1, 2, 3, 4, 5}), at::arange(5, at::kLong), maskTensor(causalMask(5))}, "capacity");
    at::Tensor emptyRow = maskTensor(causalMask(2));
    emptyRow[1].fill_(false);
    expectRefused({longs({1, 2}), longs({0, 1}), emptyRow}, "row 1");
    expectRefused({at::tensor(std::vector<int32_t>{1}, at::kInt), longs({0}), at::ones({1, 1}, at::kBool)}, "int64");
    EXPECT_EQ(cache.length(), 0); // nothing was half-fed
    // A cache from another model shape is refused.
    TestModelSpec other;
    other.kvHeads = 4;
    const LlamaModel otherModel(makeTestCheckpoint(other), cpuOptions());
    KVCache foreign = otherModel.makeCache(4);
    EXPECT_THROW(model.forward({longs({1}), longs({0}), at::ones({1, 1}, at::kBool)}, foreign), InvalidArgument);
}

TEST(ForwardTest, MissingOrMisshapenWeightsAreRefused)
{
    Checkpoint ck = makeTestCheckpoint(TestModelSpec{});
    Checkpoint missing = ck;
    missing.tensors.erase("model.layers.1.mlp.up_proj.weight");
    EXPECT_THROW(LlamaModel(missing, cpuOptions()), CheckpointError);
    Checkpoint misshapen = ck;
    misshapen.tensors["model.norm.weight"] = at::ones({3});
    try {
        LlamaModel model(misshapen, cpuOptions());
        FAIL() << "misshapen weight accepted";
    } catch (const CheckpointError& error) {
        EXPECT_NE(std::string(error.what()).find("model.norm.weight"), std::string::npos) << error.what();
    }
}

} // namespace
} // namespace tempo
