#pragma once
// A PCRE2 regular expression (UTF + UCP) used by the Split pre-tokenizer, made to classify
// whitespace, letters and numbers as the reference does (see rewriteUnicodeClasses).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tempo {

// Rewrites \s and \S (inside and outside character classes) into explicit classes equal to
// Unicode's White_Space property, and adds to \p{L} and \p{N} the letters and numbers of
// Unicode 15 and 16, which PCRE2 10.42 (Unicode 14) does not know yet. \P{L}, \P{N} and other
// properties are left as they are (the Llama 3 pattern has none). Why: Hugging Face's tokenizers run this pattern through
// Oniguruma / Rust regex, where \s is White_Space: U+0085 (NEL) is whitespace, U+FEFF (BOM) and
// U+180E (Mongolian vowel separator, no longer a space since Unicode 6.3) are not. PCRE2 10.42
// with PCRE2_UCP defines \s as \h, \v and \p{Z}; its \h list still holds U+180E, so "a\u180Eb"
// would split differently. NEL and BOM already agree; the explicit class makes all three agree.
std::string rewriteUnicodeClasses(const std::string& pattern);

class UnicodeRegex {
public:
    // Compiles `pattern` (a regex, or a literal string when `literal`); errors name `where`.
    UnicodeRegex(const std::string& pattern, bool literal, const std::string& where);

    // The {"Regex": ...} pattern of a Replace normalizer or decoder, with the meaning Hugging
    // Face's engine (Oniguruma, Ruby syntax) gives it: ^ and $ match at every line (LF). Refused
    // with a TokenizerError naming `where` and the pattern: a pattern PCRE2 cannot compile, \h or
    // \H (a hex digit there, horizontal space in PCRE2) and an inline (?m) (dot-all there,
    // multi-line in PCRE2).
    static UnicodeRegex forReplace(const std::string& pattern, const std::string& where);
    // `text` with every match replaced by `content` (taken literally), empty matches as the
    // reference treats them (see the definition).
    std::string replaceAll(std::string_view text, const std::string& content) const;

    // Byte ranges [begin, end) of the non-empty, non-overlapping matches in `text`, left to
    // right. `text` must be valid UTF-8 (the caller checks it once for the whole input).
    void findAll(std::string_view text, std::vector<std::pair<size_t, size_t>>& matches) const;

private:
    UnicodeRegex(const std::string& effectivePattern, uint32_t options, const std::string& where, const std::string& shown);
    struct Compiled;
    std::shared_ptr<const Compiled> compiled_;
    std::string where_;
};

} // namespace tempo
