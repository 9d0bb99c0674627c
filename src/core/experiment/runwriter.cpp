#include "core/experiment/runwriter.h"

#include <algorithm>

#include <torch/version.h>

#include "core/common/buildinfo.h"
#include "core/common/errors.h"
#include "core/experiment/etaestimator.h"
#include "core/notebook/notebook.h"
#include "core/tempo/render.h"
#include "core/tempo/runlimits.h"

namespace tempo {

namespace {

using nlohmann::json;

std::string timingsJson(const TempoRun& run)
{
    json timings;
    timings["prefill_ms"] = run.timing.prefillMs;
    timings["total_ms"] = run.timing.totalMs;
    timings["ms_per_step"] = run.steps.empty() ? 0.0 : run.timing.msPerStep();
    timings["steps"] = run.steps.size();
    timings["stop_reason"] = stopReasonName(run.stopReason);
    return timings.dump();
}

std::vector<notebook::CheckRecord> checkRecords(const TempoRun& run)
{
    std::vector<notebook::CheckRecord> checks;
    for (const CheckResult& check : run.checks)
        checks.push_back({check.name, check.passed, check.value, check.detail});
    return checks;
}

// Appends steps as the decoder reports them; the slot and position of each member follow from
// the layout of DESIGN.md section 1 (members in consecutive slots after everything so far, all at
// logical position offset + prompt length + step).
class StepAppender {
public:
    StepAppender(notebook::Notebook& notebook, const LoadedModel& model, int64_t runId, int64_t promptLength,
                 const TempoConfig& config)
        : notebook_(notebook), model_(model), runId_(runId), nextSlot_(promptLength),
          firstLogical_(config.positionOffset + promptLength)
    {
    }

    void append(const StepProgress& progress, double stepMs)
    {
        notebook::StepRecord record;
        record.step = static_cast<int>(progress.step);
        record.logicalPosition = static_cast<int>(firstLogical_ + progress.step);
        for (const Candidate& member : progress.set) {
            record.tokenIds.push_back(member.tokenId);
            record.tokens.push_back(model_.tokenizer->tokenText(member.tokenId));
            record.probabilities.push_back(member.probability);
            record.physicalSlots.push_back(nextSlot_++);
        }
        record.elapsedMs = stepMs;
        notebook_.appendStep(runId_, record);
        ++appended_;
    }
    int64_t appended() const { return appended_; }

private:
    notebook::Notebook& notebook_;
    const LoadedModel& model_;
    int64_t runId_;
    int64_t nextSlot_;
    int64_t firstLogical_;
    int64_t appended_ = 0;
};

} // namespace

std::string libtorchVersion()
{
#ifdef TORCH_VERSION
    return TORCH_VERSION;
#else
    return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
           std::to_string(TORCH_VERSION_PATCH);
#endif
}

notebook::RunProvenance runProvenance(const LoadedModel& model, const ComputeOptions& options)
{
    notebook::RunProvenance provenance;
    provenance.device = ComputeOptions::deviceName(model.options.device);
    provenance.dtype = ComputeOptions::dtypeName(model.options.dtype);
    provenance.threads = options.effectiveThreads();
    provenance.libtorchVersion = libtorchVersion();
    provenance.appVersion = buildinfo::kAppVersion;
    provenance.gitCommit = buildinfo::kGitCommit;
    return provenance;
}

json runConfigJson(const LoadedModel& model, const ComputeOptions& options, const TempoRunRequest& request,
                   const std::vector<int64_t>& promptIds)
{
    const TempoConfig& config = request.config;
    json tempo;
    tempo["threshold"] = config.threshold;
    tempo["max_width"] = config.maxWidth;
    tempo["mode"] = siblingModeName(config.mode);
    tempo["readout"] = readoutName(config.readout);
    tempo["max_steps"] = config.maxSteps;
    tempo["stop_at_eos"] = config.stopAtEos;
    tempo["position_offset"] = config.positionOffset;
    tempo["keys_layer"] = config.resolvedKeysLayer(model.model->config());

    json object;
    object["tempo"] = tempo;
    object["prompt"] = request.prompt;
    object["prompt_token_ids"] = promptIds;
    object["preset"] = request.presetJson;
    object["captures"] = {{"attention", request.stored.attention},
                          {"logits", request.stored.logits},
                          {"kv", request.stored.kv},
                          {"positions", request.stored.positions}};
    object["model"] = {{"folder", model.folder.string()},
                       {"weights_sha256", model.weightsSha256},
                       {"tokenizer_sha256", model.tokenizerSha256}};
    object["compute"] = {{"device", ComputeOptions::deviceName(model.options.device)},
                         {"dtype", ComputeOptions::dtypeName(model.options.dtype)},
                         {"threads", options.effectiveThreads()}};
    for (const auto& item : request.extra.items())
        object[item.key()] = item.value();
    return object;
}

RecordedRun recordTempoRun(notebook::Notebook& notebook, const LoadedModel& model, const TempoRunRequest& request,
                           const RunCallbacks& callbacks, int64_t progressOffset, int64_t progressTotal)
{
    ComputeOptions options = model.options;
    if (request.threads >= 0)
        options.threads = request.threads;
    options.applyThreads();
    const std::vector<int64_t> promptIds = model.tokenizer->encode(request.prompt, true);
    // Before the run row exists: a request that cannot fit the model or the machine is refused
    // without leaving a failed 0-step run behind (the decoder checks the same rules again).
    const int64_t promptTokens = static_cast<int64_t>(promptIds.size());
    validateRunFits(request.config, promptTokens, model.model->config());
    validateRunMemory(request.config, promptTokens, model.model->config(), options);

    notebook::RunRecord row;
    row.presetId = request.presetId;
    row.prompt = request.prompt;
    row.modelId = notebook.upsertModel(model.record());
    row.provenance = runProvenance(model, options);
    row.configJson = runConfigJson(model, options, request, promptIds).dump();
    RecordedRun result;
    result.runId = notebook.createRun(row);
    if (callbacks.onRunCreated)
        callbacks.onRunCreated(result.runId);

    const int64_t total = progressTotal > 0 ? progressTotal : request.config.maxSteps;
    StepAppender appender(notebook, model, result.runId, static_cast<int64_t>(promptIds.size()), request.config);
    double previousElapsedMs = 0.0;
    EtaEstimator eta; // time left, from the pace of the steps so far
    RunControl control;
    control.cancel = callbacks.cancel;
    control.onStep = [&](const StepProgress& progress) {
        const double stepMs = progress.elapsedMs - previousElapsedMs;
        appender.append(progress, stepMs);
        eta.addStep(progress.step, stepMs);
        previousElapsedMs = progress.elapsedMs;
        if (callbacks.onStep)
            callbacks.onStep(result.runId, progress);
        if (callbacks.onProgress) {
            const int64_t done = progressOffset + progress.step + 1;
            const int64_t runSteps = request.config.maxSteps;
            const int64_t laterSteps = std::max<int64_t>(total - progressOffset - runSteps, 0);
            callbacks.onProgress({done, total, eta.secondsLeft(runSteps, laterSteps)});
        }
    };

    try {
        TempoDecoder decoder(*model.model);
        result.run = decoder.run(promptIds, request.config, captureOptionsFor(request.stored), control);
    } catch (const std::exception& error) {
        try {
            notebook.finishRun(result.runId, notebook::RunStatus::Failed, "", "{}", error.what());
        } catch (const std::exception&) {
            // The notebook itself failed (full disk, lost file): the decoder's error is the one to
            // report; the next read-write open marks this run interrupted.
        }
        throw;
    }
    // The decoder reports every step it fed; append any it could not report (none normally).
    for (size_t s = static_cast<size_t>(appender.appended()); s < result.run.steps.size(); ++s) {
        const StepRecord& step = result.run.steps[s];
        StepProgress progress{step.step, {}, 0.0};
        for (size_t m = 0; m < step.tokenIds.size(); ++m)
            progress.set.push_back({step.tokenIds[m], step.probabilities[m]});
        appender.append(progress, step.milliseconds);
    }

    const TempoRun& run = result.run;
    const auto blobs = captureBlobs(run, request.stored);
    if (!blobs.empty())
        notebook.addTensors(result.runId, blobs);
    notebook.recordChecks(result.runId, checkRecords(run));
    result.text = renderTempoText(request.prompt, run.sets(), [&](const std::vector<int64_t>& ids) {
        return model.tokenizer->decode(ids, true);
    });
    result.status = run.cancelled() ? notebook::RunStatus::Cancelled : notebook::RunStatus::Finished;
    notebook.finishRun(result.runId, result.status, result.text, timingsJson(run), "");
    return result;
}

int64_t recordFailedRun(notebook::Notebook& notebook, const std::string& presetId, const std::string& prompt,
                        const json& config, const std::string& error)
{
    notebook::RunRecord row;
    row.presetId = presetId;
    row.prompt = prompt;
    row.configJson = config.dump();
    const int64_t runId = notebook.createRun(row);
    notebook.finishRun(runId, notebook::RunStatus::Failed, "", "{}", error);
    return runId;
}

} // namespace tempo
