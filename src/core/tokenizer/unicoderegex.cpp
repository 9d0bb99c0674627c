#include "core/tokenizer/unicoderegex.h"

#include <algorithm>
#include <cctype>
#include <optional>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/common/errors.h"
#include "core/tokenizer/utf8.h"

namespace tempo {

namespace {

// Unicode White_Space (PropList.txt) and its complement, as character class contents.
constexpr const char* kWhiteSpaceRanges =
    "\\x{9}-\\x{D}\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
constexpr const char* kNotWhiteSpaceRanges =
    "\\x{0}-\\x{8}\\x{E}-\\x{1F}\\x{21}-\\x{84}\\x{86}-\\x{9F}\\x{A1}-\\x{167F}\\x{1681}-\\x{1FFF}"
    "\\x{200B}-\\x{2027}\\x{202A}-\\x{202E}\\x{2030}-\\x{205E}\\x{2060}-\\x{2FFF}\\x{3001}-\\x{10FFFF}";

// Letters (\p{L}) and numbers (\p{N}) assigned in Unicode 15.0 to 16.0. PCRE2 10.42 has
// Unicode 14 tables; the reference (tokenizers 0.23.2) has Unicode 16, so without these a Kawi
// or Garay word would split differently. Produced by
// `node tools/make-tokenizer-cases.js --unicode-supplement`, which asks the reference itself.
constexpr const char* kLetterSupplement =
    R"(\x{1C89}-\x{1C8A}\x{A7CB}-\x{A7CD}\x{A7DA}-\x{A7DC}\x{105C0}-\x{105F3}\x{10D4A}-\x{10D65}\x{10D6F}-\x{10D85})"
    R"(\x{10EC2}-\x{10EC4}\x{1123F}-\x{11240}\x{11380}-\x{11389}\x{1138B}\x{1138E}\x{11390}-\x{113B5}\x{113B7})"
    R"(\x{113D1}\x{113D3}\x{11BC0}-\x{11BE0}\x{11F02}\x{11F04}-\x{11F10}\x{11F12}-\x{11F33}\x{1342F}\x{13441}-\x{13446})"
    R"(\x{13460}-\x{143FA}\x{16100}-\x{1611D}\x{16D40}-\x{16D6C}\x{18CFF}\x{1B132}\x{1B155}\x{1DF25}-\x{1DF2A})"
    R"(\x{1E030}-\x{1E06D}\x{1E4D0}-\x{1E4EB}\x{1E5D0}-\x{1E5ED}\x{1E5F0}\x{2B739}\x{2EBF0}-\x{2EE5D}\x{31350}-\x{323AF})";
constexpr const char* kNumberSupplement =
    R"(\x{10D40}-\x{10D49}\x{116D0}-\x{116E3}\x{11BF0}-\x{11BF9}\x{11F50}-\x{11F59}\x{16130}-\x{16139})"
    R"(\x{16D70}-\x{16D79}\x{1CCF0}-\x{1CCF9}\x{1D2C0}-\x{1D2D3}\x{1E4F0}-\x{1E4F9}\x{1E5F1}-\x{1E5FA})";

// The class contents that replace an escape, or nullptr to keep it: \s, \S, \p{L}, \p{N}.
const char* const* replacementAt(const std::string& pattern, size_t i, size_t& escapeLength)
{
    static const char* const whiteSpace[] = {kWhiteSpaceRanges, nullptr};
    static const char* const notWhiteSpace[] = {kNotWhiteSpaceRanges, nullptr};
    static const char* const letter[] = {"\\p{L}", kLetterSupplement};
    static const char* const number[] = {"\\p{N}", kNumberSupplement};
    struct Escape {
        const char* text;
        const char* const* contents;
    };
    static const Escape escapes[] = {{"\\s", whiteSpace}, {"\\S", notWhiteSpace}, {"\\p{L}", letter},
                                     {"\\pL", letter},     {"\\p{N}", number},       {"\\pN", number}};
    for (const Escape& escape : escapes) {
        const size_t length = std::char_traits<char>::length(escape.text);
        if (pattern.compare(i, length, escape.text) == 0) {
            escapeLength = length;
            return escape.contents;
        }
    }
    return nullptr;
}

std::string pcre2Message(int errorCode)
{
    PCRE2_UCHAR buffer[256];
    if (pcre2_get_error_message(errorCode, buffer, sizeof buffer) < 0)
        return "PCRE2 error " + std::to_string(errorCode);
    return reinterpret_cast<const char*>(buffer);
}

} // namespace

std::string rewriteUnicodeClasses(const std::string& pattern)
{
    std::string out;
    out.reserve(pattern.size() + 256);
    bool inClass = false;
    size_t i = 0;
    while (i < pattern.size()) {
        const char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            const char next = pattern[i + 1];
            size_t escapeLength = 0;
            if (const char* const* contents = replacementAt(pattern, i, escapeLength)) {
                std::string ranges = contents[0];
                if (contents[1])
                    ranges += contents[1];
                out += inClass ? ranges : "[" + ranges + "]";
                i += escapeLength;
            } else if (next == 'Q') {
                // \Q...\E quotes literally: copy untouched.
                const size_t end = pattern.find("\\E", i + 2);
                const size_t stop = end == std::string::npos ? pattern.size() : end + 2;
                out.append(pattern, i, stop - i);
                i = stop;
            } else {
                out += c;
                out += next;
                i += 2;
            }
            continue;
        }
        if (!inClass && c == '[') {
            inClass = true;
            out += c;
            ++i;
            // "[^" and a ']' right after the opening are part of the class, not its end.
            if (i < pattern.size() && pattern[i] == '^')
                out += pattern[i++];
            if (i < pattern.size() && pattern[i] == ']')
                out += pattern[i++];
            continue;
        }
        if (inClass && c == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
            // POSIX class such as [:alpha:]: copy up to its ":]".
            const size_t end = pattern.find(":]", i + 2);
            const size_t stop = end == std::string::npos ? pattern.size() : end + 2;
            out.append(pattern, i, stop - i);
            i = stop;
            continue;
        }
        if (inClass && c == ']')
            inClass = false;
        out += c;
        ++i;
    }
    return out;
}

struct UnicodeRegex::Compiled {
    pcre2_code* code = nullptr;
    ~Compiled() { pcre2_code_free(code); }
};

UnicodeRegex::UnicodeRegex(const std::string& pattern, bool literal, const std::string& where)
    : UnicodeRegex(literal ? pattern : rewriteUnicodeClasses(pattern),
                   PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK | (literal ? PCRE2_LITERAL : 0u), where, "")
{
}

UnicodeRegex::UnicodeRegex(const std::string& effective, uint32_t options, const std::string& where, const std::string& shown)
    : where_(where)
{
    int errorCode = 0;
    PCRE2_SIZE errorOffset = 0;
    auto compiled = std::make_shared<Compiled>();
    compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(effective.data()), effective.size(), options,
                                   &errorCode, &errorOffset, nullptr);
    if (!compiled->code)
        throw TokenizerError(expectedFound(where, "a regular expression PCRE2 can compile",
                                           "error '" + pcre2Message(errorCode) + "' at offset " +
                                               std::to_string(errorOffset) + " of " + (shown.empty() ? effective : shown)));
    // JIT makes matching several times faster; without it (unsupported CPU) PCRE2 interprets.
    pcre2_jit_compile(compiled->code, PCRE2_JIT_COMPLETE);
    compiled_ = std::move(compiled);
}

UnicodeRegex UnicodeRegex::forReplace(const std::string& pattern, const std::string& where)
{
    const std::string shown = "\"" + pattern + "\"";
    auto refuse = [&](const std::string& why) {
        throw TokenizerError(expectedFound(where, "a Regex pattern with the same meaning in PCRE2 as in Hugging Face's "
                                                  "Oniguruma (" + why + ")",
                                           shown));
    };
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\' && i + 1 < pattern.size()) {
            if (pattern[i + 1] == 'h' || pattern[i + 1] == 'H')
                refuse("no \\h or \\H: a hex digit there, horizontal space here");
            ++i;
            continue;
        }
        if (pattern.compare(i, 2, "(?") == 0) {
            // Inline options such as (?i) or (?im-x:...): Ruby's m is PCRE2's s.
            size_t j = i + 2;
            while (j < pattern.size() && (std::isalpha(static_cast<unsigned char>(pattern[j])) || pattern[j] == '-')) {
                if (pattern[j] == 'm')
                    refuse("no (?m): dot-all there, multi-line here");
                ++j;
            }
        }
    }
    // (*LF): lines end at LF only, as in Ruby syntax; MULTILINE: ^ and $ at every line.
    return UnicodeRegex("(*LF)" + rewriteUnicodeClasses(pattern), PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK | PCRE2_MULTILINE,
                        where, shown);
}

// As Hugging Face's Replace (find_matches over Oniguruma's find_iter): every match, empty ones
// included, except an empty match right where the previous match ended; empty text is left as is.
std::string UnicodeRegex::replaceAll(std::string_view text, const std::string& content) const
{
    if (text.empty())
        return std::string(text);
    struct MatchDataDeleter {
        void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
    };
    thread_local std::unique_ptr<pcre2_match_data, MatchDataDeleter> matchData(pcre2_match_data_create(1, nullptr));
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    std::string out;
    size_t searchFrom = 0, copied = 0;
    std::optional<size_t> previousEnd;
    uint32_t extraOptions = 0;
    while (searchFrom <= text.size()) {
        const int rc = pcre2_match(compiled_->code, subject, text.size(), searchFrom, PCRE2_NO_UTF_CHECK | extraOptions,
                                   matchData.get(), nullptr);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !(extraOptions & PCRE2_NO_JIT)) {
            extraOptions |= PCRE2_NO_JIT;
            continue;
        }
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0)
            throw TokenizerError(expectedFound(where_, "the Replace regex to run", "PCRE2 error '" + pcre2Message(rc) + "'"));
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(matchData.get());
        const size_t begin = ovector[0], end = ovector[1];
        if (begin == end && previousEnd == end) {
            // Step over one character and search again.
            if (searchFrom >= text.size())
                break;
            searchFrom += std::max<size_t>(1, utf8::decodeAt(text, searchFrom).length);
            continue;
        }
        out.append(text.substr(copied, begin - copied)).append(content);
        copied = end;
        searchFrom = end;
        previousEnd = end;
    }
    out.append(text.substr(copied));
    return out;
}

void UnicodeRegex::findAll(std::string_view text, std::vector<std::pair<size_t, size_t>>& matches) const
{
    struct MatchDataDeleter {
        void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
    };
    // Only the whole match (pair 0) is read; one pair is enough (PCRE2 then returns 0 on a match).
    thread_local std::unique_ptr<pcre2_match_data, MatchDataDeleter> matchData(pcre2_match_data_create(1, nullptr));
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t offset = 0;
    uint32_t extraOptions = 0;
    while (offset <= text.size()) {
        int rc = pcre2_match(compiled_->code, subject, text.size(), offset, PCRE2_NO_UTF_CHECK | extraOptions,
                             matchData.get(), nullptr);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !(extraOptions & PCRE2_NO_JIT)) {
            extraOptions |= PCRE2_NO_JIT; // deep backtracking: retry in the interpreter, which uses the heap
            continue;
        }
        if (rc == PCRE2_ERROR_NOMATCH)
            return;
        if (rc < 0)
            throw TokenizerError(expectedFound(where_, "the pre-tokenizer regex to run",
                                               "PCRE2 error '" + pcre2Message(rc) + "'"));
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(matchData.get());
        const size_t begin = ovector[0], end = ovector[1];
        if (end > begin) {
            matches.emplace_back(begin, end);
            offset = end;
        } else {
            // An empty match: step over one character so the search moves on.
            if (begin >= text.size())
                return;
            offset = begin + 1;
            while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80)
                ++offset;
        }
    }
}

} // namespace tempo
