// WorkerThread, the thread-and-cancel base of RunWorker and SweepWorker: jobs run on the worker's
// own thread, in the order they were posted; cancel() reaches a running job; the next job starts
// with the flag cleared; destroying a worker mid-job cancels the job and joins the thread.

#include <QSignalSpy>
#include <QThread>
#include <QtTest>

#include <thread>

#include "app/workerthread.h"

namespace {

// A job that reports where it runs, then spins until it is cancelled (or returns at once).
class ProbeWorker : public tempo::WorkerThread {
    Q_OBJECT
public:
    ProbeWorker() : WorkerThread(QStringLiteral("ProbeWorker")) {}
    ~ProbeWorker() override { stopThread(); }

    void run(int id, bool untilCancelled)
    {
        post([this, id, untilCancelled] {
            beginJob();
            emit jobStarted(id, QThread::currentThread()->objectName(), cancelFlag()->load());
            while (untilCancelled && !cancelFlag()->load())
                std::this_thread::yield();
            emit jobEnded(id, cancelFlag()->load());
        });
    }

signals:
    void jobStarted(int id, const QString& threadName, bool cancelledAtStart);
    void jobEnded(int id, bool cancelled);
};

} // namespace

class WorkerThreadTest : public QObject {
    Q_OBJECT
private slots:
    void jobsRunOnTheWorkerThreadInOrder()
    {
        ProbeWorker worker;
        QSignalSpy started(&worker, &ProbeWorker::jobStarted);
        QSignalSpy ended(&worker, &ProbeWorker::jobEnded);
        worker.run(1, false);
        worker.run(2, false);
        QTRY_COMPARE(ended.count(), 2);
        QCOMPARE(started.at(0).at(0).toInt(), 1);
        QCOMPARE(started.at(1).at(0).toInt(), 2);
        QCOMPARE(started.at(0).at(1).toString(), QStringLiteral("ProbeWorker"));
        QVERIFY(QThread::currentThread()->objectName() != QStringLiteral("ProbeWorker"));
    }

    void cancelStopsTheRunningJobAndTheNextStartsClear()
    {
        ProbeWorker worker;
        QSignalSpy started(&worker, &ProbeWorker::jobStarted);
        QSignalSpy ended(&worker, &ProbeWorker::jobEnded);
        worker.run(1, true);
        QTRY_COMPARE(started.count(), 1); // QTRY: the job may start before a wait() begins
        worker.cancel();
        QTRY_COMPARE(ended.count(), 1);
        QCOMPARE(ended.at(0).at(1).toBool(), true);

        worker.run(2, false); // the flag left by the cancel is cleared when the next job begins
        QTRY_COMPARE(ended.count(), 2);
        QCOMPARE(started.at(1).at(2).toBool(), false);
        QCOMPARE(ended.at(1).at(1).toBool(), false);
    }

    void destroyingMidJobCancelsAndJoins()
    {
        auto worker = std::make_unique<ProbeWorker>();
        QSignalSpy started(worker.get(), &ProbeWorker::jobStarted);
        QSignalSpy ended(worker.get(), &ProbeWorker::jobEnded);
        worker->run(1, true);
        QTRY_COMPARE(started.count(), 1); // QTRY: the job may start before a wait() begins
        worker.reset(); // returns only once the spinning job has seen the cancel and the thread ended
        QCOMPARE(ended.count(), 1); // emitted on the worker thread, directly into the spy
        QCOMPARE(ended.at(0).at(1).toBool(), true);
    }
};

QTEST_GUILESS_MAIN(WorkerThreadTest)
#include "workerthread_test.moc"
