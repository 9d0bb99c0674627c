#pragma once
// The subset of a Hugging Face LlamaForCausalLM config.json that the forward pass needs.
// Parsing refuses anything we cannot run faithfully (other architectures, unknown rope types)
// with a message that names the key, what was expected and what was found.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tempo {

struct RopeScaling {
    enum class Type { None, Llama3 };
    Type type = Type::None;
    // llama3 frequency scaling (transformers' _compute_llama3_parameters).
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

struct LlamaConfig {
    int64_t hiddenSize = 0;
    int64_t intermediateSize = 0;
    int64_t numHiddenLayers = 0;
    int64_t numAttentionHeads = 0;
    int64_t numKeyValueHeads = 0;
    int64_t headDim = 0;             // default hiddenSize / numAttentionHeads
    int64_t vocabSize = 0;
    int64_t maxPositionEmbeddings = 0;
    double rmsNormEps = 1e-5;
    double ropeTheta = 10000.0;
    RopeScaling ropeScaling;
    bool tieWordEmbeddings = false;
    int64_t bosTokenId = -1;          // -1 when absent
    std::vector<int64_t> eosTokenIds; // int or list in config.json
    std::string torchDtype = "float32";

    // Query heads that share one key/value head (grouped-query attention).
    int64_t queryHeadsPerKeyValueHead() const { return numAttentionHeads / numKeyValueHeads; }
    bool isEos(int64_t tokenId) const;

    // `source` names the file in error messages.
    static LlamaConfig fromJson(const nlohmann::json& json, const std::string& source = "config.json");
    static LlamaConfig fromFile(const std::filesystem::path& configJson);
    nlohmann::json toJson() const;
};

} // namespace tempo
