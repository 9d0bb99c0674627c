#pragma once
// GPT-2's byte-level alphabet, which Llama 3's tokenizer uses: each of the 256 byte values is
// written as one printable Unicode character, so BPE works on "characters" while any byte
// sequence (not only valid UTF-8) stays representable and the mapping is reversible.
// Printable bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to the code point of the same value;
// the other 68 bytes map to U+0100, U+0101, ... in byte order (so ' ' becomes 'Ġ' U+0120).

#include <string>
#include <string_view>

namespace tempo::bytelevel {

// Appends the byte-level form of `bytes` (any bytes) to `out`, as UTF-8.
void appendEncoded(std::string_view bytes, std::string& out);
std::string encode(std::string_view bytes);

// Appends the bytes that the byte-level string `text` stands for. Returns false (and appends
// nothing) when `text` holds a character outside the alphabet or is not valid UTF-8.
bool appendDecoded(std::string_view text, std::string& out);

// The UTF-8 form of the alphabet character of one byte.
const std::string& characterOfByte(unsigned char byte);

} // namespace tempo::bytelevel
