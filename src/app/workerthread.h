#pragma once
// WorkerThread: the thread-and-cancel base of the app's workers (RunWorker, SweepWorker). A worker
// is a QObject that lives on its own QThread, so the UI thread never loads a model or runs a
// forward; jobs are queued onto that thread and stop between forwards when cancel() is called.
//
// Lifetime: the constructor creates the thread, moves the worker onto it and starts it. A derived
// worker's destructor calls stopThread() first (cancel, quit, wait), so a running job has ended
// before the derived members it uses are destroyed; ~WorkerThread does the same as a safety net.
// Signals of derived workers are emitted on the worker thread (queued to UI receivers).

#include <atomic>
#include <utility>

#include <QObject>
#include <QString>
#include <QThread>

namespace tempo {

class WorkerThread : public QObject {
    Q_OBJECT
public:
    ~WorkerThread() override;

    // Thread-safe: asks the running job to stop between forwards. The flag is cleared when the
    // next job begins (beginJob()).
    void cancel();

protected:
    // No parent: the worker moves itself to its thread, which a parented QObject cannot do.
    // `threadName` names the thread in debuggers and crash reports.
    explicit WorkerThread(const QString& threadName);

    // Thread-safe: queues `job` (a callable) on the worker thread; a job posted while another runs
    // waits for it. The worker lives on its thread, so the queued call runs there whoever posts.
    template <typename Job>
    void post(Job&& job)
    {
        QMetaObject::invokeMethod(this, std::forward<Job>(job), Qt::QueuedConnection);
    }
    // Called on the worker thread at the start of a job: clears a cancel left from the last one.
    void beginJob() { cancelFlag_.store(false); }
    // The flag core loops poll (RunCallbacks::cancel).
    std::atomic<bool>* cancelFlag() { return &cancelFlag_; }
    // Cancels, quits the thread and waits for it. Idempotent.
    void stopThread();

private:
    QThread thread_;
    std::atomic<bool> cancelFlag_{false};
};

} // namespace tempo
