#pragma once
// Added tokens of tokenizer.json ("added_tokens"): strings such as <|begin_of_text|> that are
// found in the text before pre-tokenization and become one id each, as Hugging Face's
// AddedVocabulary does: leftmost-longest matching, first the tokens with normalized=false, then
// the others in what is left; lstrip/rstrip swallow neighbouring whitespace; single_word
// matches only between non-word characters.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tokenizer/jsonfields.h"

namespace tempo {

struct AddedToken {
    int64_t id = 0;
    std::string content;
    bool special = false;
    bool singleWord = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = false;
};

class AddedVocabulary {
public:
    static AddedVocabulary fromJson(const nlohmann::json& addedTokens, const jsonfields::Place& place);

    // A part of the text: an added token (id set) or plain text for the pre-tokenizer.
    struct Segment {
        size_t begin = 0, end = 0;
        std::optional<int64_t> id;
    };
    // Cuts `text` (valid UTF-8) into segments covering it in order; empty text segments dropped.
    std::vector<Segment> split(std::string_view text) const;
    // One pass only: the tokens with normalized=false (on the raw text) or those with
    // normalized=true (on the normalizer's output).
    std::vector<Segment> splitGroup(std::string_view text, bool normalizedTokens) const;

    const std::vector<AddedToken>& tokens() const { return tokens_; }
    std::optional<int64_t> tokenId(std::string_view content) const;

private:
    // Byte trie over the contents of one group of tokens (normalized or not).
    struct Trie {
        std::vector<int32_t> tokenAtNode{-1};              // index into tokens_, -1: no token ends here
        std::unordered_map<uint64_t, int32_t> childOf;    // (node << 8 | byte) -> child node
        void add(const std::string& content, int32_t tokenIndex);
        // Longest token starting at `offset`: (token index, length), or token index -1.
        std::pair<int32_t, size_t> longestAt(std::string_view text, size_t offset) const;
    };
    void splitWith(const Trie& trie, std::string_view text, size_t base, std::vector<Segment>& out) const;

    std::vector<AddedToken> tokens_;
    std::unordered_map<std::string, int64_t> idOfContent_;
    Trie notNormalized_, normalized_;
};

} // namespace tempo
