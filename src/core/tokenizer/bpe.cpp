#include "core/tokenizer/bpe.h"

#include <cstdio>
#include <mutex>
#include <queue>

#include "core/tokenizer/utf8.h"

namespace tempo {

using nlohmann::json;
using jsonfields::Place;

// Encoded pre-tokens, shared by copies of the model. Like Hugging Face's BPE cache it holds
// words up to 256 bytes and a bounded number of them (cleared when full).
struct BpeModel::Cache {
    static constexpr size_t kCapacity = 10000;
    static constexpr size_t kLongestWord = 256;
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>> idsOfWord;
};

BpeTables BpeModel::tablesFromDom(const json& model, const Place& place)
{
    BpeTables tables;
    const json& vocab = jsonfields::member(model, place, "vocab");
    const Place vocabPlace = place.child("vocab");
    if (!vocab.is_object())
        jsonfields::fail(vocabPlace, "an object of token -> id", jsonfields::describeValue(vocab));
    tables.vocab.reserve(vocab.size());
    for (auto it = vocab.begin(); it != vocab.end(); ++it)
        tables.vocab.emplace_back(it.key(), jsonfields::idValue(it.value(), vocabPlace.child(it.key())));

    const json& merges = jsonfields::member(model, place, "merges");
    const Place mergesPlace = place.child("merges");
    if (!merges.is_array())
        jsonfields::fail(mergesPlace, "an array of merges", jsonfields::describeValue(merges));
    tables.merges.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const json& merge = merges[rank];
        // Two spellings: "a b" (older files) and ["a", "b"] (tokenizers >= 0.20).
        if (merge.is_string()) {
            const std::string& text = merge.get_ref<const std::string&>();
            const size_t space = text.find(' ');
            if (space == std::string::npos || space == 0 || space + 1 == text.size())
                jsonfields::fail(mergesPlace.item(rank), "\"left right\" (two tokens separated by one space)",
                                 jsonfields::describeValue(merge));
            tables.merges.emplace_back(text.substr(0, space), text.substr(space + 1));
        } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
            tables.merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
        } else {
            jsonfields::fail(mergesPlace.item(rank), "\"left right\" or [\"left\", \"right\"]",
                             jsonfields::describeValue(merge));
        }
    }
    return tables;
}

BpeModel BpeModel::fromJson(const json& model, const Place& place, BpeTables* streamed)
{
    BpeModel bpe;
    const std::string type = jsonfields::stringValue(jsonfields::member(model, place, "type"), place.child("type"));
    if (type != "BPE")
        jsonfields::fail(place.child("type"),
                         "\"BPE\" (supported: byte-level BPE as GPT-2, Llama 3 and Qwen2 use it, and SentencePiece-style "
                         "BPE with byte_fallback as Llama 2, Mistral and Gemma use it; WordPiece, Unigram and WordLevel "
                         "models are not supported)",
                         "\"" + type + "\"");
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
        if (const json* value = jsonfields::optionalMember(model, place, key); value && !(value->is_string() && value->get<std::string>().empty()))
            jsonfields::fail(place.child(key), "null (not supported)", jsonfields::describeValue(*value));
    if (const json* dropout = jsonfields::optionalMember(model, place, "dropout");
        dropout && !(dropout->is_number() && dropout->get<double>() == 0.0))
        jsonfields::fail(place.child("dropout"), "null (BPE dropout is for training only)", jsonfields::describeValue(*dropout));
    bpe.byteFallback_ = jsonfields::boolMember(model, place, "byte_fallback", false);
    bpe.ignoreMerges_ = jsonfields::boolMember(model, place, "ignore_merges", false);
    bpe.fuseUnknown_ = jsonfields::boolMember(model, place, "fuse_unk", false);
    // The streamed tables skip the DOM; the keys must still be there.
    jsonfields::member(model, place, "vocab");
    jsonfields::member(model, place, "merges");
    BpeTables tables = streamed ? std::move(*streamed) : tablesFromDom(model, place);

    const Place vocabPlace = place.child("vocab");
    bpe.idOfContent_.reserve(tables.vocab.size());
    int64_t idLimit = 0;
    for (auto& [content, id] : tables.vocab) {
        if (id < 0 || id > INT32_MAX)
            jsonfields::fail(vocabPlace.child(content), "a token id (an integer from 0 to 2^31-1)", std::to_string(id));
        idLimit = std::max(idLimit, id + 1);
    }
    bpe.contentOfId_.resize(static_cast<size_t>(idLimit));
    bpe.idExists_.assign(static_cast<size_t>(idLimit), false);
    for (auto& [content, id] : tables.vocab) {
        bpe.contentOfId_[static_cast<size_t>(id)] = content;
        bpe.idExists_[static_cast<size_t>(id)] = true;
        bpe.idOfContent_[std::move(content)] = static_cast<int32_t>(id);
    }

    const Place mergesPlace = place.child("merges");
    bpe.merges_.reserve(tables.merges.size());
    std::string joined;
    auto idOf = [&](const std::string& content, size_t rank) {
        auto found = bpe.idOfContent_.find(content);
        if (found == bpe.idOfContent_.end())
            jsonfields::fail(mergesPlace.item(rank), "a merge of vocabulary tokens",
                             "\"" + content + "\", which is not in model.vocab");
        return found->second;
    };
    for (size_t rank = 0; rank < tables.merges.size(); ++rank) {
        const auto& [left, right] = tables.merges[rank];
        joined.assign(left).append(right);
        const int32_t leftId = idOf(left, rank);
        const int32_t rightId = idOf(right, rank);
        const int32_t mergedId = idOf(joined, rank);
        // A repeated pair keeps its last rank, as Hugging Face's map construction does.
        bpe.merges_[pairKey(leftId, rightId)] = Merge{static_cast<int32_t>(rank), mergedId};
    }

    if (const json* unk = jsonfields::optionalMember(model, place, "unk_token")) {
        const std::string content = jsonfields::stringValue(*unk, place.child("unk_token"));
        auto found = bpe.idOfContent_.find(content);
        if (found == bpe.idOfContent_.end())
            jsonfields::fail(place.child("unk_token"), "a token of model.vocab", "\"" + content + "\"");
        bpe.unknownId_ = found->second;
    }
    bpe.cache_ = std::make_shared<Cache>();
    return bpe;
}

std::optional<int64_t> BpeModel::tokenId(std::string_view content) const
{
    auto it = idOfContent_.find(std::string(content));
    if (it == idOfContent_.end())
        return std::nullopt;
    return it->second;
}

const std::string* BpeModel::tokenContent(int64_t id) const
{
    if (id < 0 || id >= idLimit() || !idExists_[static_cast<size_t>(id)])
        return nullptr;
    return &contentOfId_[static_cast<size_t>(id)];
}

void BpeModel::encodeWord(const std::string& word, std::vector<int64_t>& ids) const
{
    if (ignoreMerges_) {
        // ignore_merges: a pre-token that is itself in the vocabulary is one id, even where the
        // merges would reach it differently (or not at all).
        if (auto it = idOfContent_.find(word); it != idOfContent_.end()) {
            ids.push_back(it->second);
            return;
        }
    }
    const bool cacheable = word.size() <= Cache::kLongestWord;
    if (cacheable) {
        std::lock_guard<std::mutex> lock(cache_->mutex);
        if (auto it = cache_->idsOfWord.find(word); it != cache_->idsOfWord.end()) {
            ids.insert(ids.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    // Start from one symbol per character. A character outside the vocabulary becomes its
    // <0xNN> byte tokens (byte_fallback, when all of them exist), else the unknown token, else
    // nothing. As Hugging Face's merge_word does, an unknown token waits until the next character
    // that is in the vocabulary (or the end of the word): byte tokens of a character after it
    // come first, and with fuse_unk the unknown characters around them become one token.
    std::vector<int32_t> symbols;
    symbols.reserve(word.size());
    size_t offset = 0;
    bool unknownPending = false;
    while (offset < word.size()) {
        const utf8::Step step = utf8::decodeAt(word, offset);
        const size_t length = step.length == 0 ? 1 : step.length;
        auto it = idOfContent_.find(word.substr(offset, length));
        offset += length;
        if (it != idOfContent_.end()) {
            if (unknownPending)
                symbols.push_back(*unknownId_);
            unknownPending = false;
            symbols.push_back(it->second);
            continue;
        }
        if (byteFallback_) {
            std::vector<int32_t> byteIds;
            for (size_t i = offset - length; i < offset; ++i) {
                char name[8];
                std::snprintf(name, sizeof name, "<0x%02X>", static_cast<unsigned char>(word[i]));
                auto byteIt = idOfContent_.find(name);
                if (byteIt == idOfContent_.end())
                    break;
                byteIds.push_back(byteIt->second);
            }
            if (byteIds.size() == length) {
                symbols.insert(symbols.end(), byteIds.begin(), byteIds.end());
                continue;
            }
        }
        if (unknownId_) {
            if (unknownPending && !fuseUnknown_)
                symbols.push_back(*unknownId_);
            unknownPending = true;
        }
    }
    if (unknownPending)
        symbols.push_back(*unknownId_);
    mergeSymbols(symbols);
    ids.insert(ids.end(), symbols.begin(), symbols.end());
    if (cacheable) {
        std::lock_guard<std::mutex> lock(cache_->mutex);
        if (cache_->idsOfWord.size() >= Cache::kCapacity)
            cache_->idsOfWord.clear();
        cache_->idsOfWord.emplace(word, std::move(symbols));
    }
}

void BpeModel::mergeSymbols(std::vector<int32_t>& symbols) const
{
    const int n = static_cast<int>(symbols.size());
    if (n < 2)
        return;
    // Symbols form a linked list; a queue holds candidate merges ordered by rank, then by
    // position (leftmost first). A candidate is stale when either side has changed since it was
    // queued; then it is skipped.
    std::vector<int> previous(n), next(n);
    std::vector<bool> alive(n, true);
    for (int i = 0; i < n; ++i) {
        previous[i] = i - 1;
        next[i] = i + 1 < n ? i + 1 : -1;
    }
    struct Candidate {
        int32_t rank;
        int position;
        int32_t left, right; // the ids the pair had when queued
        bool operator<(const Candidate& other) const
        {
            return rank != other.rank ? rank > other.rank : position > other.position; // min-heap
        }
    };
    std::priority_queue<Candidate> queue;
    auto consider = [&](int position) {
        if (position < 0 || next[position] < 0)
            return;
        const int32_t left = symbols[position], right = symbols[next[position]];
        auto it = merges_.find(pairKey(left, right));
        if (it != merges_.end())
            queue.push(Candidate{it->second.rank, position, left, right});
    };
    for (int i = 0; i + 1 < n; ++i)
        consider(i);
    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        const int position = top.position;
        if (!alive[position] || next[position] < 0)
            continue;
        const int rightPosition = next[position];
        if (symbols[position] != top.left || symbols[rightPosition] != top.right)
            continue;
        symbols[position] = merges_.at(pairKey(top.left, top.right)).mergedId;
        alive[rightPosition] = false;
        next[position] = next[rightPosition];
        if (next[position] >= 0)
            previous[next[position]] = position;
        consider(previous[position]);
        consider(position);
    }
    int write = 0;
    for (int i = 0; i >= 0 && i < n; i = next[i])
        symbols[write++] = symbols[i];
    symbols.resize(write);
}

} // namespace tempo
