// Checkpoint folders: generated test models load back bit-identical (F32/F16/BF16 on disk),
// sharded checkpoints with an index load, and every inconsistency is a typed error naming the file
// or tensor. Bad folders are built by editing a valid generated one.

#include <cmath>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/common/sha256.h"
#include "core/model/checkpoint.h"
#include "core/model/safetensorswriter.h"
#include "core/testmodel/testmodel.h"
#include "support/testsupport.h"

namespace tempo {
namespace {

using nlohmann::json;
using test::TempDir;

using TensorMap = std::map<std::string, at::Tensor>;

TensorMap testTensors(const TestModelSpec& spec = {})
{
    return makeTestCheckpoint(spec).tensors;
}

json testConfigJson(const TestModelSpec& spec = {})
{
    return testModelConfig(spec).toJson();
}

// A folder with config.json and a single model.safetensors holding `tensors`.
void writeFolder(const std::filesystem::path& dir, const json& config, const TensorMap& tensors)
{
    test::writeFileBytes(dir / "config.json", config.dump(2));
    writeSafetensors(dir / "model.safetensors", tensors);
}

// Loads `dir` and returns the message of the expected error type, or "" if it loaded.
template <typename ErrorType>
std::string loadError(const std::filesystem::path& dir)
{
    try {
        loadCheckpoint(dir);
        return "";
    } catch (const ErrorType& error) {
        return error.what();
    }
}

void expectContains(const std::string& message, const std::vector<std::string>& words)
{
    EXPECT_FALSE(message.empty()) << "no error";
    for (const std::string& word : words)
        EXPECT_NE(message.find(word), std::string::npos) << "'" << word << "' not in: " << message;
}

class DiskDtype : public ::testing::TestWithParam<const char*> {};

TEST_P(DiskDtype, WrittenTestModelLoadsBackIdentical)
{
    TestModelSpec spec;
    spec.diskDtype = GetParam();
    spec.seed = 7;
    TempDir dir;
    writeTestModel(dir.path(), spec);
    const Checkpoint expected = makeTestCheckpoint(spec);
    const Checkpoint loaded = loadCheckpoint(dir.path());

    const c10::ScalarType diskType = spec.diskDtype == "F32" ? at::kFloat : spec.diskDtype == "F16" ? at::kHalf : at::kBFloat16;
    ASSERT_EQ(loaded.tensors.size(), expectedTensorShapes(loaded.config).size());
    ASSERT_EQ(loaded.tensors.size(), expected.tensors.size());
    for (const auto& [name, tensor] : expected.tensors) {
        SCOPED_TRACE(name);
        const at::Tensor& got = loaded.tensors.at(name);
        EXPECT_EQ(got.scalar_type(), diskType);
        EXPECT_EQ(tensor.scalar_type(), diskType);
        EXPECT_TRUE(at::equal(got, tensor)) << "max |diff| " << (got.to(at::kFloat) - tensor.to(at::kFloat)).abs().max().item<float>();
    }
    EXPECT_EQ(loaded.config.vocabSize, kTestVocabSize);
    EXPECT_EQ(loaded.config.bosTokenId, kTestBeginOfTextId);
    EXPECT_TRUE(loaded.config.isEos(kTestEndOfTextId));
    EXPECT_EQ(loaded.config.torchDtype, spec.diskDtype == "F32" ? "float32" : spec.diskDtype == "F16" ? "float16" : "bfloat16");
    EXPECT_EQ(loaded.files.size(), 1u);
    // Provenance: the hash of the folder equals an independent hash of the file and the in-memory hash.
    EXPECT_EQ(weightsSha256(loaded), sha256File(dir / "model.safetensors"));
    EXPECT_EQ(weightsSha256(expected), weightsSha256(loaded));
}

INSTANTIATE_TEST_SUITE_P(Checkpoint, DiskDtype, ::testing::Values("F32", "F16", "BF16"));

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

TEST(Checkpoint, ShardedWithIndexLoads)
{
    TempDir dir;
    TestModelSpec spec;
    spec.tied = false;
    const TensorMap tensors = testTensors(spec);
    TensorMap first, second;
    json weightMap = json::object();
    for (const auto& [name, tensor] : tensors) {
        const bool inFirst = name.rfind("model.layers.1.", 0) != 0 && name != "lm_head.weight";
        (inFirst ? first : second).emplace(name, tensor);
        weightMap[name] = inFirst ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
    }
    test::writeFileBytes(dir / "config.json", testConfigJson(spec).dump());
    writeSafetensors(dir / "model-00001-of-00002.safetensors", first);
    writeSafetensors(dir / "model-00002-of-00002.safetensors", second);
    test::writeFileBytes(dir / "model.safetensors.index.json",
                         json{{"metadata", {{"total_size", 0}}}, {"weight_map", weightMap}}.dump());

    const Checkpoint loaded = loadCheckpoint(dir.path());
    ASSERT_EQ(loaded.tensors.size(), tensors.size());
    for (const auto& [name, tensor] : tensors)
        EXPECT_TRUE(at::equal(loaded.tensors.at(name), tensor)) << name;
    EXPECT_EQ(loaded.files.size(), 2u);
    // Provenance hash = SHA-256 over both files' bytes, in file-name order.
    Sha256 both;
    both.update(test::readFileBytes(dir / "model-00001-of-00002.safetensors"));
    both.update(test::readFileBytes(dir / "model-00002-of-00002.safetensors"));
    EXPECT_EQ(weightsSha256(loaded), both.hexDigest());

    // Index naming a missing shard.
    std::filesystem::rename(dir / "model-00002-of-00002.safetensors", dir / "moved.safetensors");
    expectContains(loadError<CheckpointError>(dir.path()),
                   {"model.safetensors.index.json", "shard 'model-00002-of-00002.safetensors'", "no such file"});
    std::filesystem::rename(dir / "moved.safetensors", dir / "model-00002-of-00002.safetensors");

    // A tensor listed in one shard but stored in the other.
    json movedMap = weightMap;
    movedMap["model.norm.weight"] = "model-00002-of-00002.safetensors";
    test::writeFileBytes(dir / "model.safetensors.index.json", json{{"weight_map", movedMap}}.dump());
    expectContains(loadError<CheckpointError>(dir.path()),
                   {"tensor 'model.norm.weight'", "in shard 'model-00002-of-00002.safetensors'",
                    "found in 'model-00001-of-00002.safetensors'"});

    // Duplicate tensor across shards.
    test::writeFileBytes(dir / "model.safetensors.index.json", json{{"weight_map", weightMap}}.dump());
    TensorMap secondWithDuplicate = second;
    secondWithDuplicate.emplace("model.norm.weight", tensors.at("model.norm.weight"));
    writeSafetensors(dir / "model-00002-of-00002.safetensors", secondWithDuplicate);
    expectContains(loadError<CheckpointError>(dir.path()),
                   {"tensor 'model.norm.weight'", "one weight file only", "model-00001-of-00002.safetensors",
                    "model-00002-of-00002.safetensors"});

    // Paths leaving the folder are refused.
    json escaping = weightMap;
    escaping["model.norm.weight"] = "../model-00001-of-00002.safetensors";
    test::writeFileBytes(dir / "model.safetensors.index.json", json{{"weight_map", escaping}}.dump());
    expectContains(loadError<CheckpointError>(dir.path()), {"weight_map['model.norm.weight']", "in the checkpoint folder"});

    test::writeFileBytes(dir / "model.safetensors.index.json", "{\"weight_map\": ");
    expectContains(loadError<CheckpointError>(dir.path()), {"model.safetensors.index.json", "well-formed JSON"});
}

TEST(CheckpointErrors, ShapeMismatchVsConfig)
{
    TempDir dir;
    json config = testConfigJson();
    config["num_key_value_heads"] = 4; // weights were made for 2 KV heads of 16 dims
    writeFolder(dir.path(), config, testTensors());
    expectContains(loadError<CheckpointError>(dir.path()),
                   {"tensor 'model.layers.0.self_attn.k_proj.weight'", "model.safetensors", "expected shape [64, 64]",
                    "found [32, 64]"});
}

TEST(CheckpointErrors, MissingTensor)
{
    TempDir dir;
    TensorMap tensors = testTensors();
    tensors.erase("model.layers.1.mlp.down_proj.weight");
    tensors.erase("model.norm.weight");
    writeFolder(dir.path(), testConfigJson(), tensors);
    expectContains(loadError<CheckpointError>(dir.path()),
                   {"tensor 'model.layers.1.mlp.down_proj.weight'", "missing", "1 more missing"});
}

TEST(CheckpointErrors, UnexpectedTensorsAndLmHeadWhileTied)
{
    TempDir dir;
    TensorMap tensors = testTensors();
    tensors.emplace("lm_head.weight", tensors.at("model.embed_tokens.weight").clone());
    writeFolder(dir.path(), testConfigJson(), tensors);
    expectContains(loadError<CheckpointError>(dir.path()),
                   {"tensor 'lm_head.weight'", "unexpected", "tie_word_embeddings"});

    tensors.erase("lm_head.weight");
    tensors.emplace("model.layers.0.self_attn.q_proj.bias", at::zeros({64}));
    writeFolder(dir.path(), testConfigJson(), tensors);
    expectContains(loadError<CheckpointError>(dir.path()), {"tensor 'model.layers.0.self_attn.q_proj.bias'", "unexpected"});

    // Untied config without lm_head: missing.
    tensors.erase("model.layers.0.self_attn.q_proj.bias");
    TestModelSpec untied;
    untied.tied = false;
    writeFolder(dir.path(), testConfigJson(untied), tensors);
    expectContains(loadError<CheckpointError>(dir.path()), {"tensor 'lm_head.weight'", "missing"});
}

TEST(CheckpointErrors, RotaryInvFreqBufferIsIgnored)
{
    TempDir dir;
    TensorMap tensors = testTensors();
    tensors.emplace("model.layers.0.self_attn.rotary_emb.inv_freq", at::ones({8}));
    tensors.emplace("model.layers.1.self_attn.rotary_emb.inv_freq", at::ones({8}));
    writeFolder(dir.path(), testConfigJson(), tensors);
    const Checkpoint loaded = loadCheckpoint(dir.path());
    EXPECT_EQ(loaded.tensors.size(), expectedTensorShapes(loaded.config).size());
    EXPECT_EQ(loaded.tensors.count("model.layers.0.self_attn.rotary_emb.inv_freq"), 0u);
}

TEST(CheckpointErrors, ConfigProblems)
{
    TempDir dir;
    writeTestModel(dir.path(), {});
    const std::string validConfig = test::readFileBytes(dir / "config.json");

    test::writeFileBytes(dir / "config.json", validConfig.substr(0, validConfig.size() / 2));
    expectContains(loadError<ConfigError>(dir.path()), {"config.json", "well-formed JSON"});

    json config = json::parse(validConfig);
    config["architectures"] = {"GPT2LMHeadModel"};
    test::writeFileBytes(dir / "config.json", config.dump());
    expectContains(loadError<ConfigError>(dir.path()), {"config.json", "'architectures'", "LlamaForCausalLM", "GPT2LMHeadModel"});

    config = json::parse(validConfig);
    config["rope_scaling"] = {{"rope_type", "longrope"}, {"factor", 2.0}};
    test::writeFileBytes(dir / "config.json", config.dump());
    expectContains(loadError<ConfigError>(dir.path()), {"config.json", "rope_type", "\"longrope\""});

    std::filesystem::remove(dir / "config.json");
    expectContains(loadError<ConfigError>(dir.path()), {"config.json", "no such file"});

    expectContains(loadError<CheckpointError>(dir / "absent"), {"absent", "checkpoint folder"});
}

TEST(CheckpointErrors, WeightFileProblems)
{
    TempDir dir;
    writeTestModel(dir.path(), {});
    const std::string weights = test::readFileBytes(dir / "model.safetensors");

    test::writeFileBytes(dir / "model.safetensors", weights.substr(0, weights.size() - 100));
    expectContains(loadError<CheckpointError>(dir.path()), {"model.safetensors", "data_offsets", "truncated"});

    test::writeFileBytes(dir / "model.safetensors", weights.substr(0, 5));
    expectContains(loadError<CheckpointError>(dir.path()), {"model.safetensors", "at least 8 bytes"});

    std::filesystem::remove(dir / "model.safetensors");
    expectContains(loadError<CheckpointError>(dir.path()), {"model.safetensors or model.safetensors.index.json", "neither"});
}

TEST(Checkpoint, TensorsOutliveTheCheckpointObject)
{
    TempDir dir;
    writeTestModel(dir.path(), {});
    at::Tensor norm;
    {
        Checkpoint loaded = loadCheckpoint(dir.path());
        norm = loaded.tensors.at("model.norm.weight");
    }
    // The view holds the mapping; reading it after the Checkpoint is gone is valid (ASan checks this).
    EXPECT_TRUE(at::equal(norm, testTensors().at("model.norm.weight")));
}

} // namespace
} // namespace tempo
