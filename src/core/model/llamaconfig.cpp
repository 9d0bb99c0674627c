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
    if (type == "linear") {
        scaling.type = RopeScaling::Type::Linear;
        scaling.factor = rope.positiveNumber("factor", scaling.factor);
        return scaling;
    }
    if (type != "llama3")
        config.fail("rope_scaling.rope_type",
                    "\"llama3\", \"linear\" or \"default\" (the rope types this app implements)", "\"" + type + "\"");
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

[[noreturn]] void failUnsupportedArchitecture(const std::string& source, const std::string& found)
{
    throw ConfigError(source + ": unsupported architecture " + found + "; supported: " + supportedFamiliesText() +
                      " (expected one of these in 'model_type' or 'architectures', found " + found + ")");
}

// The family from model_type (and architectures, which must then agree), or from architectures
// alone in configs without model_type.
ModelFamily readFamily(const ConfigReader& reader, const json& root, const std::string& source)
{
    const bool hasArchitectures = reader.has("architectures");
    const json* architectures = hasArchitectures ? &root.at("architectures") : nullptr;
    if (reader.has("model_type")) {
        const std::string modelType = reader.string("model_type", "");
        const auto& families = allModelFamilies();
        auto found = std::find_if(families.begin(), families.end(),
                                  [&](ModelFamily f) { return modelType == familyTraits(f).modelType; });
        if (found == families.end())
            failUnsupportedArchitecture(source, "\"" + modelType + "\"");
        const FamilyTraits& traits = familyTraits(*found);
        if (hasArchitectures) {
            const std::string expected = std::string("a list containing \"") + traits.architecture + "\" (model_type \"" +
                                         modelType + "\")";
            if (!architectures->is_array())
                reader.fail("architectures", expected, describe(*architectures));
            bool listed = false;
            for (const json& name : *architectures)
                listed = listed || (name.is_string() && name.get<std::string>() == traits.architecture);
            if (!listed)
                reader.fail("architectures", expected, architectures->dump());
        }
        return *found;
    }
    if (!hasArchitectures)
        reader.fail("model_type", "one of the supported model types (" + supportedFamiliesText() + ")",
                    "neither model_type nor architectures");
    if (!architectures->is_array())
        reader.fail("architectures", "a list of architecture names", describe(*architectures));
    for (const json& name : *architectures)
        for (ModelFamily f : allModelFamilies())
            if (name.is_string() && name.get<std::string>() == familyTraits(f).architecture)
                return f;
    failUnsupportedArchitecture(source, architectures->dump());
}

Activation parseActivation(const ConfigReader& reader, const json& root, const std::string& key,
                           const std::string& fallback, const std::vector<std::pair<std::string, Activation>>& accepted)
{
    const std::string name = reader.string(key, fallback);
    std::string names;
    for (const auto& [text, activation] : accepted) {
        if (name == text)
            return activation;
        names += (names.empty() ? "\"" : ", \"") + text + "\"";
    }
    reader.fail(key, names + " (what this family's MLP implements here)", describe(root.at(key)));
}

// gpt2's names: n_embd, n_layer, n_head, n_inner, n_positions, layer_norm_epsilon, activation_function.
void readGpt2Sizes(const ConfigReader& reader, const json& root, LlamaConfig& config)
{
    using Limits = LlamaConfigLimits;
    config.hiddenSize = reader.boundedInteger("n_embd", Limits::kMaxHiddenSize);
    config.numHiddenLayers = reader.boundedInteger("n_layer", Limits::kMaxLayers);
    config.numAttentionHeads = reader.boundedInteger("n_head", Limits::kMaxHeads);
    config.numKeyValueHeads = config.numAttentionHeads;
    if (config.hiddenSize % config.numAttentionHeads != 0)
        reader.fail("n_embd", "a multiple of n_head (" + std::to_string(config.numAttentionHeads) + ")",
                    std::to_string(config.hiddenSize));
    config.headDim = config.hiddenSize / config.numAttentionHeads;
    reader.requireWithin("head_dim", config.headDim, Limits::kMaxHeadDim);
    config.intermediateSize = reader.integerOr("n_inner", 4 * config.hiddenSize);
    reader.requireWithin("n_inner", config.intermediateSize, Limits::kMaxIntermediateSize);
    config.maxPositionEmbeddings = reader.integerOr("n_positions", 1024);
    reader.requireWithin("n_positions", config.maxPositionEmbeddings, Limits::kMaxPositionEmbeddings);
    config.rmsNormEps = reader.positiveNumber("layer_norm_epsilon", 1e-5);
    config.activation = parseActivation(reader, root, "activation_function", "gelu_new",
                                        {{"gelu_new", Activation::GeluTanh},
                                         {"gelu_pytorch_tanh", Activation::GeluTanh},
                                         {"gelu", Activation::GeluExact}});
    config.attentionBias = true;
    if (!reader.boolean("scale_attn_weights", true))
        reader.fail("scale_attn_weights", "true (scores divided by sqrt(head_dim))", "false");
    for (const char* key : {"scale_attn_by_inverse_layer_idx", "add_cross_attention"})
        if (reader.boolean(key, false))
            reader.fail(key, "false (not implemented here)", "true");
}

// The sizes every rotary family shares, under Llama's key names.
void readRotarySizes(const ConfigReader& reader, LlamaConfig& config, int64_t defaultHeadDim)
{
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
    } else if (defaultHeadDim > 0) {
        config.headDim = defaultHeadDim;
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
    config.maxPositionEmbeddings = reader.integerOr("max_position_embeddings", 2048);
    reader.requireWithin("max_position_embeddings", config.maxPositionEmbeddings, Limits::kMaxPositionEmbeddings);
    config.rmsNormEps = reader.positiveNumber("rms_norm_eps", config.rmsNormEps);
    config.ropeTheta = reader.positiveNumber("rope_theta", config.ropeTheta);
}

// sliding_window: null/absent -> `fallback` (0 = none), else a positive integer.
int64_t readSlidingWindow(const ConfigReader& reader, int64_t fallback)
{
    if (!reader.has("sliding_window"))
        return fallback;
    const int64_t window = reader.integer("sliding_window");
    reader.requireWithin("sliding_window", window, LlamaConfigLimits::kMaxPositionEmbeddings);
    return window;
}

// layer_types (newer configs): "full_attention" / "sliding_attention" per layer. Returns false when absent.
bool readLayerTypes(const ConfigReader& reader, const json& root, LlamaConfig& config)
{
    if (!reader.has("layer_types"))
        return false;
    const json& types = root.at("layer_types");
    const std::string expected = "a list of " + std::to_string(config.numHiddenLayers) +
                                 " entries \"full_attention\" or \"sliding_attention\"";
    if (!types.is_array() || static_cast<int64_t>(types.size()) != config.numHiddenLayers)
        reader.fail("layer_types", expected, describe(types));
    config.slidingLayers.clear();
    for (const json& type : types) {
        if (type == "sliding_attention")
            config.slidingLayers.push_back(true);
        else if (type == "full_attention")
            config.slidingLayers.push_back(false);
        else
            reader.fail("layer_types", expected, "an entry " + describe(type));
    }
    return true;
}

// Each family's own keys, on top of the rotary sizes: the one place that says what config.json
// carries beyond Llama's keys.
void readRotaryFamilyExtras(const ConfigReader& reader, const json& root, LlamaConfig& config)
{
    const int64_t layers = config.numHiddenLayers;
    switch (config.family) {
    case ModelFamily::Llama:
        for (const char* key : {"attention_bias", "mlp_bias"})
            if (reader.boolean(key, false))
                reader.fail(key, "false (this app implements projections without bias)", "true");
        break;
    case ModelFamily::Mistral:
        // MistralConfig's default window is 4096; Mistral 7B v0.2 and later write null (no window).
        config.slidingWindow = readSlidingWindow(reader, root.contains("sliding_window") ? 0 : 4096);
        if (!readLayerTypes(reader, root, config))
            config.slidingLayers.assign(static_cast<size_t>(layers), config.slidingWindow > 0);
        break;
    case ModelFamily::Qwen2: {
        config.attentionBias = true;
        // Qwen2: use_sliding_window (default false) turns the window on for layers >= max_window_layers.
        const bool useWindow = reader.boolean("use_sliding_window", false);
        config.slidingWindow = useWindow ? readSlidingWindow(reader, 4096) : 0;
        const int64_t firstWindowLayer = reader.integerOr("max_window_layers", 28);
        if (!readLayerTypes(reader, root, config))
            for (int64_t l = 0; l < layers; ++l)
                config.slidingLayers.push_back(config.slidingWindow > 0 && l >= firstWindowLayer);
        break;
    }
    case ModelFamily::Phi3: {
        config.slidingWindow = readSlidingWindow(reader, 0);
        config.slidingLayers.assign(static_cast<size_t>(layers), config.slidingWindow > 0);
        const double partial = reader.number("partial_rotary_factor", 1.0);
        if (partial != 1.0)
            reader.fail("partial_rotary_factor", "1.0 (rotation of the whole head; partial rotation is not implemented)",
                        json(partial).dump());
        break;
    }
    case ModelFamily::Gemma2: {
        config.slidingWindow = readSlidingWindow(reader, root.contains("sliding_window") ? 0 : 4096);
        // transformers' Gemma2Config: even layers (0, 2, ...) slide, odd ones attend fully.
        if (!readLayerTypes(reader, root, config))
            for (int64_t l = 0; l < layers; ++l)
                config.slidingLayers.push_back(l % 2 == 0);
        config.queryPreAttnScalar = reader.positiveNumber("query_pre_attn_scalar", 256.0);
        config.attnLogitSoftcap = reader.has("attn_logit_softcapping")
                                      ? reader.positiveNumber("attn_logit_softcapping", 50.0)
                                      : (root.contains("attn_logit_softcapping") ? 0.0 : 50.0);
        config.finalLogitSoftcap = reader.has("final_logit_softcapping")
                                       ? reader.positiveNumber("final_logit_softcapping", 30.0)
                                       : (root.contains("final_logit_softcapping") ? 0.0 : 30.0);
        break;
    }
    case ModelFamily::Gpt2:
        break;
    }
}

} // namespace

double LlamaConfig::attentionScale() const
{
    if (queryPreAttnScalar > 0.0)
        return 1.0 / std::sqrt(queryPreAttnScalar);
    return 1.0 / std::sqrt(static_cast<double>(headDim));
}

bool LlamaConfig::isEos(int64_t tokenId) const
{
    return std::find(eosTokenIds.begin(), eosTokenIds.end(), tokenId) != eosTokenIds.end();
}

LlamaConfig LlamaConfig::fromJson(const json& root, const std::string& source)
{
    if (!root.is_object())
        throw ConfigError(expectedFound(source, "a JSON object", describe(root)));
    ConfigReader reader(root, source);

    LlamaConfig config;
    config.family = readFamily(reader, root, source);
    const FamilyTraits& traits = familyTraits(config.family);
    using Limits = LlamaConfigLimits;
    if (config.family == ModelFamily::Gpt2) {
        readGpt2Sizes(reader, root, config);
    } else {
        readRotarySizes(reader, config, config.family == ModelFamily::Gemma2 ? 256 : 0);
        config.ropeScaling = parseRopeScaling(reader, source);
        // The MLP's activation: SwiGLU families take silu only; gemma2 GeGLU gelu with tanh.
        if (config.family == ModelFamily::Gemma2) {
            const bool newKey = reader.has("hidden_activation");
            config.activation = parseActivation(reader, root, newKey ? "hidden_activation" : "hidden_act",
                                                "gelu_pytorch_tanh", {{"gelu_pytorch_tanh", Activation::GeluTanh}});
        } else {
            if (reader.string("hidden_act", "silu") != "silu")
                reader.fail("hidden_act", "\"silu\" (the SwiGLU MLP this app implements)", describe(root.at("hidden_act")));
            config.activation = Activation::Silu;
        }
        readRotaryFamilyExtras(reader, root, config);
    }
    config.vocabSize = reader.boundedInteger("vocab_size", Limits::kMaxVocabSize);
    config.tieWordEmbeddings = reader.boolean("tie_word_embeddings", traits.tiedHeadByDefault);
    config.torchDtype = reader.string("torch_dtype", config.torchDtype);
    if (static_cast<int64_t>(config.slidingLayers.size()) != config.numHiddenLayers)
        config.slidingLayers.assign(static_cast<size_t>(config.numHiddenLayers), false);
    if (!traits.slidingWindowAllowed && reader.has("sliding_window"))
        reader.fail("sliding_window", "absent or null for " + familyName(config.family) + " (no sliding-window attention)",
                    describe(root.at("sliding_window")));

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

json LlamaConfig::readJson(const std::filesystem::path& configJson, const std::string& shownAs, const std::string& readable)
{
    std::ifstream in(configJson, std::ios::binary);
    if (!in)
        throw ConfigError(expectedFound(shownAs, readable, "no such file or unreadable"));
    std::stringstream text;
    text << in.rdbuf();
    try {
        return json::parse(text.str());
    } catch (const json::exception& error) {
        throw ConfigError(expectedFound(shownAs, "well-formed JSON", std::string("malformed JSON (") + error.what() + ")"));
    }
}

LlamaConfig LlamaConfig::fromFile(const std::filesystem::path& configJson)
{
    return fromJson(readJson(configJson, configJson.string(), "a readable config.json"), configJson.string());
}

json LlamaConfig::toJson() const
{
    const FamilyTraits& traits = familyTraits(family);
    json out = json::object();
    out["architectures"] = json::array({traits.architecture});
    out["model_type"] = traits.modelType;
    out["vocab_size"] = vocabSize;
    out["tie_word_embeddings"] = tieWordEmbeddings;
    if (bosTokenId >= 0)
        out["bos_token_id"] = bosTokenId;
    if (eosTokenIds.size() == 1)
        out["eos_token_id"] = eosTokenIds.front();
    else if (!eosTokenIds.empty())
        out["eos_token_id"] = eosTokenIds;
    out["torch_dtype"] = torchDtype;

    if (family == ModelFamily::Gpt2) {
        out["n_embd"] = hiddenSize;
        out["n_layer"] = numHiddenLayers;
        out["n_head"] = numAttentionHeads;
        out["n_inner"] = intermediateSize;
        out["n_positions"] = maxPositionEmbeddings;
        out["n_ctx"] = maxPositionEmbeddings;
        out["layer_norm_epsilon"] = rmsNormEps;
        out["activation_function"] = activation == Activation::GeluExact ? "gelu" : "gelu_new";
        out["scale_attn_weights"] = true;
        return out;
    }
    out["hidden_size"] = hiddenSize;
    out["intermediate_size"] = intermediateSize;
    out["num_hidden_layers"] = numHiddenLayers;
    out["num_attention_heads"] = numAttentionHeads;
    out["num_key_value_heads"] = numKeyValueHeads;
    out["head_dim"] = headDim;
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
    } else if (ropeScaling.type == RopeScaling::Type::Linear) {
        out["rope_scaling"] = {{"rope_type", "linear"}, {"factor", ropeScaling.factor}};
    } else {
        out["rope_scaling"] = nullptr;
    }
    const json window = slidingWindow > 0 ? json(slidingWindow) : json(nullptr);
    switch (family) {
    case ModelFamily::Llama:
        out["hidden_act"] = "silu";
        out["attention_bias"] = false;
        out["mlp_bias"] = false;
        break;
    case ModelFamily::Mistral:
    case ModelFamily::Phi3:
        out["hidden_act"] = "silu";
        out["sliding_window"] = window;
        break;
    case ModelFamily::Qwen2: {
        out["hidden_act"] = "silu";
        out["use_sliding_window"] = slidingWindow > 0;
        out["sliding_window"] = slidingWindow > 0 ? json(slidingWindow) : json(4096);
        int64_t firstWindowLayer = numHiddenLayers;
        for (int64_t l = numHiddenLayers - 1; l >= 0 && isSlidingLayer(l); --l)
            firstWindowLayer = l;
        out["max_window_layers"] = firstWindowLayer;
        break;
    }
    case ModelFamily::Gemma2:
        out["hidden_activation"] = "gelu_pytorch_tanh";
        out["sliding_window"] = window;
        out["query_pre_attn_scalar"] = queryPreAttnScalar > 0.0 ? queryPreAttnScalar : double(headDim);
        out["attn_logit_softcapping"] = attnLogitSoftcap > 0.0 ? json(attnLogitSoftcap) : json(nullptr);
        out["final_logit_softcapping"] = finalLogitSoftcap > 0.0 ? json(finalLogitSoftcap) : json(nullptr);
        break;
    case ModelFamily::Gpt2:
        break;
    }
    if (family != ModelFamily::Llama && slidingWindow > 0) {
        json types = json::array();
        for (int64_t l = 0; l < numHiddenLayers; ++l)
            types.push_back(isSlidingLayer(l) ? "sliding_attention" : "full_attention");
        out["layer_types"] = types;
    }
    return out;
}

} // namespace tempo
