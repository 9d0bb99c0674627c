// Text rendering: the prompt, then single tokens as themselves and larger sets as [a/b/c].

#include <gtest/gtest.h>

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

} // namespace
} // namespace tempo
