#pragma once
// What a run was asked to do, as the notebook stores it with the run (runs.config_json): the TEMPO
// settings, the prompt and its token ids, the preset as run, the captures kept, the model and the
// compute options, and the sweep point the run belongs to. One reader (readRunConfig) and one
// writer (runConfigJson) here; nothing else parses or writes a run's configuration. (The window's
// history list filters on `$.tempo.mode` in SQL, reading the same stored shape; see historymodel.)
//
// Stored shape (every key written by runConfigJson; the reader takes any subset):
//   {"tempo": {"threshold", "max_width", "mode", "readout", "max_steps", "stop_at_eos",
//              "position_offset", "keys_layer", "mechanism" (only when not "tempo": "artifact_control")},
//    "prompt": "...", "prompt_token_ids": [...],
//    "preset": {the preset as run, presetToJson} | null (a plain `tempo-lab-cli run`),
//    "captures": {"attention", "logits", "kv", "positions"},
//    "model": {"folder", "weights_sha256", "tokenizer_sha256"},
//    "compute": {"device", "dtype", "threads"},
//    "sweep": {"sweep_id", "point": {"prompt_index", "category", "threshold",
//              "steps"?, "max_width_cap"?, "preset_max_width"?}}   (sweep runs only)}
// A run refused before decoding (its model did not load) has no "tempo", "prompt_token_ids" or
// "captures", and its model names only the folder.
//
// Old or partial JSON reads with defaults: a missing key takes the default of its field below
// (TempoConfig's defaults inside "tempo"); unknown keys are ignored. A key that is present with the
// wrong type or an unknown word (mode "sideways") is refused with InvalidArgument naming the
// field, what was expected and what was found.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/runrecord/preset.h"
#include "core/runrecord/tempoconfig.h"

namespace tempo {

// Which captures a run stored in the notebook ("attention", "logits", "kv", "positions").
struct StoredCaptureSelection {
    bool attention = false;
    bool logits = false;
    bool kv = false;
    bool positions = false;

    bool operator==(const StoredCaptureSelection& other) const;
    std::vector<std::string> names() const; // the selected ones, in the order above
};

// The model a run used. The hashes are empty when the model never loaded.
struct RunModelSource {
    std::string folder;
    std::string weightsSha256;
    std::string tokenizerSha256;

    bool operator==(const RunModelSource& other) const;
};

// Device, dtype and CPU threads as the run asked for them ("cpu", "f32", 4).
struct RunCompute {
    std::string device;
    std::string dtype;
    int threads = 0;

    bool operator==(const RunCompute& other) const;
};

// The sweep point a run was made for (sweep.h).
struct RunSweepPoint {
    std::int64_t sweepId = 0;
    std::int64_t promptIndex = 0; // index into the sweep's prompt suite
    std::string category;
    double threshold = 0.0;
    std::optional<std::int64_t> steps;       // the steps the point decodes (suites with steps, --steps)
    std::optional<std::int64_t> maxWidthCap; // set when the preset's max_width was lowered to fit the model
    std::int64_t presetMaxWidth = 0;         // the preset's max_width before the cap (with maxWidthCap)

    bool operator==(const RunSweepPoint& other) const;
};

struct RunConfig {
    // The TEMPO settings the decoder ran with (keysLayer resolved: -1 became the last layer).
    // nullopt: the run was refused before decoding.
    std::optional<TempoConfig> tempo;
    std::string prompt;
    std::vector<std::int64_t> promptTokenIds; // with the tokenizer's special tokens; empty without tempo
    std::optional<Preset> preset;             // nullopt: a plain `tempo-lab-cli run`
    StoredCaptureSelection captures;          // all false without tempo
    RunModelSource model;
    RunCompute compute;
    std::optional<RunSweepPoint> sweep;

    bool decoded() const { return tempo.has_value(); }
    // "isolated" | "visible", or "" when the run never decoded.
    std::string modeName() const;
    // True for a run of the artifact control (TempoConfig::mechanism): a control, not a TEMPO result.
    bool isArtifactControl() const { return tempo && tempo->isArtifactControl(); }
    bool operator==(const RunConfig& other) const;
};

// Equal field by field (faultsForTesting included).
bool operator==(const TempoConfig& a, const TempoConfig& b);
inline bool operator!=(const TempoConfig& a, const TempoConfig& b) { return !(a == b); }

// The one writer and the one reader of a run's configuration. readRunConfig throws
// InvalidArgument naming the field ("run config field tempo.threshold: expected a number, found
// \"high\""); readRunConfigText also when the text is not JSON.
nlohmann::json runConfigJson(const RunConfig& config);
RunConfig readRunConfig(const nlohmann::json& json);
RunConfig readRunConfigText(const std::string& text);

// The TEMPO settings alone, as stored under "tempo" (also what `tempo-lab-cli run --json` prints).
nlohmann::json tempoConfigJson(const TempoConfig& config);

} // namespace tempo
