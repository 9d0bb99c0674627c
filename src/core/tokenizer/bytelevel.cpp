#include "core/tokenizer/bytelevel.h"

#include <array>

#include "core/tokenizer/utf8.h"

namespace tempo::bytelevel {

namespace {

constexpr char32_t kHighestMappedCodePoint = 0x100 + 67; // 68 remapped bytes: U+0100..U+0143

struct Alphabet {
    std::array<std::string, 256> characterOfByte;
    std::array<int, kHighestMappedCodePoint + 1> byteOfCodePoint; // -1: not in the alphabet

    Alphabet()
    {
        byteOfCodePoint.fill(-1);
        auto keepsItsValue = [](unsigned byte) {
            return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
        };
        char32_t nextRemapped = 0x100;
        for (unsigned byte = 0; byte < 256; ++byte) {
            const char32_t codePoint = keepsItsValue(byte) ? byte : nextRemapped++;
            utf8::appendCodePoint(characterOfByte[byte], codePoint);
            byteOfCodePoint[codePoint] = static_cast<int>(byte);
        }
    }
};

const Alphabet& alphabet()
{
    static const Alphabet instance;
    return instance;
}

} // namespace

void appendEncoded(std::string_view bytes, std::string& out)
{
    const Alphabet& table = alphabet();
    for (unsigned char byte : bytes)
        out += table.characterOfByte[byte];
}

std::string encode(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size() * 2);
    appendEncoded(bytes, out);
    return out;
}

bool appendDecoded(std::string_view text, std::string& out)
{
    const Alphabet& table = alphabet();
    const size_t originalSize = out.size();
    size_t offset = 0;
    while (offset < text.size()) {
        const utf8::Step step = utf8::decodeAt(text, offset);
        if (!step.valid || step.codePoint > kHighestMappedCodePoint || table.byteOfCodePoint[step.codePoint] < 0) {
            out.resize(originalSize);
            return false;
        }
        out.push_back(static_cast<char>(table.byteOfCodePoint[step.codePoint]));
        offset += step.length;
    }
    return true;
}

const std::string& characterOfByte(unsigned char byte) { return alphabet().characterOfByte[byte]; }

} // namespace tempo::bytelevel
