#pragma once
// The subset of a Hugging Face config.json that the forward pass needs, for every supported
// model family (modelfamily.h: llama, mistral, qwen2, phi3, gemma2, gpt2; the name LlamaConfig
// stays from when Llama was the only one). Parsing refuses anything we cannot run faithfully
// (other architectures, unknown rope types, unsupported options) with a message that names the
// key, what was expected and what was found.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/model/modelfamily.h"

namespace tempo {

struct RopeScaling {
    enum class Type { None, Linear, Llama3 };
    Type type = Type::None;
    // linear: inverse frequencies / factor. llama3: transformers' _compute_llama3_parameters.
    double factor = 1.0;
    double lowFreqFactor = 1.0;
    double highFreqFactor = 4.0;
    int64_t originalMaxPositionEmbeddings = 8192;
};

// Sizes past these are refused when config.json is read, before anything loops over layers or
// allocates: a typo like num_hidden_layers = 10^9 must fail at once, not after minutes and
// gigabytes. Each is several times the largest published Llama (405B: 126 layers, hidden 16384,
// 128 heads, intermediate 53248, vocab 128256).
struct LlamaConfigLimits {
    static constexpr int64_t kMaxLayers = 1024;
    static constexpr int64_t kMaxHiddenSize = 1 << 17;       // 131072
    static constexpr int64_t kMaxIntermediateSize = 1 << 20; // 1048576
    static constexpr int64_t kMaxHeads = 1024;               // query and key/value heads
    static constexpr int64_t kMaxHeadDim = 1024;
    static constexpr int64_t kMaxVocabSize = 1 << 24;        // 16777216
    // Logical positions are stored as 32-bit integers in the notebook.
    static constexpr int64_t kMaxPositionEmbeddings = 2147483647;
};

enum class Activation { Silu, GeluTanh, GeluExact };

struct LlamaConfig {
    ModelFamily family = ModelFamily::Llama;
    int64_t hiddenSize = 0;
    int64_t intermediateSize = 0;
    int64_t numHiddenLayers = 0;
    int64_t numAttentionHeads = 0;
    int64_t numKeyValueHeads = 0;
    int64_t headDim = 0;             // default hiddenSize / numAttentionHeads
    int64_t vocabSize = 0;
    int64_t maxPositionEmbeddings = 0; // gpt2: n_positions, the rows of the position table
    double rmsNormEps = 1e-5;          // the norm's epsilon (gpt2: layer_norm_epsilon)
    double ropeTheta = 10000.0;
    RopeScaling ropeScaling;
    bool tieWordEmbeddings = false;
    int64_t bosTokenId = -1;          // -1 when absent
    std::vector<int64_t> eosTokenIds; // int or list in config.json
    std::string torchDtype = "float32";
    Activation activation = Activation::Silu; // of the MLP (gated or not: familyTraits().mlp)
    bool attentionBias = false;   // q/k/v biases (qwen2, gpt2)
    // Sliding-window attention: a layer with slidingLayers[l] true lets a row at logical position p
    // attend only to slots whose logical position q satisfies p - q < slidingWindow
    // (transformers' sliding_window_overlay). Empty or 0: every layer attends to everything the mask allows.
    int64_t slidingWindow = 0;
    std::vector<bool> slidingLayers; // [layers]
    double queryPreAttnScalar = 0.0; // gemma2: scores scaled by its -1/2 power instead of head_dim's
    double attnLogitSoftcap = 0.0;   // gemma2: scores = cap * tanh(scores / cap); 0 = off
    double finalLogitSoftcap = 0.0;  // gemma2: logits = cap * tanh(logits / cap); 0 = off

    const FamilyTraits& traits() const { return familyTraits(family); }
    bool usesRope() const { return traits().positions == PositionKind::Rope; }
    bool isSlidingLayer(int64_t layer) const
    {
        return slidingWindow > 0 && layer >= 0 && layer < static_cast<int64_t>(slidingLayers.size()) &&
               slidingLayers[static_cast<size_t>(layer)];
    }
    double attentionScale() const; // multiplies q.k

    // Query heads that share one key/value head (grouped-query attention).
    int64_t queryHeadsPerKeyValueHead() const { return numAttentionHeads / numKeyValueHeads; }
    bool isEos(int64_t tokenId) const;

    // `source` names the file in error messages.
    static LlamaConfig fromJson(const nlohmann::json& json, const std::string& source = "config.json");
    static LlamaConfig fromFile(const std::filesystem::path& configJson);
    // The parsed JSON of a config.json, or ConfigError: "<shownAs>: expected <readable>, found no such
    // file or unreadable" / "expected well-formed JSON, found malformed JSON (...)". Shared with the
    // model catalog, which reads a snapshot's model_type and torch_dtype before any full parse.
    static nlohmann::json readJson(const std::filesystem::path& configJson, const std::string& shownAs,
                                   const std::string& readable);
    // config.json in the family's Hugging Face names (what the test-model generator writes).
    nlohmann::json toJson() const;
};

} // namespace tempo
