#pragma once
// StudyWorker: runs a study (tempo::StudyRunner: presets 1a..5 and the artifact control, each a
// sweep over a prompt suite times a list of thresholds) or resumes a stored one, on its own thread
// (WorkerThread, shared with RunWorker and SweepWorker), so no model load, suite parse or forward
// runs on the UI thread. The worker opens its own Notebook connection on its thread.
//
// Lifetime as the other workers: the constructor starts the thread; the destructor cancels a running
// study (within one forward pass), quits the thread and waits. Signals are emitted on the worker
// thread (queued to UI receivers). Exceptions stop at the thread edge as failed(message), in the
// thrower's words (a bad suite line names its number, a bad threshold its value).
//
// Progress is throttled like RunWorker's: at most one update every kMinEmitIntervalMs, except that
// every finished point is always sent, so a receiver sees each points-done value.

#include <atomic>
#include <optional>

#include <QElapsedTimer>
#include <QList>
#include <QString>
#include <QStringList>

#include "app/workerthread.h"

namespace tempo {

struct StudyProgress;

struct StudyLaunch {
    QString modelFolder;
    QString suiteText;        // JSON lines {"family": ..., "prompt": ..., "steps": N} (shippedsuites.h: the shipped ones)
    QString suiteName;        // stored with the study and used in error messages ("default.jsonl", a path)
    QList<double> thresholds; // empty: the study's default thresholds
    QStringList presets;      // empty: the study's default presets (1a, 1b, 2, 3, 4, 5)
    int steps = 0;            // > 0: every prompt decodes this many steps; 0: the suite's / preset's
    bool control = true;      // run the artifact control sweep of preset 2
    int threads = 0;          // 0: every core
    QString device = "cpu";
    QString dtype = "f32";
};

class StudyWorker : public WorkerThread {
    Q_OBJECT
public:
    StudyWorker();
    ~StudyWorker() override;

    // Thread-safe; queue the study on the worker thread (a new one, or a stored one continued,
    // reusing every finished run).
    void start(const StudyLaunch& launch, const QString& notebookPath);
    void resume(qint64 studyId, const QString& notebookPath);
    // cancel() (WorkerThread), thread-safe: stops within one forward pass; finished runs are kept
    // and the study can be resumed.
    bool isRunning() const { return running_.load(); }

    static constexpr int kMinEmitIntervalMs = 50;

signals:
    void started(qint64 studyId); // the study row exists (a resume: at once)
    // Points done of the whole study (reused ones included), the running sweep (0-based) and its
    // preset, whether it is the artifact control, the current run's forwards, and an ETA for the
    // whole study in seconds (negative while unknown).
    void progress(qint64 pointsDone, qint64 points, qint64 sweepIndex, qint64 sweeps, const QString& presetId,
                  bool control, qint64 runDone, qint64 runTotal, double etaSeconds);
    // status: "finished", "cancelled" or "partial" (the study's stored status).
    void finished(qint64 studyId, const QString& status, qint64 pointsRun, qint64 pointsReused);
    void failed(qint64 studyId, const QString& message); // studyId 0: refused before it was stored

private:
    void runStudy(const std::optional<StudyLaunch>& launch, qint64 resumeId, const QString& notebookPath);
    void report(const StudyProgress& progress);

    std::atomic<bool> running_{false};
    // Worker-thread state of the running study.
    QElapsedTimer sinceLastEmit_;
    qint64 lastPointsDone_ = -1;
};

} // namespace tempo
