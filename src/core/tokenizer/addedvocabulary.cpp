#include "core/tokenizer/addedvocabulary.h"

#include "core/tokenizer/unicoderegex.h"
#include "core/tokenizer/utf8.h"

namespace tempo {

namespace {

using nlohmann::json;
using jsonfields::Place;

// Rust's char::is_whitespace: Unicode White_Space.
bool isWhiteSpace(char32_t c)
{
    return (c >= 0x9 && c <= 0xD) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Rust's char::is_alphanumeric (Alphabetic or Numeric), for single_word.
bool isWordCharacter(std::string_view character)
{
    static const UnicodeRegex word(R"(^[\p{Alphabetic}\p{N}]$)", false, "single_word character class");
    std::vector<std::pair<size_t, size_t>> matches;
    word.findAll(character, matches);
    return !matches.empty();
}

// Start of the last character of text[0, end).
size_t lastCharacterStart(std::string_view text, size_t end)
{
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
        --start;
    return start;
}

} // namespace

void AddedVocabulary::Trie::add(const std::string& content, int32_t tokenIndex)
{
    int32_t node = 0;
    for (unsigned char byte : content) {
        const uint64_t key = (static_cast<uint64_t>(node) << 8) | byte;
        auto it = childOf.find(key);
        if (it == childOf.end()) {
            const int32_t child = static_cast<int32_t>(tokenAtNode.size());
            tokenAtNode.push_back(-1);
            it = childOf.emplace(key, child).first;
        }
        node = it->second;
    }
    tokenAtNode[node] = tokenIndex;
}

std::pair<int32_t, size_t> AddedVocabulary::Trie::longestAt(std::string_view text, size_t offset) const
{
    std::pair<int32_t, size_t> best{-1, 0};
    int32_t node = 0;
    for (size_t i = offset; i < text.size(); ++i) {
        auto it = childOf.find((static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(text[i]));
        if (it == childOf.end())
            break;
        node = it->second;
        if (tokenAtNode[node] >= 0)
            best = {tokenAtNode[node], i + 1 - offset};
    }
    return best;
}

AddedVocabulary AddedVocabulary::fromJson(const json& addedTokens, const Place& place)
{
    AddedVocabulary vocabulary;
    if (addedTokens.is_null())
        return vocabulary;
    if (!addedTokens.is_array())
        jsonfields::fail(place, "an array of added tokens", jsonfields::describeValue(addedTokens));
    for (size_t i = 0; i < addedTokens.size(); ++i) {
        const json& entry = addedTokens[i];
        const Place at = place.item(i);
        AddedToken token;
        token.id = jsonfields::idValue(jsonfields::member(entry, at, "id"), at.child("id"));
        token.content = jsonfields::stringValue(jsonfields::member(entry, at, "content"), at.child("content"));
        if (token.content.empty())
            jsonfields::fail(at.child("content"), "a non-empty string", "\"\"");
        token.special = jsonfields::boolMember(entry, at, "special", false);
        token.singleWord = jsonfields::boolMember(entry, at, "single_word", false);
        token.lstrip = jsonfields::boolMember(entry, at, "lstrip", false);
        token.rstrip = jsonfields::boolMember(entry, at, "rstrip", false);
        token.normalized = jsonfields::boolMember(entry, at, "normalized", !token.special);
        const auto index = static_cast<int32_t>(vocabulary.tokens_.size());
        (token.normalized ? vocabulary.normalized_ : vocabulary.notNormalized_).add(token.content, index);
        vocabulary.idOfContent_[token.content] = token.id;
        vocabulary.tokens_.push_back(std::move(token));
    }
    return vocabulary;
}

std::optional<int64_t> AddedVocabulary::tokenId(std::string_view content) const
{
    auto it = idOfContent_.find(std::string(content));
    if (it == idOfContent_.end())
        return std::nullopt;
    return it->second;
}

void AddedVocabulary::splitWith(const Trie& trie, std::string_view text, size_t base, std::vector<Segment>& out) const
{
    size_t segmentStart = 0; // start of the plain text not yet emitted
    size_t offset = 0;
    while (offset < text.size()) {
        const auto [tokenIndex, length] = trie.longestAt(text, offset);
        if (tokenIndex < 0) {
            ++offset;
            continue;
        }
        const AddedToken& token = tokens_[static_cast<size_t>(tokenIndex)];
        size_t start = offset, stop = offset + length;
        offset = stop; // the search resumes after this match even when it is discarded
        if (token.singleWord) {
            const bool wordBefore = start > 0 && isWordCharacter(text.substr(lastCharacterStart(text, start),
                                                                              start - lastCharacterStart(text, start)));
            const bool wordAfter = stop < text.size() &&
                                   isWordCharacter(text.substr(stop, std::max<size_t>(1, utf8::decodeAt(text, stop).length)));
            if (wordBefore || wordAfter)
                continue;
        }
        if (token.lstrip) {
            while (start > segmentStart) {
                const size_t previous = lastCharacterStart(text, start);
                if (!isWhiteSpace(utf8::decodeAt(text, previous).codePoint))
                    break;
                start = previous;
            }
        }
        if (token.rstrip) {
            while (stop < text.size()) {
                const utf8::Step step = utf8::decodeAt(text, stop);
                if (!step.valid || !isWhiteSpace(step.codePoint))
                    break;
                stop += step.length;
            }
            offset = stop;
        }
        if (start > segmentStart)
            out.push_back(Segment{base + segmentStart, base + start, std::nullopt});
        out.push_back(Segment{base + start, base + stop, token.id});
        segmentStart = stop;
    }
    if (segmentStart < text.size())
        out.push_back(Segment{base + segmentStart, base + text.size(), std::nullopt});
}

std::vector<AddedVocabulary::Segment> AddedVocabulary::splitGroup(std::string_view text, bool normalizedTokens) const
{
    std::vector<Segment> segments;
    splitWith(normalizedTokens ? normalized_ : notNormalized_, text, 0, segments);
    return segments;
}

std::vector<AddedVocabulary::Segment> AddedVocabulary::split(std::string_view text) const
{
    std::vector<Segment> firstPass;
    splitWith(notNormalized_, text, 0, firstPass);
    // There is no normalizer, so the normalized tokens are matched in the same text, but only in
    // what the first pass left as plain text.
    std::vector<Segment> segments;
    for (const Segment& segment : firstPass) {
        if (segment.id)
            segments.push_back(segment);
        else
            splitWith(normalized_, text.substr(segment.begin, segment.end - segment.begin), segment.begin, segments);
    }
    return segments;
}

} // namespace tempo
