#pragma once
// Sweeps: one preset over a prompt suite (JSON lines {"category": ..., "prompt": ...}) times a
// list of thresholds. Every (prompt, threshold) point is one experiment (a run, or a group of two
// for mode "both"), recorded in the notebook and added to a sweep. The sweep's aggregate (stored
// in its spec JSON under "aggregate") gives mean, standard deviation and a 95% t-interval of every
// scalar metric (no step, layer or head) per threshold, per category and overall.
//
// A point's metrics: a single run's scalar metrics; for a group, the comparison's scalar metrics
// plus each run's scalar metrics prefixed "isolated." / "visible.". verdict.* metrics are counted
// per scenario instead of averaged.
//
// Cancel and resume: a cancelled sweep keeps its finished points. Running the same sweep again
// (same preset, model folder, suite and thresholds) resumes it: points whose runs all finished
// are skipped, the rest are run.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/experiment/experimentrunner.h"

namespace tempo {

struct SuitePrompt {
    std::string category;
    std::string prompt;
};

// Throws InvalidArgument naming the line and field of a bad entry.
std::vector<SuitePrompt> parseSuite(const std::string& text, const std::string& source);
std::vector<SuitePrompt> loadSuite(const std::filesystem::path& file);

struct SweepRequest {
    CatalogEntry preset;
    std::filesystem::path modelFolder;
    ComputeOptions options;
    std::vector<SuitePrompt> suite;
    std::vector<double> thresholds; // each validated like a preset's threshold
    bool forceNew = false;          // true: never resume an earlier sweep with the same spec
};

struct SweepResult {
    int64_t sweepId = 0;
    bool resumed = false;
    int64_t points = 0;        // prompts x thresholds
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

} // namespace tempo
