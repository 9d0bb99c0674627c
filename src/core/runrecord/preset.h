#pragma once
// An experiment preset (DESIGN.md section 2): the prompt, the TEMPO settings, the mode (or both
// modes as a group of two runs), what to capture and which analyses to run. Presets are JSON
// data; parsePreset validates every field and refuses a bad one with the field named, the value
// found and what was expected, so a hand-edited copy fails before any model is loaded.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/runrecord/tempoconfig.h"

namespace tempo {

// Which sibling mode(s) a preset runs.
enum class PresetMode {
    Isolated,
    Visible,
    Both, // a group of two runs, isolated then visible, identical otherwise
};
std::string presetModeName(PresetMode mode); // "isolated" | "visible" | "both"

// What a preset may ask to capture and store with each run.
namespace capturename {
inline constexpr const char* kAttention = "attention"; // attention probabilities of every forward
inline constexpr const char* kLogits = "logits";       // readout distributions and each row's top-k
inline constexpr const char* kKv = "kv";               // keys before/after RoPE of one layer
inline constexpr const char* kPositions = "positions"; // position ids used, slot -> logical map
} // namespace capturename

// Analyses a preset may name (run after the run, over the records read back from the notebook).
namespace analysisname {
inline constexpr const char* kAttentionComparison = "attention_comparison";
inline constexpr const char* kDistributionComparison = "distribution_comparison";
inline constexpr const char* kCrossParallel = "cross_parallel";
inline constexpr const char* kRopeInspection = "rope_inspection";
inline constexpr const char* kParallelism = "parallelism";
inline constexpr const char* kVerdict = "verdict";
} // namespace analysisname

const std::vector<std::string>& knownCaptures();
const std::vector<std::string>& knownAnalyses();

struct Preset {
    std::string id;          // "1a", "2", or a user copy's id
    std::string name;
    std::string description; // the question the preset answers
    std::string prompt;
    int64_t maxSteps = 10;
    double threshold = 0.1;
    PresetMode mode = PresetMode::Isolated;
    Readout readout = Readout::Mean;
    std::set<std::string> captures;
    std::vector<std::string> analyses;
    int64_t seed = 42;       // recorded; used only where sampling is enabled (never yet)
    int64_t maxWidth = 32;
    bool stopAtEos = true;
    // "mechanism": "tempo" (default, not written) | "artifact_control" (the labelled control).
    Mechanism mechanism = Mechanism::Tempo;

    bool isArtifactControl() const { return mechanism == Mechanism::ArtifactControl; }
    bool wantsCapture(const std::string& name) const { return captures.count(name) != 0; }
    bool hasAnalysis(const std::string& name) const;

    // The TEMPO settings of one run of this preset in `mode` (Isolated or Visible).
    TempoConfig tempoConfig(SiblingMode mode) const;
    // The modes this preset runs, in order (Both: isolated, visible).
    std::vector<SiblingMode> runModes() const;

    bool operator==(const Preset& other) const;
};

// Parses and validates. `source` names where the JSON came from (file, "shipped preset 2",
// "notebook preset x") in error messages. Throws InvalidArgument naming the field.
// Unknown fields are refused too (a misspelt "treshold" must not silently keep the default).
Preset parsePreset(const nlohmann::json& json, const std::string& source);
Preset parsePresetText(const std::string& text, const std::string& source);
nlohmann::json presetToJson(const Preset& preset);

// Applies "key=value" overrides (e.g. "threshold=0.05", "captures=attention,logits",
// "mode=both") to a preset and validates the result like a file. Values are read as the field's
// type; lists are comma separated. Throws InvalidArgument naming the key.
Preset applyOverrides(const Preset& preset, const std::vector<std::string>& assignments);

} // namespace tempo
