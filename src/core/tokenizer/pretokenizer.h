#pragma once
// The pre-tokenizer of tokenizer.json: cuts text into pieces ("pre-tokens") that BPE encodes
// one by one. Supported: Split (Regex or String pattern, behavior Isolated, invert false; the
// pattern is read from the file, so GPT-2's, Llama 3's and Qwen2's all work), ByteLevel
// (add_prefix_space, use_regex: GPT-2's pattern), Metaspace (SentencePiece's "▁" for spaces,
// prepend_scheme always/first/never, split) and Sequence of these.

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
    // `atTextStart`: the text begins at offset 0 of the whole input (Metaspace prepend_scheme
    // "first" adds its "▁" only there).
    void split(std::string_view text, std::vector<std::string>& pieces, bool atTextStart = true) const;
    // tokenizer_config.json add_prefix_space: overrides ByteLevel's and Metaspace's setting.
    void setAddPrefixSpace(bool add);

private:
    struct Step {
        enum class Kind { Split, ByteLevel, Metaspace } kind = Kind::Split;
        enum class Prepend { Always, First, Never };
        std::shared_ptr<UnicodeRegex> regex; // Split, or ByteLevel with use_regex
        bool addPrefixSpace = false;         // ByteLevel
        std::string replacement;             // Metaspace
        Prepend prepend = Prepend::Always;   // Metaspace
        bool splitAtReplacement = false;     // Metaspace split
    };
    void addSteps(const nlohmann::json& value, const jsonfields::Place& place);

    std::vector<Step> steps_;
};

} // namespace tempo
