#include "core/training/bpetrainer.h"

#include <map>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/bytelevel.h"
#include "core/tokenizer/pretokenizer.h"
#include "core/tokenizer/utf8.h"

namespace tempo {

namespace {

using ordered_json = nlohmann::ordered_json;

constexpr const char* kBeginOfText = "<|begin_of_text|>";
constexpr const char* kEndOfText = "<|end_of_text|>";

nlohmann::json preTokenizerJson()
{
    return {{"type", "Sequence"},
            {"pretokenizers",
             {{{"type", "Split"}, {"pattern", {{"Regex", llama3SplitPattern()}}}, {"behavior", "Isolated"}, {"invert", false}},
              {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}};
}

// One distinct pre-token as a sequence of token ids, with how often it occurs in the text.
struct Word {
    std::vector<int32_t> symbols;
    int64_t count = 0;
};

uint64_t pairKey(int32_t left, int32_t right)
{
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// Incremental BPE: pair counts are updated only for the words a merge touches, and the best pair
// comes from a max-heap with lazy deletion (an entry is stale when its count is no longer current).
class BpeLearner {
public:
    BpeLearner(const std::map<std::string, int64_t>& pieceCounts)
    {
        for (unsigned byte = 0; byte < 256; ++byte)
            addToken(bytelevel::characterOfByte(static_cast<unsigned char>(byte)));
        for (const auto& [piece, count] : pieceCounts) {
            Word word;
            word.count = count;
            // `piece` is already in the byte-level alphabet: one symbol per alphabet character.
            std::string bytes;
            bytelevel::appendDecoded(piece, bytes);
            for (unsigned char byte : bytes)
                word.symbols.push_back(static_cast<int32_t>(byte));
            if (word.symbols.size() >= 2)
                words_.push_back(std::move(word));
        }
        for (int32_t w = 0; w < static_cast<int32_t>(words_.size()); ++w)
            addPairs(w, nullptr);
        for (const auto& [key, count] : pairCounts_)
            heap_.push({count, key});
    }

    // Merges until `targetTokens` tokens exist or nothing is left to merge.
    void run(size_t targetTokens)
    {
        while (tokens_.size() < targetTokens) {
            if (!mergeBest())
                break;
        }
    }

    const std::vector<std::string>& tokens() const { return tokens_; }
    const std::vector<std::pair<std::string, std::string>>& merges() const { return merges_; }

private:
    struct HeapEntry {
        int64_t count;
        uint64_t key;
    };
    struct Lower {
        const BpeLearner* learner;
        // true when a ranks below b: fewer occurrences, or equal and larger strings.
        bool operator()(const HeapEntry& a, const HeapEntry& b) const
        {
            if (a.count != b.count)
                return a.count < b.count;
            return learner->pairStrings(b.key) < learner->pairStrings(a.key);
        }
    };

    std::pair<const std::string&, const std::string&> pairStrings(uint64_t key) const
    {
        return {tokens_[key >> 32], tokens_[key & 0xFFFFFFFFu]};
    }

    int32_t addToken(const std::string& text)
    {
        auto [it, inserted] = ids_.emplace(text, static_cast<int32_t>(tokens_.size()));
        if (inserted)
            tokens_.push_back(text);
        return it->second;
    }

    void addPairs(int32_t w, std::unordered_set<uint64_t>* changed)
    {
        const Word& word = words_[w];
        for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
            const uint64_t key = pairKey(word.symbols[i], word.symbols[i + 1]);
            pairCounts_[key] += word.count;
            std::vector<int32_t>& holders = pairWords_[key];
            if (holders.empty() || holders.back() != w)
                holders.push_back(w);
            if (changed)
                changed->insert(key);
        }
    }

    void removePairs(int32_t w, std::unordered_set<uint64_t>& changed)
    {
        const Word& word = words_[w];
        for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
            const uint64_t key = pairKey(word.symbols[i], word.symbols[i + 1]);
            pairCounts_[key] -= word.count;
            changed.insert(key);
        }
    }

    bool mergeBest()
    {
        while (!heap_.empty()) {
            const HeapEntry top = heap_.top();
            heap_.pop();
            auto current = pairCounts_.find(top.key);
            if (current == pairCounts_.end() || current->second != top.count || top.count <= 0)
                continue; // stale entry
            merge(top.key);
            return true;
        }
        return false;
    }

    void merge(uint64_t key)
    {
        const int32_t left = static_cast<int32_t>(key >> 32);
        const int32_t right = static_cast<int32_t>(key & 0xFFFFFFFFu);
        merges_.push_back({tokens_[left], tokens_[right]});
        const int32_t merged = addToken(tokens_[left] + tokens_[right]);

        std::unordered_set<uint64_t> changed;
        const std::vector<int32_t> holders = pairWords_[key]; // copy: addPairs appends to other lists
        int32_t previous = -1;
        for (int32_t w : holders) {
            if (w == previous)
                continue;
            previous = w;
            Word& word = words_[w];
            bool contains = false;
            for (size_t i = 0; i + 1 < word.symbols.size() && !contains; ++i)
                contains = word.symbols[i] == left && word.symbols[i + 1] == right;
            if (!contains)
                continue; // the pair left this word in an earlier merge
            removePairs(w, changed);
            std::vector<int32_t> out;
            out.reserve(word.symbols.size());
            for (size_t i = 0; i < word.symbols.size(); ++i) {
                if (i + 1 < word.symbols.size() && word.symbols[i] == left && word.symbols[i + 1] == right) {
                    out.push_back(merged);
                    ++i;
                } else {
                    out.push_back(word.symbols[i]);
                }
            }
            word.symbols = std::move(out);
            addPairs(w, &changed);
        }
        pairWords_.erase(key);
        for (uint64_t changedKey : changed) {
            const int64_t count = pairCounts_[changedKey];
            if (count > 0)
                heap_.push({count, changedKey});
            else
                pairCounts_.erase(changedKey);
        }
    }

    std::vector<std::string> tokens_;
    std::unordered_map<std::string, int32_t> ids_;
    std::vector<std::pair<std::string, std::string>> merges_;
    std::vector<Word> words_;
    std::unordered_map<uint64_t, int64_t> pairCounts_;
    std::unordered_map<uint64_t, std::vector<int32_t>> pairWords_;
    std::priority_queue<HeapEntry, std::vector<HeapEntry>, Lower> heap_{Lower{this}};
};

ordered_json addedToken(int64_t id, const std::string& content)
{
    return {{"id", id},        {"content", content},   {"single_word", false}, {"lstrip", false},
            {"rstrip", false}, {"normalized", false}, {"special", true}};
}

} // namespace

const std::string& llama3SplitPattern()
{
    static const std::string pattern =
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
    return pattern;
}

BpeTrainingResult trainBpe(const std::string& text, int64_t vocabSize)
{
    if (vocabSize < 258)
        throw InvalidArgument(expectedFound("BPE vocabulary size", "at least 258 (256 bytes + 2 specials)",
                                            std::to_string(vocabSize)));
    if (auto bad = utf8::firstInvalidOffset(text))
        throw InvalidArgument(expectedFound("BPE training text", "valid UTF-8",
                                            "an invalid byte at offset " + std::to_string(*bad)));

    const PreTokenizer preTokenizer = PreTokenizer::fromJson(preTokenizerJson(), {"bpe trainer", "pre_tokenizer"});
    std::map<std::string, int64_t> pieceCounts;
    std::vector<std::string> pieces;
    // Line by line keeps the piece buffer small; the Llama 3 pattern never matches across a
    // newline except in whitespace runs, which end at the line's "\n" as in the whole text.
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        end = end == std::string::npos ? text.size() : end + 1;
        pieces.clear();
        preTokenizer.split(std::string_view(text).substr(start, end - start), pieces);
        for (const std::string& piece : pieces)
            ++pieceCounts[piece];
        start = end;
    }

    BpeLearner learner(pieceCounts);
    learner.run(static_cast<size_t>(vocabSize - 2));

    BpeTrainingResult result;
    result.vocabulary = learner.tokens();
    result.merges = learner.merges();
    result.beginOfTextId = static_cast<int64_t>(result.vocabulary.size());
    result.endOfTextId = result.beginOfTextId + 1;
    return result;
}

std::string bpeTokenizerJson(const BpeTrainingResult& bpe)
{
    ordered_json vocab = ordered_json::object();
    for (size_t id = 0; id < bpe.vocabulary.size(); ++id)
        vocab[bpe.vocabulary[id]] = id;
    ordered_json merges = ordered_json::array();
    for (const auto& [left, right] : bpe.merges)
        merges.push_back(left + " " + right);

    ordered_json root = ordered_json::object();
    root["version"] = "1.0";
    root["truncation"] = nullptr;
    root["padding"] = nullptr;
    root["added_tokens"] = {addedToken(bpe.beginOfTextId, kBeginOfText), addedToken(bpe.endOfTextId, kEndOfText)};
    root["normalizer"] = nullptr;
    root["pre_tokenizer"] = ordered_json::parse(preTokenizerJson().dump());
    const ordered_json bosPiece = {{"SpecialToken", {{"id", kBeginOfText}, {"type_id", 0}}}};
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
            {{kBeginOfText, {{"id", kBeginOfText}, {"ids", {bpe.beginOfTextId}}, {"tokens", {kBeginOfText}}}}}}}}}};
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
    return root.dump(1) + "\n";
}

} // namespace tempo
