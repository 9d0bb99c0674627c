// Streaming decode (IncrementalDecoder) against whole-sequence decode and against Hugging Face's
// own decode (the "decoded" texts of the family cases, tests/data/tokenizer-families): pushing
// the ids one by one and flushing must give exactly the reference text, first-token rules
// included (Metaspace drops the "▁" of the first token, Llama 2's Strip the leading space), and
// a stream that continues a context (a prompt) must give the text that follows the context's, as
// must decodeContinuation of the ids after it.

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/utf8.h"
#include "familycases.h"
#include "llama3data.h"

namespace tempo {
namespace {

using nlohmann::json;
using testing::quoted;

using StreamCase = testing::FamilyCase;
using testing::readFamilyCases;

// The ids pushed one by one, then flushed; every piece must be valid UTF-8.
std::string streamed(const Tokenizer& tokenizer, const std::vector<int64_t>& ids, const std::vector<int64_t>& context = {})
{
    IncrementalDecoder decoder(tokenizer, context);
    std::string text;
    for (int64_t id : ids) {
        const std::string piece = decoder.push(id);
        EXPECT_FALSE(utf8::firstInvalidOffset(piece).has_value()) << "piece after id " << id << " is not valid UTF-8";
        text += piece;
    }
    return text + decoder.flush();
}

// For every case: streaming the reference ids gives the reference decode and our whole decode,
// with and without the special tokens; and for every cut where the head's text begins the
// whole text, the head as context then the tail streamed give the rest of the text.
void expectStreamingMatches(const Tokenizer& tokenizer, const std::filesystem::path& casesFile)
{
    const std::vector<StreamCase> cases = readFamilyCases(casesFile);
    ASSERT_GE(cases.size(), 100u) << casesFile;
    size_t failures = 0, cuts = 0;
    for (const StreamCase& c : cases) {
        const std::string where = casesFile.parent_path().filename().string() + "/" + casesFile.filename().string() + ":" +
                                  std::to_string(c.line) + " text " + quoted(c.text);
        const std::string plain = streamed(tokenizer, c.ids);
        const std::string whole = tokenizer.decode(c.idsWithSpecials, false);
        const std::string withSpecials = streamed(tokenizer, c.idsWithSpecials);
        bool ok = plain == c.decoded && withSpecials == whole;
        EXPECT_EQ(quoted(plain), quoted(c.decoded)) << where << " (streamed vs the reference's decode)";
        EXPECT_EQ(quoted(withSpecials), quoted(whole)) << where << " (with special tokens: streamed vs decode)";
        for (size_t cut = 1; cut < c.idsWithSpecials.size(); ++cut) {
            const std::vector<int64_t> head(c.idsWithSpecials.begin(), c.idsWithSpecials.begin() + static_cast<long>(cut));
            const std::vector<int64_t> tail(c.idsWithSpecials.begin() + static_cast<long>(cut), c.idsWithSpecials.end());
            const std::string headText = tokenizer.decode(head, false);
            if (whole.compare(0, headText.size(), headText) != 0)
                continue; // the cut is inside a character: the head's text is not where the whole text begins
            ++cuts;
            const std::string rest = streamed(tokenizer, tail, head);
            // decodeContinuation cannot know what came before, so it is checked where the head is
            // complete: where a stream of the head holds nothing back (no character cut in two,
            // no run of <0xNN> tokens that the tail could continue).
            IncrementalDecoder headStream(tokenizer);
            std::string headStreamed;
            for (int64_t id : head)
                headStreamed += headStream.push(id);
            const std::string continuation = headStreamed == headText ? tokenizer.decodeContinuation(tail) : rest;
            if (rest != whole.substr(headText.size()) || continuation != rest) {
                ok = false;
                EXPECT_EQ(quoted(rest), quoted(whole.substr(headText.size())))
                    << where << " (the first " << cut << " ids as context, the rest streamed)";
                EXPECT_EQ(quoted(continuation), quoted(whole.substr(headText.size())))
                    << where << " (decodeContinuation of the ids after the first " << cut << ")";
            }
        }
        failures += ok ? 0 : 1;
    }
    std::printf("%s: %zu cases, %zu continuation cuts, %zu mismatches\n", casesFile.string().c_str(), cases.size(), cuts,
                failures);
}

using testing::familiesDir;

class TokenizerStreaming : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerStreaming, StreamEqualsReferenceDecode)
{
    const std::filesystem::path dir = familiesDir() / GetParam();
    expectStreamingMatches(Tokenizer::fromFile(dir / "tokenizer.json"), dir / "cases.jsonl");
}

INSTANTIATE_TEST_SUITE_P(Families, TokenizerStreaming,
                         ::testing::Values("gpt2", "qwen2", "llama2", "mistral", "gemma", "gpt2-add-prefix-space",
                                           "llama2-config", "mistral-metaspace-split", "llama2-unk-fused", "llama2-unk-unfused",
                                           "llama2-no-unk", "llama2-bytes-unk-fused", "llama2-bytes-unk-unfused", "gemma-regex-replace"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string name = info.param;
                             for (char& c : name)
                                 if (c == '-')
                                     c = '_';
                             return name;
                         });

TEST(TokenizerStreamingLlama3, StreamEqualsReferenceDecode)
{
    expectStreamingMatches(testing::llama3Tokenizer(), testing::llama3Dir() / "cases-families.jsonl");
}

// The first-token rule by hand, on the two SentencePiece-style decoders: the text's first token
// loses its "▁", a later one (or one after a context) keeps it.
TEST(TokenizerStreaming, FirstTokenRuleOnlyAtTheStart)
{
    for (const std::string family : {"llama2", "mistral"}) {
        const Tokenizer tokenizer = Tokenizer::fromFile(familiesDir() / family / "tokenizer.json");
        const std::vector<int64_t> hello = tokenizer.encode("Hello", false);
        const std::vector<int64_t> ids = tokenizer.encode("Hello world", false);
        ASSERT_GT(ids.size(), hello.size()) << family;
        ASSERT_TRUE(std::equal(hello.begin(), hello.end(), ids.begin())) << family;
        IncrementalDecoder decoder(tokenizer);
        std::string first;
        for (int64_t id : hello)
            first += decoder.push(id);
        EXPECT_EQ(first, "Hello") << family;
        const std::vector<int64_t> world(ids.begin() + static_cast<long>(hello.size()), ids.end());
        EXPECT_EQ(streamed(tokenizer, world, hello), " world") << family;
        EXPECT_EQ(streamed(tokenizer, world), "world") << family; // a stream of its own starts the text
        // The generate command's case: the prompt with its BOS as context.
        const std::vector<int64_t> prompt = tokenizer.encode("Hello", true);
        EXPECT_EQ(streamed(tokenizer, world, prompt), " world") << family;
    }
}

// A run of <0xNN> tokens is judged as a whole (one bad byte makes each byte of the run U+FFFD),
// so the stream holds it until a token that is not a byte ends it.
TEST(TokenizerStreaming, ByteRunHeldUntilItEnds)
{
    const Tokenizer tokenizer = Tokenizer::fromFile(familiesDir() / "llama2" / "tokenizer.json");
    const int64_t e4 = *tokenizer.tokenId("<0xE4>"), b8 = *tokenizer.tokenId("<0xB8>"), ad = *tokenizer.tokenId("<0xAD>");
    const int64_t ff = *tokenizer.tokenId("<0xFF>"), a = *tokenizer.tokenId("a");
    IncrementalDecoder decoder(tokenizer);
    EXPECT_EQ(decoder.push(e4), "");
    EXPECT_EQ(decoder.push(b8), "");
    EXPECT_EQ(decoder.push(ad), ""); // "中" is complete, but a bad byte could still follow
    EXPECT_EQ(decoder.push(ff), "");
    EXPECT_EQ(decoder.push(a), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "a");
    EXPECT_EQ(tokenizer.decode({e4, b8, ad, ff, a}), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "a");
    EXPECT_EQ(streamed(tokenizer, {e4, b8, ad, a}), "中a");
    EXPECT_EQ(streamed(tokenizer, {e4, b8, ad}), "中");
}

// Decoder chains no family ships, checked against our own whole decode: a Strip that also
// removes a trailing space (held until the next character), and a Replace after Fuse (not
// followed piece by piece: held to the end).
TEST(TokenizerStreaming, OtherDecoderChainsEqualWholeDecode)
{
    std::ifstream file(familiesDir() / "llama2" / "tokenizer.json");
    const json base = json::parse(file);
    json stripBoth = base;
    stripBoth["decoder"]["decoders"][3] = {{"type", "Strip"}, {"content", " "}, {"start", 2}, {"stop", 1}};
    json replaceAfterFuse = base;
    replaceAfterFuse["decoder"]["decoders"][3] = {{"type", "Replace"}, {"pattern", {{"String", "o w"}}}, {"content", "0"}};
    for (const auto& [name, root] : {std::pair<std::string, json>{"strip start 2 stop 1", stripBoth},
                                     std::pair<std::string, json>{"replace after fuse", replaceAfterFuse}}) {
        const Tokenizer tokenizer = Tokenizer::fromJsonText(root.dump(), name);
        for (const StreamCase& c : readFamilyCases(familiesDir() / "llama2" / "cases.jsonl"))
            EXPECT_EQ(quoted(streamed(tokenizer, c.idsWithSpecials)), quoted(tokenizer.decode(c.idsWithSpecials)))
                << name << ", text " << quoted(c.text);
        const std::vector<int64_t> ids = tokenizer.encode("  hello  world  ", false);
        EXPECT_EQ(quoted(streamed(tokenizer, ids)), quoted(tokenizer.decode(ids))) << name;
    }
    const Tokenizer stripping = Tokenizer::fromJsonText(stripBoth.dump(), "strip");
    EXPECT_EQ(stripping.decode(stripping.encode("  hello world ", false)), " hello world");
    const Tokenizer replacing = Tokenizer::fromJsonText(replaceAfterFuse.dump(), "replace");
    EXPECT_EQ(replacing.decode(replacing.encode("hello world", false)), " hell0orld"); // no Strip in this chain
}

} // namespace
} // namespace tempo
