// StudyRunner: a study's sweeps one after the other, its status, summary, timing and tensor pruning.

#include "core/experiment/study.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/experiment/presetcatalog.h"
#include "core/experiment/sweep.h"
#include "core/notebook/notebook.h"

namespace tempo {

namespace {

using nlohmann::json;
using notebook::StudyStatus;
using notebook::StudySweepRole;
using StudyClock = std::chrono::steady_clock;

constexpr const char* kControlPresetId = "2";

std::string studyTensorRetention()
{
    return "captured tensors are kept for the runs of the first prompt of each family only; every run keeps "
           "its steps, checks and metrics";
}

// The UUID of a study's sweep at `position`: the study's with its last group made from the position,
// so `resume` finds the same sweeps (and a sweep is never shared by two studies).
std::string studySweepUuid(const std::string& studyUuid, std::size_t position)
{
    char tail[8];
    std::snprintf(tail, sizeof tail, "%04zx", position & 0xffff);
    const std::size_t lastDash = studyUuid.rfind('-');
    const std::string head = lastDash == std::string::npos ? studyUuid : studyUuid.substr(0, lastDash + 1);
    const std::string node = lastDash == std::string::npos ? std::string() : studyUuid.substr(lastDash + 1);
    return head + node.substr(0, std::min<std::size_t>(8, node.size())) + tail;
}

// Indices of the prompts whose tensors a study keeps: the first of each family.
std::set<int64_t> firstOfEachFamily(const StudySpec& spec)
{
    std::set<int64_t> kept;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < spec.prompts.size(); ++i)
        if (seen.insert(spec.prompts[i].family).second)
            kept.insert(static_cast<int64_t>(i));
    return kept;
}

std::vector<SuitePrompt> suiteOf(const StudySpec& spec)
{
    std::vector<SuitePrompt> suite;
    for (const StudyPrompt& p : spec.prompts)
        suite.push_back({p.family, p.prompt, p.steps.value_or(0)});
    return suite;
}

// The sweep request for one planned sweep: the preset (the control's with the artifact control
// mechanism), the suite, thresholds and steps of the spec.
SweepRequest sweepRequestFor(notebook::Notebook& notebook, const notebook::StudyRecord& study,
                             const PlannedStudySweep& plan, std::size_t position)
{
    SweepRequest request;
    request.preset = findPreset(plan.presetId, &notebook.presets());
    if (plan.role == StudySweepRole::Control)
        request.preset.preset = applyOverrides(request.preset.preset, {"mechanism=artifact_control"});
    request.modelFolder = study.modelFolder;
    request.options = studyComputeOptions(study.spec);
    request.suite = suiteOf(study.spec);
    request.thresholds = study.spec.thresholds;
    request.stepsOverride = study.spec.stepsOverride;
    request.sweepUuid = studySweepUuid(study.uuid, position);
    return request;
}

double forwardSecondsOf(notebook::Notebook& notebook, const std::vector<int64_t>& runIds)
{
    double ms = 0.0;
    for (int64_t runId : runIds) {
        const auto run = notebook.runs().find(runId);
        if (!run)
            continue;
        const json timings = json::parse(run->timingsJson, nullptr, false);
        if (timings.is_object() && timings.contains("forward_ms") && timings["forward_ms"].is_number())
            ms += timings["forward_ms"].get<double>();
    }
    return ms / 1000.0;
}

void validateSpec(notebook::Notebook& notebook, const StudySpec& spec)
{
    if (spec.prompts.empty())
        throw InvalidArgument(expectedFound("study suite", "at least one prompt", "none"));
    if (spec.thresholds.empty())
        throw InvalidArgument(expectedFound("study thresholds", "at least one", "none"));
    if (spec.presets.empty())
        throw InvalidArgument(expectedFound("study presets", "at least one", "none"));
    if (spec.stepsOverride && *spec.stepsOverride < 1)
        throw InvalidArgument(expectedFound("study steps", "a positive integer", std::to_string(*spec.stepsOverride)));
    for (const std::string& id : spec.presets) {
        const CatalogEntry entry = findPreset(id, &notebook.presets()); // refuses an unknown id by name
        for (double t : spec.thresholds)
            applyOverrides(entry.preset, {"threshold=" + json(t).dump()}); // refuses a bad threshold
    }
    if (spec.control)
        applyOverrides(findPreset(kControlPresetId, &notebook.presets()).preset, {"mechanism=artifact_control"});
    studyComputeOptions(spec); // refuses an unknown device or dtype
}

} // namespace

ComputeOptions studyComputeOptions(const StudySpec& spec)
{
    ComputeOptions options;
    options.device = ComputeOptions::parseDevice(spec.compute.device);
    options.dtype = ComputeOptions::parseDtype(spec.compute.dtype);
    options.threads = spec.compute.threads;
    return options;
}

std::vector<PlannedStudySweep> plannedStudySweeps(const StudySpec& spec)
{
    std::vector<PlannedStudySweep> planned;
    for (const std::string& id : spec.presets)
        planned.push_back({id, StudySweepRole::Tempo});
    if (spec.control)
        planned.push_back({kControlPresetId, StudySweepRole::Control});
    return planned;
}

StudyResult StudyRunner::run(const StudyRequest& request, const StudyCallbacks& callbacks)
{
    validateSpec(notebook_, request.spec);
    std::error_code error;
    const auto folder = std::filesystem::weakly_canonical(std::filesystem::absolute(request.modelFolder), error);
    notebook::StudyRecord study;
    study.modelFolder = (error ? request.modelFolder : folder).string();
    study.spec = request.spec;
    study.name = !request.name.empty()
                     ? request.name
                     : (request.spec.suiteName.empty() ? std::string("suite") : request.spec.suiteName) + " on " +
                           std::filesystem::path(study.modelFolder).filename().string();
    study.summary.tensorRetention = studyTensorRetention();
    const int64_t studyId = notebook_.studies().create(study);
    return execute(studyId, false, callbacks);
}

StudyResult StudyRunner::resume(int64_t studyId, const StudyCallbacks& callbacks)
{
    const auto study = notebook_.studies().find(studyId);
    if (!study)
        throw InvalidArgument("notebook '" + notebook_.path() + "': " +
                              expectedFound("study id", "an existing study", std::to_string(studyId)));
    if (study->status == StudyStatus::Finished)
        throw InvalidArgument(expectedFound("study " + std::to_string(studyId), "a study that did not finish",
                                            "a finished study") +
                              "; nothing to resume (start a new one with `study run`)");
    validateSpec(notebook_, study->spec);
    return execute(studyId, true, callbacks);
}

StudyResult StudyRunner::execute(int64_t studyId, bool resumed, const StudyCallbacks& callbacks)
{
    const auto start = StudyClock::now();
    const notebook::StudyRecord study = *notebook_.studies().find(studyId);
    const std::vector<PlannedStudySweep> planned = plannedStudySweeps(study.spec);
    std::vector<SweepRequest> requests;
    for (std::size_t i = 0; i < planned.size(); ++i)
        requests.push_back(sweepRequestFor(notebook_, study, planned[i], i));
    const int64_t pointsPerSweep = static_cast<int64_t>(study.spec.prompts.size() * study.spec.thresholds.size());
    const std::set<int64_t> keptPrompts = firstOfEachFamily(study.spec);

    StudyResult result;
    result.studyId = studyId;
    result.resumed = resumed;
    const StudySummary before = study.summary; // what earlier calls measured
    StudySummary summary = before;
    summary.points = pointsPerSweep * static_cast<int64_t>(planned.size());
    summary.pointsDone = 0;
    summary.pointsReused = 0;
    summary.tensorRetention = studyTensorRetention();
    summary.widthCaps.clear(); // gathered again from every sweep's points below
    summary.error.clear();
    notebook_.studies().setStatus(studyId, StudyStatus::Running);
    notebook_.studies().setSummary(studyId, summary);
    if (callbacks.onStudyCreated)
        callbacks.onStudyCreated(studyId);

    StudyProgress progress;
    progress.studyId = studyId;
    progress.points = summary.points;
    progress.sweeps = static_cast<int64_t>(planned.size());
    int64_t pointsDoneBefore = 0; // in the sweeps before the current one
    int64_t pointsRunThisCall = 0;
    std::vector<int64_t> runsMadeThisCall;
    const auto elapsedSeconds = [&] { return std::chrono::duration<double>(StudyClock::now() - start).count(); };
    const auto eta = [&](int64_t done) {
        if (pointsRunThisCall == 0)
            return -1.0;
        return elapsedSeconds() / static_cast<double>(pointsRunThisCall) * static_cast<double>(summary.points - done);
    };
    // Each run's forward time is read once, at the first summary after it was made (its point has
    // finished, been cancelled or failed by then): re-reading every run at every point made a
    // long study quadratic in its runs.
    double forwardSecondsThisCall = 0.0;
    std::size_t runsCounted = 0; // runsMadeThisCall[0, runsCounted) are in forwardSecondsThisCall
    const auto storeSummary = [&] {
        const std::vector<int64_t> uncounted(runsMadeThisCall.begin() + static_cast<std::ptrdiff_t>(runsCounted),
                                             runsMadeThisCall.end());
        forwardSecondsThisCall += forwardSecondsOf(notebook_, uncounted);
        runsCounted = runsMadeThisCall.size();
        summary.runsMade = before.runsMade + static_cast<int64_t>(runsMadeThisCall.size());
        summary.wallSeconds = before.wallSeconds + elapsedSeconds();
        summary.forwardSeconds = before.forwardSeconds + forwardSecondsThisCall;
        notebook_.studies().setSummary(studyId, summary);
    };
    const auto prune = [&](const std::vector<std::pair<int64_t, int64_t>>& runsWithPrompt) {
        for (const auto& [runId, promptIndex] : runsWithPrompt)
            if (!keptPrompts.count(promptIndex))
                notebook_.tensors().removeOfRun(runId);
    };

    // A single-mode sweep whose preset compares pairs (1a) is the partner of the next sweep's runs
    // (1b finds its 1a run by prompt and threshold and compares their attention): its tensors
    // are kept until that next sweep has finished, then pruned.
    const auto pairsWithNextSweep = [&](std::size_t s) {
        const Preset& preset = requests[s].preset.preset;
        const bool comparesPairs = preset.hasAnalysis(analysisname::kAttentionComparison) ||
                                   preset.hasAnalysis(analysisname::kDistributionComparison) ||
                                   preset.hasAnalysis(analysisname::kVerdict);
        return s + 1 < planned.size() && comparesPairs && preset.runModes().size() == 1;
    };
    std::vector<std::pair<int64_t, int64_t>> partnerRuns; // the previous sweep's, pruned after this one

    bool cancelled = false;
    try {
        for (std::size_t s = 0; s < planned.size() && !cancelled; ++s) {
            const bool keepForNextSweep = pairsWithNextSweep(s);
            progress.sweepIndex = static_cast<int64_t>(s);
            progress.presetId = planned[s].presetId;
            progress.control = planned[s].role == StudySweepRole::Control;
            std::vector<std::pair<int64_t, int64_t>> pointRuns; // run id, prompt index (the point running now)
            SweepCallbacks sweepCallbacks;
            sweepCallbacks.run.cancel = callbacks.cancel;
            sweepCallbacks.run.onStep = callbacks.onStep;
            sweepCallbacks.run.onRunCreated = [&](int64_t runId) {
                runsMadeThisCall.push_back(runId);
                const auto run = notebook_.runs().find(runId);
                pointRuns.push_back({runId, run && run->config.sweep ? run->config.sweep->promptIndex : -1});
            };
            sweepCallbacks.run.onProgress = [&](const Progress& runProgress) {
                progress.run = runProgress;
                if (callbacks.onProgress)
                    callbacks.onProgress(progress);
            };
            sweepCallbacks.onPointFinished = [&](int64_t done, int64_t, double) {
                // The point's analyses are stored: its runs' tensors can go (unless the next
                // sweep pairs with them).
                if (!keepForNextSweep)
                    prune(pointRuns);
                pointRuns.clear();
                ++pointsRunThisCall;
                progress.pointsDone = pointsDoneBefore + done;
                progress.etaSeconds = eta(progress.pointsDone);
                progress.run = {};
                summary.pointsDone = progress.pointsDone;
                storeSummary();
                if (callbacks.onProgress)
                    callbacks.onProgress(progress);
            };
            SweepRunner sweeps(notebook_, cache_);
            SweepResult swept;
            try {
                swept = sweeps.run(requests[s], sweepCallbacks);
            } catch (...) {
                if (auto sweepId = notebook_.sweeps().findByUuid(requests[s].sweepUuid))
                    notebook_.studies().addSweep(studyId, {*sweepId, planned[s].presetId, planned[s].role,
                                                           static_cast<int64_t>(s)});
                throw;
            }
            notebook_.studies().addSweep(studyId, {swept.sweepId, planned[s].presetId, planned[s].role,
                                                   static_cast<int64_t>(s)});
            // Runs left by a cancelled point or an earlier, killed call keep their tensors until here.
            std::vector<std::pair<int64_t, int64_t>> sweepRuns;
            std::set<std::pair<int64_t, double>> cappedPoints; // a group's two runs share their point
            const auto sweepRecord = notebook_.sweeps().find(swept.sweepId);
            for (const auto& [runId, pointText] : sweepRecord->runs) {
                const json point = json::parse(pointText, nullptr, false);
                if (!point.is_object() || !point.contains("prompt_index") || !point["prompt_index"].is_number_integer())
                    continue;
                const int64_t promptIndex = point["prompt_index"].get<int64_t>();
                sweepRuns.push_back({runId, promptIndex});
                const double threshold = point.value("threshold", 0.0);
                if (point.contains("max_width_cap") && cappedPoints.insert({promptIndex, threshold}).second)
                    summary.widthCaps.push_back({planned[s].presetId, promptIndex, threshold,
                                                 point.value("steps", int64_t{0}), point.value("preset_max_width", int64_t{0}),
                                                 point.value("max_width_cap", int64_t{0})});
            }
            prune(partnerRuns);
            partnerRuns.clear();
            if (keepForNextSweep)
                partnerRuns = sweepRuns;
            else
                prune(sweepRuns);
            summary.pointsReused += swept.pointsSkipped;
            result.pointsReused += swept.pointsSkipped;
            result.pointsRun += swept.pointsRun;
            pointsDoneBefore += swept.pointsSkipped + swept.pointsRun;
            summary.pointsDone = pointsDoneBefore;
            cancelled = swept.cancelled;
            storeSummary();
        }
    } catch (const std::exception& failure) {
        summary.error = failure.what();
        storeSummary();
        notebook_.studies().setStatus(studyId, StudyStatus::Failed);
        throw;
    }
    if (!cancelled)
        prune(partnerRuns); // a pairing sweep planned last (nothing left to pair with it)
    notebook_.tensors().releaseFreePages();
    result.status = cancelled ? StudyStatus::Cancelled : StudyStatus::Finished;
    storeSummary();
    notebook_.studies().setStatus(studyId, result.status);
    result.summary = summary;
    return result;
}

} // namespace tempo
