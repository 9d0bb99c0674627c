#include "core/tokenizer/utf8.h"

namespace tempo::utf8 {

Step decodeAt(std::string_view bytes, size_t offset)
{
    Step step;
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    const size_t available = bytes.size() - offset;
    const unsigned char lead = data[offset];
    if (lead < 0x80) {
        step.codePoint = lead;
        step.length = 1;
        step.valid = true;
        return step;
    }
    // Lead byte: how many continuation bytes follow and the allowed range of the first one
    // (the narrow ranges exclude overlong forms, surrogates and code points above U+10FFFF).
    size_t needed = 0;
    unsigned char firstLow = 0x80, firstHigh = 0xBF;
    char32_t codePoint = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        needed = 1;
        codePoint = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        needed = 2;
        codePoint = lead & 0x0F;
        if (lead == 0xE0)
            firstLow = 0xA0;
        if (lead == 0xED)
            firstHigh = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        needed = 3;
        codePoint = lead & 0x07;
        if (lead == 0xF0)
            firstLow = 0x90;
        if (lead == 0xF4)
            firstHigh = 0x8F;
    } else {
        step.length = 1; // a continuation byte or a byte that never starts a character
        return step;
    }
    size_t length = 1;
    for (size_t i = 0; i < needed; ++i) {
        if (length >= available) {
            step.length = length;
            step.truncated = true;
            return step;
        }
        const unsigned char next = data[offset + length];
        const unsigned char low = i == 0 ? firstLow : 0x80;
        const unsigned char high = i == 0 ? firstHigh : 0xBF;
        if (next < low || next > high) {
            step.length = length;
            return step;
        }
        codePoint = (codePoint << 6) | (next & 0x3F);
        ++length;
    }
    step.codePoint = codePoint;
    step.length = length;
    step.valid = true;
    return step;
}

std::optional<size_t> firstInvalidOffset(std::string_view bytes)
{
    size_t offset = 0;
    while (offset < bytes.size()) {
        // ASCII fast path: most text is mostly ASCII.
        if (static_cast<unsigned char>(bytes[offset]) < 0x80) {
            ++offset;
            continue;
        }
        const Step step = decodeAt(bytes, offset);
        if (!step.valid)
            return offset;
        offset += step.length;
    }
    return std::nullopt;
}

void appendCodePoint(std::string& out, char32_t codePoint)
{
    if (codePoint < 0x80) {
        out.push_back(static_cast<char>(codePoint));
    } else if (codePoint < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (codePoint >> 6)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    } else if (codePoint < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (codePoint >> 12)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (codePoint >> 18)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    }
}

size_t appendValidLossy(std::string_view bytes, std::string& out, bool final)
{
    size_t offset = 0;
    while (offset < bytes.size()) {
        const Step step = decodeAt(bytes, offset);
        if (step.valid) {
            out.append(bytes.substr(offset, step.length));
        } else {
            if (step.truncated && !final)
                break;
            appendCodePoint(out, kReplacementCharacter);
        }
        offset += step.length;
    }
    return offset;
}

std::string toValidLossy(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size());
    appendValidLossy(bytes, out, true);
    return out;
}

} // namespace tempo::utf8
