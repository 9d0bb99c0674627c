#pragma once
// The normalizer of tokenizer.json, applied to the text between added tokens before the
// pre-tokenizer: Prepend (SentencePiece's leading "▁", Llama 2 / Mistral v0.1), Replace with a
// String pattern (" " -> "▁"), NFC (Qwen2), a Sequence of these, or null. Anything else is
// refused with a TokenizerError that names it.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tokenizer/jsonfields.h"

namespace tempo {

class Normalizer {
public:
    static Normalizer fromJson(const nlohmann::json& value, const jsonfields::Place& place);

    bool empty() const { return steps_.empty(); }
    std::string apply(std::string text) const; // text: valid UTF-8
    // Drops Prepend steps (tokenizer_config.json add_prefix_space false).
    void removePrepend();

private:
    struct Step {
        enum class Kind { Prepend, Replace, Nfc } kind = Kind::Prepend;
        std::string pattern, content; // Prepend: content; Replace: pattern -> content
    };
    void addSteps(const nlohmann::json& value, const jsonfields::Place& place);

    std::vector<Step> steps_;
};

} // namespace tempo
