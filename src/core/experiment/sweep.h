#pragma once
// Sweeps: one preset over a prompt suite (JSON lines {"family": ..., "prompt": ..., "steps": N}) times a
// list of thresholds. Every (prompt, threshold) point is one experiment (a run, or a group of two
// for mode "both"), recorded in the notebook and added to a sweep. The sweep's aggregate (stored
// in its spec JSON under "aggregate") gives mean, standard deviation and a 95% bootstrap interval
// (sweepstatistics.h) of every scalar metric (no step, layer or head) per threshold, per category and overall.
//
// A point's metrics: a single run's scalar metrics; for a group, the comparison's scalar metrics
// plus each run's scalar metrics prefixed "isolated." / "visible.". verdict.* metrics are counted
// per scenario instead of averaged.
//
// A sweep of an artifact-control preset ("mechanism": "artifact_control") is its own sweep: its
// aggregate has the same metrics (so isolated == visible under the control can be shown), its
// verdicts count as "control", and it carries "mechanism": "artifact_control" and "control": the
// label, so it is never read as TEMPO results.
//
// Steps and width per point: a point decodes the sweep's steps override, else its prompt's
// "steps", else the preset's max_steps. Its max_width is lowered when prompt + steps x width would
// not fit the model's positions (the bundled model has 512: 100 steps at threshold 0.001 allow a
// width of about 4); the point (sweep_runs.point_json and the run config's sweep point) then
// records "max_width_cap" and "preset_max_width" beside its "steps". Every point is checked
// against the model before the first one runs: a point that cannot fit even at width 1 stops the
// sweep with nothing run.
//
// Cancel and resume: a cancelled sweep keeps its finished points. Running the same sweep again
// (same preset, model folder, suite and thresholds) resumes it: points whose runs all finished
// are skipped, the rest are run.
//
// Slices (cluster fan-out, see sweepslurm.h): the sweep's work items are its points in a fixed
// order (threshold by threshold in the order given, prompts in suite order inside each); slice
// i of N runs the contiguous items [i*W/N, (i+1)*W/N) of the W items. Slices of one sweep share
// the sweep's UUID, so the notebook shards they write merge back into one sweep
// (notebook::mergeNotebook) whose aggregate refreshSweepAggregate() recomputes.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/experiment/experimentrunner.h"

namespace tempo {

// One line of a prompt suite: {"family": ..., "prompt": ..., "steps": N} ("category" is accepted
// for "family"; "steps" is optional). Unknown fields are refused so a typo is not silently ignored.
struct SuitePrompt {
    std::string category; // the prompt's family ("narrative", "code", ...)
    std::string prompt;
    int64_t steps = 0;    // 0: the preset's max_steps
};
inline constexpr int64_t kMaxSuiteSteps = 100000;

// Throws InvalidArgument naming the line and field of a bad entry.
std::vector<SuitePrompt> parseSuite(const std::string& text, const std::string& source);
std::vector<SuitePrompt> loadSuite(const std::filesystem::path& file);

// A threshold list as a person types it: numbers in (0, 1] separated by commas, semicolons or
// spaces ("0.001, 0.1;0.5 1"), at least one. `what` names the field in the error ("--thresholds").
// Throws InvalidArgument naming the item and what was expected.
std::vector<double> parseThresholdList(const std::string& text, const std::string& what);

struct SweepRequest {
    CatalogEntry preset;
    std::filesystem::path modelFolder;
    ComputeOptions options;
    std::vector<SuitePrompt> suite;
    std::vector<double> thresholds; // each validated like a preset's threshold
    std::optional<int64_t> stepsOverride; // every point decodes this many steps (a study's --steps)
    bool forceNew = false;          // true: never resume an earlier sweep with the same spec
    // Cluster fan-out: a fixed UUID for the sweep (every slice's shard uses the same one; "" = a new
    // random UUID, or the resumed sweep's) and the slice of the work items this call runs.
    std::string sweepUuid;
    int64_t sliceIndex = 0; // 0 <= sliceIndex < sliceCount
    int64_t sliceCount = 1;
};

// The work item range [first, end) of slice `index` of `count` over `items` work items.
std::pair<int64_t, int64_t> sliceRange(int64_t items, int64_t index, int64_t count);
// Parses "i/N" (0 <= i < N), throwing InvalidArgument naming `flag`.
std::pair<int64_t, int64_t> parseSlice(const std::string& text, const std::string& flag);

struct SweepResult {
    int64_t sweepId = 0;
    bool resumed = false;
    int64_t points = 0;        // prompts x thresholds (of this slice when sliced)
    int64_t pointsSkipped = 0; // already finished (resume)
    int64_t pointsRun = 0;     // run by this call and finished
    int64_t runsMade = 0;      // run rows created by this call
    bool cancelled = false;
    nlohmann::json aggregate;
};

struct SweepCallbacks {
    RunCallbacks run; // passed to every experiment (its onProgress is per run)
    std::function<void(int64_t pointsDone, int64_t points, double etaSeconds)> onPointFinished;
};

class SweepRunner {
public:
    explicit SweepRunner(notebook::Notebook& notebook, ModelCache& cache = ModelCache::shared())
        : notebook_(notebook), cache_(cache)
    {
    }
    SweepResult run(const SweepRequest& request, const SweepCallbacks& callbacks = {});

private:
    notebook::Notebook& notebook_;
    ModelCache& cache_;
};

// The aggregate of a stored sweep, recomputed from the notebook (what run() stores).
nlohmann::json aggregateSweep(notebook::Notebook& notebook, int64_t sweepId);

// Recomputes and stores a sweep's aggregate after its runs changed outside SweepRunner (shards
// merged home). Its status becomes "finished" when every point is complete, else "partial".
// Returns {"complete_points", "points", "status"}.
nlohmann::json refreshSweepAggregate(notebook::Notebook& notebook, int64_t sweepId);

} // namespace tempo
