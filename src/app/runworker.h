#pragma once
// RunWorker: runs one experiment preset (one run, or the group of two for mode "both") on its own
// QThread, so the UI thread never loads a model or runs a forward.
//
// The thread and the cancel flag come from WorkerThread (shared with SweepWorker): the constructor
// creates a QThread, moves the worker onto it and starts it; the destructor cancels a running job,
// quits the thread and waits for it. Signals are emitted on the worker thread, so receivers living
// on the UI thread get them queued.
//
// Step updates are batched: a step is emitted at once when the last emission is at least 33 ms old,
// otherwise it waits and goes out with the next emission (or the final flush before
// finished/cancelled/failed). That keeps the UI at <= ~30 updates a second however fast steps are.
// Progress goes out with each step batch, before the steps (the last value wins; the final value
// is always sent), so a receiver that has seen N steps has seen progress for at least N. The
// notebook commits a batch's steps right before it goes out (ExperimentRunner::commitSteps): a
// receiver reads back from the notebook every step it is told about.
//
// Exceptions stop at the thread edge: anything thrown by the loader, decoder or notebook becomes
// failed(message) with the thrower's words.

#include <QElapsedTimer>
#include <QList>
#include <QMetaType>
#include <QString>

#include "app/workerthread.h"
#include "core/experiment/experimentrunner.h"
#include "core/experiment/modelcache.h"

namespace tempo {

// One committed step as the UI needs it.
struct StepUpdate {
    qint64 runId = 0;
    int step = 0;
    QList<qint64> tokenIds;      // the parallel set fed at this step
    QList<double> probabilities; // same order as tokenIds
    double elapsedMs = 0.0;      // since the run started
};

class RunWorker : public WorkerThread {
    Q_OBJECT
public:
    // `cache` must outlive the worker (default: the process-wide cache shared with the CLI).
    // No parent: the worker moves itself to its thread, which a parented QObject cannot do.
    explicit RunWorker(ModelCache& cache = ModelCache::shared());
    ~RunWorker() override;

    // Queues a job on the worker thread: loads (or reuses) the model of request.modelFolder with
    // request.options, opens the notebook at `notebookPath` and runs request.preset.
    // Thread-safe; a job started while another runs waits for it.
    void start(const ExperimentRequest& request, const QString& notebookPath);

    // cancel() (WorkerThread), thread-safe: stops the running job between forwards; its run is left
    // `cancelled` with the steps it made. The flag is cleared when the next job starts.

    static constexpr int kMinEmitIntervalMs = 33; // ~30 UI updates a second

signals:
    void started(qint64 runId);
    void stepFinished(const QList<tempo::StepUpdate>& steps);
    void progress(int done, int total, double etaSeconds);
    void finished(qint64 runOrGroupId);
    void failed(const QString& message);
    void cancelled();

private:
    void runJob(const ExperimentRequest& request, const QString& notebookPath);
    void flushPending(bool force);

    ModelCache& cache_;

    // Worker-thread state of the running job.
    QList<StepUpdate> pendingSteps_;
    bool hasPendingProgress_ = false;
    Progress pendingProgress_;
    QElapsedTimer sinceLastEmit_;
    ExperimentRunner* runner_ = nullptr; // the running job's runner: commits steps before they are shown
};

} // namespace tempo

Q_DECLARE_METATYPE(tempo::StepUpdate)
