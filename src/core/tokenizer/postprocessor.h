#pragma once
// The post-processor of tokenizer.json for single sequences: TemplateProcessing (its "single"
// template of SpecialToken and Sequence items), ByteLevel (changes offsets only, so nothing
// here), a Sequence of these, or null.

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tokenizer/jsonfields.h"

namespace tempo {

class PostProcessor {
public:
    static PostProcessor fromJson(const nlohmann::json& value, const jsonfields::Place& place);

    // tokenizer_config.json add_bos_token / add_eos_token, as transformers' Llama and Gemma fast
    // tokenizers rebuild their post-processor: [bos] $A [eos] (either may be absent).
    static PostProcessor bosEos(std::optional<int64_t> bos, std::optional<int64_t> eos);

    // Applies the single-sequence template to `ids` (the encoded text).
    std::vector<int64_t> apply(std::vector<int64_t> ids) const;

private:
    // One template: items are either special-token ids or the sequence itself.
    struct Template {
        struct Item {
            bool isSequence = false;
            std::vector<int64_t> specialIds;
        };
        std::vector<Item> items;
    };
    void addProcessors(const nlohmann::json& value, const jsonfields::Place& place);

    std::vector<Template> templates_; // applied in order
};

} // namespace tempo
