#pragma once
// A study: the whole TEMPO investigation rerun as one stored object (issue 16). For each preset of
// its spec (default 1a, 1b, 2, 3, 4, 5) one sweep (sweep.h) over the suite x thresholds, then,
// with control on, the artifact control: preset 2 with "mechanism": "artifact_control" over the
// same points. The study row (notebook::StudyStore) holds the spec, the status and the summary;
// study_sweeps links its sweeps in run order.
//
// Storage: after a point's analyses are stored, the captured tensors of its runs are removed,
// except for the runs of the first prompt of each family (their attention and logits feed the
// report's per-layer charts); steps, checks and metrics of every run stay. The summary states it.
//
// Resume: every sweep of a study has a UUID derived from the study's, so `resume` finds the same
// sweeps and SweepRunner skips their finished points: finished runs are reused, never rerun. A
// study whose process was killed stays 'running' in the file until the next read-write open marks
// it 'interrupted' (Notebook); `resume` continues it from any state but 'finished'.
//
// Progress: onProgress after every run step and point with the points done / total of the whole
// study, the current run's progress and an ETA from the points run by this call. Cancellation is
// the sweep's flag, checked by the decoder between forwards (so within one forward pass).
// Timing: the summary adds this call's wall time and its time inside forward passes (the decoder's
// forward_ms of every run made) to those of earlier calls.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/experiment/experimentrunner.h"
#include "core/notebook/records.h"

namespace tempo {

struct StudyRequest {
    std::filesystem::path modelFolder;
    StudySpec spec; // prompts (non-empty), thresholds, presets, steps override, control, compute
    std::string name; // "" = "<suite> on <model folder name>"
};

// The compute options a study's spec names (device, dtype, threads).
ComputeOptions studyComputeOptions(const StudySpec& spec);

struct StudyProgress {
    int64_t studyId = 0;
    int64_t points = 0;     // experiments in the whole study (every sweep's prompts x thresholds)
    int64_t pointsDone = 0; // finished, reused ones included
    int64_t sweepIndex = 0; // the sweep running now (0-based) of `sweeps`
    int64_t sweeps = 0;
    std::string presetId;   // of the sweep running now
    bool control = false;   // the sweep running now is the artifact control
    Progress run;           // the current run's (or group's) forwards done / total
    double etaSeconds = -1; // the whole study's time left; negative while unknown
};

struct StudyCallbacks {
    std::function<void(int64_t studyId)> onStudyCreated; // the study row exists (resume: at once)
    std::function<void(const StudyProgress&)> onProgress;
    std::function<void(int64_t runId, const StepRecord&)> onStep; // each committed step of every run
    const std::atomic<bool>* cancel = nullptr;                     // stops within one forward pass
};

struct StudyResult {
    int64_t studyId = 0;
    notebook::StudyStatus status = notebook::StudyStatus::Running;
    StudySummary summary;
    bool resumed = false;
    int64_t pointsRun = 0;    // by this call
    int64_t pointsReused = 0; // finished before this call
};

class StudyRunner {
public:
    explicit StudyRunner(notebook::Notebook& notebook, ModelCache& cache = ModelCache::shared())
        : notebook_(notebook), cache_(cache)
    {
    }

    // Creates the study and runs it. Throws InvalidArgument before anything is stored for a bad
    // spec (no prompts, an unknown preset, a bad threshold); a failure while running marks the
    // study 'failed' with the error in its summary and rethrows.
    StudyResult run(const StudyRequest& request, const StudyCallbacks& callbacks = {});
    // Continues a stored study (any status but finished), reusing every finished run. Throws
    // InvalidArgument for an unknown id or a finished study.
    StudyResult resume(int64_t studyId, const StudyCallbacks& callbacks = {});

private:
    StudyResult execute(int64_t studyId, bool resumed, const StudyCallbacks& callbacks);

    notebook::Notebook& notebook_;
    ModelCache& cache_;
};

// The sweeps a study runs, in order: each preset (role tempo), then preset 2 as the artifact
// control when the spec asks for it.
struct PlannedStudySweep {
    std::string presetId;
    notebook::StudySweepRole role = notebook::StudySweepRole::Tempo;
};
std::vector<PlannedStudySweep> plannedStudySweeps(const StudySpec& spec);

} // namespace tempo
