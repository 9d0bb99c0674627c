// Text rendering: the prompt, then single tokens as themselves and larger sets as [a/b/c].

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/tempo/render.h"

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

} // namespace
} // namespace tempo
