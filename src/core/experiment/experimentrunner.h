#pragma once
// Runs a preset against a model folder and a notebook: one run, or for mode "both" a group of two
// (isolated then visible, identical otherwise); then the preset's analyses over the records read
// back from the notebook, stored as metrics, and the scenario verdict.
//
// Written so a Qt worker can wrap it: everything reaches the caller through RunCallbacks (run row
// created, step committed, progress with an ETA), cancellation is an atomic flag checked between
// forwards, and failures are the core's typed exceptions (ConfigError, CheckpointError,
// TokenizerError, InvalidArgument, NotebookError) with the failed run already recorded.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/analysis/verdict.h"
#include "core/experiment/modelcache.h"
#include "core/experiment/notebookrunsink.h"
#include "core/experiment/presetcatalog.h"
#include "core/experiment/runwriter.h"
#include "core/notebook/records.h"

namespace tempo {

namespace notebook {
class Notebook;
}

struct ExperimentRequest {
    CatalogEntry preset; // after --set overrides
    std::filesystem::path modelFolder;
    ComputeOptions options;
    std::optional<RunSweepPoint> sweepPoint = std::nullopt; // stored in each run's config (a sweep's runs)
};

struct ExperimentResult {
    std::vector<int64_t> runIds;        // in mode order (isolated first for "both")
    std::optional<int64_t> groupId;     // "both", or a single run paired with an earlier partner run
    std::optional<int64_t> partnerRunId; // the earlier run of the other mode a single run was paired with
    notebook::RunStatus status = notebook::RunStatus::Finished; // Finished or Cancelled (failures throw)
    std::map<int64_t, std::vector<notebook::CheckRecord>> checks; // per run
    std::map<int64_t, std::string> texts;                         // rendered TEMPO text per run
    std::optional<Verdict> verdict;     // when the preset asks for one and the runs finished
    bool allChecksPassed() const;
};

class ExperimentRunner {
public:
    explicit ExperimentRunner(notebook::Notebook& notebook, ModelCache& cache = ModelCache::shared())
        : notebook_(notebook), cache_(cache)
    {
    }

    // Loads (or reuses) the model, then runs and analyses. When the model cannot be loaded, a run
    // row with status failed and the loader's message is recorded (so the notebook shows the
    // attempt) and the loader's exception is rethrown; the same for a decoder failure.
    ExperimentResult run(const ExperimentRequest& request, const RunCallbacks& callbacks = {});

    // Analyses of finished runs (already stored) for `preset`: single-run metrics of each run, and
    // for two runs (isolated, visible) the pair analyses and verdict stored on a new group.
    // Returns the group id when one was created.
    std::optional<int64_t> analyse(const Preset& preset, const std::vector<int64_t>& runIds, ExperimentResult& result);

    // How the runs' steps are committed (NotebookRunSink): paced (default, for a run someone
    // watches), each before the next forward, or in batches (sweeps and studies).
    void setStepCommits(StepCommits commits) { stepCommits_ = commits; }

    // Commits the steps the running run has reported and not yet committed. For the callbacks
    // (same thread as run()): the window's run worker calls it right before it shows steps, which
    // its run page then reads back from the notebook. Outside a run it does nothing.
    void commitSteps();

private:
    notebook::Notebook& notebook_;
    ModelCache& cache_;
    StepCommits stepCommits_ = StepCommits::Paced;
    NotebookRunSink* runningSink_ = nullptr; // the sink of the run being decoded, during run()
};

} // namespace tempo
