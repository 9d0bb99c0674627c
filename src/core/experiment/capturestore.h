#pragma once
// How a run's captures are stored in the notebook as typed blobs, and how the analyses read them
// back (from the notebook, never from memory, so an analysis sees exactly what was kept).
//
// Every per-forward tensor is tagged with the step whose set that forward fed (-1: the prefill),
// so forward = step + 1:
//   "attention"                    f32 [layers, heads, rows fed, slots so far]  (capture attention)
//   "readout.distribution"         f32 [V]: the readout of that forward, p_{step + 1} (capture logits)
//   "readout.row_top_ids"          i64 [rows, k]  top-k ids of each contributing row (capture logits)
//   "readout.row_top_probabilities" f32 [rows, k]
//   "positions.position_ids_used"  i64 [rows fed]: the tensor handed to RoPE (capture positions)
// Run-level tensors (no step):
//   "positions.slot_logical_positions", "positions.slot_steps" i64 [slots]; "positions.cache_lengths"
//   i64 [forwards]                                                              (capture positions)
//   "kv.layer" i64 [1]; "kv.keys_before_rope", "kv.keys_after_rope" f32 [H_kv, slots, D] (capture kv)

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/analysis/attentioncapture.h"
#include "core/analysis/distributioncomparison.h"
#include "core/notebook/records.h"
#include "core/runrecord/runconfig.h" // StoredCaptureSelection
#include "core/tempo/records.h"

namespace tempo {

namespace notebook {
class Notebook;
}

namespace tensorname {
inline constexpr const char* kAttention = "attention";
inline constexpr const char* kReadoutDistribution = "readout.distribution";
inline constexpr const char* kReadoutRowTopIds = "readout.row_top_ids";
inline constexpr const char* kReadoutRowTopProbabilities = "readout.row_top_probabilities";
inline constexpr const char* kPositionIdsUsed = "positions.position_ids_used";
inline constexpr const char* kSlotLogicalPositions = "positions.slot_logical_positions";
inline constexpr const char* kSlotSteps = "positions.slot_steps";
inline constexpr const char* kCacheLengths = "positions.cache_lengths";
inline constexpr const char* kKvLayer = "kv.layer";
inline constexpr const char* kKeysBeforeRope = "kv.keys_before_rope";
inline constexpr const char* kKeysAfterRope = "kv.keys_after_rope";
} // namespace tensorname


// What the decoder must capture for a selection (kv and positions both come from its kv capture).
CaptureOptions captureOptionsFor(const StoredCaptureSelection& selection);

// The blobs of the selected captures of `run` (CPU float32/int64 tensors become f32/i64 blobs).
std::vector<notebook::TensorBlob> captureBlobs(const TempoRun& run, const StoredCaptureSelection& selection);
// Whether `blobs` hold one named `name` (e.g. tensorname::kAttention).
bool holdsTensor(const std::vector<notebook::TensorBlob>& blobs, const std::string& name);

// What the analyses need of one stored run.
struct StoredRun {
    notebook::RunRecord record;             // record.config: what the run was asked to do
    int64_t promptLength = 0;               // record.config.promptTokenIds.size()
    std::vector<notebook::StepRecord> steps;
    std::vector<notebook::CheckRecord> checks;
    std::vector<int64_t> slotSteps() const; // slot -> step (-1: prompt), from the prompt and the steps
    std::vector<std::vector<int64_t>> sets() const;
    bool allChecksPassed() const;
};

// Throws NotebookError when the run does not exist or never decoded (no TEMPO settings, no prompt ids).
StoredRun readStoredRun(notebook::Notebook& notebook, int64_t runId);

// What readStoredRun reads back of a run this process has just stored (the sink's end of a run,
// issue 18 point 4: reading back what was just written cost more than the analysis): `record` as
// created (its id and config), the steps' sets and slots and the checks as stored from `run`
// (token texts and step times left out: no analysis reads them). Throws as readStoredRun when the
// config is not a decoded run's; `notebookPath` names the notebook in that message.
StoredRun recordedStoredRun(const notebook::RunRecord& record, const TempoRun& run, const std::string& notebookPath);

// The notebook's row of a decoder step without token texts and time: ids, probabilities and the
// slots as the decoder assigned them (-1 for a member that was not fed). notebookStep adds the rest.
notebook::StepRecord notebookStepRow(const StepRecord& step);
// The checks of `run` as CheckStore stores them.
std::vector<notebook::CheckRecord> checkRecordsOf(const TempoRun& run);

// Stored "attention" blobs as the analyses read them. Empty forwards when none were stored.
RunAttention readRunAttention(notebook::Notebook& notebook, const StoredRun& run);
// The same from blobs in memory (the "attention" ones of `blobs`, e.g. captureBlobs' before they
// are stored), through the same conversion of each blob as readRunAttention's.
RunAttention runAttentionOfBlobs(const StoredRun& run, const std::vector<notebook::TensorBlob>& blobs);
// Stored readout distributions (p_0, p_1, ...) and the selected sets.
RunDistributions readRunDistributions(notebook::Notebook& notebook, const StoredRun& run);
// One stored tensor by name and step (nullopt: no step); nullopt when absent.
std::optional<notebook::TensorBlob> readTensor(notebook::Notebook& notebook, int64_t runId, const std::string& name,
                                               std::optional<int> step = std::nullopt);
std::vector<int64_t> blobInt64(const notebook::TensorBlob& blob); // i64 blobs; throws for other dtypes

} // namespace tempo
