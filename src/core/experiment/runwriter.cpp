#include "core/experiment/runwriter.h"

#include <algorithm>

#include <nlohmann/json.hpp>
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

RunConfig runConfigFor(const LoadedModel& model, const ComputeOptions& options, const TempoRunRequest& request,
                       const std::vector<int64_t>& promptIds)
{
    RunConfig config;
    config.tempo = request.config;
    config.tempo->keysLayer = request.config.resolvedKeysLayer(model.model->config());
    config.prompt = request.prompt;
    config.promptTokenIds = promptIds;
    config.preset = request.preset;
    config.captures = request.stored;
    config.model = {model.folder.string(), model.weightsSha256, model.tokenizerSha256};
    config.compute = {ComputeOptions::deviceName(model.options.device), ComputeOptions::dtypeName(model.options.dtype),
                      options.effectiveThreads()};
    config.sweep = request.sweepPoint;
    return config;
}

RecordedRun runTempo(const LoadedModel& model, const TempoRunRequest& request, RunSink& sink,
                     const RunCallbacks& callbacks, int64_t progressOffset, int64_t progressTotal)
{
    ComputeOptions options = model.options;
    if (request.threads >= 0)
        options.threads = request.threads;
    options.applyThreads();
    const std::vector<int64_t> promptIds = model.tokenizer->encode(request.prompt, true);
    // Before the sink hears of the run: a request that cannot fit the model or the machine is
    // refused without leaving a failed 0-step run behind (the decoder checks the same rules again).
    const int64_t promptTokens = static_cast<int64_t>(promptIds.size());
    validateRunFits(request.config, promptTokens, model.model->config());
    validateRunMemory(request.config, promptTokens, model.model->config(), options);

    RecordedRun result;
    result.runId = sink.started({model, request, options, promptIds});
    if (callbacks.onRunCreated)
        callbacks.onRunCreated(result.runId);

    const int64_t total = progressTotal > 0 ? progressTotal : request.config.maxSteps;
    double previousElapsedMs = 0.0;
    EtaEstimator eta; // time left, from the pace of the steps so far
    RunControl control;
    control.cancel = callbacks.cancel;
    control.onStep = [&](const StepRecord& step) {
        sink.step(step);
        eta.addStep(step.step, step.elapsedMs - previousElapsedMs);
        previousElapsedMs = step.elapsedMs;
        if (callbacks.onStep)
            callbacks.onStep(result.runId, step);
        if (callbacks.onProgress) {
            const int64_t done = progressOffset + step.step + 1;
            const int64_t runSteps = request.config.maxSteps;
            const int64_t laterSteps = std::max<int64_t>(total - progressOffset - runSteps, 0);
            callbacks.onProgress({done, total, eta.secondsLeft(runSteps, laterSteps)});
        }
    };

    try {
        result.run = TempoDecoder(*model.model).run(promptIds, request.config, captureOptionsFor(request.stored), control);
        result.text = runText(request.prompt, result.run.sets(), *model.tokenizer);
        result.status = result.run.cancelled() ? notebook::RunStatus::Cancelled : notebook::RunStatus::Finished;
        sink.finished({result.run, result.text, result.status});
    } catch (const std::exception& error) {
        sink.failed(error.what());
        throw;
    }
    return result;
}

} // namespace tempo
