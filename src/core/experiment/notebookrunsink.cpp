#include "core/experiment/notebookrunsink.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "core/experiment/modelcache.h"
#include "core/experiment/runwriter.h"
#include "core/experiment/storedanalyses.h"
#include "core/notebook/notebook.h"

namespace tempo {

namespace {

std::string runTimingsJson(const TempoRun& run)
{
    nlohmann::json timings;
    timings["prefill_ms"] = run.timing.prefillMs;
    timings["total_ms"] = run.timing.totalMs;
    timings["forward_ms"] = run.timing.forwardMs;
    timings["ms_per_step"] = run.steps.empty() ? 0.0 : run.timing.msPerStep();
    timings["steps"] = run.steps.size();
    timings["stop_reason"] = stopReasonName(run.stopReason);
    return timings.dump();
}

} // namespace

notebook::StepRecord notebookStep(const StepRecord& step, const Tokenizer& tokenizer, double stepMs)
{
    notebook::StepRecord record = notebookStepRow(step);
    for (int64_t id : step.tokenIds)
        record.tokens.push_back(tokenizer.tokenText(id));
    record.elapsedMs = stepMs;
    return record;
}

int64_t NotebookRunSink::started(const RunStart& start)
{
    model_ = &start.model;
    stored_ = start.request.stored;
    const auto& preset = start.request.preset;
    storesVerdict_ = !start.promptIds.empty() && (!preset || preset->hasAnalysis(analysisname::kVerdict));
    previousElapsedMs_ = 0.0;
    notebook::RunRecord row;
    row.presetId = start.request.presetId;
    row.prompt = start.request.prompt;
    row.modelId = notebook_.models().upsert(start.model.record());
    row.provenance = runProvenance(start.model, start.options);
    row.config = runConfigFor(start.model, start.options, start.request, start.promptIds);
    runId_ = notebook_.runs().create(row);
    record_ = std::move(row);
    record_.id = runId_;
    pendingSteps_.clear();
    lastFlush_ = std::chrono::steady_clock::now();
    return runId_;
}

void NotebookRunSink::step(const StepRecord& step)
{
    // The step's wall time since the previous one was stored (selection, forward, readout and the
    // previous step's commit), as the ETA sees the pace.
    const double stepMs = step.elapsedMs - previousElapsedMs_;
    previousElapsedMs_ = step.elapsedMs;
    pendingSteps_.push_back(notebookStep(step, *model_->tokenizer, stepMs));
    const double sinceCommit =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - lastFlush_).count();
    bool due = false;
    switch (commits_) {
    case StepCommits::EachStep:
        due = true;
        break;
    case StepCommits::Paced:
        due = sinceCommit >= pacedCommitSeconds_;
        break;
    case StepCommits::Batched:
        due = pendingSteps_.size() >= kStepBatch || sinceCommit >= kStepFlushSeconds;
        break;
    }
    if (due)
        flushSteps();
}

void NotebookRunSink::commitSteps()
{
    if (!pendingSteps_.empty())
        flushSteps();
}

void NotebookRunSink::flushSteps()
{
    notebook_.steps().appendMany(runId_, pendingSteps_);
    pendingSteps_.clear();
    lastFlush_ = std::chrono::steady_clock::now();
}

void NotebookRunSink::finished(const RunEnd& end)
{
    flushSteps();
    const auto blobs = captureBlobs(end.run, stored_);
    if (!blobs.empty())
        notebook_.tensors().add(runId_, blobs);
    notebook_.checks().record(runId_, checkRecordsOf(end.run));
    // The run as just stored, for the analyses below, from memory: reading it back cost more than
    // analysing it (issue 18 point 4); the numbers are the stored path's (runsink_test).
    std::optional<StoredRun> stored;
    auto storedRun = [&]() -> const StoredRun& {
        if (!stored)
            stored = recordedStoredRun(record_, end.run, notebook_.path());
        return *stored;
    };
    // Analyses every run gets, stored before the run reads as finished (a report built on the
    // finished status finds them).
    // (Without attention stored there is nothing to analyse, and the run is not rebuilt for it.)
    const AnalysisMetrics analyses =
        holdsTensor(blobs, tensorname::kAttention) ? analyseRecordedRun(storedRun(), blobs) : AnalysisMetrics{};
    if (!analyses.empty())
        notebook_.metrics().record(runId_, toMetricRecords(analyses));
    // The run's own verdict (inconclusive: nothing to compare with yet), decided once here; a
    // pair's verdict replaces it when the run is compared (recordVerdict).
    if (storesVerdict_ && end.status == notebook::RunStatus::Finished)
        notebook_.metrics().record(runId_, toMetricRecords(metrics(singleRunVerdict(storedRun()))));
    notebook_.runs().finish(runId_, end.status, end.text, runTimingsJson(end.run), "");
}

int64_t NotebookRunSink::failedToStart(const FailedStart& attempt)
{
    // A run row with status failed and the loader's message: what was tried and why it failed.
    // The hashes and tokenizer a row names are unknown (nothing loaded), so no model row.
    notebook::RunRecord row;
    row.presetId = attempt.presetId;
    row.prompt = attempt.config.prompt;
    row.config = attempt.config;
    runId_ = notebook_.runs().create(row);
    notebook_.runs().finish(runId_, notebook::RunStatus::Failed, "", "{}", attempt.error);
    return runId_;
}

void NotebookRunSink::failed(const std::string& error) noexcept
{
    try {
        flushSteps(); // the steps decoded before the failure are kept
    } catch (...) {
        pendingSteps_.clear(); // the run's own error is the one to report
    }
    try {
        notebook_.runs().finish(runId_, notebook::RunStatus::Failed, "", "{}", error);
    } catch (...) {
        // The notebook itself failed (full disk, lost file): the run's own error is the one to
        // report; the next read-write open marks this run interrupted.
    }
}

} // namespace tempo
