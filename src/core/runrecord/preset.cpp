#include "core/runrecord/preset.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/common/errors.h"

namespace tempo {

namespace {

using nlohmann::json;

constexpr int64_t kMaxStepsLimit = 100000;
constexpr int64_t kMaxWidthLimit = 4096;

const std::vector<std::string>& knownFields()
{
    static const std::vector<std::string> fields{"id", "name", "description", "prompt", "max_steps", "threshold",
                                                 "mode", "readout", "captures", "analyses", "seed", "max_width",
                                                 "stop_at_eos", "mechanism"};
    return fields;
}

std::string joined(const std::vector<std::string>& words, const std::string& separator = "|")
{
    std::string out;
    for (const auto& w : words)
        out += (out.empty() ? "" : separator) + w;
    return out;
}

std::string shown(const json& value)
{
    std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

[[noreturn]] void refuse(const std::string& source, const std::string& field, const std::string& expected,
                         const std::string& found)
{
    throw InvalidArgument(source + ": " + expectedFound("field '" + field + "'", expected, found));
}

const json* field(const json& object, const char* name, const std::string& source, bool required)
{
    auto it = object.find(name);
    if (it == object.end()) {
        if (required)
            refuse(source, name, "present", "no such field");
        return nullptr;
    }
    return &*it;
}

std::string stringField(const json& object, const char* name, const std::string& source, bool required,
                        bool nonEmpty, const std::string& fallback = "")
{
    const json* value = field(object, name, source, required);
    if (!value)
        return fallback;
    if (!value->is_string())
        refuse(source, name, nonEmpty ? "a non-empty string" : "a string", shown(*value));
    const std::string text = value->get<std::string>();
    if (nonEmpty && text.empty())
        refuse(source, name, "a non-empty string", "\"\"");
    return text;
}

int64_t integerField(const json& object, const char* name, const std::string& source, bool required,
                     int64_t low, int64_t high, int64_t fallback)
{
    const json* value = field(object, name, source, required);
    if (!value)
        return fallback;
    const std::string expected = "an integer in [" + std::to_string(low) + ", " + std::to_string(high) + "]";
    if (!value->is_number_integer())
        refuse(source, name, expected, shown(*value));
    const int64_t number = value->get<int64_t>();
    if (number < low || number > high)
        refuse(source, name, expected, std::to_string(number));
    return number;
}

std::vector<std::string> wordList(const json& object, const char* name, const std::string& source,
                                  const std::vector<std::string>& allowed)
{
    const json* value = field(object, name, source, false);
    if (!value)
        return {};
    const std::string expected = "a list of distinct words from " + joined(allowed, ", ");
    if (!value->is_array())
        refuse(source, name, expected, shown(*value));
    std::vector<std::string> words;
    for (const json& item : *value) {
        if (!item.is_string() || std::find(allowed.begin(), allowed.end(), item.get<std::string>()) == allowed.end())
            refuse(source, name, expected, shown(item));
        if (std::find(words.begin(), words.end(), item.get<std::string>()) != words.end())
            refuse(source, name, expected, shown(item) + " twice");
        words.push_back(item.get<std::string>());
    }
    return words;
}

bool validId(const std::string& id)
{
    if (id.empty() || id.size() > 64)
        return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
}

// What each analysis reads from the stored captures.
void requireCapturesFor(const Preset& preset, const std::string& source)
{
    auto need = [&](const char* analysis, const char* capture) {
        if (preset.hasAnalysis(analysis) && !preset.wantsCapture(capture))
            refuse(source, "captures", std::string("\"") + capture + "\" (analysis " + analysis + " reads it)",
                   shown(json(std::vector<std::string>(preset.captures.begin(), preset.captures.end()))));
    };
    need(analysisname::kAttentionComparison, capturename::kAttention);
    need(analysisname::kCrossParallel, capturename::kAttention);
    need(analysisname::kDistributionComparison, capturename::kLogits);
    need(analysisname::kRopeInspection, capturename::kKv);
    need(analysisname::kRopeInspection, capturename::kPositions);
    // The verdict reads the readout differences and the visible run's sibling/prior attention.
    need(analysisname::kVerdict, capturename::kLogits);
    need(analysisname::kVerdict, capturename::kAttention);
}

} // namespace

std::string presetModeName(PresetMode mode)
{
    switch (mode) {
    case PresetMode::Isolated: return "isolated";
    case PresetMode::Visible: return "visible";
    case PresetMode::Both: return "both";
    }
    return "?";
}

const std::vector<std::string>& knownCaptures()
{
    static const std::vector<std::string> names{capturename::kAttention, capturename::kLogits, capturename::kKv,
                                                capturename::kPositions};
    return names;
}

const std::vector<std::string>& knownAnalyses()
{
    static const std::vector<std::string> names{
        analysisname::kAttentionComparison, analysisname::kDistributionComparison, analysisname::kCrossParallel,
        analysisname::kRopeInspection,      analysisname::kParallelism,            analysisname::kVerdict};
    return names;
}

bool Preset::hasAnalysis(const std::string& name) const
{
    return std::find(analyses.begin(), analyses.end(), name) != analyses.end();
}

TempoConfig Preset::tempoConfig(SiblingMode siblingMode) const
{
    TempoConfig config;
    config.threshold = threshold;
    config.maxWidth = maxWidth;
    config.mode = siblingMode;
    config.readout = readout;
    config.maxSteps = maxSteps;
    config.stopAtEos = stopAtEos;
    config.mechanism = mechanism;
    return config;
}

std::vector<SiblingMode> Preset::runModes() const
{
    switch (mode) {
    case PresetMode::Isolated: return {SiblingMode::Isolated};
    case PresetMode::Visible: return {SiblingMode::Visible};
    case PresetMode::Both: return {SiblingMode::Isolated, SiblingMode::Visible};
    }
    return {};
}

bool Preset::operator==(const Preset& o) const
{
    return id == o.id && name == o.name && description == o.description && prompt == o.prompt && maxSteps == o.maxSteps &&
           threshold == o.threshold && mode == o.mode && readout == o.readout && captures == o.captures &&
           analyses == o.analyses && seed == o.seed && maxWidth == o.maxWidth && stopAtEos == o.stopAtEos &&
           mechanism == o.mechanism;
}

Preset parsePreset(const json& object, const std::string& source)
{
    if (!object.is_object())
        throw InvalidArgument(source + ": " + expectedFound("the preset", "a JSON object", shown(object)));
    for (const auto& item : object.items())
        if (std::find(knownFields().begin(), knownFields().end(), item.key()) == knownFields().end())
            refuse(source, item.key(), "one of the preset fields " + joined(knownFields(), ", "), "an unknown field");

    Preset preset;
    preset.id = stringField(object, "id", source, true, true);
    if (!validId(preset.id))
        refuse(source, "id", "1 to 64 letters, digits, '_', '-' or '.'", shown(json(preset.id)));
    preset.name = stringField(object, "name", source, false, false, preset.id);
    preset.description = stringField(object, "description", source, false, false);
    preset.prompt = stringField(object, "prompt", source, true, true);
    preset.maxSteps = integerField(object, "max_steps", source, true, 1, kMaxStepsLimit, 10);

    const json& threshold = *field(object, "threshold", source, true);
    const std::string thresholdRange = "a number with 0 < threshold <= 1";
    if (!threshold.is_number())
        refuse(source, "threshold", thresholdRange, shown(threshold));
    preset.threshold = threshold.get<double>();
    if (!(preset.threshold > 0.0 && preset.threshold <= 1.0))
        refuse(source, "threshold", thresholdRange, shown(threshold));

    const std::string mode = stringField(object, "mode", source, true, true);
    if (mode == "isolated")
        preset.mode = PresetMode::Isolated;
    else if (mode == "visible")
        preset.mode = PresetMode::Visible;
    else if (mode == "both")
        preset.mode = PresetMode::Both;
    else
        refuse(source, "mode", "isolated|visible|both", shown(json(mode)));

    const std::string readout = stringField(object, "readout", source, false, true, "mean");
    if (readout != "mean" && readout != "last")
        refuse(source, "readout", "mean|last", shown(json(readout)));
    preset.readout = parseReadout(readout);

    for (const auto& capture : wordList(object, "captures", source, knownCaptures()))
        preset.captures.insert(capture);
    preset.analyses = wordList(object, "analyses", source, knownAnalyses());
    preset.seed = integerField(object, "seed", source, false, 0, std::numeric_limits<int64_t>::max(), 42);
    preset.maxWidth = integerField(object, "max_width", source, false, 1, kMaxWidthLimit, 32);
    if (const json* stop = field(object, "stop_at_eos", source, false)) {
        if (!stop->is_boolean())
            refuse(source, "stop_at_eos", "true or false", shown(*stop));
        preset.stopAtEos = stop->get<bool>();
    }
    const std::string mechanism = stringField(object, kMechanismKey, source, false, true, mechanismName(Mechanism::Tempo));
    if (mechanism != "tempo" && mechanism != "artifact_control")
        refuse(source, kMechanismKey, "tempo|artifact_control", shown(json(mechanism)));
    preset.mechanism = parseMechanism(mechanism);
    requireCapturesFor(preset, source);
    return preset;
}

Preset parsePresetText(const std::string& text, const std::string& source)
{
    json object;
    try {
        object = json::parse(text);
    } catch (const json::parse_error& error) {
        throw InvalidArgument(source + ": " + expectedFound("the preset", "valid JSON", error.what()));
    }
    return parsePreset(object, source);
}

json presetToJson(const Preset& preset)
{
    json object;
    object["id"] = preset.id;
    object["name"] = preset.name;
    object["description"] = preset.description;
    object["prompt"] = preset.prompt;
    object["max_steps"] = preset.maxSteps;
    object["threshold"] = preset.threshold;
    object["mode"] = presetModeName(preset.mode);
    object["readout"] = readoutName(preset.readout);
    object["captures"] = std::vector<std::string>(preset.captures.begin(), preset.captures.end());
    object["analyses"] = preset.analyses;
    object["seed"] = preset.seed;
    object["max_width"] = preset.maxWidth;
    object["stop_at_eos"] = preset.stopAtEos;
    // Omitted for the default, so shipped and stored presets read and write as before.
    if (preset.mechanism != Mechanism::Tempo)
        object[kMechanismKey] = mechanismName(preset.mechanism);
    return object;
}

Preset applyOverrides(const Preset& preset, const std::vector<std::string>& assignments)
{
    json object = presetToJson(preset);
    std::string source = "preset " + preset.id;
    for (const std::string& assignment : assignments) {
        const auto equals = assignment.find('=');
        if (equals == std::string::npos || equals == 0)
            throw InvalidArgument(expectedFound("--set " + assignment, "key=value", assignment));
        const std::string key = assignment.substr(0, equals);
        const std::string value = assignment.substr(equals + 1);
        const std::string where = "--set " + assignment;
        if (std::find(knownFields().begin(), knownFields().end(), key) == knownFields().end())
            refuse(where, key, "one of the preset fields " + joined(knownFields(), ", "), "an unknown field");
        if (key == "captures" || key == "analyses") {
            std::vector<std::string> words;
            std::stringstream stream(value);
            for (std::string word; std::getline(stream, word, ',');)
                if (!word.empty())
                    words.push_back(word);
            object[key] = words;
        } else if (key == "max_steps" || key == "seed" || key == "max_width") {
            std::size_t used = 0;
            long long number = 0;
            try {
                number = std::stoll(value, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != value.size() || value.empty())
                refuse(where, key, "an integer", shown(json(value)));
            object[key] = number;
        } else if (key == "threshold") {
            std::size_t used = 0;
            double number = 0;
            try {
                number = std::stod(value, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != value.size() || value.empty() || !std::isfinite(number))
                refuse(where, key, "a number with 0 < threshold <= 1", shown(json(value)));
            object[key] = number;
        } else if (key == "stop_at_eos") {
            if (value != "true" && value != "false")
                refuse(where, key, "true or false", shown(json(value)));
            object[key] = value == "true";
        } else {
            object[key] = value;
        }
        source += (source.find(" with --set ") == std::string::npos ? " with --set " : ", ") + assignment;
    }
    // Validated once all are applied: overrides that only make sense together (captures and the
    // analyses reading them) must not depend on their order on the command line.
    return parsePreset(object, source);
}

} // namespace tempo
