#pragma once
// Shared by the tokenizer tests: the Llama 3 tokenizer.json copied into tests/data and its
// golden cases (ids produced by Hugging Face's tokenizer core, see tests/data/llama3-tokenizer).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jsonlines.h"
#include "core/tokenizer/tokenizer.h"

namespace tempo::testing {

inline std::filesystem::path llama3Dir() { return std::filesystem::path(TEMPO_TEST_DATA_DIR) / "llama3-tokenizer"; }
inline std::filesystem::path llama3TokenizerPath() { return llama3Dir() / "tokenizer.json"; }

// Loaded once for the whole test program (the file is 9 MB).
inline const Tokenizer& llama3Tokenizer()
{
    static const Tokenizer tokenizer = Tokenizer::fromFile(llama3TokenizerPath());
    return tokenizer;
}

struct GoldenCase {
    std::string file;
    int line = 0;
    std::string text;
    std::vector<int64_t> ids;
    bool hasDecoded = false;
    std::string decoded;
};

inline std::vector<GoldenCase> readGoldenCases(const std::string& fileName)
{
    std::vector<GoldenCase> cases;
    forEachJsonLine(llama3Dir() / fileName, [&](const nlohmann::json& entry, int lineNumber) {
        GoldenCase goldenCase;
        goldenCase.file = fileName;
        goldenCase.line = lineNumber;
        goldenCase.text = entry.at("text").get<std::string>();
        goldenCase.ids = entry.at("ids").get<std::vector<int64_t>>();
        if (entry.contains("decoded")) {
            goldenCase.hasDecoded = true;
            goldenCase.decoded = entry.at("decoded").get<std::string>();
        }
        cases.push_back(std::move(goldenCase));
    });
    return cases;
}

// "" when equal, else the first mismatch: index, expected id, found id.
inline std::string firstMismatch(const std::vector<int64_t>& expected, const std::vector<int64_t>& found)
{
    const size_t common = std::min(expected.size(), found.size());
    for (size_t i = 0; i < common; ++i)
        if (expected[i] != found[i])
            return "first mismatch at index " + std::to_string(i) + ": expected id " + std::to_string(expected[i]) +
                   ", found id " + std::to_string(found[i]);
    if (expected.size() != found.size())
        return "lengths differ: expected " + std::to_string(expected.size()) + " ids, found " +
               std::to_string(found.size()) + " (first extra/missing at index " + std::to_string(common) + ")";
    return "";
}

inline std::string idsText(const std::vector<int64_t>& ids)
{
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i)
        out += (i ? "," : "") + std::to_string(ids[i]);
    return out + "]";
}

inline std::string quoted(const std::string& text)
{
    return nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

} // namespace tempo::testing
