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
