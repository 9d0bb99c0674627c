#pragma once
// UTF-8 helpers of the tokenizer: checking input text, decoding bytes to code points, and the
// lossy conversion (invalid bytes become U+FFFD) that Hugging Face's decoders apply.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tempo::utf8 {

constexpr char32_t kReplacementCharacter = 0xFFFD;

// One step of decoding at `offset`: a valid code point and its byte length, or, for invalid
// bytes, `valid == false` and `length` = the maximal subpart to replace by one U+FFFD
// (Unicode's "substitution of maximal subparts", which Rust's String::from_utf8_lossy follows).
// `truncated` is true when the invalid bytes are a valid prefix cut off by the end of `bytes`:
// more bytes could still complete the character.
struct Step {
    char32_t codePoint = 0;
    size_t length = 0;
    bool valid = false;
    bool truncated = false;
};
Step decodeAt(std::string_view bytes, size_t offset);

// Offset of the first byte that is not part of valid UTF-8, or nullopt when all is valid.
std::optional<size_t> firstInvalidOffset(std::string_view bytes);

void appendCodePoint(std::string& out, char32_t codePoint);

// The whole of `bytes` with every maximal invalid subpart replaced by U+FFFD.
std::string toValidLossy(std::string_view bytes);

// Streaming form of toValidLossy: appends to `out` what is decided in `bytes` and returns the
// number of bytes consumed. Unless `final`, a truncated character at the end stays unconsumed.
size_t appendValidLossy(std::string_view bytes, std::string& out, bool final);

} // namespace tempo::utf8
