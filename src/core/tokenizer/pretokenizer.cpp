#include "core/tokenizer/pretokenizer.h"

#include "core/tokenizer/bytelevel.h"

namespace tempo {

namespace {

using nlohmann::json;
using jsonfields::Place;

// The GPT-2 pattern that ByteLevel applies when use_regex is true.
constexpr const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Cuts every piece at the matches of `regex`; matches and the text between them become pieces
// of their own (SplitDelimiterBehavior::Isolated).
std::vector<std::string> splitIsolated(const std::vector<std::string>& pieces, const UnicodeRegex& regex)
{
    std::vector<std::string> out;
    out.reserve(pieces.size() * 2);
    std::vector<std::pair<size_t, size_t>> matches;
    for (const std::string& piece : pieces) {
        matches.clear();
        regex.findAll(piece, matches);
        size_t cursor = 0;
        for (const auto& [begin, end] : matches) {
            if (begin > cursor)
                out.emplace_back(piece, cursor, begin - cursor);
            out.emplace_back(piece, begin, end - begin);
            cursor = end;
        }
        if (cursor < piece.size())
            out.emplace_back(piece, cursor, piece.size() - cursor);
    }
    return out;
}

} // namespace

PreTokenizer PreTokenizer::fromJson(const json& value, const Place& place)
{
    PreTokenizer preTokenizer;
    if (!value.is_null())
        preTokenizer.addSteps(value, place);
    return preTokenizer;
}

void PreTokenizer::addSteps(const json& value, const Place& place)
{
    const std::string type = jsonfields::stringValue(jsonfields::member(value, place, "type"), place.child("type"));
    if (type == "Sequence") {
        const json& list = jsonfields::member(value, place, "pretokenizers");
        if (!list.is_array())
            jsonfields::fail(place.child("pretokenizers"), "an array", jsonfields::describeValue(list));
        for (size_t i = 0; i < list.size(); ++i)
            addSteps(list[i], place.child("pretokenizers").item(i));
        return;
    }
    Step step;
    if (type == "Split") {
        const std::string behavior =
            jsonfields::stringValue(jsonfields::member(value, place, "behavior"), place.child("behavior"));
        if (behavior != "Isolated")
            jsonfields::fail(place.child("behavior"), "\"Isolated\" (the only Split behavior supported)",
                             "\"" + behavior + "\"");
        if (jsonfields::boolMember(value, place, "invert", false))
            jsonfields::fail(place.child("invert"), "false (inverted Split is not supported)", "true");
        const json& pattern = jsonfields::member(value, place, "pattern");
        const Place patternPlace = place.child("pattern");
        if (pattern.is_object() && pattern.contains("Regex")) {
            step.regex = std::make_shared<UnicodeRegex>(
                jsonfields::stringValue(pattern["Regex"], patternPlace.child("Regex")), false, patternPlace.describe());
        } else if (pattern.is_object() && pattern.contains("String")) {
            step.regex = std::make_shared<UnicodeRegex>(
                jsonfields::stringValue(pattern["String"], patternPlace.child("String")), true, patternPlace.describe());
        } else {
            jsonfields::fail(patternPlace, "an object with \"Regex\" or \"String\"", jsonfields::describeValue(pattern));
        }
        step.kind = Step::Kind::Split;
    } else if (type == "ByteLevel") {
        step.kind = Step::Kind::ByteLevel;
        step.addPrefixSpace = jsonfields::boolMember(value, place, "add_prefix_space", true);
        if (jsonfields::boolMember(value, place, "use_regex", true))
            step.regex = std::make_shared<UnicodeRegex>(kGpt2Pattern, false, place.describe() + " (GPT-2 regex)");
    } else if (type == "Metaspace") {
        step.kind = Step::Kind::Metaspace;
        step.replacement =
            jsonfields::stringValue(jsonfields::member(value, place, "replacement"), place.child("replacement"));
        if (const json* scheme = jsonfields::optionalMember(value, place, "prepend_scheme")) {
            const std::string name = jsonfields::stringValue(*scheme, place.child("prepend_scheme"));
            if (name == "always")
                step.prepend = Step::Prepend::Always;
            else if (name == "first")
                step.prepend = Step::Prepend::First;
            else if (name == "never")
                step.prepend = Step::Prepend::Never;
            else
                jsonfields::fail(place.child("prepend_scheme"), "\"always\", \"first\" or \"never\"", "\"" + name + "\"");
        } else {
            step.prepend = jsonfields::boolMember(value, place, "add_prefix_space", true) ? Step::Prepend::Always
                                                                                         : Step::Prepend::Never;
        }
        step.splitAtReplacement = jsonfields::boolMember(value, place, "split", true);
    } else {
        jsonfields::fail(place.child("type"), "a supported pre-tokenizer (Sequence, Split, ByteLevel, Metaspace)",
                         "\"" + type + "\"");
    }
    steps_.push_back(std::move(step));
}

void PreTokenizer::setAddPrefixSpace(bool add)
{
    for (Step& step : steps_) {
        if (step.kind == Step::Kind::ByteLevel)
            step.addPrefixSpace = add;
        else if (step.kind == Step::Kind::Metaspace)
            step.prepend = add ? Step::Prepend::First : Step::Prepend::Never;
    }
}

void PreTokenizer::split(std::string_view text, std::vector<std::string>& pieces, bool atTextStart) const
{
    if (text.empty())
        return;
    std::vector<std::string> current{std::string(text)};
    for (const Step& step : steps_) {
        if (step.kind == Step::Kind::Split) {
            current = splitIsolated(current, *step.regex);
            continue;
        }
        if (step.kind == Step::Kind::Metaspace) {
            // Spaces become the replacement; a leading one is added unless there is one already
            // ("first": only for the piece at the start of the input); with split, every
            // replacement starts a new piece (merged with what follows it).
            std::vector<std::string> out;
            for (size_t index = 0; index < current.size(); ++index) {
                std::string piece = current[index];
                std::string replaced;
                for (char c : piece) {
                    if (c == ' ')
                        replaced += step.replacement;
                    else
                        replaced += c;
                }
                const bool startsWithReplacement = replaced.compare(0, step.replacement.size(), step.replacement) == 0;
                const bool prepend = !startsWithReplacement &&
                                     (step.prepend == Step::Prepend::Always ||
                                      (step.prepend == Step::Prepend::First && atTextStart && index == 0));
                if (prepend)
                    replaced.insert(0, step.replacement);
                if (!step.splitAtReplacement) {
                    out.push_back(std::move(replaced));
                    continue;
                }
                size_t begin = 0;
                for (size_t found = replaced.find(step.replacement, 1); found != std::string::npos;
                     found = replaced.find(step.replacement, found + step.replacement.size())) {
                    if (found > begin)
                        out.push_back(replaced.substr(begin, found - begin));
                    begin = found;
                }
                if (begin < replaced.size())
                    out.push_back(replaced.substr(begin));
            }
            current = std::move(out);
            continue;
        }
        // ByteLevel: optional leading space per piece, optional GPT-2 split, then the bytes of
        // each piece become byte-level characters.
        if (step.addPrefixSpace)
            for (std::string& piece : current)
                if (piece.empty() || piece.front() != ' ')
                    piece.insert(piece.begin(), ' ');
        if (step.regex)
            current = splitIsolated(current, *step.regex);
        for (std::string& piece : current)
            piece = bytelevel::encode(piece);
    }
    for (std::string& piece : current)
        if (!piece.empty())
            pieces.push_back(std::move(piece));
}

} // namespace tempo
