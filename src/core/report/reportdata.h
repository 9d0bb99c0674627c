#pragma once
// What a findings report is built from: a run, a run group (the isolated/visible pair) or a sweep,
// read back from a notebook into plain structs. Nothing here comes from the memory of a run, so a
// report can be regenerated at any time and the same notebook gives the same data (and, through
// reportbuilder.h, byte-identical Markdown). Dates come from the records, never from the clock.
//
// Plain C++ (no Qt types): the CLI, the GUI and the chart builders all read the same structs.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/notebook/records.h"

namespace tempo::notebook {
class Notebook;
}

namespace tempo::report {

// ---- what a report is about

enum class SubjectKind { Run, Group, Sweep, Study };

struct SubjectId {
    SubjectKind kind = SubjectKind::Run;
    std::int64_t id = 0;
    bool operator==(const SubjectId& other) const { return kind == other.kind && id == other.id; }
};

// "run:12", "group:3", "sweep:2", "study:1"; a plain number ("12") means a run. Throws
// InvalidArgument naming the accepted forms.
SubjectId parseSubjectId(const std::string& text);
std::string subjectIdText(const SubjectId& subject); // "run:12"
std::string subjectKindName(SubjectKind kind);       // "run" | "group" | "sweep" | "study"

// ---- one run as a report reads it

struct ReportRun {
    notebook::RunRecord record;
    std::optional<notebook::ModelRecord> model;
    std::string mode;    // "isolated" | "visible" (from the run's config; "" when unknown)
    std::string presetName;
    double threshold = 0.0;
    std::int64_t maxSteps = 0;
    std::int64_t maxWidth = 0;
    std::string readout; // "mean" | "last"
    // The run is the artifact control (its config's mechanism): a control, never a TEMPO result.
    bool artifactControl = false;
    std::vector<std::string> captures; // stored captures, sorted
    std::int64_t promptTokens = 0;
    std::vector<notebook::StepRecord> steps;
    std::vector<notebook::CheckRecord> checks;
    // Stored metrics of the run. Runs store cross_parallel.* when they end (analyseRecordedRun);
    // for a run recorded before that, it is computed from the stored attention when the report is
    // built and named in computedForReport, so the report can say so.
    std::vector<notebook::MetricRecord> metrics;
    std::vector<std::string> computedForReport; // analyses not stored with the run ("cross_parallel", "verdict")
    std::vector<notebook::NoteRecord> notes;
    std::vector<std::string> tags;
    std::vector<notebook::TensorInfo> tensors; // what was captured (names, shapes, bytes)
    // Per readout p_s (s = 0, 1, ...: the distribution that selected step s), from the stored
    // readout.distribution tensors; empty when logits were not captured.
    std::vector<double> readoutEntropy;        // nats
    std::vector<double> readoutTopProbability; // max_v p_s(v)
    std::int64_t vocabulary = 0;               // size of a stored readout (0: none)

    std::int64_t failedCheckCount() const;
    std::int64_t maxWidthSeen() const;        // widest stored set
    std::int64_t multiMemberSteps() const;    // stored sets of >= 2 members
    std::int64_t capturedBytes() const;       // sum of stored tensor sizes
};

// ---- the scenario verdict as stored (group comparison JSON, or verdict.* metrics of a run)

struct ReportCriterion {
    std::string name;
    std::string comparison; // "<", ">=", "=="
    double threshold = 0.0;
    double value = 0.0;     // NaN: not measured
    bool met = false;
    std::string meaning;
};

struct ReportVerdict {
    bool present = false;        // false: no verdict stored for this subject
    std::string scenario;        // "A" .. "D" | "inconclusive" | "control" (artifact control runs)
    std::string title;           // "prior context dominates", ...
    std::string inconclusiveReason;
    std::vector<ReportCriterion> criteria;
};

// ---- a sweep's aggregate (its spec JSON "aggregate", see core/experiment/sweep.h)

struct SweepStatistic {
    std::string category;     // "" = over every category
    std::optional<double> threshold; // nullopt = over every threshold
    std::string metric;
    std::int64_t n = 0;
    std::int64_t nonFinite = 0;
    double mean = 0.0;        // NaN when n == 0
    double stddev = 0.0;      // NaN when n < 2
    double ciLow = 0.0;       // NaN when n < 2
    double ciHigh = 0.0;
};

struct ReportSweep {
    notebook::SweepRecord record;
    std::string status;                     // "running" | "finished" | "cancelled" | "failed"
    std::string presetId;
    std::string mode;
    bool artifactControl = false; // the sweep's preset is the artifact control (its aggregate says so too)
    std::string modelFolder;
    std::string device, dtype;
    std::vector<double> thresholds;
    std::vector<std::pair<std::string, std::string>> suite; // category, prompt
    std::vector<std::string> categories;    // sorted
    std::string method;                     // the confidence interval method
    std::string unit;                       // "run" | "group of an isolated and a visible run"
    std::int64_t pointsPlanned = 0;         // prompts x thresholds
    std::int64_t pointsAggregated = 0;      // finished points in the aggregate
    std::map<std::string, std::int64_t> verdictCounts; // over all thresholds
    std::vector<SweepStatistic> statistics; // every (category or all) x (threshold or all) x metric
    // The metric the per-category chart and the summary show (the first of a fixed preference
    // list present in the aggregate, e.g. distribution.max_abs_diff).
    std::string headlineMetric;
};

// ---- the whole report

struct ReportData {
    SubjectId subject;
    std::string title;
    std::string date;              // newest end (or start) time among the runs; sweep: its creation time
    std::string presetId;
    std::string presetDescription; // the question the preset answers
    std::vector<ReportRun> runs;   // group: isolated first; sweep: empty (the aggregate is the data)
    std::optional<notebook::RunGroupRecord> group;
    std::vector<notebook::MetricRecord> pairMetrics; // group comparison metrics (attention.*, distribution.*)
    ReportVerdict verdict;
    std::optional<ReportSweep> sweep;

    const ReportRun* runInMode(const std::string& mode) const; // nullptr when none
    // The subject is (or holds) artifact-control runs: every section labels it a control.
    bool artifactControl() const;
    std::int64_t failedCheckCount() const;                   // over every run
};

// Reads the subject from the notebook. Throws NotebookError (no such run/group/sweep) or
// InvalidArgument (a study: its report is built from loadStudyReportData, studyreportdata.h).
ReportData loadReportData(notebook::Notebook& notebook, const SubjectId& subject);

// ---- reading metrics by name (stored metrics are flat rows; see core/analysis/analysismetric.h)

std::optional<double> scalarMetric(const std::vector<notebook::MetricRecord>& metrics, const std::string& name);
// (step, value) of `name` rows with a step and no layer/head, ascending step.
std::vector<std::pair<int, double>> stepSeries(const std::vector<notebook::MetricRecord>& metrics, const std::string& name);
// (layer, value) of `name` rows with a layer and no head, ascending layer.
std::vector<std::pair<int, double>> layerSeries(const std::vector<notebook::MetricRecord>& metrics, const std::string& name);
// ((layer, head), value) of `name` rows with layer and head.
std::map<std::pair<int, int>, double> headGrid(const std::vector<notebook::MetricRecord>& metrics, const std::string& name);

// `text` (a JSON column of the notebook) as an object; invalid JSON or any other value gives {}.
nlohmann::json parseObject(const std::string& text);

} // namespace tempo::report
