// Text rendering: the prompt, then single tokens as themselves and larger sets as [a/b/c].

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/tempo/render.h"
#include "core/testmodel/testmodel.h"
#include "core/tokenizer/tokenizer.h"

namespace tempo {
namespace {

// A fake decoder: each id is a letter; decoding several ids at once marks the run with '|' so the
// test sees which ids were decoded together.
std::string fakeDecode(const std::vector<int64_t>& ids)
{
    std::string out;
    for (auto id : ids)
        out += static_cast<char>('a' + id);
    return ids.size() > 1 ? "|" + out + "|" : out;
}

TEST(Render, SingleTokensInlineAndSetsInBrackets)
{
    const std::vector<std::vector<int64_t>> sets{{0}, {1, 2, 3}, {4}, {5, 6}};
    EXPECT_EQ(renderTempoText("P:", sets, fakeDecode), "P:a[b/c/d]e[f/g]");
}

TEST(Render, RunsOfSingleTokensAreDecodedTogether)
{
    const std::vector<std::vector<int64_t>> sets{{0}, {1}, {2, 3}, {4}, {5}};
    EXPECT_EQ(renderTempoText(">", sets, fakeDecode), ">|ab|[c/d]|ef|");
}

TEST(Render, NoStepsIsThePrompt)
{
    EXPECT_EQ(renderTempoText("The cat", {}, fakeDecode), "The cat");
}

TEST(Render, RunTextKeepsSpecialTokensSoEveryMemberIsShown)
{
    // The one text of a run (printed by the CLI, stored in the notebook): a set holding
    // <|end_of_text|> shows it, and a run that ended on it ends with it.
    const Tokenizer tokenizer = Tokenizer::fromJsonText(testTokenizerJson(), "test tokenizer");
    const int64_t a = tokenizer.encode("a", false).front();
    EXPECT_EQ(runText("P", {{a, kTestEndOfTextId}}, tokenizer), "P[a/<|end_of_text|>]");
    EXPECT_EQ(runText("P", {{a}, {kTestEndOfTextId}}, tokenizer), "Pa<|end_of_text|>");
}

// A SentencePiece-style tokenizer drops the leading space of a text's first token; in a run's
// text every piece follows the prompt, so each keeps the space it has in the whole text.
TEST(Render, RunTextKeepsTheSpaceOfSentencePieceTokensAfterThePrompt)
{
    for (const std::string family : {"llama2", "mistral"}) {
        const Tokenizer tokenizer = Tokenizer::fromFile(std::filesystem::path(TEMPO_TEST_DATA_DIR) / "tokenizer-families" /
                                                        family / "tokenizer.json");
        const std::vector<int64_t> prompt = tokenizer.encode("The cat", true);
        const std::vector<int64_t> whole = tokenizer.encode("The cat sat on", true);
        ASSERT_TRUE(std::equal(prompt.begin(), prompt.end(), whole.begin())) << family;
        const std::vector<int64_t> generated(whole.begin() + static_cast<long>(prompt.size()), whole.end());
        ASSERT_GE(generated.size(), 2u) << family;
        // The text after the prompt in decode() of everything, e.g. " sat on".
        const std::string promptText = tokenizer.decode(prompt);
        const std::string after = tokenizer.decode(whole).substr(promptText.size());
        ASSERT_EQ(after.front(), ' ') << family;
        std::vector<std::vector<int64_t>> singles;
        for (int64_t id : generated)
            singles.push_back({id});
        EXPECT_EQ(runText("The cat", singles, tokenizer), "The cat" + after) << family;
        // A set's members each keep their space too.
        std::vector<int64_t> withFirst = prompt, withLast = prompt;
        withFirst.push_back(generated.front());
        withLast.push_back(generated.back());
        const std::string first = tokenizer.decode(withFirst).substr(promptText.size());
        const std::string last = tokenizer.decode(withLast).substr(promptText.size());
        EXPECT_EQ(runText("The cat", {{generated.front(), generated.back()}}, tokenizer),
                  "The cat[" + first + "/" + last + "]")
            << family;
    }
}

} // namespace
} // namespace tempo
