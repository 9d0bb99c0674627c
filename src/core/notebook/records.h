#pragma once
// Plain records the notebook stores and returns. They depend on nothing but the standard library
// and the run record (core/runrecord: a run's configuration, a group's comparison), so the
// decoder, the run worker, the CLI and the tests fill them without knowing SQLite or JSON.
// Times are ISO-8601 UTC strings ("2026-11-28T09:30:00.123Z"); an empty time means "now" on write.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/runrecord/groupcomparison.h"
#include "core/runrecord/runconfig.h"
#include "core/runrecord/studyrecord.h"

namespace tempo::notebook {

enum class RunStatus { Running, Finished, Failed, Cancelled, Interrupted };

std::string toString(RunStatus status);
// Throws InvalidArgument naming the accepted words.
RunStatus runStatusFromString(const std::string& text);

struct ModelRecord {
    std::int64_t id = 0; // assigned by the notebook
    std::string folder;
    std::string name;
    std::string weightsSha256;
    std::string tokenizerSha256;
    std::string configJson = "{}";
};

// A preset as it was when a run used it.
struct PresetRecord {
    std::string id; // "1a", "2", ...
    std::string name;
    std::string configJson = "{}";
};

// DESIGN.md section 5: what a reader needs to trust or repeat a run.
struct RunProvenance {
    std::string device; // "cpu", "cuda:0"
    std::string dtype;  // "f32", "bf16", "f16"
    int threads = 0;
    std::string libtorchVersion;
    std::string appVersion;
    std::string gitCommit;
};

struct RunRecord {
    std::int64_t id = 0;  // assigned by the notebook
    std::string uuid;     // empty on createRun: the notebook makes a random (version 4) UUID
    std::string presetId; // "1a", "2", ...
    RunConfig config;     // stored as runs.config_json (runConfigJson / readRunConfig)
    std::optional<std::int64_t> modelId;
    RunStatus status = RunStatus::Running;
    RunProvenance provenance;
    std::string startedAt; // empty on createRun: now
    std::string endedAt;   // empty while running
    std::string prompt;
    std::string generatedText;
    std::string errorText;
    std::string timingsJson = "{}"; // e.g. {"prefill_ms": 12.5, "total_ms": 310.0}
};

// One decoding step: the parallel set fed at one logical position. The vectors run in parallel,
// one entry per member, in selection order (probability descending, ties by token id).
struct StepRecord {
    int step = 0;
    int logicalPosition = 0;
    std::vector<std::int64_t> physicalSlots;
    std::vector<std::int64_t> tokenIds;
    std::vector<std::string> tokens;
    std::vector<double> probabilities;
    double elapsedMs = 0;

    bool operator==(const StepRecord& other) const;
};

struct CheckRecord {
    std::string name;
    bool passed = false;
    double value = 0;
    std::string detail;

    // A check that does not apply to this run (sibling_attention without a set of 2+ members,
    // rope_rotation in a family without RoPE): stored as passed, value NaN, detail "not applicable: ...".
    // Shown as "n/a", not as a pass.
    bool notApplicable() const;
    bool operator==(const CheckRecord& other) const;
};

struct MetricRecord {
    std::string name;
    double value = 0;
    std::optional<int> step;
    std::optional<int> layer;
    std::optional<int> head;

    bool operator==(const MetricRecord& other) const;
};

// A captured tensor, stored as raw little-endian bytes: byteSize = product(shape) * elementSize.
struct TensorBlob {
    std::int64_t id = 0; // assigned by the notebook
    std::string name;    // e.g. "attention.layer3"
    std::optional<int> step;
    std::string dtype = "f32"; // "f32" | "bf16" | "f16" | "i64"
    std::vector<std::int64_t> shape;
    std::string byteOrder = "le";
    std::string compression = "none";
    std::vector<std::uint8_t> data;

    // Bytes per element of `dtype`; throws InvalidArgument for an unknown dtype.
    static std::size_t elementSize(const std::string& dtype);
    std::int64_t elementCount() const;
    // Throws InvalidArgument when dtype, byte order, compression or the byte count do not agree.
    void validate() const;

    // Builders from host values (this machine is little-endian, checked at compile time).
    static TensorBlob fromF32(std::string name, std::optional<int> step, std::vector<std::int64_t> shape,
                              const std::vector<float>& values);
    // bf16 = the upper 16 bits of an f32, rounded to nearest even.
    static TensorBlob fromF32AsBF16(std::string name, std::optional<int> step, std::vector<std::int64_t> shape,
                                    const std::vector<float>& values);
    std::vector<float> toF32() const; // f32 and bf16 (exact widening); throws for other dtypes

    bool operator==(const TensorBlob& other) const; // ignores id
};

// What a run's tensors are without their bytes (for listings).
struct TensorInfo {
    std::int64_t id = 0;
    std::string name;
    std::optional<int> step;
    std::string dtype;
    std::vector<std::int64_t> shape;
    std::int64_t byteSize = 0;
};

struct NoteRecord {
    std::int64_t id = 0;
    std::string markdown;
    std::string createdAt;
    std::string editedAt;
};

struct RunGroupRecord {
    std::int64_t id = 0;
    std::string uuid; // empty on create: generated
    std::string kind; // "mode-pair", ...
    GroupComparison comparison; // stored as run_groups.comparison_json (groupComparisonJson / readGroupComparison)
    std::vector<std::int64_t> runIds; // in order
    std::string createdAt;
};

struct ReportRecord {
    std::int64_t id = 0;
    std::optional<std::int64_t> runId;
    std::optional<std::int64_t> groupId;
    std::string title;
    std::string markdown;
    std::map<std::string, std::vector<std::uint8_t>> images; // name -> PNG bytes
    std::string createdAt;
    std::optional<std::int64_t> sweepId; // schema 3: a sweep's report
    std::optional<std::int64_t> studyId; // schema 5: a study's findings report
};

struct SweepRecord {
    std::int64_t id = 0;
    std::string uuid;
    std::string name;
    std::string specJson = "{}";
    std::string createdAt;
    std::vector<std::pair<std::int64_t, std::string>> runs; // run id, point JSON
};

// A study (schema 5): the whole investigation as one object (studystore.h, core/experiment/study.h).
// 'running' in the file with a dead writer reads as 'interrupted' after the next read-write open.
enum class StudyStatus { Running, Finished, Cancelled, Interrupted, Failed, Partial };

std::string toString(StudyStatus status);
// Throws InvalidArgument naming the accepted words.
StudyStatus studyStatusFromString(const std::string& text);

struct StudyRecord {
    std::int64_t id = 0;
    std::string uuid;        // empty on create: a new one
    std::string name;
    std::string modelFolder; // as given to the study (absolute)
    StudySpec spec;          // stored as studies.spec_json (studySpecJson / readStudySpec)
    StudyStatus status = StudyStatus::Running;
    StudySummary summary;    // stored as studies.summary_json
    std::string createdAt;   // empty on create: now
    std::string finishedAt;  // empty until the study ends (finished, cancelled, failed, partial)
};

// Which kind of sweep of a study: a TEMPO sweep of one preset, or the artifact control.
enum class StudySweepRole { Tempo, Control };
std::string toString(StudySweepRole role); // "tempo" | "control"
StudySweepRole studySweepRoleFromString(const std::string& text);

struct StudySweep {
    std::int64_t sweepId = 0;
    std::string presetId;
    StudySweepRole role = StudySweepRole::Tempo;
    std::int64_t position = 0; // order inside the study (0-based)

    bool operator==(const StudySweep& other) const;
};

// One line of the run browser.
struct RunSummary {
    std::int64_t id = 0;
    std::string uuid;
    std::string presetId;
    RunStatus status = RunStatus::Running;
    std::string startedAt;
    std::string endedAt;
    std::string modelName;
    std::string prompt;
    std::string generatedText;
    int stepCount = 0;
    std::vector<std::string> tags;
    // The run is the artifact control (its stored "tempo"."mechanism" is "artifact_control"):
    // every list shows it as a control (kArtifactControlLabel), never as a TEMPO result.
    bool artifactControl = false;
};

struct RunQuery {
    std::string search; // FTS5 words over prompt, generated text, notes, tags ("" = all)
    std::string tag;    // exact tag name ("" = any)
    std::optional<RunStatus> status;
    int limit = 100; // newest first
    int offset = 0;
};

// The window's history list: one page of runs, filtered and sorted in SQL (a notebook of 100,000
// runs costs what one page costs). Empty strings filter nothing.
enum class RunHistorySort { Id, Preset, Mode, Status, Started, Model, Steps, Text, Tags };
struct RunHistoryQuery {
    std::string search;       // FTS5 words over prompt, generated text, notes, tags (as RunQuery)
    std::string presetId;     // exact
    std::string mode;         // "isolated" | "visible": the stored configuration's tempo.mode
    std::string status;       // "finished", "failed", ...
    std::string tag;          // exact tag name
    std::string model;        // model name
    std::string startedSince; // ISO-8601 UTC: runs started at or after it
    RunHistorySort sort = RunHistorySort::Started;
    bool descending = true;   // ties are ordered by id in the same direction
    int offset = 0;
    int limit = 100;
};
struct RunHistoryRow {
    std::int64_t id = 0;
    std::string presetId, mode, status, startedAt, model, prompt, generatedText;
    std::string tags; // sorted, joined with ", "
    std::string errorText;
    int steps = 0;
    bool artifactControl = false; // the stored configuration's tempo.mechanism is artifact_control
};

// ISO-8601 UTC with milliseconds, e.g. "2026-11-28T09:30:00.123Z".
std::string nowIso8601();
// A random version-4 UUID in lower-case hex.
std::string newUuid();

} // namespace tempo::notebook
