// The tokenizer.json variants of the model families (issue 17) against Hugging Face's own
// tokenizer core: each family's tokenizer in tests/data/tokenizer-families/<family> (small
// vocabularies with the family's exact structure, made by tools/make-tokenizer-cases.js
// --families) and the real Llama 3 tokenizer, on the same case list. Every case must give the
// reference ids with and without special tokens, and decoding the reference ids must give the
// reference text, with special tokens kept and skipped.

#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/tokenizer.h"
#include "familycases.h"
#include "llama3data.h"

namespace tempo {
namespace {

using nlohmann::json;
using testing::firstMismatch;
using testing::idsText;
using testing::quoted;

using testing::FamilyCase;
using testing::familiesDir;
using testing::readFamilyCases;

void expectFamilyMatches(const Tokenizer& tokenizer, const std::filesystem::path& casesFile)
{
    const std::vector<FamilyCase> cases = readFamilyCases(casesFile);
    ASSERT_GE(cases.size(), 100u) << casesFile;
    size_t failures = 0;
    for (const FamilyCase& c : cases) {
        const std::string where = casesFile.filename().string() + ":" + std::to_string(c.line) + " text " + quoted(c.text);
        const std::vector<int64_t> found = tokenizer.encode(c.text, false);
        const std::string mismatch = firstMismatch(c.ids, found);
        const std::vector<int64_t> foundWith = tokenizer.encode(c.text, true);
        const std::string mismatchWith = firstMismatch(c.idsWithSpecials, foundWith);
        const std::string decoded = tokenizer.decode(c.ids, false);
        const std::string decodedSkip = tokenizer.decode(c.idsWithSpecials, true);
        const bool ok = mismatch.empty() && mismatchWith.empty() && decoded == c.decoded && decodedSkip == c.decodedSkip;
        if (ok)
            continue;
        ++failures;
        EXPECT_EQ(mismatch, "") << where << "\n  expected " << idsText(c.ids) << "\n  found    " << idsText(found);
        EXPECT_EQ(mismatchWith, "") << where << " (with special tokens)\n  expected " << idsText(c.idsWithSpecials)
                                    << "\n  found    " << idsText(foundWith);
        EXPECT_EQ(quoted(decoded), quoted(c.decoded)) << where << " (decode)";
        EXPECT_EQ(quoted(decodedSkip), quoted(c.decodedSkip)) << where << " (decode, special tokens skipped)";
    }
    std::printf("%s: %zu cases, %zu mismatches\n", casesFile.string().c_str(), cases.size(), failures);
}

class TokenizerFamily : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerFamily, CasesMatchReference)
{
    const std::filesystem::path dir = familiesDir() / GetParam();
    const Tokenizer tokenizer = Tokenizer::fromFile(dir / "tokenizer.json");
    expectFamilyMatches(tokenizer, dir / "cases.jsonl");
}

INSTANTIATE_TEST_SUITE_P(Families, TokenizerFamily, ::testing::Values("gpt2", "qwen2", "llama2", "mistral", "gemma", "gpt2-add-prefix-space", "llama2-config",
                                           "mistral-metaspace-split", "llama2-unk-fused", "llama2-unk-unfused", "llama2-no-unk",
                                           "llama2-bytes-unk-fused", "llama2-bytes-unk-unfused", "gemma-regex-replace"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string name = info.param;
                             for (char& c : name)
                                 if (c == '-')
                                     c = '_';
                             return name;
                         });

TEST(TokenizerFamilyLlama3, CasesMatchReference)
{
    expectFamilyMatches(testing::llama3Tokenizer(), testing::llama3Dir() / "cases-families.jsonl");
}

std::string familyErrorOf(const std::function<void()>& action)
{
    try {
        action();
    } catch (const TokenizerError& error) {
        return error.what();
    }
    ADD_FAILURE() << "no TokenizerError";
    return "";
}

json familyJson(const std::string& family)
{
    std::ifstream stream(familiesDir() / family / "tokenizer.json");
    return json::parse(stream);
}

TEST(TokenizerFamilyErrors, WordPieceAndUnigramAreRefusedByName)
{
    for (const std::string type : {"WordPiece", "Unigram", "WordLevel"}) {
        json root = familyJson("llama2");
        root["model"]["type"] = type;
        const std::string message = familyErrorOf([&] { Tokenizer::fromJsonText(root.dump(), "other.json"); });
        EXPECT_NE(message.find("other.json: model.type"), std::string::npos) << message;
        EXPECT_NE(message.find("\"" + type + "\""), std::string::npos) << message;
        EXPECT_NE(message.find("SentencePiece"), std::string::npos) << message;
    }
}

TEST(TokenizerFamilyErrors, UnknownNormalizerAndDecoderAreNamed)
{
    json root = familyJson("llama2");
    root["normalizer"]["normalizers"][1] = {{"type", "Lowercase"}};
    std::string message = familyErrorOf([&] { Tokenizer::fromJsonText(root.dump(), "lower.json"); });
    EXPECT_NE(message.find("normalizer.normalizers[1].type"), std::string::npos) << message;
    EXPECT_NE(message.find("\"Lowercase\""), std::string::npos) << message;

    root = familyJson("gemma");
    root["decoder"]["decoders"][0] = {{"type", "CTC"}};
    message = familyErrorOf([&] { Tokenizer::fromJsonText(root.dump(), "ctc.json"); });
    EXPECT_NE(message.find("decoder.decoders[0].type"), std::string::npos) << message;
    EXPECT_NE(message.find("\"CTC\""), std::string::npos) << message;
}

// Regex Replace patterns PCRE2 would read differently from Hugging Face's Oniguruma are refused,
// naming the place, the pattern and what is expected; the ones it reads alike load (the
// gemma-regex-replace cases check them against the reference, empty matches included).
TEST(TokenizerFamilyErrors, RegexReplaceRefusedWhereItWouldDiffer)
{
    const std::vector<std::pair<std::string, std::string>> refused = {
        {"\\h+", "\\h"}, {"[0-9]|\\H", "\\h"}, {"(?m)a.b", "(?m)"}, {"x(?im-x:a.b)", "(?m)"}, {"(unclosed", "PCRE2 can compile"}};
    for (const auto& [pattern, reason] : refused) {
        json root = familyJson("gemma");
        root["normalizer"] = {{"type", "Replace"}, {"pattern", {{"Regex", pattern}}}, {"content", " "}};
        std::string message = familyErrorOf([&] { Tokenizer::fromJsonText(root.dump(), "regex.json"); });
        EXPECT_NE(message.find("regex.json: normalizer.pattern.Regex"), std::string::npos) << message;
        EXPECT_NE(message.find(pattern), std::string::npos) << message;
        EXPECT_NE(message.find(reason), std::string::npos) << message;
        EXPECT_NE(message.find("expected"), std::string::npos) << message;

        root = familyJson("gemma");
        root["decoder"]["decoders"][0]["pattern"] = {{"Regex", pattern}};
        message = familyErrorOf([&] { Tokenizer::fromJsonText(root.dump(), "regex.json"); });
        EXPECT_NE(message.find("regex.json: decoder.decoders[0].pattern.Regex"), std::string::npos) << message;
        EXPECT_NE(message.find(reason), std::string::npos) << message;
    }
    json root = familyJson("gemma");
    root["normalizer"] = {{"type", "Replace"}, {"pattern", {{"Glob", "*"}}}, {"content", " "}};
    const std::string message = familyErrorOf([&] { Tokenizer::fromJsonText(root.dump(), "glob.json"); });
    EXPECT_NE(message.find("glob.json: normalizer.pattern"), std::string::npos) << message;
    EXPECT_NE(message.find("\"Regex\""), std::string::npos) << message;

    // Accepted: ^ and $ at every line, as the reference reads them.
    root = familyJson("gemma");
    root["normalizer"] = {{"type", "Sequence"},
                          {"normalizers",
                           {{{"type", "Replace"}, {"pattern", {{"Regex", "^x|y$"}}}, {"content", "z"}},
                            {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}}}};
    const Tokenizer lines = Tokenizer::fromJsonText(root.dump(), "lines.json");
    EXPECT_EQ(lines.decode(lines.encode("xay\nxby\r\nx", false)), "zaz\nzby\r\nz");
}

} // namespace
} // namespace tempo
