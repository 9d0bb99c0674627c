#include "core/experiment/experimentrunner.h"

#include "core/common/errors.h"
#include "core/experiment/notebookrunsink.h"
#include "core/experiment/storedanalyses.h"
#include "core/notebook/notebook.h"

namespace tempo {

namespace {

StoredCaptureSelection storedCaptures(const Preset& preset)
{
    StoredCaptureSelection selection;
    selection.attention = preset.wantsCapture(capturename::kAttention);
    selection.logits = preset.wantsCapture(capturename::kLogits);
    selection.kv = preset.wantsCapture(capturename::kKv);
    selection.positions = preset.wantsCapture(capturename::kPositions);
    return selection;
}

bool wantsPairAnalysis(const Preset& preset)
{
    return preset.hasAnalysis(analysisname::kAttentionComparison) ||
           preset.hasAnalysis(analysisname::kDistributionComparison) || preset.hasAnalysis(analysisname::kVerdict);
}

} // namespace

bool ExperimentResult::allChecksPassed() const
{
    for (const auto& [runId, runChecks] : checks) {
        if (runChecks.empty())
            return false;
        for (const auto& check : runChecks)
            if (!check.passed)
                return false;
    }
    return !checks.empty();
}

ExperimentResult ExperimentRunner::run(const ExperimentRequest& request, const RunCallbacks& callbacks)
{
    // Bad compute options (threads past the cores, f16 on CPU) are the caller's mistake, refused
    // before anything is recorded.
    request.options.validate();
    const Preset& preset = request.preset.preset;
    rememberPresetUsed(notebook_.presets(), request.preset);

    std::shared_ptr<const LoadedModel> model;
    try {
        model = cache_.get(request.modelFolder, request.options);
    } catch (const std::exception& error) {
        // The attempt and the loader's message belong in the notebook (what was tried, why it
        // failed): the run sink records it as a failed run.
        RunConfig config; // no TEMPO settings: nothing was decoded
        config.preset = preset;
        config.prompt = preset.prompt;
        config.model.folder = request.modelFolder.string();
        config.compute = {ComputeOptions::deviceName(request.options.device),
                          ComputeOptions::dtypeName(request.options.dtype), request.options.threads};
        config.sweep = request.sweepPoint;
        NotebookRunSink sink(notebook_);
        const int64_t runId = sink.failedToStart({preset.id, config, error.what()});
        if (callbacks.onRunCreated)
            callbacks.onRunCreated(runId);
        throw;
    }

    ExperimentResult result;
    const std::vector<SiblingMode> modes = preset.runModes();
    const int64_t total = preset.maxSteps * static_cast<int64_t>(modes.size());
    for (size_t i = 0; i < modes.size(); ++i) {
        TempoRunRequest runRequest;
        runRequest.presetId = preset.id;
        runRequest.prompt = preset.prompt;
        runRequest.config = preset.tempoConfig(modes[i]);
        runRequest.stored = storedCaptures(preset);
        runRequest.preset = preset;
        runRequest.sweepPoint = request.sweepPoint;
        runRequest.threads = request.options.threads;
        NotebookRunSink sink(notebook_, stepCommits_);
        runningSink_ = &sink;
        RecordedRun recorded;
        try {
            recorded = runTempo(*model, runRequest, sink, callbacks, preset.maxSteps * static_cast<int64_t>(i), total);
        } catch (...) {
            runningSink_ = nullptr;
            throw;
        }
        runningSink_ = nullptr;
        result.runIds.push_back(recorded.runId);
        result.checks[recorded.runId] = notebook_.checks().ofRun(recorded.runId);
        result.texts[recorded.runId] = recorded.text;
        if (recorded.status == notebook::RunStatus::Cancelled) {
            result.status = notebook::RunStatus::Cancelled;
            break;
        }
    }
    if (result.status == notebook::RunStatus::Finished)
        analyse(preset, result.runIds, result);
    else if (result.runIds.size() == 2) {
        GroupComparison cancelled; // nothing compared: the pair did not finish
        cancelled.status = "cancelled";
        result.groupId = notebook_.groups().create({0, "", "mode-pair", cancelled, result.runIds, ""});
    }
    return result;
}

void ExperimentRunner::commitSteps()
{
    if (runningSink_)
        runningSink_->commitSteps();
}

std::optional<int64_t> ExperimentRunner::analyse(const Preset& preset, const std::vector<int64_t>& runIds,
                                                  ExperimentResult& result)
{
    for (int64_t runId : runIds)
        notebook_.metrics().record(runId, toMetricRecords(analyseStoredRun(notebook_, runId, preset)));
    // "both" always makes a group (the pair is the unit a reader compares); a single run looks for
    // an earlier partner only when the preset has something to compare.
    if (runIds.empty() || (runIds.size() == 1 && !wantsPairAnalysis(preset)))
        return std::nullopt;

    int64_t isolated = runIds.front();
    int64_t visible = runIds.size() > 1 ? runIds[1] : 0;
    if (runIds.size() == 1) {
        auto partner = findPartnerRun(notebook_, runIds.front(), preset);
        if (!partner) {
            if (preset.hasAnalysis(analysisname::kVerdict)) {
                // Decided and stored when the run ended (NotebookRunSink); here it gets its tag.
                const auto stored = storedSingleRunVerdict(notebook_, runIds.front());
                result.verdict = stored ? *stored : singleRunVerdict(notebook_, runIds.front());
                recordVerdict(notebook_, runIds.front(), *result.verdict);
            }
            return std::nullopt;
        }
        result.partnerRunId = partner;
        const std::optional<TempoConfig> tempo = notebook_.runs().find(runIds.front())->config.tempo;
        const bool thisIsIsolated = tempo && tempo->mode == SiblingMode::Isolated;
        isolated = thisIsIsolated ? runIds.front() : *partner;
        visible = thisIsIsolated ? *partner : runIds.front();
    }
    PairAnalysis pair = analyseStoredPair(notebook_, isolated, visible, preset);
    if (preset.hasAnalysis(analysisname::kVerdict)) {
        result.verdict = pair.verdict;
        for (int64_t runId : runIds) // a partner run made earlier keeps what it recorded then
            recordVerdict(notebook_, runId, pair.verdict);
    }
    result.groupId = notebook_.groups().create({0, "", "mode-pair", pair.comparison, {isolated, visible}, ""});
    return result.groupId;
}

} // namespace tempo
