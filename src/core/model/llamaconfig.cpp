#include "core/model/llamaconfig.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"

namespace tempo {

namespace {

using nlohmann::json;

// Short description of a JSON value for "found ..." in messages: the type and, for scalars, the value.
std::string describe(const json& value)
{
    switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "a list " + value.dump().substr(0, 60);
    case json::value_t::string: return "the string " + value.dump().substr(0, 80);
    case json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    default: return value.dump(); // numbers
    }
}

// Reads config keys with messages of the form "config.json: key 'k': expected X, found Y".
class ConfigReader {
public:
    ConfigReader(const json& object, std::string source) : object_(object), source_(std::move(source)) {}

    [[noreturn]] void fail(const std::string& key, const std::string& expected, const std::string& found) const
    {
        throw ConfigError(expectedFound(source_ + ": key '" + key + "'", expected, found));
    }

    bool has(const std::string& key) const { return object_.contains(key) && !object_.at(key).is_null(); }
    const json& at(const std::string& key) const { return object_.at(key); }

    int64_t integer(const std::string& key) const
    {
        if (!object_.contains(key))
            fail(key, "an integer", "no such key");
        return integerValue(key, object_.at(key));
    }
    int64_t integerOr(const std::string& key, int64_t fallback) const
    {
        return has(key) ? integerValue(key, object_.at(key)) : fallback;
    }
    int64_t positiveInteger(const std::string& key) const
    {
        int64_t value = integer(key);
        if (value <= 0)
            fail(key, "a positive integer", std::to_string(value));
        return value;
    }
    // A positive integer no larger than `limit` (LlamaConfigLimits).
    int64_t boundedInteger(const std::string& key, int64_t limit) const
    {
        const int64_t value = integer(key);
        requireWithin(key, value, limit);
        return value;
    }
    void requireWithin(const std::string& key, int64_t value, int64_t limit) const
    {
        if (value <= 0)
            fail(key, "a positive integer", std::to_string(value));
        if (value > limit)
            fail(key, "at most " + std::to_string(limit) + " (the largest size this app accepts)", std::to_string(value));
    }
    double number(const std::string& key, double fallback) const
    {
        if (!has(key))
            return fallback;
        const json& value = object_.at(key);
        if (!value.is_number())
            fail(key, "a number", describe(value));
        return value.get<double>();
    }
    double positiveNumber(const std::string& key, double fallback) const
    {
        double value = number(key, fallback);
        if (!(value > 0.0) || !std::isfinite(value))
            fail(key, "a positive finite number", json(value).dump());
        return value;
    }
    bool boolean(const std::string& key, bool fallback) const
    {
        if (!has(key))
            return fallback;
        const json& value = object_.at(key);
        if (!value.is_boolean())
            fail(key, "true or false", describe(value));
        return value.get<bool>();
    }
    std::string string(const std::string& key, const std::string& fallback) const
    {
        if (!has(key))
            return fallback;
        const json& value = object_.at(key);
        if (!value.is_string())
            fail(key, "a string", describe(value));
        return value.get<std::string>();
    }

    int64_t integerValue(const std::string& key, const json& value) const
    {
        if (value.is_number_integer())
            return value.get<int64_t>();
        // Some writers emit 2048.0; accept floats with an integral value.
        if (value.is_number_float()) {
            double number = value.get<double>();
            if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) < 9.0e15)
                return static_cast<int64_t>(number);
        }
        fail(key, "an integer", describe(value));
    }

private:
    const json& object_;
    std::string source_;
};

RopeScaling parseRopeScaling(const ConfigReader& config, const std::string& source)
{
    RopeScaling scaling;
    if (!config.has("rope_scaling"))
        return scaling;
    const json& block = config.at("rope_scaling");
    if (!block.is_object())
        config.fail("rope_scaling", "null or an object", describe(block));
    ConfigReader rope(block, source + ": rope_scaling");
    // transformers accepts both spellings; `rope_type` wins when both are present.
    std::string type = rope.has("rope_type") ? rope.string("rope_type", "") : rope.string("type", "");
    if (type.empty() || type == "default")
        return scaling;
    if (type != "llama3")
        config.fail("rope_scaling.rope_type", "\"llama3\" or \"default\" (the rope types this app implements)",
                    "\"" + type + "\"");
    scaling.type = RopeScaling::Type::Llama3;
    scaling.factor = rope.positiveNumber("factor", scaling.factor);
    scaling.lowFreqFactor = rope.positiveNumber("low_freq_factor", scaling.lowFreqFactor);
    scaling.highFreqFactor = rope.positiveNumber("high_freq_factor", scaling.highFreqFactor);
    scaling.originalMaxPositionEmbeddings =
        rope.integerOr("original_max_position_embeddings", scaling.originalMaxPositionEmbeddings);
    if (scaling.originalMaxPositionEmbeddings <= 0)
        rope.fail("original_max_position_embeddings", "a positive integer",
                  std::to_string(scaling.originalMaxPositionEmbeddings));
    // The smooth interpolation divides by (high - low); equal factors would divide by zero.
    if (!(scaling.highFreqFactor > scaling.lowFreqFactor))
        rope.fail("high_freq_factor", "a value greater than low_freq_factor (" +
                  json(scaling.lowFreqFactor).dump() + ")", json(scaling.highFreqFactor).dump());
    return scaling;
}

} // namespace

bool LlamaConfig::isEos(int64_t tokenId) const
{
    return std::find(eosTokenIds.begin(), eosTokenIds.end(), tokenId) != eosTokenIds.end();
}

LlamaConfig LlamaConfig::fromJson(const json& root, const std::string& source)
{
    if (!root.is_object())
        throw ConfigError(expectedFound(source, "a JSON object", describe(root)));
    ConfigReader reader(root, source);

    // Architecture: only LlamaForCausalLM. Old configs without `architectures` are accepted when
    // model_type says llama.
    if (reader.has("architectures")) {
        const json& architectures = root.at("architectures");
        if (!architectures.is_array())
            reader.fail("architectures", "a list containing \"LlamaForCausalLM\"", describe(architectures));
        bool llama = false;
        for (const json& name : architectures)
            llama = llama || (name.is_string() && name.get<std::string>() == "LlamaForCausalLM");
        if (!llama)
            reader.fail("architectures", "a list containing \"LlamaForCausalLM\"", architectures.dump());
    } else {
        std::string modelType = reader.string("model_type", "");
        if (modelType != "llama")
            reader.fail("architectures", "[\"LlamaForCausalLM\"] (or model_type \"llama\")",
                        modelType.empty() ? std::string("neither key") : "model_type \"" + modelType + "\"");
    }

    LlamaConfig config;
    using Limits = LlamaConfigLimits;
    config.hiddenSize = reader.boundedInteger("hidden_size", Limits::kMaxHiddenSize);
    config.intermediateSize = reader.boundedInteger("intermediate_size", Limits::kMaxIntermediateSize);
    config.numHiddenLayers = reader.boundedInteger("num_hidden_layers", Limits::kMaxLayers);
    config.numAttentionHeads = reader.boundedInteger("num_attention_heads", Limits::kMaxHeads);
    config.numKeyValueHeads = reader.integerOr("num_key_value_heads", config.numAttentionHeads);
    reader.requireWithin("num_key_value_heads", config.numKeyValueHeads, Limits::kMaxHeads);
    if (config.numAttentionHeads % config.numKeyValueHeads != 0)
        reader.fail("num_key_value_heads",
                    "a divisor of num_attention_heads (" + std::to_string(config.numAttentionHeads) + ")",
                    std::to_string(config.numKeyValueHeads));

    if (reader.has("head_dim")) {
        config.headDim = reader.integer("head_dim");
    } else {
        if (config.hiddenSize % config.numAttentionHeads != 0)
            reader.fail("hidden_size",
                        "a multiple of num_attention_heads (" + std::to_string(config.numAttentionHeads) +
                            ") when head_dim is absent",
                        std::to_string(config.hiddenSize));
        config.headDim = config.hiddenSize / config.numAttentionHeads;
    }
    if (config.headDim <= 0 || config.headDim % 2 != 0)
        reader.fail("head_dim", "a positive even integer (RoPE rotates pairs)", std::to_string(config.headDim));
    reader.requireWithin("head_dim", config.headDim, Limits::kMaxHeadDim);

    config.vocabSize = reader.boundedInteger("vocab_size", Limits::kMaxVocabSize);
    config.maxPositionEmbeddings = reader.integerOr("max_position_embeddings", 2048);
    reader.requireWithin("max_position_embeddings", config.maxPositionEmbeddings, Limits::kMaxPositionEmbeddings);
    config.rmsNormEps = reader.positiveNumber("rms_norm_eps", config.rmsNormEps);
    config.ropeTheta = reader.positiveNumber("rope_theta", config.ropeTheta);
    config.ropeScaling = parseRopeScaling(reader, source);
    config.tieWordEmbeddings = reader.boolean("tie_word_embeddings", false);
    // The forward implements SwiGLU without bias terms; refuse variants it would compute wrongly.
    if (reader.string("hidden_act", "silu") != "silu")
        reader.fail("hidden_act", "\"silu\" (the SwiGLU MLP this app implements)", describe(root.at("hidden_act")));
    for (const char* key : {"attention_bias", "mlp_bias"})
        if (reader.boolean(key, false))
            reader.fail(key, "false (this app implements projections without bias)", "true");
    config.torchDtype = reader.string("torch_dtype", config.torchDtype);

    config.bosTokenId = reader.integerOr("bos_token_id", -1);
    if (config.bosTokenId < -1 || config.bosTokenId >= config.vocabSize)
        reader.fail("bos_token_id", "an id in [0, vocab_size = " + std::to_string(config.vocabSize) + ")",
                    std::to_string(config.bosTokenId));
    if (reader.has("eos_token_id")) {
        const json& eos = root.at("eos_token_id");
        if (eos.is_array()) {
            for (const json& id : eos)
                config.eosTokenIds.push_back(reader.integerValue("eos_token_id", id));
        } else {
            config.eosTokenIds.push_back(reader.integerValue("eos_token_id", eos));
        }
        for (int64_t id : config.eosTokenIds)
            if (id < 0 || id >= config.vocabSize)
                reader.fail("eos_token_id", "ids in [0, vocab_size = " + std::to_string(config.vocabSize) + ")",
                            std::to_string(id));
    }
    return config;
}

LlamaConfig LlamaConfig::fromFile(const std::filesystem::path& configJson)
{
    std::ifstream in(configJson, std::ios::binary);
    if (!in)
        throw ConfigError(expectedFound(configJson.string(), "a readable config.json", "no such file or unreadable"));
    std::stringstream text;
    text << in.rdbuf();
    json root;
    try {
        root = json::parse(text.str());
    } catch (const json::exception& error) {
        throw ConfigError(expectedFound(configJson.string(), "well-formed JSON",
                                        std::string("malformed JSON (") + error.what() + ")"));
    }
    return fromJson(root, configJson.string());
}

json LlamaConfig::toJson() const
{
    json out = json::object();
    out["architectures"] = json::array({"LlamaForCausalLM"});
    out["model_type"] = "llama";
    out["hidden_size"] = hiddenSize;
    out["intermediate_size"] = intermediateSize;
    out["num_hidden_layers"] = numHiddenLayers;
    out["num_attention_heads"] = numAttentionHeads;
    out["num_key_value_heads"] = numKeyValueHeads;
    out["head_dim"] = headDim;
    out["vocab_size"] = vocabSize;
    out["max_position_embeddings"] = maxPositionEmbeddings;
    out["rms_norm_eps"] = rmsNormEps;
    out["rope_theta"] = ropeTheta;
    if (ropeScaling.type == RopeScaling::Type::Llama3) {
        out["rope_scaling"] = {
            {"rope_type", "llama3"},
            {"factor", ropeScaling.factor},
            {"low_freq_factor", ropeScaling.lowFreqFactor},
            {"high_freq_factor", ropeScaling.highFreqFactor},
            {"original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings},
        };
    } else {
        out["rope_scaling"] = nullptr;
    }
    out["tie_word_embeddings"] = tieWordEmbeddings;
    if (bosTokenId >= 0)
        out["bos_token_id"] = bosTokenId;
    if (eosTokenIds.size() == 1)
        out["eos_token_id"] = eosTokenIds.front();
    else if (!eosTokenIds.empty())
        out["eos_token_id"] = eosTokenIds;
    out["torch_dtype"] = torchDtype;
    out["hidden_act"] = "silu";
    out["attention_bias"] = false;
    out["mlp_bias"] = false;
    return out;
}

} // namespace tempo
