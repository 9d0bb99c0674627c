// The test-model generator: determinism, shapes and scales, the generated tokenizer.json (checked
// as JSON and through the project's tokenizer), and the `peaked` option measured with the real
// forward pass.

#include <cmath>
#include <cstdio>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/common/sha256.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/testmodel/testmodel.h"
#include "core/tokenizer/tokenizer.h"
#include "support/testsupport.h"

namespace tempo {
namespace {

using nlohmann::json;
using test::TempDir;

TEST(TestModel, SameSeedSameBytesOtherSeedOtherBytes)
{
    TempDir a, b, c;
    TestModelSpec spec;
    spec.seed = 3;
    writeTestModel(a.path(), spec);
    writeTestModel(b.path(), spec);
    spec.seed = 4;
    writeTestModel(c.path(), spec);
    for (const char* file : {"config.json", "model.safetensors", "tokenizer.json"})
        EXPECT_EQ(sha256File(a / file), sha256File(b / file)) << file;
    EXPECT_NE(sha256File(a / "model.safetensors"), sha256File(c / "model.safetensors"));
    EXPECT_EQ(sha256File(a / "tokenizer.json"), sha256File(c / "tokenizer.json"));
}

TEST(TestModel, ShapesOptionsAndWeightScales)
{
    TestModelSpec spec;
    spec.layers = 3;
    spec.hidden = 96;
    spec.heads = 6;
    spec.kvHeads = 3;
    spec.headDim = 8; // differs from hidden / heads = 16
    spec.tied = false;
    spec.llama3RopeScaling = true;
    spec.ropeTheta = 500000.0;
    const Checkpoint checkpoint = makeTestCheckpoint(spec);
    const LlamaConfig& config = checkpoint.config;
    EXPECT_EQ(config.numHiddenLayers, 3);
    EXPECT_EQ(config.headDim, 8);
    EXPECT_FALSE(config.tieWordEmbeddings);
    EXPECT_EQ(config.ropeScaling.type, RopeScaling::Type::Llama3);
    EXPECT_DOUBLE_EQ(config.ropeTheta, 500000.0);
    EXPECT_EQ(checkpoint.tensors.at("model.layers.2.self_attn.q_proj.weight").sizes(), (at::IntArrayRef{48, 96}));
    EXPECT_EQ(checkpoint.tensors.at("model.layers.2.self_attn.k_proj.weight").sizes(), (at::IntArrayRef{24, 96}));
    EXPECT_EQ(checkpoint.tensors.at("lm_head.weight").sizes(), (at::IntArrayRef{kTestVocabSize, 96}));

    // Norms: 1 + small noise (not exactly ones, so a forward that ignores them is caught).
    const at::Tensor norm = checkpoint.tensors.at("model.norm.weight");
    const double normMean = norm.mean().item<double>();
    const double normStd = norm.std().item<double>();
    std::printf("norm mean %.4f std %.4f\n", normMean, normStd);
    EXPECT_NEAR(normMean, 1.0, 0.03);
    EXPECT_GT(normStd, 0.01);
    EXPECT_LT(normStd, 0.1);
    // Linear weights: std 1/sqrt(fan_in) within 10% (fan_in 96 -> 0.102).
    const double qStd = checkpoint.tensors.at("model.layers.0.self_attn.q_proj.weight").std().item<double>();
    std::printf("q_proj std %.4f, expected %.4f\n", qStd, 1.0 / std::sqrt(96.0));
    EXPECT_NEAR(qStd, 1.0 / std::sqrt(96.0), 0.1 / std::sqrt(96.0));
    // Layers differ from each other (independent streams per tensor name).
    EXPECT_FALSE(at::equal(checkpoint.tensors.at("model.layers.0.mlp.up_proj.weight"),
                           checkpoint.tensors.at("model.layers.1.mlp.up_proj.weight")));
    // A tensor does not depend on unrelated options: the same name and seed give the same values.
    TestModelSpec tied = spec;
    tied.tied = true;
    EXPECT_TRUE(at::equal(makeTestCheckpoint(tied).tensors.at("model.layers.1.mlp.up_proj.weight"),
                          checkpoint.tensors.at("model.layers.1.mlp.up_proj.weight")));

    TestModelSpec bad;
    bad.kvHeads = 3; // 4 heads are not divisible by 3
    EXPECT_THROW(makeTestCheckpoint(bad), InvalidArgument);
    bad = {};
    bad.diskDtype = "F64";
    EXPECT_THROW(makeTestCheckpoint(bad), InvalidArgument);
}

TEST(TestModel, TokenizerJsonIsByteLevelBpeWithSpecials)
{
    const json tokenizer = json::parse(testTokenizerJson());
    const json& model = tokenizer.at("model");
    EXPECT_EQ(model.at("type"), "BPE");
    EXPECT_EQ(model.at("ignore_merges"), true);
    EXPECT_EQ(model.at("vocab").size(), 510u);
    EXPECT_GE(model.at("merges").size(), 254u);
    // Byte tokens: id = byte value; 'A' is itself, ' ' is 'Ġ' (U+0120) in GPT-2's alphabet.
    EXPECT_EQ(model.at("vocab").at("A"), 65);
    EXPECT_EQ(model.at("vocab").at("\xC4\xA0"), 32);
    EXPECT_EQ(model.at("vocab").at("\xC4\x8A"), 10); // '\n' is 'Ċ'
    // Every merge joins two known tokens into a known token.
    for (const json& merge : model.at("merges")) {
        const std::string text = merge.get<std::string>();
        const size_t space = text.find(' ');
        ASSERT_NE(space, std::string::npos) << text;
        const std::string left = text.substr(0, space), right = text.substr(space + 1);
        EXPECT_TRUE(model.at("vocab").contains(left)) << text;
        EXPECT_TRUE(model.at("vocab").contains(right)) << text;
        EXPECT_TRUE(model.at("vocab").contains(left + right)) << text;
    }
    // The most frequent pair of the training text comes first: " t" (as in " the").
    EXPECT_EQ(model.at("merges")[0], "\xC4\xA0 t");
    EXPECT_TRUE(model.at("vocab").contains("\xC4\xA0the"));
    const json& added = tokenizer.at("added_tokens");
    ASSERT_EQ(added.size(), 2u);
    EXPECT_EQ(added[0].at("content"), "<|begin_of_text|>");
    EXPECT_EQ(added[0].at("id"), kTestBeginOfTextId);
    EXPECT_EQ(added[1].at("content"), "<|end_of_text|>");
    EXPECT_EQ(added[1].at("id"), kTestEndOfTextId);
    EXPECT_EQ(tokenizer.at("post_processor").at("processors")[1].at("type"), "TemplateProcessing");
    EXPECT_EQ(tokenizer.at("decoder").at("type"), "ByteLevel");
}

TEST(TestModel, TokenizerEncodesAndDecodesThroughTheProjectTokenizer)
{
    const Tokenizer tokenizer = Tokenizer::fromJsonText(testTokenizerJson(), "test tokenizer.json");
    const json vocab = json::parse(testTokenizerJson()).at("model").at("vocab");
    EXPECT_EQ(tokenizer.vocabSize(), kTestVocabSize);
    EXPECT_EQ(tokenizer.tokenId("<|begin_of_text|>"), kTestBeginOfTextId);
    EXPECT_EQ(tokenizer.tokenId("<|end_of_text|>"), kTestEndOfTextId);
    EXPECT_TRUE(tokenizer.isSpecial(kTestEndOfTextId));

    // Frequent words of the training text are single tokens; ids read from the JSON vocab.
    const std::vector<int64_t> ids = tokenizer.encode("The cat sat on the", true);
    const std::vector<int64_t> expected = {kTestBeginOfTextId, vocab.at("The").get<int64_t>(),
                                           vocab.at("\xC4\xA0" "cat").get<int64_t>(), vocab.at("\xC4\xA0" "sat").get<int64_t>(),
                                           vocab.at("\xC4\xA0" "on").get<int64_t>(), vocab.at("\xC4\xA0" "the").get<int64_t>()};
    EXPECT_EQ(ids, expected);
    EXPECT_EQ(tokenizer.decode(ids), "<|begin_of_text|>The cat sat on the");
    EXPECT_EQ(tokenizer.decode(ids, /*skipSpecialTokens=*/true), "The cat sat on the");

    // Any bytes round-trip (byte-level alphabet), including text unlike the training text.
    for (const std::string text : {"The quick brown fox.", "h\xC3\xA9llo w\xC3\xB6rld 123456\n\n  tabs\there",
                                   "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x98\x80 it's we'll"}) {
        const std::vector<int64_t> encoded = tokenizer.encode(text, false);
        EXPECT_LE(encoded.size(), text.size());
        EXPECT_EQ(tokenizer.decode(encoded), text);
    }
}

// Fraction of positions whose next-token distribution has 2-5 tokens with p >= 0.05, and the mean
// top probability, over random 40-token inputs, with the project's forward pass.
struct Peakedness {
    double severalCandidates = 0.0;
    double meanTop = 0.0;
};

Peakedness measurePeakedness(const TestModelSpec& spec)
{
    const Checkpoint checkpoint = makeTestCheckpoint(spec);
    const LlamaModel model(checkpoint, ComputeOptions{});
    const int64_t n = 40;
    uint64_t state = 12345; // fixed inputs (LCG), independent of LibTorch's generator
    int64_t positions = 0, several = 0;
    double topSum = 0.0;
    for (int trial = 0; trial < 10; ++trial) {
        std::vector<int64_t> ids(n);
        for (int64_t& id : ids) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            id = static_cast<int64_t>((state >> 33) % (kTestVocabSize - 2));
        }
        KVCache cache = model.makeCache(n);
        ForwardInputs inputs;
        inputs.tokenIds = at::tensor(ids);                                  // [n]
        inputs.positionIds = at::arange(n, at::kLong);                      // [n]
        inputs.attentionMask = at::ones({n, n}, at::kBool).tril();          // [n, n] causal
        const at::Tensor probabilities = model.forward(inputs, cache).logits.softmax(-1); // [n, V]
        const at::Tensor candidates = (probabilities >= 0.05).sum(-1);      // [n]
        several += ((candidates >= 2) & (candidates <= 5)).sum().item<int64_t>();
        topSum += std::get<0>(probabilities.max(-1)).sum().item<double>();
        positions += n;
    }
    return {double(several) / positions, topSum / positions};
}

TEST(TestModel, PeakedModelOftenHasSeveralCandidates)
{
    // Expected from the scales (see testmodel.cpp): logits with std ~2.75 over 512 tokens give
    // 2-5 tokens >= 0.05 in ~85-90% of positions; we require 70%. The default model is flat.
    for (uint64_t seed : {1, 42}) {
        for (bool tied : {true, false}) {
            TestModelSpec spec;
            spec.seed = seed;
            spec.tied = tied;
            spec.peaked = true;
            const Peakedness peaked = measurePeakedness(spec);
            spec.peaked = false;
            const Peakedness flat = measurePeakedness(spec);
            std::printf("seed %llu %s: peaked 2-5 candidates %.2f (mean top p %.3f); default %.2f (mean top p %.3f)\n",
                        static_cast<unsigned long long>(seed), tied ? "tied" : "untied", peaked.severalCandidates,
                        peaked.meanTop, flat.severalCandidates, flat.meanTop);
            EXPECT_GE(peaked.severalCandidates, 0.7);
            EXPECT_GT(peaked.meanTop, 0.15);
            EXPECT_LT(peaked.meanTop, 0.5);
            EXPECT_LT(flat.severalCandidates, 0.05);
            EXPECT_LT(flat.meanTop, 0.06);
        }
    }
}

} // namespace
} // namespace tempo
