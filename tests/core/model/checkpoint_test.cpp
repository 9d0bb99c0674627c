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

TEST(CheckpointErrors, ConfigClaimingMoreLayersThanTheWeightsHoldIsRefusedByName)
{
    // Read from the tensor names before any per-layer list is built (the loader used to list
    // every tensor the config implies first).
    TempDir dir;
    json config = testConfigJson();
    config["num_hidden_layers"] = 1000;
    writeFolder(dir.path(), config, testTensors());
    expectContains(loadError<CheckpointError>(dir.path()),
                   {"num_hidden_layers", "the 2 layers the weights hold", "model.layers.1", "found 1000"});
    config["num_hidden_layers"] = 1;
    writeFolder(dir.path(), config, testTensors());
    expectContains(loadError<CheckpointError>(dir.path()), {"num_hidden_layers", "the 2 layers", "found 1"});
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
