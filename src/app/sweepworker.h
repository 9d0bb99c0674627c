#pragma once
// SweepWorker: runs one sweep (tempo::SweepRunner: a preset over a prompt suite times a list of
// thresholds) on its own thread (WorkerThread, shared with RunWorker), so no model load or forward
// runs on the UI thread. The worker opens its own Notebook connection on its thread.
//
// Lifetime as RunWorker: the constructor starts the thread and moves the worker onto it; the
// destructor cancels a running sweep, quits the thread and waits. Signals are emitted on the
// worker thread (queued to UI receivers). Exceptions stop at the thread edge as failed(message).

#include <atomic>

#include <QList>
#include <QString>

#include "app/workerthread.h"

namespace tempo {

// The shipped prompt suite (resources/suites/default.jsonl), JSON lines.
const char* defaultSuiteText();

struct SweepLaunch {
    QString presetId = "1a";
    QString modelFolder;
    QString suiteText;   // JSON lines {"category": ..., "prompt": ...}
    QString suiteSource; // names the suite in error messages ("default suite", a file path)
    QList<double> thresholds;
    int maxSteps = 0;    // 0: the preset's
    int threads = 0;     // 0: every core
    QString device = "cpu";
    QString dtype = "f32";
};

class SweepWorker : public WorkerThread {
    Q_OBJECT
public:
    SweepWorker();
    ~SweepWorker() override;

    // Thread-safe; queues the sweep on the worker thread.
    void start(const SweepLaunch& launch, const QString& notebookPath);
    // cancel() (WorkerThread), thread-safe: stops between forwards; finished points are kept (the
    // sweep can be resumed).
    bool isRunning() const { return running_.load(); }

signals:
    void started();
    void pointFinished(qint64 pointsDone, qint64 points, double etaSeconds);
    void finished(qint64 sweepId, bool cancelled);
    void failed(const QString& message);

private:
    void runSweep(const SweepLaunch& launch, const QString& notebookPath);

    std::atomic<bool> running_{false};
};

} // namespace tempo
