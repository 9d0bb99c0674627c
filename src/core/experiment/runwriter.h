#pragma once
// Records one TEMPO run into a notebook the way issue 4 asks: the run row (with the provenance of
// DESIGN.md section 5) before the first forward, each step committed in its own transaction as the
// decoder reports it, then the captured tensors, the mechanism checks, the text and the final
// status (finished, cancelled, or failed with the error text kept).
//
// `tempo-lab-cli run --notebook F`, the experiment runner and the Qt run worker all record through
// recordTempoRun(), so a run looks the same in the notebook whoever made it.
//
// Captured tensors are stored when the decoder returns (TempoDecoder hands captures over in
// TempoRun, not per step): a process killed mid-run keeps its committed steps but no tensors.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/experiment/capturestore.h"
#include "core/experiment/modelcache.h"
#include "core/notebook/records.h"
#include "core/tempo/tempodecoder.h"

namespace tempo {

namespace notebook {
class Notebook;
}

struct TempoRunRequest {
    std::string presetId = "run"; // "run" for a plain `tempo-lab-cli run`
    std::string prompt;
    TempoConfig config;
    StoredCaptureSelection stored; // what to keep in the notebook
    nlohmann::json presetJson;     // the preset as run (null for a plain run)
    nlohmann::json extra = nlohmann::json::object(); // merged into the run's config JSON (e.g. sweep point)
    int threads = -1; // CPU threads for this run; -1: the loaded model's setting (cached models keep the first)
};

// Progress over one run or a group (done and total forwards of decode steps; eta in seconds,
// negative while unknown).
struct Progress {
    int64_t done = 0;
    int64_t total = 0;
    double etaSeconds = -1.0;
};

struct RunCallbacks {
    std::function<void(int64_t runId)> onRunCreated;          // the run row exists
    std::function<void(int64_t runId, const StepProgress&)> onStep; // after the step is committed
    std::function<void(const Progress&)> onProgress;
    const std::atomic<bool>* cancel = nullptr;                // stops between forwards
};

struct RecordedRun {
    int64_t runId = 0;
    notebook::RunStatus status = notebook::RunStatus::Running;
    std::string text;    // rendered TEMPO text
    TempoRun run;        // what the decoder returned (captures included)
};

// Provenance of a run on `model` (device, dtype, threads, LibTorch version, app version, commit).
notebook::RunProvenance runProvenance(const LoadedModel& model, const ComputeOptions& options);
std::string libtorchVersion();

// The config JSON stored with a run: the TEMPO config, the prompt ids, the preset, the model
// folder and hashes, the compute options, plus `request.extra`.
nlohmann::json runConfigJson(const LoadedModel& model, const ComputeOptions& options, const TempoRunRequest& request,
                             const std::vector<int64_t>& promptIds);

// Runs TEMPO on `model` and records it in `notebook`. When the decoder throws, the run is
// finished as failed with the message and the exception is rethrown. `progressOffset` and
// `progressTotal` place this run inside a larger job (a group or a sweep) for onProgress.
RecordedRun recordTempoRun(notebook::Notebook& notebook, const LoadedModel& model, const TempoRunRequest& request,
                           const RunCallbacks& callbacks = {}, int64_t progressOffset = 0, int64_t progressTotal = 0);

// Records an attempt that failed before decoding could start (e.g. the model did not load): a run
// row with status failed and `error` as its error text. Returns its id.
int64_t recordFailedRun(notebook::Notebook& notebook, const std::string& presetId, const std::string& prompt,
                        const nlohmann::json& config, const std::string& error);

} // namespace tempo
