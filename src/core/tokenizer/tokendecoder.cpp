#include "core/tokenizer/tokendecoder.h"

#include "core/tokenizer/bytelevel.h"
#include "core/tokenizer/utf8.h"

namespace tempo {

namespace {

using nlohmann::json;
using jsonfields::Place;

void decoderReplaceAll(std::string& text, const std::string& pattern, const std::string& content)
{
    if (pattern.empty())
        return;
    std::string out;
    size_t cursor = 0;
    for (size_t found = text.find(pattern); found != std::string::npos; found = text.find(pattern, cursor)) {
        out.append(text, cursor, found - cursor).append(content);
        cursor = found + pattern.size();
    }
    out.append(text, cursor, std::string::npos);
    text = std::move(out);
}

// The byte of a "<0xNN>" token (hex digits, either case as Rust's from_str_radix accepts).
int byteOfFallbackToken(const std::string& token)
{
    if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>')
        return -1;
    int value = 0;
    for (size_t i = 3; i < 5; ++i) {
        const char c = token[i];
        int digit = -1;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        if (digit < 0)
            return -1;
        value = value * 16 + digit;
    }
    return value;
}

// Leading/trailing characters of `token` equal to `content` (one character), at most start/stop.
std::string stripToken(const std::string& token, const std::string& content, size_t start, size_t stop)
{
    size_t begin = 0, count = 0;
    while (count < start && token.compare(begin, content.size(), content) == 0 && begin < token.size()) {
        begin += content.size();
        ++count;
    }
    size_t end = token.size();
    count = 0;
    while (count < stop && end >= begin + content.size() && token.compare(end - content.size(), content.size(), content) == 0) {
        end -= content.size();
        ++count;
    }
    return token.substr(begin, end - begin);
}

} // namespace

TokenDecoder TokenDecoder::fromJson(const json& value, const Place& place)
{
    TokenDecoder decoder;
    if (value.is_null())
        jsonfields::fail(place, "a decoder (ByteLevel, or a Sequence of Replace/Metaspace, ByteFallback, Fuse, Strip)", "null");
    decoder.addSteps(value, place);
    return decoder;
}

void TokenDecoder::addSteps(const json& value, const Place& place)
{
    const std::string type = jsonfields::stringValue(jsonfields::member(value, place, "type"), place.child("type"));
    if (type == "Sequence") {
        const json& list = jsonfields::member(value, place, "decoders");
        if (!list.is_array())
            jsonfields::fail(place.child("decoders"), "an array", jsonfields::describeValue(list));
        for (size_t i = 0; i < list.size(); ++i)
            addSteps(list[i], place.child("decoders").item(i));
        return;
    }
    Step step;
    if (type == "ByteLevel") {
        step.kind = Step::Kind::ByteLevel;
    } else if (type == "Replace") {
        step.kind = Step::Kind::Replace;
        const json& pattern = jsonfields::member(value, place, "pattern");
        if (!(pattern.is_object() && pattern.contains("String")))
            jsonfields::fail(place.child("pattern"), "{\"String\": ...} (Regex patterns are not supported here)",
                             jsonfields::describeValue(pattern));
        step.pattern = jsonfields::stringValue(pattern["String"], place.child("pattern").child("String"));
        step.content = jsonfields::stringValue(jsonfields::member(value, place, "content"), place.child("content"));
    } else if (type == "ByteFallback") {
        step.kind = Step::Kind::ByteFallback;
    } else if (type == "Fuse") {
        step.kind = Step::Kind::Fuse;
    } else if (type == "Strip") {
        step.kind = Step::Kind::Strip;
        step.content = jsonfields::stringValue(jsonfields::member(value, place, "content"), place.child("content"));
        if (utf8::decodeAt(step.content, 0).length != step.content.size() || step.content.empty())
            jsonfields::fail(place.child("content"), "one character", "\"" + step.content + "\"");
        step.start = static_cast<size_t>(jsonfields::idValue(jsonfields::member(value, place, "start"), place.child("start")));
        step.stop = static_cast<size_t>(jsonfields::idValue(jsonfields::member(value, place, "stop"), place.child("stop")));
    } else if (type == "Metaspace") {
        step.kind = Step::Kind::Metaspace;
        step.pattern = jsonfields::stringValue(jsonfields::member(value, place, "replacement"), place.child("replacement"));
        if (const json* scheme = jsonfields::optionalMember(value, place, "prepend_scheme"))
            step.prepend = jsonfields::stringValue(*scheme, place.child("prepend_scheme")) != "never";
        else
            step.prepend = jsonfields::boolMember(value, place, "add_prefix_space", true);
    } else {
        jsonfields::fail(place.child("type"),
                         "a supported decoder (ByteLevel, Sequence, Replace, Metaspace, ByteFallback, Fuse, Strip)",
                         "\"" + type + "\"");
    }
    steps_.push_back(std::move(step));
}

std::string TokenDecoder::decode(std::vector<std::string> tokens) const
{
    for (const Step& step : steps_) {
        switch (step.kind) {
        case Step::Kind::ByteLevel: {
            std::string bytes;
            for (const std::string& token : tokens)
                if (!bytelevel::appendDecoded(token, bytes))
                    bytes += token;
            tokens.assign(1, utf8::toValidLossy(bytes));
            break;
        }
        case Step::Kind::Replace:
            for (std::string& token : tokens)
                decoderReplaceAll(token, step.pattern, step.content);
            break;
        case Step::Kind::ByteFallback: {
            std::vector<std::string> out;
            std::string pendingBytes;
            size_t pendingCount = 0;
            auto flush = [&] {
                if (pendingCount == 0)
                    return;
                if (!utf8::firstInvalidOffset(pendingBytes))
                    out.push_back(pendingBytes);
                else
                    for (size_t i = 0; i < pendingCount; ++i)
                        out.emplace_back("\xEF\xBF\xBD");
                pendingBytes.clear();
                pendingCount = 0;
            };
            for (std::string& token : tokens) {
                const int byte = byteOfFallbackToken(token);
                if (byte >= 0) {
                    pendingBytes.push_back(static_cast<char>(byte));
                    ++pendingCount;
                    continue;
                }
                flush();
                out.push_back(std::move(token));
            }
            flush();
            tokens = std::move(out);
            break;
        }
        case Step::Kind::Fuse: {
            std::string joined;
            for (const std::string& token : tokens)
                joined += token;
            tokens.assign(1, std::move(joined));
            break;
        }
        case Step::Kind::Strip:
            for (std::string& token : tokens)
                token = stripToken(token, step.content, step.start, step.stop);
            break;
        case Step::Kind::Metaspace:
            for (size_t i = 0; i < tokens.size(); ++i)
                decoderReplaceAll(tokens[i], step.pattern, i == 0 && step.prepend ? "" : " ");
            break;
        }
    }
    std::string text;
    for (const std::string& token : tokens)
        text += token;
    return text;
}

std::string TokenDecoder::tokenBytes(const std::string& token) const
{
    std::string bytes = token;
    for (const Step& step : steps_) {
        switch (step.kind) {
        case Step::Kind::ByteLevel: {
            std::string decoded;
            if (bytelevel::appendDecoded(bytes, decoded))
                bytes = std::move(decoded);
            break;
        }
        case Step::Kind::Replace:
            decoderReplaceAll(bytes, step.pattern, step.content);
            break;
        case Step::Kind::Metaspace:
            decoderReplaceAll(bytes, step.pattern, " ");
            break;
        case Step::Kind::ByteFallback:
            if (const int byte = byteOfFallbackToken(bytes); byte >= 0)
                bytes.assign(1, static_cast<char>(byte));
            break;
        case Step::Kind::Fuse:
        case Step::Kind::Strip:
            break;
        }
    }
    return bytes;
}

} // namespace tempo
