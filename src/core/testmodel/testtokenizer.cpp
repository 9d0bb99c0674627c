// The tokenizer.json of test models: a byte-level BPE in the Hugging Face format of Llama 3
// (Split pre-tokenizer with the Llama 3 regex, ByteLevel, TemplateProcessing adding
// <|begin_of_text|>, ByteLevel decoder, ignore_merges), with merges learned here, deterministically,
// from a short embedded English text. Ids: 0-255 the bytes, 256-509 the merges, 510/511 specials.

#include <map>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/testmodel/testmodel.h"

namespace tempo {

namespace {

using ordered_json = nlohmann::ordered_json;

constexpr size_t kMergeCount = 254; // merged tokens; 256 + 254 + 2 specials = 512

// The training text: the phrases the experiment presets use, in simple English around them.
constexpr const char* kTrainingText = R"(The cat sat on the mat. The cat sat on the warm mat by the door.
The quick brown fox jumps over the lazy dog. The quick brown dog runs after the fox.
Once upon a time there was a small cat that lived in a house with a red door.
Every morning the cat sat in the sun and watched the birds in the garden.
The dog did not like the birds, but the cat thought they were the best part of the day.
One day the quick brown fox came to the garden. The birds flew away and the dog barked.
The cat sat on the wall and looked at the fox. "What are you doing here?" asked the cat.
"I am looking for something to eat," said the fox. "There is nothing for you here," the cat said.
The fox went back to the forest, and the birds came back to the garden.
In the evening the family came home. The children played with the dog and the cat slept on the mat.
It was a good day for everyone in the house. They ate bread and soup, and then they read a book.
The book was about a ship that sailed on the sea to find a new land with tall trees and green hills.
Language models predict the next token from the tokens before it. A model with many layers
can learn the patterns of a language: which words follow which, and how sentences end.
Parallel decoding keeps every token whose probability is above a threshold at the same position.
We measure attention, logits and the positions that the model actually used in 2024 and 2025.
The results were written in a notebook, and the notebook was saved with the date and time.
)";

// GPT-2's reversible byte -> printable code point map: printable Latin-1 bytes map to themselves,
// the others to 256, 257, ... in byte order.
std::vector<std::string> byteToUnicode()
{
    auto utf8 = [](unsigned codePoint) {
        std::string out;
        if (codePoint < 0x80) {
            out.push_back(static_cast<char>(codePoint));
        } else {
            out.push_back(static_cast<char>(0xC0 | (codePoint >> 6)));
            out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
        }
        return out;
    };
    std::vector<std::string> table(256);
    unsigned next = 256;
    for (unsigned byte = 0; byte < 256; ++byte) {
        bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE);
        table[byte] = utf8(printable ? byte : next++);
    }
    return table;
}

// The Llama 3 split regex restricted to ASCII (\p{L} -> [A-Za-z], \p{N} -> [0-9]); the training
// text is ASCII, so this splits it exactly as the real pre-tokenizer does.
std::vector<std::string> preTokenize(const std::string& text)
{
    static const std::regex pattern(
        R"('(?:[sSdDmMtT]|[rR][eE]|[vV][eE]|[lL][lL])|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]{1,3}| ?[^\sA-Za-z0-9]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)");
    std::vector<std::string> pieces;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), pattern); it != std::sregex_iterator(); ++it)
        pieces.push_back(it->str());
    return pieces;
}

struct LearnedBpe {
    std::vector<std::string> vocab; // id -> token string (byte-level alphabet)
    std::vector<std::pair<std::string, std::string>> merges;
};

// Classic BPE training: repeatedly merge the most frequent adjacent pair (ties: the
// lexicographically smallest pair), weighted by how often each pre-token occurs.
LearnedBpe learnBpe()
{
    const std::vector<std::string> alphabet = byteToUnicode();
    LearnedBpe bpe;
    bpe.vocab = alphabet;
    std::set<std::string> known(alphabet.begin(), alphabet.end());

    std::map<std::vector<std::string>, int> words; // symbols -> count
    for (const std::string& piece : preTokenize(kTrainingText)) {
        std::vector<std::string> symbols;
        for (unsigned char byte : piece)
            symbols.push_back(alphabet[byte]);
        ++words[symbols];
    }

    // Count new tokens, not merges: two merges can produce the same string.
    while (bpe.vocab.size() < alphabet.size() + kMergeCount) {
        std::map<std::pair<std::string, std::string>, int> pairCounts;
        for (const auto& [symbols, count] : words)
            for (size_t i = 0; i + 1 < symbols.size(); ++i)
                pairCounts[{symbols[i], symbols[i + 1]}] += count;
        if (pairCounts.empty())
            break; // every pre-token is one symbol: nothing left to merge
        auto best = pairCounts.begin();
        for (auto it = pairCounts.begin(); it != pairCounts.end(); ++it)
            if (it->second > best->second)
                best = it; // strict: the first (smallest) pair wins ties
        const auto [left, right] = best->first;
        bpe.merges.push_back({left, right});
        const std::string merged = left + right;
        if (known.insert(merged).second)
            bpe.vocab.push_back(merged);

        std::map<std::vector<std::string>, int> mergedWords;
        for (const auto& [symbols, count] : words) {
            std::vector<std::string> out;
            for (size_t i = 0; i < symbols.size(); ++i) {
                if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
                    out.push_back(merged);
                    ++i;
                } else {
                    out.push_back(symbols[i]);
                }
            }
            mergedWords[out] += count;
        }
        words = std::move(mergedWords);
    }
    return bpe;
}

ordered_json addedToken(int64_t id, const std::string& content)
{
    return {{"id", id},          {"content", content}, {"single_word", false}, {"lstrip", false},
            {"rstrip", false},   {"normalized", false}, {"special", true}};
}

} // namespace

std::string testTokenizerJson()
{
    static const std::string text = [] {
        const LearnedBpe bpe = learnBpe();
        const int64_t beginId = static_cast<int64_t>(bpe.vocab.size());
        const int64_t endId = beginId + 1;

        ordered_json vocab = ordered_json::object();
        for (size_t id = 0; id < bpe.vocab.size(); ++id)
            vocab[bpe.vocab[id]] = id;
        ordered_json merges = ordered_json::array();
        for (const auto& [left, right] : bpe.merges)
            merges.push_back(left + " " + right);

        const std::string llama3Split =
            R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

        ordered_json root = ordered_json::object();
        root["version"] = "1.0";
        root["truncation"] = nullptr;
        root["padding"] = nullptr;
        root["added_tokens"] = {addedToken(beginId, "<|begin_of_text|>"), addedToken(endId, "<|end_of_text|>")};
        root["normalizer"] = nullptr;
        root["pre_tokenizer"] = {
            {"type", "Sequence"},
            {"pretokenizers",
             {{{"type", "Split"}, {"pattern", {{"Regex", llama3Split}}}, {"behavior", "Isolated"}, {"invert", false}},
              {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}};
        ordered_json bosPiece = {{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}};
        root["post_processor"] = {
            {"type", "Sequence"},
            {"processors",
             {{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}},
              {{"type", "TemplateProcessing"},
               {"single", {bosPiece, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
               {"pair",
                {bosPiece, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}, bosPiece,
                 {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
               {"special_tokens",
                {{"<|begin_of_text|>",
                  {{"id", "<|begin_of_text|>"}, {"ids", {beginId}}, {"tokens", {"<|begin_of_text|>"}}}}}}}}}};
        root["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
        root["model"] = {{"type", "BPE"},
                         {"dropout", nullptr},
                         {"unk_token", nullptr},
                         {"continuing_subword_prefix", nullptr},
                         {"end_of_word_suffix", nullptr},
                         {"fuse_unk", false},
                         {"byte_fallback", false},
                         {"ignore_merges", true},
                         {"vocab", vocab},
                         {"merges", merges}};
        return root.dump(1);
    }();
    return text;
}

} // namespace tempo
