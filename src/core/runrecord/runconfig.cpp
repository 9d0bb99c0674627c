#include "core/runrecord/runconfig.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/runrecord/recordjson.h"

namespace tempo {

namespace {

using nlohmann::json;
using recordjson::FieldPath;

TempoConfig readTempoSettings(const json& object, const FieldPath& field)
{
    using namespace recordjson;
    TempoConfig config;
    config.threshold = numberAt(object, field, "threshold", config.threshold);
    config.maxWidth = integerAt(object, field, "max_width", config.maxWidth);
    const std::string mode = textAt(object, field, "mode", siblingModeName(config.mode));
    try {
        config.mode = parseSiblingMode(mode);
    } catch (const InvalidArgument&) {
        refuse(field / "mode", "\"isolated\" or \"visible\"", object.at("mode"));
    }
    const std::string readout = textAt(object, field, "readout", readoutName(config.readout));
    try {
        config.readout = parseReadout(readout);
    } catch (const InvalidArgument&) {
        refuse(field / "readout", "\"mean\" or \"last\"", object.at("readout"));
    }
    config.maxSteps = integerAt(object, field, "max_steps", config.maxSteps);
    config.stopAtEos = booleanAt(object, field, "stop_at_eos", config.stopAtEos);
    config.positionOffset = integerAt(object, field, "position_offset", config.positionOffset);
    config.keysLayer = integerAt(object, field, "keys_layer", config.keysLayer);
    const std::string mechanism = textAt(object, field, kMechanismKey, mechanismName(config.mechanism));
    try {
        config.mechanism = parseMechanism(mechanism);
    } catch (const InvalidArgument&) {
        refuse(field / kMechanismKey, "\"tempo\" or \"artifact_control\"", object.at(kMechanismKey));
    }
    return config;
}

} // namespace

bool StoredCaptureSelection::operator==(const StoredCaptureSelection& o) const
{
    return attention == o.attention && logits == o.logits && kv == o.kv && positions == o.positions;
}

std::vector<std::string> StoredCaptureSelection::names() const
{
    std::vector<std::string> out;
    if (attention) out.push_back("attention");
    if (logits) out.push_back("logits");
    if (kv) out.push_back("kv");
    if (positions) out.push_back("positions");
    return out;
}

bool RunModelSource::operator==(const RunModelSource& o) const
{
    return folder == o.folder && weightsSha256 == o.weightsSha256 && tokenizerSha256 == o.tokenizerSha256;
}

bool RunCompute::operator==(const RunCompute& o) const
{
    return device == o.device && dtype == o.dtype && threads == o.threads;
}

bool RunSweepPoint::operator==(const RunSweepPoint& o) const
{
    return sweepId == o.sweepId && promptIndex == o.promptIndex && category == o.category && threshold == o.threshold &&
           steps == o.steps && maxWidthCap == o.maxWidthCap && presetMaxWidth == o.presetMaxWidth;
}

bool operator==(const TempoConfig& a, const TempoConfig& b)
{
    const TempoFaultInjection& fa = a.faultsForTesting;
    const TempoFaultInjection& fb = b.faultsForTesting;
    return a.threshold == b.threshold && a.maxWidth == b.maxWidth && a.mode == b.mode && a.readout == b.readout &&
           a.maxSteps == b.maxSteps && a.stopAtEos == b.stopAtEos && a.positionOffset == b.positionOffset &&
           a.keysLayer == b.keysLayer && a.mechanism == b.mechanism && fa.feedOnlyLastMember == fb.feedOnlyLastMember &&
           fa.spreadSiblingPositions == fb.spreadSiblingPositions && fa.rotateByPhysicalSlot == fb.rotateByPhysicalSlot &&
           fa.swapSiblingMask == fb.swapSiblingMask && fa.nanLogitsAtStep == fb.nanLogitsAtStep;
}

std::string RunConfig::modeName() const { return tempo ? siblingModeName(tempo->mode) : std::string(); }

bool RunConfig::operator==(const RunConfig& o) const
{
    return tempo == o.tempo && prompt == o.prompt && promptTokenIds == o.promptTokenIds && preset == o.preset &&
           captures == o.captures && model == o.model && compute == o.compute && sweep == o.sweep;
}

json tempoConfigJson(const TempoConfig& config)
{
    json tempo;
    tempo["threshold"] = config.threshold;
    tempo["max_width"] = config.maxWidth;
    tempo["mode"] = siblingModeName(config.mode);
    tempo["readout"] = readoutName(config.readout);
    tempo["max_steps"] = config.maxSteps;
    tempo["stop_at_eos"] = config.stopAtEos;
    tempo["position_offset"] = config.positionOffset;
    tempo["keys_layer"] = config.keysLayer;
    // Omitted for the default so runs stored before the key existed read and write the same.
    if (config.mechanism != Mechanism::Tempo)
        tempo[kMechanismKey] = mechanismName(config.mechanism);
    return tempo;
}

json runConfigJson(const RunConfig& config)
{
    json object = json::object();
    if (config.tempo) {
        object["tempo"] = tempoConfigJson(*config.tempo);
        object["prompt_token_ids"] = config.promptTokenIds;
        object["captures"] = {{"attention", config.captures.attention},
                              {"logits", config.captures.logits},
                              {"kv", config.captures.kv},
                              {"positions", config.captures.positions}};
    }
    object["prompt"] = config.prompt;
    object["preset"] = config.preset ? presetToJson(*config.preset) : json(nullptr);
    json model{{"folder", config.model.folder}};
    if (!config.model.weightsSha256.empty())
        model["weights_sha256"] = config.model.weightsSha256;
    if (!config.model.tokenizerSha256.empty())
        model["tokenizer_sha256"] = config.model.tokenizerSha256;
    object["model"] = model;
    object["compute"] = {{"device", config.compute.device}, {"dtype", config.compute.dtype}, {"threads", config.compute.threads}};
    if (config.sweep) {
        json point{{"prompt_index", config.sweep->promptIndex},
                   {"category", config.sweep->category},
                   {"threshold", config.sweep->threshold}};
        if (config.sweep->steps)
            point["steps"] = *config.sweep->steps;
        if (config.sweep->maxWidthCap) {
            point["max_width_cap"] = *config.sweep->maxWidthCap;
            point["preset_max_width"] = config.sweep->presetMaxWidth;
        }
        object["sweep"] = {{"sweep_id", config.sweep->sweepId}, {"point", point}};
    }
    return object;
}

RunConfig readRunConfig(const json& object)
{
    using namespace recordjson;
    const FieldPath root{"run config", ""};
    if (!object.is_object())
        refuse(root, "a JSON object", object);
    RunConfig config;
    if (member(object, "tempo")) {
        config.tempo = readTempoSettings(objectAt(object, root, "tempo"), root / "tempo");
        config.promptTokenIds = integersAt(object, root, "prompt_token_ids");
        const json& captures = objectAt(object, root, "captures");
        const FieldPath capturesPath = root / "captures";
        config.captures.attention = booleanAt(captures, capturesPath, "attention", false);
        config.captures.logits = booleanAt(captures, capturesPath, "logits", false);
        config.captures.kv = booleanAt(captures, capturesPath, "kv", false);
        config.captures.positions = booleanAt(captures, capturesPath, "positions", false);
    }
    config.prompt = textAt(object, root, "prompt");
    if (const json* preset = member(object, "preset"); preset && !preset->is_null())
        config.preset = parsePreset(*preset, (root / "preset").text()); // InvalidArgument naming the field

    const json& model = objectAt(object, root, "model");
    config.model.folder = textAt(model, root / "model", "folder");
    config.model.weightsSha256 = textAt(model, root / "model", "weights_sha256");
    config.model.tokenizerSha256 = textAt(model, root / "model", "tokenizer_sha256");

    const json& compute = objectAt(object, root, "compute");
    config.compute.device = textAt(compute, root / "compute", "device");
    config.compute.dtype = textAt(compute, root / "compute", "dtype");
    const std::int64_t threads = integerAt(compute, root / "compute", "threads", 0);
    if (threads < INT32_MIN || threads > INT32_MAX)
        refuse(root / "compute" / "threads", "a 32-bit integer", compute.at("threads"));
    config.compute.threads = static_cast<int>(threads);

    if (member(object, "sweep")) {
        const json& sweep = objectAt(object, root, "sweep");
        const json& point = objectAt(sweep, root / "sweep", "point");
        RunSweepPoint entry;
        entry.sweepId = integerAt(sweep, root / "sweep", "sweep_id", 0);
        entry.promptIndex = integerAt(point, root / "sweep" / "point", "prompt_index", 0);
        entry.category = textAt(point, root / "sweep" / "point", "category");
        entry.threshold = numberAt(point, root / "sweep" / "point", "threshold", 0.0);
        if (member(point, "steps"))
            entry.steps = integerAt(point, root / "sweep" / "point", "steps", 0);
        if (member(point, "max_width_cap")) {
            entry.maxWidthCap = integerAt(point, root / "sweep" / "point", "max_width_cap", 0);
            entry.presetMaxWidth = integerAt(point, root / "sweep" / "point", "preset_max_width", 0);
        }
        config.sweep = entry;
    }
    return config;
}

RunConfig readRunConfigText(const std::string& text) { return readRunConfig(recordjson::parseText(text, "run config")); }

} // namespace tempo
