#pragma once
// What a study stores (studies.spec_json and studies.summary_json): the specification it was
// started with and the summary its runner keeps up to date. One reader and one writer for each
// (readStudySpec / studySpecJson, readStudySummary / studySummaryJson); the study runner, the CLI,
// the window and the findings report use the typed records, never the JSON.
//
// A study (core/experiment/study.h) runs, for each preset of `presets`, one sweep over
// prompts x thresholds, plus (control on) a control sweep of preset 2 with the artifact control
// mechanism. Stored shapes:
//   spec:    {"suite": "default.jsonl", "prompts": [{"family", "prompt", "steps"?}],
//             "thresholds": [...], "presets": ["1a", ...], "steps": N | null, "control": true,
//             "compute": {"device", "dtype", "threads"}}
//   summary: {"points", "points_done", "points_reused", "runs_made", "runs_reused",
//             "wall_seconds", "forward_seconds", "tensor_retention", "width_caps": [...],
//             "error"?}
// The readers take any subset (missing keys take the defaults below), ignore unknown keys, and
// refuse a present key of the wrong type with InvalidArgument naming it ("study spec field
// prompts.2.steps: expected a positive integer, found 0").

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tempo {

// One prompt of a study's suite: its family ("narrative", "code", ...) and, optionally, how many
// steps to decode (absent: the preset's max_steps, or the study's steps override).
struct StudyPrompt {
    std::string family;
    std::string prompt;
    std::optional<std::int64_t> steps; // >= 1

    bool operator==(const StudyPrompt& other) const;
};

struct StudyCompute {
    std::string device = "cpu";
    std::string dtype = "f32";
    int threads = 0; // 0: LibTorch's default

    bool operator==(const StudyCompute& other) const;
};

// The presets a study runs when none are named: the five experiments of the original investigation.
const std::vector<std::string>& defaultStudyPresets();
// The thresholds a study sweeps when none are named: 0.001 (wide sets) to 0.5.
const std::vector<double>& defaultStudyThresholds();

struct StudySpec {
    std::string suiteName; // what the suite was loaded from ("default.jsonl", a path)
    std::vector<StudyPrompt> prompts;
    std::vector<double> thresholds = defaultStudyThresholds();
    std::vector<std::string> presets = defaultStudyPresets();
    std::optional<std::int64_t> stepsOverride; // --steps N: every prompt decodes N steps
    bool control = true;                       // run the artifact control sweep of preset 2
    StudyCompute compute;

    // The steps prompt `index` decodes: the override, else the prompt's own, else `presetMaxSteps`.
    std::int64_t stepsFor(std::size_t index, std::int64_t presetMaxSteps) const;
    bool operator==(const StudySpec& other) const;
};

// A preset's max_width lowered so that prompt + steps x width fits the model's positions.
struct StudyWidthCap {
    std::string presetId;
    std::int64_t promptIndex = 0;
    double threshold = 0.0;
    std::int64_t steps = 0;
    std::int64_t presetMaxWidth = 0; // what the preset asked for
    std::int64_t cappedMaxWidth = 0; // what the run used

    bool operator==(const StudyWidthCap& other) const;
};

struct StudySummary {
    std::int64_t points = 0;       // experiments (prompt x threshold per sweep) in the whole study
    std::int64_t pointsDone = 0;   // finished, this call's and reused ones
    std::int64_t pointsReused = 0; // finished by an earlier call (resume), not rerun
    std::int64_t runsMade = 0;     // run rows created by the study's calls so far
    double wallSeconds = 0.0;      // time inside StudyRunner::run, summed over calls
    double forwardSeconds = 0.0;   // of which inside model forward passes
    std::string tensorRetention;   // which captured tensors were kept (a sentence)
    std::vector<StudyWidthCap> widthCaps;
    std::string error; // why the study failed, "" otherwise

    bool operator==(const StudySummary& other) const;
};

nlohmann::json studySpecJson(const StudySpec& spec);
StudySpec readStudySpec(const nlohmann::json& json);
StudySpec readStudySpecText(const std::string& text);

nlohmann::json studySummaryJson(const StudySummary& summary);
StudySummary readStudySummary(const nlohmann::json& json);
StudySummary readStudySummaryText(const std::string& text);

} // namespace tempo
