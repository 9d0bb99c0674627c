#pragma once
// The pre-tokenizer of tokenizer.json: cuts text into pieces ("pre-tokens") that BPE encodes
// one by one. Supported, as Llama 3 uses them: Split (Regex or String pattern, behavior
// Isolated, invert false), ByteLevel (add_prefix_space, use_regex) and Sequence of these.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tokenizer/jsonfields.h"
#include "core/tokenizer/unicoderegex.h"

namespace tempo {

class PreTokenizer {
public:
    // `value` is the "pre_tokenizer" field (null: the whole text is one piece).
    static PreTokenizer fromJson(const nlohmann::json& value, const jsonfields::Place& place);

    // Appends the pieces of `text` (valid UTF-8) to `pieces`, in order, in the form the model
    // sees them (byte-level characters once a ByteLevel step has run).
    void split(std::string_view text, std::vector<std::string>& pieces) const;

private:
    struct Step {
        enum class Kind { Split, ByteLevel } kind = Kind::Split;
        std::shared_ptr<UnicodeRegex> regex; // Split, or ByteLevel with use_regex
        bool addPrefixSpace = false;         // ByteLevel
    };
    void addSteps(const nlohmann::json& value, const jsonfields::Place& place);

    std::vector<Step> steps_;
};

} // namespace tempo
