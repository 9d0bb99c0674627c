#include "core/tokenizer/tokendecoder.h"

#include "core/tokenizer/bytelevel.h"
#include "core/tokenizer/normalizer.h"
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
    decoder.planStreaming();
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
        readReplacePattern(value, place, step.pattern, step.regex);
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

void TokenDecoder::applySteps(std::vector<std::string>& tokens, size_t begin, size_t end, bool listStartsText) const
{
    for (size_t index = begin; index < end; ++index) {
        const Step& step = steps_[index];
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
            for (std::string& token : tokens) {
                if (step.regex)
                    token = step.regex->replaceAll(token, step.content);
                else
                    decoderReplaceAll(token, step.pattern, step.content);
            }
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
            // As Hugging Face: every replacement in the text's first token goes (not only a leading one).
            for (size_t i = 0; i < tokens.size(); ++i)
                decoderReplaceAll(tokens[i], step.pattern, i == 0 && listStartsText && step.prepend ? "" : " ");
            break;
        }
    }
}

std::string TokenDecoder::decode(std::vector<std::string> tokens) const
{
    applySteps(tokens, 0, steps_.size(), true);
    std::string text;
    for (const std::string& token : tokens)
        text += token;
    return text;
}

void TokenDecoder::planStreaming()
{
    fuseStep_ = steps_.size();
    byteFallbackStep_ = steps_.size();
    streamable_ = true;
    for (size_t index = 0; index < steps_.size(); ++index) {
        const Step::Kind kind = steps_[index].kind;
        if (index > fuseStep_) {
            // After the join only one Strip is followed piece by piece (a Replace could match
            // across two pieces).
            streamable_ = streamable_ && kind == Step::Kind::Strip && index == fuseStep_ + 1;
        } else if (kind == Step::Kind::Fuse || kind == Step::Kind::ByteLevel) {
            fuseStep_ = index;
        } else if (kind == Step::Kind::ByteFallback) {
            streamable_ = streamable_ && byteFallbackStep_ == steps_.size(); // one run rule, not two
            byteFallbackStep_ = index;
        }
    }
}

std::string TokenDecoder::streamPush(Stream& stream, std::string token) const
{
    if (!streamable_) {
        stream.heldTokens.push_back(std::move(token));
        return "";
    }
    if (byteFallbackStep_ < steps_.size()) {
        // A <0xNN> token (as ByteFallback will see it) opens or extends a run: hold it until the run ends.
        std::vector<std::string> probe{token};
        applySteps(probe, 0, byteFallbackStep_, stream.firstChunk && stream.heldTokens.empty());
        stream.heldTokens.push_back(std::move(token));
        if (probe.size() == 1 && byteOfFallbackToken(probe[0]) >= 0)
            return "";
    } else {
        stream.heldTokens.push_back(std::move(token));
    }
    return streamChunk(stream, false);
}

std::string TokenDecoder::streamFlush(Stream& stream) const
{
    if (!streamable_) {
        std::vector<std::string> tokens = std::move(stream.heldTokens);
        stream.heldTokens.clear();
        applySteps(tokens, 0, steps_.size(), stream.firstChunk);
        stream.firstChunk = stream.firstChunk && tokens.empty();
        std::string text;
        for (const std::string& token : tokens)
            text += token;
        return text;
    }
    return streamChunk(stream, true);
}

// Decodes the held chunk (the token list of decode() from here on) through the steps before
// the join, joins it (ByteLevel keeps an unfinished character for the next chunk) and applies
// the Strip after the join.
std::string TokenDecoder::streamChunk(Stream& stream, bool final) const
{
    std::vector<std::string> tokens = std::move(stream.heldTokens);
    stream.heldTokens.clear();
    const bool listStartsText = stream.firstChunk;
    if (!tokens.empty())
        stream.firstChunk = false;
    applySteps(tokens, 0, fuseStep_, listStartsText);
    std::string joined;
    if (fuseStep_ < steps_.size() && steps_[fuseStep_].kind == Step::Kind::ByteLevel) {
        for (const std::string& token : tokens)
            if (!bytelevel::appendDecoded(token, stream.unfinishedBytes))
                stream.unfinishedBytes += token;
        const size_t consumed = utf8::appendValidLossy(stream.unfinishedBytes, joined, final);
        stream.unfinishedBytes.erase(0, consumed);
    } else {
        for (const std::string& token : tokens)
            joined += token;
    }
    if (fuseStep_ + 1 < steps_.size())
        return streamStrip(stream, std::move(joined), final);
    return joined;
}

// The Strip after the join, on the whole text: at most `start` leading characters at the very
// start of the stream, at most `stop` trailing ones at its end (a trailing run is held until a
// different character follows or the stream ends).
std::string TokenDecoder::streamStrip(Stream& stream, std::string text, bool final) const
{
    const Step& strip = steps_[fuseStep_ + 1];
    const std::string& content = strip.content;
    while (!stream.pastStart && !text.empty()) {
        if (stream.strippedAtStart < strip.start && text.compare(0, content.size(), content) == 0) {
            text.erase(0, content.size());
            ++stream.strippedAtStart;
        } else {
            stream.pastStart = true;
        }
    }
    if (strip.stop == 0)
        return text;
    text.insert(0, stream.heldTrailing);
    stream.heldTrailing.clear();
    size_t end = text.size(), run = 0;
    while (end >= content.size() && text.compare(end - content.size(), content.size(), content) == 0) {
        end -= content.size();
        ++run;
    }
    if (!final) {
        stream.heldTrailing = text.substr(end);
        text.resize(end);
        return text;
    }
    text.resize(text.size() - std::min(run, strip.stop) * content.size());
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
            if (step.regex)
                bytes = step.regex->replaceAll(bytes, step.content);
            else
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
