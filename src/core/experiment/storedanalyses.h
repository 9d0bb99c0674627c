#pragma once
// A preset's analyses run over the records read back from the notebook (never from the decoder's
// memory), so what is analysed is exactly what a reader of the notebook can see. The analyses of
// a run's end (analyseRecordedRun, singleRunVerdict) take the records the sink has just stored
// from memory instead of reading them back: the same values, the same conversions.
//
// Single-run analyses (cross_parallel, rope_inspection, parallelism, and the basic run.* numbers)
// are stored as metrics of the run. Pair analyses (attention_comparison, distribution_comparison)
// and the scenario verdict compare an isolated run with a visible run: they are stored in the
// group's comparison (core/runrecord/groupcomparison.h), and the verdict also as metrics verdict.* and a tag "verdict:<X>" on
// each run it concerns.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/analysis/analysismetric.h"
#include "core/analysis/verdict.h"
#include "core/runrecord/preset.h"
#include "core/notebook/records.h"
#include "core/runrecord/groupcomparison.h" // verdictToJson, metricsToJson

namespace tempo {

namespace notebook {
class Notebook;
}
struct StoredRun; // core/experiment/capturestore.h

std::vector<notebook::MetricRecord> toMetricRecords(const AnalysisMetrics& metrics);

// The analyses every recorded run gets when it ends, whoever started it (NotebookRunSink stores
// them as metrics before the run is marked finished; reports read them, never recompute):
// cross_parallel.* when attention was stored and a set had 2 or more members. Empty otherwise.
AnalysisMetrics analyseRecordedRun(notebook::Notebook& notebook, int64_t runId);
// The same for a run this process has just stored, without reading it back: `run` as
// recordedStoredRun makes it and `storedBlobs` the blobs just stored (captureBlobs). The numbers
// are the stored path's (runsink_test compares the two).
AnalysisMetrics analyseRecordedRun(const StoredRun& run, const std::vector<notebook::TensorBlob>& storedBlobs);

// run.{steps, max_width, multi_member_steps, total_ms} plus the preset's single-run analyses
// (an analysis analyseRecordedRun already stored for the run is not computed again).
AnalysisMetrics analyseStoredRun(notebook::Notebook& notebook, int64_t runId, const Preset& preset);

struct PairAnalysis {
    AnalysisMetrics metrics; // attention.* / distribution.* as the preset asks
    Verdict verdict;
    GroupComparison comparison; // what the group stores: preset, runs, verdict, metrics
};

// Isolated run vs visible run. The verdict is decided when the preset asks for it (otherwise its
// scenario is inconclusive with the reason "not requested").
PairAnalysis analyseStoredPair(notebook::Notebook& notebook, int64_t isolatedRunId, int64_t visibleRunId,
                               const Preset& preset);

// The verdict of a single run with no run of the other mode to compare with: inconclusive, with
// the run's own preconditions (checks, multi-member sets) and the missing comparison as reasons.
// Computed once when the run ends (NotebookRunSink, for a plain run or a preset that asks for a
// verdict) and stored as metrics verdict.*; reports read it back (storedSingleRunVerdict).
Verdict singleRunVerdict(notebook::Notebook& notebook, int64_t runId);
Verdict singleRunVerdict(const StoredRun& run); // of a run read (readStoredRun) or just stored (recordedStoredRun)

// The single-run verdict stored on a run (its verdict.* metrics), read back as singleRunVerdict
// made it: the criteria from the stored numbers (NaN kept), their tests and meanings from the one
// decision procedure, the reason regenerated from the stored numbers and the run's stored checks.
// nullopt when the run stored no verdict (recorded before TEMPO Lab stored one, or its preset
// asks for none) or an incomplete one.
std::optional<Verdict> storedSingleRunVerdict(notebook::Notebook& notebook, int64_t runId);

// Stores the verdict on a run: metrics verdict.* (replacing any verdict.* it has, e.g. its
// single-run verdict) and the tag "verdict:<A|B|C|D|inconclusive>".
void recordVerdict(notebook::Notebook& notebook, int64_t runId, const Verdict& verdict);

// The newest finished run with the same model, prompt and TEMPO settings as `runId` but the other
// sibling mode, that stored the captures `preset`'s pair analyses read. nullopt when none.
std::optional<int64_t> findPartnerRun(notebook::Notebook& notebook, int64_t runId, const Preset& preset);

} // namespace tempo
