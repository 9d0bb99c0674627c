#pragma once
// One path for one run, whoever starts it (`tempo-lab-cli run` with or without --notebook, the
// experiment runner behind presets, sweeps and the window's run worker): runTempo() encodes the
// prompt, refuses a run that cannot fit, drives the decoder and hands every step's complete
// record to one RunSink (runsink.h): NotebookRunSink records the run in a notebook (run row
// first, steps committed as they come, by default at least every 0.1 s: notebookrunsink.h; then
// captures, checks, text and status); MemoryRunSink keeps it in memory. The run's text is runText() (render.h) in both cases.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <optional>

#include "core/experiment/capturestore.h"
#include "core/experiment/modelcache.h"
#include "core/experiment/runsink.h"
#include "core/notebook/records.h"
#include "core/runrecord/runconfig.h"
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
    std::optional<Preset> preset = std::nullopt; // the preset as run (nullopt for a plain run)
    std::optional<RunSweepPoint> sweepPoint = std::nullopt; // the sweep point this run is made for
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
    std::function<void(int64_t runId)> onRunCreated;          // the sink started the run (a notebook: its row exists)
    std::function<void(int64_t runId, const StepRecord&)> onStep; // after the sink has the step
    std::function<void(const Progress&)> onProgress;
    const std::atomic<bool>* cancel = nullptr;                // stops between forwards
};

struct RecordedRun {
    int64_t runId = 0;   // the sink's id for the run (0: a MemoryRunSink)
    notebook::RunStatus status = notebook::RunStatus::Running;
    std::string text;    // runText() of the run
    TempoRun run;        // what the decoder returned (captures included)
};

// Provenance of a run on `model` (device, dtype, threads, LibTorch version, app version, commit).
notebook::RunProvenance runProvenance(const LoadedModel& model, const ComputeOptions& options);
std::string libtorchVersion();

// The configuration stored with a run: the TEMPO config (keys layer resolved), the prompt ids, the
// preset, the captures, the model folder and hashes, the compute options and the sweep point.
RunConfig runConfigFor(const LoadedModel& model, const ComputeOptions& options, const TempoRunRequest& request,
                       const std::vector<int64_t>& promptIds);

// Runs TEMPO on `model` into `sink`. When the decoder (or the sink) throws after the run started,
// the sink is told the run failed and the exception is rethrown. `progressOffset` and
// `progressTotal` place this run inside a larger job (a group or a sweep) for onProgress.
RecordedRun runTempo(const LoadedModel& model, const TempoRunRequest& request, RunSink& sink,
                     const RunCallbacks& callbacks = {}, int64_t progressOffset = 0, int64_t progressTotal = 0);

} // namespace tempo
