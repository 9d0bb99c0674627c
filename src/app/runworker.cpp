#include "app/runworker.h"

#include <exception>
#include <utility>

#include "core/notebook/notebook.h"

namespace tempo {

RunWorker::RunWorker(ModelCache& cache) : WorkerThread(QStringLiteral("RunWorker")), cache_(cache)
{
    qRegisterMetaType<tempo::StepUpdate>();
    qRegisterMetaType<QList<tempo::StepUpdate>>();
}

RunWorker::~RunWorker() { stopThread(); } // before the pending-step members go: a running job uses them

void RunWorker::start(const ExperimentRequest& request, const QString& notebookPath)
{
    post([this, request, notebookPath] { runJob(request, notebookPath); });
}

void RunWorker::flushPending(bool force)
{
    if (!force && sinceLastEmit_.isValid() && sinceLastEmit_.elapsed() < kMinEmitIntervalMs)
        return;
    if (pendingSteps_.isEmpty() && !(force && hasPendingProgress_))
        return;
    // Progress first: the UI's status line is never behind the steps it shows.
    if (hasPendingProgress_) {
        emit progress(static_cast<int>(pendingProgress_.done), static_cast<int>(pendingProgress_.total),
                      pendingProgress_.etaSeconds);
        hasPendingProgress_ = false;
    }
    if (!pendingSteps_.isEmpty()) {
        if (runner_)
            runner_->commitSteps(); // the run page reads back what it is told about
        const QList<StepUpdate> steps = std::exchange(pendingSteps_, {});
        emit stepFinished(steps);
    }
    sinceLastEmit_.start();
}

void RunWorker::runJob(const ExperimentRequest& request, const QString& notebookPath)
{
    beginJob();
    pendingSteps_.clear();
    hasPendingProgress_ = false;
    sinceLastEmit_.invalidate();

    RunCallbacks callbacks;
    callbacks.cancel = cancelFlag();
    callbacks.onRunCreated = [this](int64_t runId) { emit started(runId); };
    callbacks.onStep = [this](int64_t runId, const StepRecord& step) {
        StepUpdate update;
        update.runId = runId;
        update.step = static_cast<int>(step.step);
        update.elapsedMs = step.elapsedMs;
        for (size_t m = 0; m < step.tokenIds.size(); ++m) {
            update.tokenIds.append(step.tokenIds[m]);
            update.probabilities.append(step.probabilities[m]);
        }
        pendingSteps_.append(update);
    };
    callbacks.onProgress = [this](const Progress& value) {
        // The recorder reports a step's progress right after the step itself, so the batch goes
        // out here, with both: a receiver that sees N steps has already seen progress >= N.
        pendingProgress_ = value;
        hasPendingProgress_ = true;
        flushPending(false);
    };

    try {
        // The runner loads through cache_ here, on the worker thread (a model loaded for the same
        // folder, device and dtype is reused), and records a failed load as a failed run.
        notebook::Notebook notebook(notebookPath.toStdString());
        ExperimentRunner runner(notebook, cache_);
        runner_ = &runner;
        ExperimentResult result;
        try {
            result = runner.run(request, callbacks);
        } catch (...) {
            runner_ = nullptr;
            throw;
        }
        runner_ = nullptr;
        flushPending(true);
        if (result.status == notebook::RunStatus::Cancelled) {
            emit cancelled();
            return;
        }
        const qint64 id = result.groupId ? *result.groupId : (result.runIds.empty() ? 0 : result.runIds.front());
        emit finished(id);
    } catch (const std::exception& error) {
        flushPending(true);
        emit failed(QString::fromStdString(error.what()));
    } catch (...) {
        flushPending(true);
        emit failed(QStringLiteral("the run stopped on an unknown error"));
    }
}

} // namespace tempo
