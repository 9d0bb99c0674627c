#pragma once
// The BPE model of tokenizer.json ("model": {"type": "BPE", ...}): vocabulary, merges with ranks
// (lower rank merges first), ignore_merges, byte_fallback (<0xNN> tokens for characters outside
// the vocabulary, SentencePiece style), unk_token/fuse_unk, and a cache of encoded pre-tokens.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tokenizer/jsonfields.h"
#include "core/tokenizer/tokenizerjsonreader.h"

namespace tempo {

class BpeModel {
public:
    // `streamed`: vocab and merges already read by readTokenizerJson (model's own are then
    // empty), or nullptr to take them from `model`. The tables are consumed.
    static BpeModel fromJson(const nlohmann::json& model, const jsonfields::Place& place, BpeTables* streamed);

    // Appends the ids of one pre-token (in byte-level form) to `ids`.
    void encodeWord(const std::string& word, std::vector<int64_t>& ids) const;

    std::optional<int64_t> tokenId(std::string_view content) const;
    // The vocabulary string of `id`, or nullptr when the model has no such id.
    const std::string* tokenContent(int64_t id) const;
    int64_t idLimit() const { return static_cast<int64_t>(contentOfId_.size()); } // highest id + 1

private:
    struct Merge {
        int32_t rank = 0;
        int32_t mergedId = 0;
    };
    struct Cache;

    void mergeSymbols(std::vector<int32_t>& symbols) const;
    static uint64_t pairKey(int32_t left, int32_t right)
    {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    }

    static BpeTables tablesFromDom(const nlohmann::json& model, const jsonfields::Place& place);

    std::unordered_map<std::string, int32_t> idOfContent_;
    std::vector<std::string> contentOfId_;
    std::vector<bool> idExists_;
    std::unordered_map<uint64_t, Merge> merges_; // (left id, right id) -> rank and merged id
    bool ignoreMerges_ = false;
    std::optional<int32_t> unknownId_;
    bool fuseUnknown_ = false;
    bool byteFallback_ = false;
    std::shared_ptr<Cache> cache_;
};

} // namespace tempo
