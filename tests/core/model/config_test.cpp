// config.json parsing: every key, defaults, llama3 rope_scaling, and refusals that name the key,
// what was expected and what was found.

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/llamaconfig.h"
#include "support/testsupport.h"

namespace tempo {
namespace {

using nlohmann::json;

// The config.json of Llama 3.2 3B (as cogito-v1-preview-llama-3B ships it), written out by hand.
json llama32Config()
{
    return json::parse(R"({
      "architectures": ["LlamaForCausalLM"],
      "attention_bias": false, "attention_dropout": 0.0,
      "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
      "head_dim": 128, "hidden_act": "silu", "hidden_size": 3072, "initializer_range": 0.02,
      "intermediate_size": 8192, "max_position_embeddings": 131072, "mlp_bias": false,
      "model_type": "llama", "num_attention_heads": 24, "num_hidden_layers": 28,
      "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
      "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                       "original_max_position_embeddings": 8192, "rope_type": "llama3"},
      "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
      "transformers_version": "4.45.0", "use_cache": true, "vocab_size": 128256
    })");
}

// Minimal config with only the required keys.
json minimalConfig()
{
    return json::parse(R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128,
                           "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100})");
}

std::string configError(const json& config)
{
    try {
        LlamaConfig::fromJson(config);
        return "";
    } catch (const ConfigError& error) {
        return error.what();
    }
}

TEST(LlamaConfig, ParsesEveryKeyOfLlama32)
{
    LlamaConfig config = LlamaConfig::fromJson(llama32Config());
    EXPECT_EQ(config.hiddenSize, 3072);
    EXPECT_EQ(config.intermediateSize, 8192);
    EXPECT_EQ(config.numHiddenLayers, 28);
    EXPECT_EQ(config.numAttentionHeads, 24);
    EXPECT_EQ(config.numKeyValueHeads, 8);
    EXPECT_EQ(config.queryHeadsPerKeyValueHead(), 3);
    EXPECT_EQ(config.headDim, 128);
    EXPECT_EQ(config.vocabSize, 128256);
    EXPECT_EQ(config.maxPositionEmbeddings, 131072);
    EXPECT_DOUBLE_EQ(config.rmsNormEps, 1e-5);
    EXPECT_DOUBLE_EQ(config.ropeTheta, 500000.0);
    EXPECT_EQ(config.ropeScaling.type, RopeScaling::Type::Llama3);
    EXPECT_DOUBLE_EQ(config.ropeScaling.factor, 32.0);
    EXPECT_DOUBLE_EQ(config.ropeScaling.lowFreqFactor, 1.0);
    EXPECT_DOUBLE_EQ(config.ropeScaling.highFreqFactor, 4.0);
    EXPECT_EQ(config.ropeScaling.originalMaxPositionEmbeddings, 8192);
    EXPECT_TRUE(config.tieWordEmbeddings);
    EXPECT_EQ(config.bosTokenId, 128000);
    EXPECT_EQ(config.eosTokenIds, (std::vector<int64_t>{128001, 128008, 128009}));
    EXPECT_TRUE(config.isEos(128009));
    EXPECT_FALSE(config.isEos(128000));
    EXPECT_EQ(config.torchDtype, "bfloat16");
}

TEST(LlamaConfig, DefaultsWhenKeysAreAbsent)
{
    LlamaConfig config = LlamaConfig::fromJson(minimalConfig());
    EXPECT_EQ(config.numKeyValueHeads, 4);      // = heads
    EXPECT_EQ(config.headDim, 16);              // hidden / heads
    EXPECT_FALSE(config.tieWordEmbeddings);     // transformers' LlamaConfig default
    EXPECT_EQ(config.ropeScaling.type, RopeScaling::Type::None);
    EXPECT_EQ(config.bosTokenId, -1);
    EXPECT_TRUE(config.eosTokenIds.empty());
    EXPECT_FALSE(config.isEos(0));
}

TEST(LlamaConfig, EosAsSingleIntAndRopeScalingVariants)
{
    json config = minimalConfig();
    config["eos_token_id"] = 7;
    config["rope_scaling"] = nullptr;
    LlamaConfig parsed = LlamaConfig::fromJson(config);
    EXPECT_EQ(parsed.eosTokenIds, std::vector<int64_t>{7});
    EXPECT_TRUE(parsed.isEos(7));
    EXPECT_EQ(parsed.ropeScaling.type, RopeScaling::Type::None);

    config["rope_scaling"] = {{"rope_type", "default"}};
    EXPECT_EQ(LlamaConfig::fromJson(config).ropeScaling.type, RopeScaling::Type::None);
    // Older configs spell it "type".
    config["rope_scaling"] = {{"type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                              {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
    parsed = LlamaConfig::fromJson(config);
    EXPECT_EQ(parsed.ropeScaling.type, RopeScaling::Type::Llama3);
    EXPECT_DOUBLE_EQ(parsed.ropeScaling.factor, 8.0);
}

TEST(LlamaConfig, ModelTypeLlamaWithoutArchitecturesIsAccepted)
{
    json config = minimalConfig();
    config.erase("architectures");
    config["model_type"] = "llama";
    EXPECT_NO_THROW(LlamaConfig::fromJson(config));
    config["model_type"] = "bert";
    EXPECT_NE(configError(config).find("unsupported architecture \"bert\"; supported: llama"), std::string::npos);
}

TEST(LlamaConfig, ToJsonRoundTrips)
{
    LlamaConfig original = LlamaConfig::fromJson(llama32Config());
    json written = original.toJson();
    EXPECT_EQ(written["architectures"], json::array({"LlamaForCausalLM"}));
    EXPECT_EQ(written["model_type"], "llama");
    LlamaConfig again = LlamaConfig::fromJson(written);
    EXPECT_EQ(again.hiddenSize, original.hiddenSize);
    EXPECT_EQ(again.numKeyValueHeads, original.numKeyValueHeads);
    EXPECT_EQ(again.headDim, original.headDim);
    EXPECT_EQ(again.eosTokenIds, original.eosTokenIds);
    EXPECT_EQ(again.bosTokenId, original.bosTokenId);
    EXPECT_EQ(again.ropeScaling.type, original.ropeScaling.type);
    EXPECT_DOUBLE_EQ(again.ropeScaling.factor, original.ropeScaling.factor);
    EXPECT_EQ(again.ropeScaling.originalMaxPositionEmbeddings, original.ropeScaling.originalMaxPositionEmbeddings);
    EXPECT_DOUBLE_EQ(again.ropeTheta, original.ropeTheta);
    EXPECT_EQ(again.tieWordEmbeddings, original.tieWordEmbeddings);
    EXPECT_EQ(again.torchDtype, original.torchDtype);
    EXPECT_EQ(again.maxPositionEmbeddings, original.maxPositionEmbeddings);
}

TEST(LlamaConfigErrors, NameKeyExpectedAndFound)
{
    struct Case {
        const char* key;
        json value;
        std::vector<std::string> words; // each must appear in the message
    };
    const std::vector<Case> cases = {
        {"num_key_value_heads", 7, {"config.json: key 'num_key_value_heads'", "expected a divisor of num_attention_heads (24)", "found 7"}},
        {"num_key_value_heads", 0, {"'num_key_value_heads'", "positive", "found 0"}},
        {"hidden_size", -1, {"'hidden_size'", "positive integer", "found -1"}},
        {"hidden_size", "3072", {"'hidden_size'", "an integer", "found the string \"3072\""}},
        {"num_hidden_layers", 2.5, {"'num_hidden_layers'", "an integer", "found 2.5"}},
        {"head_dim", 127, {"'head_dim'", "even", "found 127"}},
        {"vocab_size", 0, {"'vocab_size'", "found 0"}},
        {"rms_norm_eps", -1e-5, {"'rms_norm_eps'", "positive"}},
        {"rope_theta", "big", {"'rope_theta'", "a number"}},
        {"tie_word_embeddings", "yes", {"'tie_word_embeddings'", "true or false"}},
        {"eos_token_id", json::array({128001, "x"}), {"'eos_token_id'", "an integer"}},
        {"eos_token_id", 999999, {"'eos_token_id'", "vocab_size = 128256", "found 999999"}},
        {"bos_token_id", -5, {"'bos_token_id'", "found -5"}},
        {"architectures", json::array({"MistralForCausalLM"}), {"'architectures'", "LlamaForCausalLM", "MistralForCausalLM"}},
        {"architectures", "LlamaForCausalLM", {"'architectures'", "a list"}},
        {"rope_scaling", {{"rope_type", "yarn"}, {"factor", 4.0}}, {"rope_scaling.rope_type", "\"llama3\", \"linear\"", "found \"yarn\""}},
        {"rope_scaling", {{"type", "dynamic"}, {"factor", 2.0}}, {"rope_scaling", "found \"dynamic\""}},
        {"rope_scaling", {{"rope_type", "llama3"}, {"factor", 0.0}}, {"factor", "positive"}},
        {"rope_scaling", "llama3", {"'rope_scaling'", "null or an object"}},
        {"hidden_act", "gelu", {"'hidden_act'", "\"silu\"", "found the string \"gelu\""}},
        {"attention_bias", true, {"'attention_bias'", "false", "found true"}},
        {"mlp_bias", true, {"'mlp_bias'", "false", "found true"}},
    };
    for (const Case& c : cases) {
        json config = llama32Config();
        config[c.key] = c.value;
        std::string message = configError(config);
        SCOPED_TRACE(std::string(c.key) + " = " + c.value.dump());
        ASSERT_FALSE(message.empty()) << "accepted";
        for (const std::string& word : c.words)
            EXPECT_NE(message.find(word), std::string::npos) << "'" << word << "' not in: " << message;
    }
}

TEST(LlamaConfigErrors, SizesPastTheLimitsAreRefusedAtOnce)
{
    // num_hidden_layers = 10^9 used to hang and grow past 3 GB while the loader listed the
    // tensors such a model must have; every size now has a ceiling checked on parsing.
    struct Case {
        const char* key;
        int64_t value;
        int64_t limit;
    };
    const std::vector<Case> cases = {
        {"num_hidden_layers", 1000000000, LlamaConfigLimits::kMaxLayers},
        {"hidden_size", int64_t{1} << 40, LlamaConfigLimits::kMaxHiddenSize},
        {"intermediate_size", int64_t{1} << 40, LlamaConfigLimits::kMaxIntermediateSize},
        {"num_attention_heads", 1 << 20, LlamaConfigLimits::kMaxHeads},
        {"num_key_value_heads", 1 << 20, LlamaConfigLimits::kMaxHeads},
        {"head_dim", 1 << 20, LlamaConfigLimits::kMaxHeadDim},
        {"vocab_size", int64_t{1} << 40, LlamaConfigLimits::kMaxVocabSize},
        {"max_position_embeddings", int64_t{1} << 40, LlamaConfigLimits::kMaxPositionEmbeddings},
    };
    for (const Case& c : cases) {
        json config = llama32Config();
        config[c.key] = c.value;
        const std::string message = configError(config);
        SCOPED_TRACE(std::string(c.key) + " = " + std::to_string(c.value) + ": " + message);
        EXPECT_NE(message.find(std::string("key '") + c.key + "'"), std::string::npos);
        EXPECT_NE(message.find("at most " + std::to_string(c.limit)), std::string::npos);
        EXPECT_NE(message.find("found " + std::to_string(c.value)), std::string::npos);
    }
    json atLimit = llama32Config();
    atLimit["max_position_embeddings"] = 2000000000; // large but allowed: runs size their cache to use
    EXPECT_EQ(configError(atLimit), "");
}

TEST(LlamaConfigErrors, MissingRequiredKey)
{
    for (const char* key : {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size"}) {
        json config = minimalConfig();
        config.erase(key);
        std::string message = configError(config);
        EXPECT_NE(message.find(std::string("key '") + key + "'"), std::string::npos) << message;
        EXPECT_NE(message.find("no such key"), std::string::npos) << message;
    }
    // hidden not divisible by heads is only an error when head_dim must be derived.
    json config = minimalConfig();
    config["hidden_size"] = 66;
    EXPECT_NE(configError(config).find("multiple of num_attention_heads"), std::string::npos);
    config["head_dim"] = 16;
    EXPECT_EQ(configError(config), "");
}

TEST(LlamaConfigErrors, FromFileMalformedOrMissing)
{
    test::TempDir dir;
    try {
        LlamaConfig::fromFile(dir / "config.json");
        FAIL() << "no exception";
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("config.json"), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("no such file"), std::string::npos) << error.what();
    }
    test::writeFileBytes(dir / "config.json", "{\"hidden_size\": 64,,}");
    try {
        LlamaConfig::fromFile(dir / "config.json");
        FAIL() << "no exception";
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("well-formed JSON"), std::string::npos) << error.what();
    }
    test::writeFileBytes(dir / "config.json", "[1, 2]");
    EXPECT_THROW(LlamaConfig::fromFile(dir / "config.json"), ConfigError);
}

} // namespace
} // namespace tempo
