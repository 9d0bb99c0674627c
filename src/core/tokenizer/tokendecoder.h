#pragma once
// The decoder of tokenizer.json: turns the token strings of the ids back into text. ByteLevel
// (GPT-2, Llama 3, Qwen2) maps byte-level characters back to bytes; the SentencePiece-style
// families chain Replace("▁" -> " ") or Metaspace, ByteFallback (<0xNN> tokens to bytes), Fuse
// and Strip in a Sequence. Each step maps the list of token strings to a new list, as Hugging
// Face's decode_chain does; the result is their concatenation.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tokenizer/jsonfields.h"

namespace tempo {

class TokenDecoder {
public:
    static TokenDecoder fromJson(const nlohmann::json& value, const jsonfields::Place& place);

    // True when the decoder is ByteLevel alone (each id then decodes to fixed bytes).
    bool isByteLevelOnly() const { return steps_.size() == 1 && steps_[0].kind == Step::Kind::ByteLevel; }
    std::string decode(std::vector<std::string> tokens) const;
    // What one token stands for on its own (Replace/Metaspace spaces, a <0xNN> byte), for
    // streaming: the bytes of the token without the context-dependent steps (Strip, first-token rules).
    std::string tokenBytes(const std::string& token) const;

private:
    struct Step {
        enum class Kind { ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace } kind = Kind::ByteLevel;
        std::string pattern, content; // Replace; Strip: content; Metaspace: pattern = replacement
        size_t start = 0, stop = 0;   // Strip
        bool prepend = true;          // Metaspace: prepend_scheme is not "never"
    };
    void addSteps(const nlohmann::json& value, const jsonfields::Place& place);

    std::vector<Step> steps_;
};

} // namespace tempo
