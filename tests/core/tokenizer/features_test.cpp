// Tokenizer behaviour beyond the golden ids: the post-processor, incremental decoding, errors,
// and the whitespace rewrite of the pre-tokenizer regex.

#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicoderegex.h"
#include "core/tokenizer/utf8.h"
#include "llama3data.h"

namespace tempo {
namespace {

using nlohmann::json;

std::string readFile(const std::filesystem::path& path)
{
    std::ifstream stream(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

const json& llama3Json()
{
    static const json root = json::parse(readFile(testing::llama3TokenizerPath()));
    return root;
}

// The Llama 3 tokenizer.json with another post_processor: the TemplateProcessing that real
// Llama 3.x checkpoints carry (BOS = <|begin_of_text|> before the text).
std::string withBosTemplate()
{
    json root = llama3Json();
    json bos = {{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}};
    root["post_processor"] = {
        {"type", "Sequence"},
        {"processors",
         json::array({{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}},
                      {{"type", "TemplateProcessing"},
                       {"single", json::array({bos, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
                       {"pair", json::array({bos, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}, bos,
                                             {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}})},
                       {"special_tokens",
                        {{"<|begin_of_text|>",
                          {{"id", "<|begin_of_text|>"}, {"ids", {128000}}, {"tokens", {"<|begin_of_text|>"}}}}}}}})}};
    return root.dump();
}

// Runs `action` and returns the TokenizerError message ("" and a test failure if none is thrown).
template <typename Action>
std::string tokenizerErrorOf(Action action)
{
    try {
        action();
    } catch (const TokenizerError& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected a TokenizerError";
    return "";
}

TEST(TokenizerPostProcessor, TemplateAddsBeginOfTextOnlyWithSpecialTokens)
{
    const Tokenizer tokenizer = Tokenizer::fromJsonText(withBosTemplate(), "bos-variant");
    const std::vector<int64_t> textIds{791, 8415, 7731, 389, 279}; // "The cat sat on the" (cases.jsonl)
    std::vector<int64_t> withBos{128000};
    withBos.insert(withBos.end(), textIds.begin(), textIds.end());
    EXPECT_EQ(tokenizer.encode("The cat sat on the", true), withBos);
    EXPECT_EQ(tokenizer.encode("The cat sat on the"), withBos); // addSpecialTokens defaults to true
    EXPECT_EQ(tokenizer.encode("The cat sat on the", false), textIds);
    EXPECT_EQ(tokenizer.encode("", true), std::vector<int64_t>{128000});
    EXPECT_EQ(tokenizer.decode(withBos, true), "The cat sat on the");
}

TEST(TokenizerPostProcessor, ByteLevelPostProcessorAddsNothing)
{
    // The copy in tests/data has a ByteLevel post-processor: ids with and without it agree.
    const Tokenizer& tokenizer = testing::llama3Tokenizer();
    EXPECT_EQ(tokenizer.encode("The cat sat on the", true), tokenizer.encode("The cat sat on the", false));
}

TEST(TokenizerPostProcessor, UnknownSpecialTokenInTemplateIsNamed)
{
    json root = json::parse(withBosTemplate());
    root["post_processor"]["processors"][1]["special_tokens"] = json::object();
    const std::string message = tokenizerErrorOf([&] { Tokenizer::fromJsonText(root.dump(), "variant"); });
    EXPECT_NE(message.find("<|begin_of_text|>"), std::string::npos) << message;
    EXPECT_NE(message.find("special_tokens"), std::string::npos) << message;
}

TEST(TokenizerIncremental, NeverEmitsHalfACharacter)
{
    const Tokenizer& tokenizer = testing::llama3Tokenizer();
    const std::vector<std::string> texts = {
        "🙂 emoji and 👨‍👩‍👧‍👦 family", "日本語のテキストと中文文本", "\U0001F44D\U0001F3FD\U0001F1EB\U0001F1F7 flags",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math 𝟘𝟙𝟚", "नमस्ते दुनिया", "mixed ascii, 한국어 and ελληνικά"};
    for (const std::string& text : texts) {
        const std::vector<int64_t> ids = tokenizer.encode(text, false);
        // Check that the test is meaningful: some token must hold part of a character.
        bool someTokenIsPartial = false;
        for (int64_t id : ids)
            someTokenIsPartial |= utf8::firstInvalidOffset(tokenizer.tokenText(id)).has_value();
        IncrementalDecoder decoder(tokenizer);
        std::string streamed;
        for (size_t i = 0; i < ids.size(); ++i) {
            const std::string chunk = decoder.push(ids[i]);
            EXPECT_FALSE(utf8::firstInvalidOffset(chunk).has_value())
                << "chunk after id #" << i << " (" << ids[i] << ") of " << testing::quoted(text) << " is not valid UTF-8";
            streamed += chunk;
        }
        streamed += decoder.flush();
        EXPECT_EQ(streamed, tokenizer.decode(ids)) << testing::quoted(text);
        EXPECT_EQ(streamed, text);
        if (text.find("emoji") != std::string::npos) {
            EXPECT_TRUE(someTokenIsPartial) << "expected byte-level tokens splitting a character in " << text;
        }
    }
}

TEST(TokenizerIncremental, BrokenSequencesBecomeReplacementCharacters)
{
    const Tokenizer& tokenizer = testing::llama3Tokenizer();
    // "🙂" is [9468, 247, 224, 224]-like byte pieces; take the ids of its first byte only, then text.
    const std::vector<int64_t> emojiIds = tokenizer.encode("🙂", false);
    ASSERT_GE(emojiIds.size(), 2u);
    std::vector<int64_t> ids{emojiIds.front()};
    const std::vector<int64_t> tail = tokenizer.encode(" ok", false);
    ids.insert(ids.end(), tail.begin(), tail.end());
    IncrementalDecoder decoder(tokenizer);
    std::string streamed;
    for (int64_t id : ids)
        streamed += decoder.push(id);
    streamed += decoder.flush();
    // The cut-off lead bytes are one maximal invalid subpart: one U+FFFD, as decode() says too.
    EXPECT_EQ(streamed, tokenizer.decode(ids));
    EXPECT_EQ(streamed, "\xEF\xBF\xBD ok");

    IncrementalDecoder unfinished(tokenizer);
    EXPECT_EQ(unfinished.push(emojiIds.front()), "");
    EXPECT_EQ(unfinished.flush(), "\xEF\xBF\xBD");
    EXPECT_EQ(unfinished.flush(), "");
}

TEST(TokenizerErrors, MissingFileIsNamed)
{
    const std::filesystem::path missing = std::filesystem::temp_directory_path() / "tempo-no-such-dir" / "tokenizer.json";
    const std::string message = tokenizerErrorOf([&] { Tokenizer::fromFile(missing); });
    EXPECT_NE(message.find(missing.string()), std::string::npos) << message;
    EXPECT_NE(message.find("no such file"), std::string::npos) << message;
}

TEST(TokenizerErrors, MalformedJsonIsNamed)
{
    const std::string message = tokenizerErrorOf([] { Tokenizer::fromJsonText("{\"model\": {\"type\": \"BPE\",", "broken.json"); });
    EXPECT_NE(message.find("broken.json"), std::string::npos) << message;
    EXPECT_NE(message.find("expected valid JSON"), std::string::npos) << message;
}

TEST(TokenizerErrors, UnsupportedModelTypeIsNamed)
{
    json root = llama3Json();
    root["model"]["type"] = "Unigram";
    const std::string message = tokenizerErrorOf([&] { Tokenizer::fromJsonText(root.dump(), "unigram.json"); });
    EXPECT_NE(message.find("unigram.json: model.type"), std::string::npos) << message;
    EXPECT_NE(message.find("\"BPE\""), std::string::npos) << message;
    EXPECT_NE(message.find("\"Unigram\""), std::string::npos) << message;
}

TEST(TokenizerErrors, UnsupportedPreTokenizerIsNamed)
{
    json root = llama3Json();
    root["pre_tokenizer"]["pretokenizers"][0] = {{"type", "Digits"}, {"individual_digits", true}};
    const std::string message = tokenizerErrorOf([&] { Tokenizer::fromJsonText(root.dump(), "digits.json"); });
    EXPECT_NE(message.find("pre_tokenizer.pretokenizers[0].type"), std::string::npos) << message;
    EXPECT_NE(message.find("\"Digits\""), std::string::npos) << message;
}

TEST(TokenizerErrors, MissingKeysAreNamed)
{
    json noModel = llama3Json();
    noModel.erase("model");
    std::string message = tokenizerErrorOf([&] { Tokenizer::fromJsonText(noModel.dump(), "nomodel.json"); });
    EXPECT_NE(message.find("nomodel.json"), std::string::npos) << message;
    EXPECT_NE(message.find("expected a key \"model\""), std::string::npos) << message;

    json noMerges = llama3Json();
    noMerges["model"].erase("merges");
    message = tokenizerErrorOf([&] { Tokenizer::fromJsonText(noMerges.dump(), "nomerges.json"); });
    EXPECT_NE(message.find("nomerges.json: model: expected a key \"merges\""), std::string::npos) << message;

    // A vocabulary entry of the wrong kind is named with its token.
    json badVocab = llama3Json();
    badVocab["model"]["vocab"]["Ġthe"] = "279";
    message = tokenizerErrorOf([&] { Tokenizer::fromJsonText(badVocab.dump(), "badvocab.json"); });
    EXPECT_NE(message.find("badvocab.json: model.vocab.Ġthe"), std::string::npos) << message;
    EXPECT_NE(message.find("the string \"279\""), std::string::npos) << message;

    json badMerge = llama3Json();
    badMerge["model"]["merges"][5] = "Ġ no-such-token";
    message = tokenizerErrorOf([&] { Tokenizer::fromJsonText(badMerge.dump(), "badmerge.json"); });
    EXPECT_NE(message.find("model.merges[5]"), std::string::npos) << message;
    EXPECT_NE(message.find("no-such-token"), std::string::npos) << message;
}

TEST(TokenizerErrors, InvalidUtf8TextAndUnknownIdsAreRefused)
{
    const Tokenizer& tokenizer = testing::llama3Tokenizer();
    std::string message = tokenizerErrorOf([&] { tokenizer.encode("ok \xC3(", false); });
    EXPECT_NE(message.find("0xC3 at offset 3"), std::string::npos) << message;
    message = tokenizerErrorOf([&] { tokenizer.decode({791, 128256}); });
    EXPECT_NE(message.find("128256"), std::string::npos) << message;
    message = tokenizerErrorOf([&] { tokenizer.decode({-1}); });
    EXPECT_NE(message.find("-1"), std::string::npos) << message;
}

TEST(TokenizerMerges, PairFormatGivesTheSameIds)
{
    // tokenizers >= 0.20 write merges as ["a", "b"] pairs; convert the file and compare.
    json root = llama3Json();
    json pairs = json::array();
    for (const json& merge : root["model"]["merges"]) {
        const std::string text = merge.get<std::string>();
        const size_t space = text.find(' ');
        pairs.push_back(json::array({text.substr(0, space), text.substr(space + 1)}));
    }
    root["model"]["merges"] = std::move(pairs);
    const Tokenizer pairTokenizer = Tokenizer::fromJsonText(root.dump(), "pairs.json");
    for (const auto& goldenCase : testing::readGoldenCases("cases.jsonl"))
        EXPECT_EQ(testing::firstMismatch(goldenCase.ids, pairTokenizer.encode(goldenCase.text, false)), "")
            << testing::quoted(goldenCase.text);
}

TEST(TokenizerMerges, WithoutIgnoreMergesWholeWordsAreStillBuiltByMerges)
{
    // ignore_merges only matters where merges cannot reach a vocabulary token; for ordinary
    // words both paths must agree, which checks the merge loop against the direct lookup.
    json root = llama3Json();
    root["model"]["ignore_merges"] = false;
    const Tokenizer merging = Tokenizer::fromJsonText(root.dump(), "merging.json");
    const Tokenizer& direct = testing::llama3Tokenizer();
    for (const std::string text : {"The cat sat on the", "Hello, my dog is cute", "don't won't", "tokenization",
                                   " internationalization", "1234567"})
        EXPECT_EQ(merging.encode(text, false), direct.encode(text, false)) << text;
}

TEST(TokenizerConcurrency, ThreadsGetTheSameIds)
{
    const Tokenizer& tokenizer = testing::llama3Tokenizer();
    const auto cases = testing::readGoldenCases("cases.jsonl");
    std::vector<std::thread> threads;
    std::vector<int> mismatches(4, 0);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int round = 0; round < 20; ++round)
                for (const auto& goldenCase : cases)
                    mismatches[t] += tokenizer.encode(goldenCase.text, false) != goldenCase.ids;
        });
    for (auto& thread : threads)
        thread.join();
    for (int t = 0; t < 4; ++t)
        EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(TokenizerRegex, WhitespaceMatchesUnicodeWhiteSpace)
{
    // White_Space from Unicode's PropList.txt, written out by hand.
    const std::vector<char32_t> whiteSpace = {0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001,
                                              0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009,
                                              0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
    const std::vector<char32_t> notWhiteSpace = {0x0, 0x8, 0xE, 0x1F, 0x21, 0x84, 0x86, 0x9F, 0x180E, 0x200B,
                                                 0x200C, 0x200D, 0x2060, 0xFEFF, 0x3001, 0x10FFFF, 'a', 0x4E2D};
    const UnicodeRegex space(R"(^\s$)", false, "test \\s");
    const UnicodeRegex notSpace(R"(^\S$)", false, "test \\S");
    const UnicodeRegex spaceInClass(R"(^[\sx]$)", false, "test [\\sx]");
    const UnicodeRegex notSpaceInClass(R"(^[^\s\p{L}]$)", false, "test [^\\s\\p{L}]");
    auto matches = [](const UnicodeRegex& regex, char32_t c) {
        std::string text;
        utf8::appendCodePoint(text, c);
        std::vector<std::pair<size_t, size_t>> found;
        regex.findAll(text, found);
        return !found.empty();
    };
    for (char32_t c : whiteSpace) {
        EXPECT_TRUE(matches(space, c)) << std::hex << "U+" << unsigned(c);
        EXPECT_FALSE(matches(notSpace, c)) << std::hex << "U+" << unsigned(c);
        EXPECT_TRUE(matches(spaceInClass, c)) << std::hex << "U+" << unsigned(c);
        EXPECT_FALSE(matches(notSpaceInClass, c)) << std::hex << "U+" << unsigned(c);
    }
    for (char32_t c : notWhiteSpace) {
        EXPECT_FALSE(matches(space, c)) << std::hex << "U+" << unsigned(c);
        EXPECT_TRUE(matches(notSpace, c)) << std::hex << "U+" << unsigned(c);
    }
    EXPECT_TRUE(matches(notSpaceInClass, 0x180E));
    EXPECT_FALSE(matches(notSpaceInClass, 'a'));
}

TEST(TokenizerRegex, RewriteLeavesOtherEscapesAlone)
{
    EXPECT_EQ(rewriteUnicodeClasses(R"(\p{Lu}+|\\s|\Q\s\E|[\]s]|\P{L})"), R"(\p{Lu}+|\\s|\Q\s\E|[\]s]|\P{L})");
    EXPECT_NE(rewriteUnicodeClasses(R"(\s+(?!\S))").find("\\x{85}"), std::string::npos);
    // Letters of Unicode 15-16 join \p{L} inside and outside classes (Kawi U+11F04).
    EXPECT_EQ(rewriteUnicodeClasses(R"(\p{L})").rfind("[\\p{L}\\x{1C89}", 0), 0u);
    EXPECT_NE(rewriteUnicodeClasses(R"([^\r\n\p{L}\p{N}])").find("\\x{11F04}"), std::string::npos);
}

} // namespace
} // namespace tempo
