// The trainers of the bundled model: BPE tokenizer determinism and round trips, a short
// training run that must lower the loss, and the exported checkpoint reproducing the trainer's
// logits through the engine's own LlamaModel.

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/tokenizer/tokenizer.h"
#include "core/training/adamw.h"
#include "core/training/bpetrainer.h"
#include "core/training/trainablellama.h"
#include "core/training/trainingdata.h"

namespace tempo {
namespace {

// A few hundred words of corpus-style prose (KJV-like phrasing, written for this test).
const char* kSmallText = R"(In the beginning the people went up to the city, and they dwelt there many days.
And the king spake unto the people, saying, Go ye and build an house in the land.
And they went and built the house, and the king was glad, and the people rejoiced.
Then the elders of the city came unto the king and said, The land is good and the rivers are full.
And the king said unto them, Let every man return unto his house, and eat bread, and drink water.
And it came to pass in those days, that the rain fell upon the land forty days and forty nights.
And the people feared, and they cried unto the king; and the king heard them and answered them.
Behold, the days come that the city shall be built again, and the walls thereof shall stand.
And the children of the people sang in the streets, and the old men sat in the gate of the city.
Numbers 12, 345 and 6789 appear too; so do words like don't, we'll and "quoted" things!
)";

std::filesystem::path freshDir(const std::string& name)
{
    const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                      ("tempo-training-" + name + "-" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

std::string repeatedText(int copies)
{
    std::string text;
    for (int i = 0; i < copies; ++i)
        text += kSmallText;
    return text;
}

TEST(TrainingTokenizer, deterministicFileThatLoadsAndRoundTrips)
{
    const std::string first = bpeTokenizerJson(trainBpe(kSmallText, 400));
    const std::string second = bpeTokenizerJson(trainBpe(kSmallText, 400));
    ASSERT_EQ(first, second) << "two trainings on the same text gave different tokenizer.json bytes";

    const std::filesystem::path dir = freshDir("tokenizer");
    std::ofstream(dir / "tokenizer.json", std::ios::binary) << first;
    const Tokenizer tokenizer = Tokenizer::fromFile(dir / "tokenizer.json");
    EXPECT_EQ(tokenizer.vocabSize(), 400);
    const auto bos = tokenizer.tokenId("<|begin_of_text|>");
    const auto eos = tokenizer.tokenId("<|end_of_text|>");
    ASSERT_TRUE(bos && eos);
    EXPECT_EQ(*bos, 398);
    EXPECT_EQ(*eos, 399);
    EXPECT_TRUE(tokenizer.isSpecial(*bos));

    for (const std::string& text : {std::string("And the king said unto them, Go."), std::string("  unseen Zebra-words 42!\n"),
                                   std::string("caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x98\x80 emoji")}) {
        const std::vector<int64_t> ids = tokenizer.encode(text);
        ASSERT_FALSE(ids.empty());
        EXPECT_EQ(ids.front(), *bos) << "the TemplateProcessing post-processor must prepend <|begin_of_text|>";
        EXPECT_EQ(tokenizer.decode(ids, /*skipSpecialTokens=*/true), text);
    }
    // Merges learned from the text compress it: far fewer tokens than bytes.
    const std::vector<int64_t> ids = tokenizer.encode(kSmallText, false);
    std::printf("small text: %zu bytes -> %zu tokens\n", std::string(kSmallText).size(), ids.size());
    EXPECT_LT(ids.size() * 2, std::string(kSmallText).size());
    std::filesystem::remove_all(dir);
}

TEST(TrainingTokenizer, mostFrequentPairIsTheFirstMerge)
{
    // Hand count over the pre-tokens "ab", "Ġab", "Ġab", "Ġcd", "Ġcd": a+b occurs 3 times and is
    // the first merge. Then Ġ+ab, Ġ+c and c+d all occur twice; ties go to the smallest strings
    // (bytewise), and "c" (0x63) sorts before "Ġ" (0xC4 0xA0): c+d. In "xy\nyx", x+y beats y+x.
    const BpeTrainingResult bpe = trainBpe("ab ab ab cd cd", 256 + 2 + 2);
    ASSERT_GE(bpe.merges.size(), 2u);
    EXPECT_EQ(bpe.merges[0], std::make_pair(std::string("a"), std::string("b")));
    EXPECT_EQ(bpe.merges[1], std::make_pair(std::string("c"), std::string("d")));
    const BpeTrainingResult tie = trainBpe("xy\nyx", 256 + 2 + 1);
    ASSERT_EQ(tie.merges.size(), 1u);
    EXPECT_EQ(tie.merges[0], std::make_pair(std::string("x"), std::string("y")));
}

TrainableLlamaShape tinyShape(int64_t vocab)
{
    TrainableLlamaShape shape;
    shape.vocabSize = vocab;
    shape.hidden = 64;
    shape.intermediate = 128;
    shape.layers = 2;
    shape.heads = 4;
    shape.kvHeads = 2;
    shape.headDim = 16;
    shape.maxPositions = 128;
    shape.bosTokenId = vocab - 2;
    shape.eosTokenId = vocab - 1;
    return shape;
}

TEST(TrainingModel, twentyStepsReduceTheLoss)
{
    at::set_num_threads(1);
    const std::string text = repeatedText(4);
    const std::string json = bpeTokenizerJson(trainBpe(text, 320));
    const Tokenizer tokenizer = Tokenizer::fromJsonText(json, "test tokenizer");
    const TokenSplit split = splitAndEncode(tokenizer, text, 5);
    const int64_t bos = *tokenizer.tokenId("<|begin_of_text|>");
    TrainableLlama model(tinyShape(tokenizer.vocabSize()), 7);
    BatchSampler sampler(split, bos, 8, 32, 7);
    const TokenBatch fixed = sampler.next(); // the same batch measured before and after

    std::map<std::string, bool> decayed;
    for (const auto& [name, parameter] : model.parameters())
        decayed[name] = TrainableLlama::isMatrix(name);
    AdamW optimizer(model.parameters(), decayed, {});
    double before = 0.0;
    {
        at::NoGradGuard noGrad;
        before = model.loss(fixed.inputs, fixed.targets).item<double>();
    }
    for (int step = 0; step < 20; ++step) {
        const TokenBatch batch = sampler.next();
        model.loss(batch.inputs, batch.targets).backward();
        optimizer.clipGradientNorm(1.0);
        optimizer.step(3e-3);
    }
    at::NoGradGuard noGrad;
    const double after = model.loss(fixed.inputs, fixed.targets).item<double>();
    std::printf("loss on a fixed batch: %.4f before, %.4f after 20 steps (uniform would be %.4f)\n", before, after,
                std::log(static_cast<double>(tokenizer.vocabSize())));
    // An untrained model is near uniform; 20 AdamW steps on repeated text must cut the loss.
    EXPECT_NEAR(before, std::log(static_cast<double>(tokenizer.vocabSize())), 0.3);
    EXPECT_LT(after, before - 0.5);
}

TEST(TrainingModel, exportedCheckpointReproducesTrainerLogits)
{
    at::set_num_threads(1);
    const std::string text = repeatedText(2);
    const std::string json = bpeTokenizerJson(trainBpe(text, 300));
    TrainableLlama model(tinyShape(300), 11);
    // A few optimizer steps so the weights are not the initial ones (norm scales move off 1).
    {
        const Tokenizer tokenizer = Tokenizer::fromJsonText(json, "test tokenizer");
        const TokenSplit split = splitAndEncode(tokenizer, text, 5);
        BatchSampler sampler(split, 298, 4, 24, 11);
        std::map<std::string, bool> decayed;
        for (const auto& [name, parameter] : model.parameters())
            decayed[name] = TrainableLlama::isMatrix(name);
        AdamW optimizer(model.parameters(), decayed, {});
        for (int step = 0; step < 3; ++step) {
            const TokenBatch batch = sampler.next();
            model.loss(batch.inputs, batch.targets).backward();
            optimizer.step(1e-2);
        }
    }
    const std::filesystem::path dir = freshDir("export");
    model.exportFolder(dir, json, at::kFloat);

    const Checkpoint checkpoint = loadCheckpoint(dir);
    LlamaModel engine(checkpoint, ComputeOptions{});
    const Tokenizer tokenizer = Tokenizer::fromFile(dir / "tokenizer.json");
    const std::vector<int64_t> ids = tokenizer.encode("And the king said unto the people, Go ye up.");
    const int64_t n = static_cast<int64_t>(ids.size());
    ASSERT_GE(n, 8);

    at::Tensor trainerLogits;
    {
        at::NoGradGuard noGrad;
        trainerLogits = model.logits(at::tensor(ids, at::kLong).unsqueeze(0)).squeeze(0); // [n, V]
    }
    KVCache cache = engine.makeCache(n);
    ForwardInputs inputs;
    inputs.tokenIds = at::tensor(ids, at::kLong);
    inputs.positionIds = at::arange(n, at::kLong);
    inputs.attentionMask = at::ones({n, n}, at::kBool).tril(); // causal
    const at::Tensor engineLogits = engine.forward(inputs, cache).logits; // [n, V]

    ASSERT_EQ(engineLogits.sizes(), trainerLogits.sizes());
    const double maxDiff = (engineLogits - trainerLogits).abs().max().item<double>();
    const double scale = trainerLogits.abs().max().item<double>();
    std::printf("exported checkpoint vs trainer: max |logit diff| %.3g over %ld x %ld logits (max |logit| %.3g)\n",
                maxDiff, static_cast<long>(n), static_cast<long>(trainerLogits.size(1)), scale);
    EXPECT_LT(maxDiff, 1e-4);
    EXPECT_GT(scale, 1e-2); // the comparison is not between two near-zero tensors

    // A short input (<= 16 rows) takes the engine's few-row projection path that TEMPO steps use.
    const int64_t shortLength = 6;
    KVCache shortCache = engine.makeCache(shortLength);
    ForwardInputs shortInputs;
    shortInputs.tokenIds = inputs.tokenIds.narrow(0, 0, shortLength);
    shortInputs.positionIds = at::arange(shortLength, at::kLong);
    shortInputs.attentionMask = at::ones({shortLength, shortLength}, at::kBool).tril();
    const at::Tensor shortLogits = engine.forward(shortInputs, shortCache).logits; // [6, V]
    const double shortDiff = (shortLogits - trainerLogits.narrow(0, 0, shortLength)).abs().max().item<double>();
    std::printf("first %ld tokens alone: max |logit diff| %.3g\n", static_cast<long>(shortLength), shortDiff);
    EXPECT_LT(shortDiff, 1e-4);
    std::filesystem::remove_all(dir);
}

TEST(TrainingData, unigramBaselineByHand)
{
    // Training tokens {1, 1, 2}, vocabulary 4, add-one: p(1) = 3/7, p(2) = 2/7, p(0) = p(3) = 1/7.
    TokenSplit split;
    split.train = {1, 1, 2};
    split.trainLineStarts = {0};
    split.validation = {1, 3};
    const TokenBatch windows = validationWindows(split, 9, 2);
    EXPECT_EQ(windows.inputs[0][0].item<int64_t>(), 9);
    EXPECT_EQ(windows.inputs[0][1].item<int64_t>(), 1);
    const double expected = -(std::log(3.0 / 7.0) + std::log(1.0 / 7.0)) / 2.0;
    EXPECT_NEAR(unigramLoss(split, windows, 4), expected, 1e-12);
}

} // namespace
} // namespace tempo
