#include "core/tokenizer/normalizer.h"

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "core/common/errors.h"

namespace tempo {

namespace {

using nlohmann::json;
using jsonfields::Place;

// NFC through ICU (UTF-8 -> UTF-16 -> NFC -> UTF-8).
std::string normalizeNfc(const std::string& text)
{
    if (text.empty())
        return text;
    bool ascii = true;
    for (unsigned char c : text)
        ascii = ascii && c < 0x80;
    if (ascii)
        return text; // ASCII is always NFC
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2* nfc = unorm2_getNFCInstance(&status);
    int32_t length = 0;
    u_strFromUTF8(nullptr, 0, &length, text.data(), static_cast<int32_t>(text.size()), &status);
    status = U_ZERO_ERROR;
    std::u16string source(static_cast<size_t>(length), u'\0');
    u_strFromUTF8(reinterpret_cast<UChar*>(source.data()), length, &length, text.data(),
                  static_cast<int32_t>(text.size()), &status);
    std::u16string normalized(source.size() * 3 + 4, u'\0');
    const int32_t normalizedLength =
        U_SUCCESS(status) ? unorm2_normalize(nfc, reinterpret_cast<const UChar*>(source.data()), length,
                                             reinterpret_cast<UChar*>(normalized.data()),
                                             static_cast<int32_t>(normalized.size()), &status)
                          : 0;
    std::string out(static_cast<size_t>(normalizedLength) * 3 + 4, '\0');
    int32_t outLength = 0;
    if (U_SUCCESS(status))
        u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &outLength,
                    reinterpret_cast<const UChar*>(normalized.data()), normalizedLength, &status);
    if (U_FAILURE(status))
        throw TokenizerError(expectedFound("NFC normalization", "success", std::string("ICU error ") + u_errorName(status)));
    out.resize(static_cast<size_t>(outLength));
    return out;
}

void replaceAll(std::string& text, const std::string& pattern, const std::string& content)
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

} // namespace

void readReplacePattern(const json& value, const Place& place, std::string& literal, std::shared_ptr<const UnicodeRegex>& regex)
{
    const json& pattern = jsonfields::member(value, place, "pattern");
    const Place at = place.child("pattern");
    if (pattern.is_object() && pattern.contains("String")) {
        literal = jsonfields::stringValue(pattern["String"], at.child("String"));
    } else if (pattern.is_object() && pattern.contains("Regex")) {
        const std::string text = jsonfields::stringValue(pattern["Regex"], at.child("Regex"));
        regex = std::make_shared<const UnicodeRegex>(UnicodeRegex::forReplace(text, at.child("Regex").describe()));
    } else {
        jsonfields::fail(at, "{\"String\": ...} or {\"Regex\": ...}", jsonfields::describeValue(pattern));
    }
}

Normalizer Normalizer::fromJson(const json& value, const Place& place)
{
    Normalizer normalizer;
    if (!value.is_null())
        normalizer.addSteps(value, place);
    return normalizer;
}

void Normalizer::addSteps(const json& value, const Place& place)
{
    const std::string type = jsonfields::stringValue(jsonfields::member(value, place, "type"), place.child("type"));
    if (type == "Sequence") {
        const json& list = jsonfields::member(value, place, "normalizers");
        if (!list.is_array())
            jsonfields::fail(place.child("normalizers"), "an array", jsonfields::describeValue(list));
        for (size_t i = 0; i < list.size(); ++i)
            addSteps(list[i], place.child("normalizers").item(i));
        return;
    }
    Step step;
    if (type == "Prepend") {
        step.kind = Step::Kind::Prepend;
        step.content = jsonfields::stringValue(jsonfields::member(value, place, "prepend"), place.child("prepend"));
    } else if (type == "Replace") {
        step.kind = Step::Kind::Replace;
        readReplacePattern(value, place, step.pattern, step.regex);
        step.content = jsonfields::stringValue(jsonfields::member(value, place, "content"), place.child("content"));
    } else if (type == "NFC") {
        step.kind = Step::Kind::Nfc;
    } else {
        jsonfields::fail(place.child("type"), "a supported normalizer (Sequence, Prepend, Replace, NFC)", "\"" + type + "\"");
    }
    steps_.push_back(std::move(step));
}

void Normalizer::removePrepend()
{
    std::vector<Step> kept;
    for (Step& step : steps_)
        if (step.kind != Step::Kind::Prepend)
            kept.push_back(std::move(step));
    steps_ = std::move(kept);
}

std::string Normalizer::apply(std::string text) const
{
    for (const Step& step : steps_) {
        switch (step.kind) {
        case Step::Kind::Prepend:
            if (!text.empty())
                text.insert(0, step.content);
            break;
        case Step::Kind::Replace:
            if (step.regex)
                text = step.regex->replaceAll(text, step.content);
            else
                replaceAll(text, step.pattern, step.content);
            break;
        case Step::Kind::Nfc:
            text = normalizeNfc(text);
            break;
        }
    }
    return text;
}

} // namespace tempo
