#pragma once
// The normalizer of tokenizer.json, applied to the text between added tokens before the
// pre-tokenizer: Prepend (SentencePiece's leading "▁", Llama 2 / Mistral v0.1), Replace with a
// String pattern (" " -> "▁") or a Regex one (UnicodeRegex::forReplace says which are refused),
// NFC (Qwen2), a Sequence of these, or null. Anything else is refused with a TokenizerError that
// names it.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tokenizer/jsonfields.h"
#include "core/tokenizer/unicoderegex.h"

namespace tempo {

// The "pattern" of a Replace step (normalizer or decoder): {"String": s} into `literal`, or
// {"Regex": r} into `regex` (refused by UnicodeRegex::forReplace when PCRE2 would read it differently).
void readReplacePattern(const nlohmann::json& value, const jsonfields::Place& place, std::string& literal,
                        std::shared_ptr<const UnicodeRegex>& regex);

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
        std::shared_ptr<const UnicodeRegex> regex; // Replace with a Regex pattern (then `pattern` is unused)
    };
    void addSteps(const nlohmann::json& value, const jsonfields::Place& place);

    std::vector<Step> steps_;
};

} // namespace tempo
