// The Llama 3 tokenizer against Hugging Face's own tokenizer core: every golden case must give
// exactly the reference ids (add_special_tokens=False), and decoding must give the text back.

#include <chrono>
#include <ctime>

#include <gtest/gtest.h>

#include "core/tokenizer/tokenizer.h"
#include "llama3data.h"

namespace tempo {
namespace {

using testing::firstMismatch;
using testing::GoldenCase;
using testing::idsText;
using testing::quoted;

void expectAllCasesMatch(const std::string& fileName, size_t minimumCases)
{
    const Tokenizer& tokenizer = testing::llama3Tokenizer();
    const std::vector<GoldenCase> cases = testing::readGoldenCases(fileName);
    ASSERT_GE(cases.size(), minimumCases) << fileName << " has fewer cases than expected";
    size_t failures = 0;
    for (const GoldenCase& goldenCase : cases) {
        const std::vector<int64_t> found = tokenizer.encode(goldenCase.text, false);
        const std::string mismatch = firstMismatch(goldenCase.ids, found);
        if (!mismatch.empty()) {
            ++failures;
            ADD_FAILURE() << fileName << ":" << goldenCase.line << " text " << quoted(goldenCase.text) << "\n  "
                          << mismatch << "\n  expected " << idsText(goldenCase.ids) << "\n  found    "
                          << idsText(found);
        }
    }
    std::printf("%s: %zu cases, %zu mismatches\n", fileName.c_str(), cases.size(), failures);
}

TEST(TokenizerGolden, CasesMatchReference) { expectAllCasesMatch("cases.jsonl", 30); }

TEST(TokenizerGolden, ExtraCasesMatchReference) { expectAllCasesMatch("cases-extra.jsonl", 40); }

TEST(TokenizerGolden, DecodeGivesTheTextBack)
{
    const Tokenizer& tokenizer = testing::llama3Tokenizer();
    for (const std::string fileName : {"cases.jsonl", "cases-extra.jsonl"}) {
        for (const GoldenCase& goldenCase : testing::readGoldenCases(fileName)) {
            // Round trip through our own encode, and decode of the reference ids.
            EXPECT_EQ(tokenizer.decode(tokenizer.encode(goldenCase.text, false)), goldenCase.text)
                << fileName << ":" << goldenCase.line;
            EXPECT_EQ(tokenizer.decode(goldenCase.ids), goldenCase.text) << fileName << ":" << goldenCase.line;
            if (goldenCase.hasDecoded) {
                EXPECT_EQ(tokenizer.decode(goldenCase.ids), goldenCase.decoded) << fileName << ":" << goldenCase.line;
            }
        }
    }
}

TEST(TokenizerGolden, VocabularyFacts)
{
    const Tokenizer& tokenizer = testing::llama3Tokenizer();
    // From the README of the test data: 128,000 BPE tokens and added tokens 128000-128255.
    EXPECT_EQ(tokenizer.vocabSize(), 128256);
    EXPECT_EQ(tokenizer.tokenId("<|begin_of_text|>"), 128000);
    EXPECT_EQ(tokenizer.tokenId("<|eot_id|>"), 128009);
    EXPECT_EQ(tokenizer.tokenId("Ġthe"), 279); // " the" in byte-level form, cf. "The cat sat on the"
    EXPECT_FALSE(tokenizer.tokenId("no such token at all").has_value());
    EXPECT_TRUE(tokenizer.isSpecial(128000));
    EXPECT_FALSE(tokenizer.isSpecial(279));
    EXPECT_EQ(tokenizer.tokenText(279), " the");
    EXPECT_EQ(tokenizer.tokenText(128000), "<|begin_of_text|>");
    EXPECT_EQ(tokenizer.decode({128000, 791, 8415}, true), "The cat");
    EXPECT_EQ(tokenizer.decode({128000, 791, 8415}, false), "<|begin_of_text|>The cat");
}

TEST(TokenizerGolden, LoadsTheLlama3Vocabulary)
{
    // Load speed is measured by bench/bench_tokenizer (timed unit tests are flaky on shared machines).
    const Tokenizer tokenizer = Tokenizer::fromFile(testing::llama3TokenizerPath());
    EXPECT_EQ(tokenizer.vocabSize(), 128256);
}

TEST(TokenizerGolden, EncodesAndDecodesALongText)
{
    const Tokenizer& tokenizer = testing::llama3Tokenizer();
    std::string text;
    for (const GoldenCase& goldenCase : testing::readGoldenCases("cases.jsonl"))
        text += goldenCase.text + "\n";
    std::string big;
    while (big.size() < 1'000'000)
        big += text;
    const auto start = std::chrono::steady_clock::now();
    const std::vector<int64_t> ids = tokenizer.encode(big, false);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("encoded %zu bytes into %zu ids in %.3f s (%.1f MB/s)\n", big.size(), ids.size(), seconds,
                big.size() / 1e6 / seconds);
    EXPECT_EQ(tokenizer.decode(ids), big);
}

} // namespace
} // namespace tempo
