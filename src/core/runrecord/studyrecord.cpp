// The study's stored records: the one writer and the one reader of its spec and its summary.

#include "core/runrecord/studyrecord.h"

#include <nlohmann/json.hpp>

#include "core/runrecord/recordjson.h"

namespace tempo {

using nlohmann::json;
using namespace recordjson;

bool StudyPrompt::operator==(const StudyPrompt& o) const
{
    return family == o.family && prompt == o.prompt && steps == o.steps;
}

bool StudyCompute::operator==(const StudyCompute& o) const
{
    return device == o.device && dtype == o.dtype && threads == o.threads;
}

bool StudySpec::operator==(const StudySpec& o) const
{
    return suiteName == o.suiteName && prompts == o.prompts && thresholds == o.thresholds && presets == o.presets &&
           stepsOverride == o.stepsOverride && control == o.control && compute == o.compute;
}

bool StudyWidthCap::operator==(const StudyWidthCap& o) const
{
    return presetId == o.presetId && promptIndex == o.promptIndex && threshold == o.threshold && steps == o.steps &&
           presetMaxWidth == o.presetMaxWidth && cappedMaxWidth == o.cappedMaxWidth;
}

bool StudySummary::operator==(const StudySummary& o) const
{
    return points == o.points && pointsDone == o.pointsDone && pointsReused == o.pointsReused &&
           runsMade == o.runsMade && wallSeconds == o.wallSeconds && forwardSeconds == o.forwardSeconds &&
           tensorRetention == o.tensorRetention && widthCaps == o.widthCaps && error == o.error;
}

const std::vector<std::string>& defaultStudyPresets()
{
    static const std::vector<std::string> presets{"1a", "1b", "2", "3", "4", "5"};
    return presets;
}

const std::vector<double>& defaultStudyThresholds()
{
    static const std::vector<double> thresholds{0.001, 0.01, 0.05, 0.1, 0.3, 0.5};
    return thresholds;
}

std::int64_t StudySpec::stepsFor(std::size_t index, std::int64_t presetMaxSteps) const
{
    if (stepsOverride)
        return *stepsOverride;
    if (index < prompts.size() && prompts[index].steps)
        return *prompts[index].steps;
    return presetMaxSteps;
}

namespace {

const json& arrayAt(const json& object, const FieldPath& field, const std::string& key)
{
    static const json empty = json::array();
    const json* value = member(object, key);
    if (!value)
        return empty;
    if (!value->is_array())
        refuse(field / key, "a JSON array", *value);
    return *value;
}

std::int64_t positiveIntegerAt(const json& object, const FieldPath& field, const std::string& key)
{
    const std::int64_t value = integerAt(object, field, key, 1);
    if (value < 1)
        refuse(field / key, "a positive integer", object.at(key));
    return value;
}

} // namespace

json studySpecJson(const StudySpec& spec)
{
    json prompts = json::array();
    for (const StudyPrompt& p : spec.prompts) {
        json entry{{"family", p.family}, {"prompt", p.prompt}};
        if (p.steps)
            entry["steps"] = *p.steps;
        prompts.push_back(entry);
    }
    return {{"suite", spec.suiteName},
            {"prompts", prompts},
            {"thresholds", spec.thresholds},
            {"presets", spec.presets},
            {"steps", spec.stepsOverride ? json(*spec.stepsOverride) : json(nullptr)},
            {"control", spec.control},
            {"compute", {{"device", spec.compute.device}, {"dtype", spec.compute.dtype}, {"threads", spec.compute.threads}}}};
}

StudySpec readStudySpec(const json& object)
{
    const FieldPath root{"study spec", ""};
    if (!object.is_object())
        refuse(root, "a JSON object", object);
    StudySpec spec;
    spec.suiteName = textAt(object, root, "suite");
    const json& prompts = arrayAt(object, root, "prompts");
    for (std::size_t i = 0; i < prompts.size(); ++i) {
        const FieldPath at = root / ("prompts." + std::to_string(i));
        if (!prompts[i].is_object())
            refuse(at, "a JSON object {\"family\", \"prompt\", \"steps\"?}", prompts[i]);
        StudyPrompt prompt;
        prompt.family = textAt(prompts[i], at, "family");
        prompt.prompt = textAt(prompts[i], at, "prompt");
        if (member(prompts[i], "steps") && !prompts[i]["steps"].is_null())
            prompt.steps = positiveIntegerAt(prompts[i], at, "steps");
        spec.prompts.push_back(prompt);
    }
    if (member(object, "thresholds")) {
        spec.thresholds.clear();
        const json& thresholds = arrayAt(object, root, "thresholds");
        for (std::size_t i = 0; i < thresholds.size(); ++i) {
            if (!thresholds[i].is_number())
                refuse(root / ("thresholds." + std::to_string(i)), "a number", thresholds[i]);
            spec.thresholds.push_back(thresholds[i].get<double>());
        }
    }
    if (member(object, "presets")) {
        spec.presets.clear();
        const json& presets = arrayAt(object, root, "presets");
        for (std::size_t i = 0; i < presets.size(); ++i) {
            if (!presets[i].is_string())
                refuse(root / ("presets." + std::to_string(i)), "a preset id (a string)", presets[i]);
            spec.presets.push_back(presets[i].get<std::string>());
        }
    }
    if (member(object, "steps") && !object["steps"].is_null())
        spec.stepsOverride = positiveIntegerAt(object, root, "steps");
    spec.control = booleanAt(object, root, "control", spec.control);
    const json& compute = objectAt(object, root, "compute");
    spec.compute.device = textAt(compute, root / "compute", "device", spec.compute.device);
    spec.compute.dtype = textAt(compute, root / "compute", "dtype", spec.compute.dtype);
    spec.compute.threads = static_cast<int>(integerAt(compute, root / "compute", "threads", spec.compute.threads));
    return spec;
}

StudySpec readStudySpecText(const std::string& text) { return readStudySpec(parseText(text, "study spec")); }

json studySummaryJson(const StudySummary& summary)
{
    json caps = json::array();
    for (const StudyWidthCap& cap : summary.widthCaps)
        caps.push_back({{"preset", cap.presetId},
                        {"prompt_index", cap.promptIndex},
                        {"threshold", cap.threshold},
                        {"steps", cap.steps},
                        {"preset_max_width", cap.presetMaxWidth},
                        {"max_width_cap", cap.cappedMaxWidth}});
    json out{{"points", summary.points},
             {"points_done", summary.pointsDone},
             {"points_reused", summary.pointsReused},
             {"runs_made", summary.runsMade},
             {"wall_seconds", finiteOrNull(summary.wallSeconds)},
             {"forward_seconds", finiteOrNull(summary.forwardSeconds)},
             {"tensor_retention", summary.tensorRetention},
             {"width_caps", caps}};
    if (!summary.error.empty())
        out["error"] = summary.error;
    return out;
}

StudySummary readStudySummary(const json& object)
{
    const FieldPath root{"study summary", ""};
    if (!object.is_object())
        refuse(root, "a JSON object", object);
    StudySummary summary;
    summary.points = integerAt(object, root, "points", 0);
    summary.pointsDone = integerAt(object, root, "points_done", 0);
    summary.pointsReused = integerAt(object, root, "points_reused", 0);
    summary.runsMade = integerAt(object, root, "runs_made", 0);
    summary.wallSeconds = numberOrNullAt(object, root, "wall_seconds", 0.0);
    summary.forwardSeconds = numberOrNullAt(object, root, "forward_seconds", 0.0);
    summary.tensorRetention = textAt(object, root, "tensor_retention");
    const json& caps = arrayAt(object, root, "width_caps");
    for (std::size_t i = 0; i < caps.size(); ++i) {
        const FieldPath at = root / ("width_caps." + std::to_string(i));
        if (!caps[i].is_object())
            refuse(at, "a JSON object", caps[i]);
        StudyWidthCap cap;
        cap.presetId = textAt(caps[i], at, "preset");
        cap.promptIndex = integerAt(caps[i], at, "prompt_index", 0);
        cap.threshold = numberAt(caps[i], at, "threshold", 0.0);
        cap.steps = integerAt(caps[i], at, "steps", 0);
        cap.presetMaxWidth = integerAt(caps[i], at, "preset_max_width", 0);
        cap.cappedMaxWidth = integerAt(caps[i], at, "max_width_cap", 0);
        summary.widthCaps.push_back(cap);
    }
    summary.error = textAt(object, root, "error");
    return summary;
}

StudySummary readStudySummaryText(const std::string& text)
{
    return readStudySummary(parseText(text, "study summary"));
}

} // namespace tempo
