// The model families' tokenizer test data (tests/data/tokenizer-families/<family>: tokenizer.json
// and cases.jsonl, made by tools/make-tokenizer-cases.js --families with Hugging Face's tokenizers):
// one JSON object per line with the text, the reference ids without and with special tokens, and
// the reference's decode of them with special tokens kept and skipped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jsonlines.h"

namespace tempo::testing {

inline std::filesystem::path familiesDir() { return std::filesystem::path(TEMPO_TEST_DATA_DIR) / "tokenizer-families"; }

struct FamilyCase {
    int line = 0;
    std::string text;
    std::vector<int64_t> ids, idsWithSpecials;
    std::string decoded, decodedSkip;
};

inline std::vector<FamilyCase> readFamilyCases(const std::filesystem::path& file)
{
    std::vector<FamilyCase> cases;
    forEachJsonLine(file, [&](const nlohmann::json& entry, int lineNumber) {
        FamilyCase familyCase;
        familyCase.line = lineNumber;
        familyCase.text = entry.at("text").get<std::string>();
        familyCase.ids = entry.at("ids").get<std::vector<int64_t>>();
        familyCase.idsWithSpecials = entry.at("ids_with_specials").get<std::vector<int64_t>>();
        familyCase.decoded = entry.at("decoded").get<std::string>();
        familyCase.decodedSkip = entry.at("decoded_skip").get<std::string>();
        cases.push_back(std::move(familyCase));
    });
    return cases;
}

} // namespace tempo::testing
