#pragma once
// What the findings report of a study is built from: the study's sweeps (one per preset, plus the
// artifact control's) read back from the notebook and summarised across the prompt suite into
// plain structs. Every estimate is a SampleSummary (core/experiment/sweepstatistics.h): n, mean,
// standard deviation and the 95% percentile-bootstrap interval of the mean with its fixed seed,
// so the same notebook gives the same numbers and (studyreport.h) byte-identical Markdown.
//
// The unit of every estimate is one point of a sweep (a prompt at a threshold): a run for the
// single-mode presets, the isolated/visible pair for presets 2 and 5 and for 1a/1b compared.
// Pure data, no Qt: the loader fills it from a notebook, tests may construct it directly.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/experiment/sweepstatistics.h"

namespace tempo::notebook {
class Notebook;
}

namespace tempo::report {

using Estimate = SampleSummary;

// One estimate at a position on an axis (a layer, a step, a width, a threshold).
struct EstimatePoint {
    double x = 0.0;
    Estimate value;
};
using EstimateSeries = std::vector<EstimatePoint>;

struct StudyProvenance {
    std::string modelName, modelFolder, weightsSha256, tokenizerSha256;
    std::int64_t parameters = 0; // counted from config.json (Llama layout); 0: unknown
    std::int64_t layers = 0, hiddenSize = 0, heads = 0, kvHeads = 0, vocabulary = 0, maxPositions = 0;
    std::string appVersion, gitCommit, libtorchVersion, device, dtype;
    std::int64_t threads = 0;
};

// One sweep of the study and what it stored.
struct StudySweepSummary {
    std::int64_t sweepId = 0;
    std::string presetId;
    std::string role;       // "tempo" | "control"
    std::string mode;       // "isolated" | "visible" | "both"
    std::string status;     // the sweep's status
    std::int64_t pointsPlanned = 0, pointsFinished = 0;
    std::int64_t runs = 0, runsFinished = 0, steps = 0;
    // Checks that applied (checksRun) and failed; a check the run gave nothing to check (passed
    // vacuously, "not applicable") is counted in checksNotApplicable only.
    std::int64_t checksRun = 0, checksFailed = 0, checksNotApplicable = 0;
    std::int64_t storedTensors = 0, storedBytes = 0;
    double totalMs = 0.0;   // sum of the runs' total_ms
    std::vector<std::string> failedCheckNames; // distinct names, sorted
};

// How a captured tensor is stored (over the whole study).
struct StudyCaptureFormat {
    std::string tensor;     // "attention", "readout.distribution", ...
    std::string dtype;
    std::string shapeExample; // "[2, 4, 7, 7]"
    std::int64_t count = 0, bytes = 0;
};

// The scenario verdicts of a set of points (a family, or every family) with the measured values
// the verdict rests on.
struct FamilyScenario {
    std::string family;     // "" = every family
    std::int64_t points = 0;
    std::map<std::string, std::int64_t> verdicts; // "A".."D", "inconclusive" -> points
    Estimate maxAbsDiff;    // distribution.max_abs_diff, max |p_isolated - p_visible|
    Estimate siblingRatio;  // visible run's cross_parallel.ratio (sibling / prior attention mass)
    Estimate meanJs;        // distribution.mean_js, nats
    Estimate selectionChanged; // 1 when the selected sets differ at some step, else 0 (mean = share of points)
};

// The decision of the study-level rule over a FamilyScenario (studyreport.h, supportedScenario).
struct ScenarioSupport {
    std::string scenario;   // "A".."D" | "mixed" (no scenario holds for a strict majority) | "inconclusive"
    std::int64_t decided = 0; // points with a decided verdict (A-D)
    std::string leading;      // the most frequent decided scenario (ties: the earlier letter); "" when none
    std::int64_t count = 0;   // points of `leading`
    double share = 0.0;       // count / decided (NaN when decided == 0)
};

struct Experiment1 { // 1a (isolated) and 1b (visible): attention to siblings vs prior context
    bool present = false;
    std::int64_t runs1a = 0, runs1b = 0; // runs with a set of 2 or more members (the others measure nothing here)
    std::int64_t pairs = 0;
    EstimateSeries sibling1a, prior1a, sibling1b, prior1b; // per layer, mean attention mass
    EstimateSeries differenceByLayer;                      // per layer, mean |a_1a - a_1b| of the pairs
    Estimate meanAbsDiff, maxAbsDiff, pearson;             // attention.* of the 1a/1b pairs
};

struct Experiment2 { // isolated vs visible readout distributions
    bool present = false;
    std::int64_t pairs = 0;
    EstimateSeries klIsolatedVisible, klVisibleIsolated, js; // per step s (readout p_s), nats
    Estimate maxAbsDiff, meanJs, meanKl;
    std::vector<FamilyScenario> families; // per family, then "" (all) last
};

struct Experiment3 { // cross-parallel attention: sibling / prior ratio (visible runs)
    bool present = false;
    std::int64_t runs = 0;
    Estimate ratio, sibling, prior;
    std::vector<std::pair<std::string, Estimate>> ratioByFamily;
    EstimateSeries ratioByThreshold;
    EstimateSeries ratioByLayer;
};

struct RopeRunSummary {
    std::int64_t runId = 0;
    std::string family;
    double threshold = 0.0;
    double maxLogicalError = 0.0, minPhysicalError = 0.0, tolerance = 0.0;
    std::int64_t mismatchedSlots = 0;
    bool passed = false;
};

struct Experiment4 { // KV cache and RoPE inspection
    bool present = false;
    std::vector<RopeRunSummary> runs;
};

struct WidthDistribution {
    double threshold = 0.0;
    std::map<std::int64_t, std::int64_t> stepsByWidth; // width -> steps
    std::int64_t maxWidthCap = 0;  // largest max_width the runs allowed
    std::int64_t stepsAtCap = 0;   // steps whose set reached its run's max_width
};

struct Experiment5 { // width distribution and high-parallelism stress
    bool present = false;
    std::int64_t runs = 0;
    std::vector<WidthDistribution> widths; // per threshold, ascending
    std::int64_t maxWidth = 0;
    EstimateSeries msPerStepByWidth;       // mean ms of a step of each width (unit: a step)
    Estimate msPerExtraMember;             // least-squares slope per run
    std::int64_t nonFiniteValues = 0;      // NaN/Inf among readouts, summed
    double maxProbabilitySumError = 0.0;   // max |sum(p) - 1| over runs
};

struct ControlComparison { // artifact control vs real mechanism, preset 2
    bool present = false;
    std::int64_t controlSweepId = 0, tempoSweepId = 0;
    // Per family, then "" (all) last: max |p_isolated - p_visible| and identical points.
    struct Row {
        std::string family;
        Estimate tempo, control;
        std::int64_t tempoPoints = 0, tempoIdentical = 0, controlPoints = 0, controlIdentical = 0;
    };
    std::vector<Row> rows;
    std::int64_t controlChecksFailed = 0;
    std::vector<std::string> controlFailedChecks; // distinct "name: detail", sorted
};

// A width cap the study applied (max_width lowered so prompt + steps x width fits the model).
struct StudyWidthCapRow {
    std::string presetId;
    std::int64_t promptIndex = 0;
    double threshold = 0.0;
    std::int64_t steps = 0, presetMaxWidth = 0, cappedMaxWidth = 0;
};

struct StudyReportData {
    std::int64_t studyId = 0;
    std::string uuid, name, status, createdAt, finishedAt;
    std::string suiteName;
    std::vector<std::string> presets;
    std::vector<double> thresholds;
    std::map<std::string, std::int64_t> promptsByFamily;
    std::int64_t stepsOverride = 0; // 0: none
    StudyProvenance provenance;
    std::vector<StudySweepSummary> sweeps;
    std::vector<StudyCaptureFormat> captures;
    double wallSeconds = 0.0, forwardSeconds = 0.0;
    std::string tensorRetention;
    std::vector<StudyWidthCapRow> widthCaps;

    Experiment1 exp1;
    Experiment2 exp2;
    Experiment3 exp3;
    Experiment4 exp4;
    Experiment5 exp5;
    ControlComparison control;

    std::int64_t prompts() const;
    std::int64_t totalRuns() const;
    std::int64_t totalSteps() const;
    std::int64_t totalBytes() const;
    std::int64_t tempoChecksFailed() const; // failed checks in the tempo sweeps (control excluded)
};

// Reads study `studyId` back from the notebook: its spec and summary (StudyStore), its sweeps in
// order (study_sweeps) and, through the run, step, check, metric, tensor, group and model stores,
// every finished run of them, summarised as above. Reads stored metrics and steps only (a study
// may have dropped its captured tensors). Throws NotebookError (no such study or sweep).
StudyReportData loadStudyReportData(notebook::Notebook& notebook, std::int64_t studyId);

} // namespace tempo::report
