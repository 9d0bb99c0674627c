// RunWorker through its signals only, on a peaked tiny model written into a temporary folder and a
// temporary notebook. The worker emits on its own thread; every test records the signals as the
// main thread receives them (queued, in emission order) and waits with QTRY_ for the signal it
// asserts on, so nothing depends on whether the worker is quicker than this thread.

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include "app/runworker.h"
#include "core/experiment/presetcatalog.h"
#include "core/notebook/notebook.h"
#include "core/testmodel/testmodel.h"

using namespace tempo;

namespace {
constexpr int kWaitMs = 120000; // a generous ceiling for a slow shared machine; runs take < 1 s

// The signals of one job in the order the UI thread received them.
struct SignalLog {
    QStringList order;
    QList<qint64> startedIds;
    QList<StepUpdate> steps;
    int stepEmissions = 0;
    QList<int> progressDone;
    QList<qint64> finishedIds;
    QStringList failures;
    int cancellations = 0;
    int stepsAheadOfProgress = 0; // step batches that arrived before the progress covering them
    // The job has ended: finished, failed or cancelled has arrived (after everything it emitted).
    int ends() const { return int(finishedIds.size() + failures.size()) + cancellations; }
};
} // namespace

class RunWorkerTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void signalsInOrderAndBatched_data();
    void signalsInOrderAndBatched();
    void cancelMidRunKeepsSteps();
    void corruptModelFailsWithLoaderMessage();
    void secondRunReusesLoadedModel();

private:
    ExperimentRequest request(const QString& presetId, int64_t steps) const;
    void connectLog(RunWorker& worker, SignalLog& log);

    QTemporaryDir dir_;
    QString modelFolder_;
};

void RunWorkerTest::initTestCase()
{
    QVERIFY(dir_.isValid());
    modelFolder_ = dir_.filePath("peaked");
    TestModelSpec spec;
    spec.peaked = true;
    writeTestModel(modelFolder_.toStdString(), spec);
}

ExperimentRequest RunWorkerTest::request(const QString& presetId, int64_t steps) const
{
    CatalogEntry entry{*shippedPreset(presetId.toStdString()), true};
    entry.preset.maxSteps = steps;
    entry.preset.stopAtEos = false; // every run makes exactly `steps` steps
    ComputeOptions options;
    options.threads = 1;
    return ExperimentRequest{entry, modelFolder_.toStdString(), options};
}

void RunWorkerTest::connectLog(RunWorker& worker, SignalLog& log)
{
    // Receivers live on this (the main) thread: queued connections, delivered in emission order.
    connect(&worker, &RunWorker::started, this, [&log](qint64 runId) {
        log.order << "started";
        log.startedIds << runId;
    });
    connect(&worker, &RunWorker::stepFinished, this, [&log](const QList<StepUpdate>& steps) {
        log.order << "step";
        log.steps += steps;
        ++log.stepEmissions;
        if (log.progressDone.isEmpty() || log.progressDone.last() < log.steps.size())
            ++log.stepsAheadOfProgress;
    });
    connect(&worker, &RunWorker::progress, this,
            [&log](int done, int, double) { log.progressDone << done; });
    connect(&worker, &RunWorker::finished, this, [&log](qint64 id) {
        log.order << "finished";
        log.finishedIds << id;
    });
    connect(&worker, &RunWorker::failed, this, [&log](const QString& message) {
        log.order << "failed";
        log.failures << message;
    });
    connect(&worker, &RunWorker::cancelled, this, [&log]() {
        log.order << "cancelled";
        ++log.cancellations;
    });
}

void RunWorkerTest::signalsInOrderAndBatched_data()
{
    QTest::addColumn<QString>("presetId");
    QTest::addColumn<int>("steps");
    QTest::addColumn<int>("runs");
    QTest::newRow("single run (preset 4)") << "4" << 12 << 1;
    QTest::newRow("both modes (preset 2)") << "2" << 6 << 2;
}

void RunWorkerTest::signalsInOrderAndBatched()
{
    QFETCH(QString, presetId);
    QFETCH(int, steps);
    QFETCH(int, runs);
    const QString notebookPath = dir_.filePath("order-" + presetId + ".sqlite");
    ModelCache cache;
    RunWorker worker(cache);
    SignalLog log;
    connectLog(worker, log);

    worker.start(request(presetId, steps), notebookPath);
    QTRY_VERIFY_WITH_TIMEOUT(log.ends() > 0, kWaitMs);
    QVERIFY2(log.failures.isEmpty(), qPrintable(log.failures.join("; ")));
    QCOMPARE(log.finishedIds.size(), 1);
    QCOMPARE(log.startedIds.size(), runs);

    // Order: started first, finished last, once.
    QVERIFY(!log.order.isEmpty());
    QCOMPARE(log.order.first(), QString("started"));
    QCOMPARE(log.order.last(), QString("finished"));
    QCOMPARE(log.order.count("finished"), 1);

    // Batching: never more emissions than steps, and the lists cover every step of every run
    // exactly once, in order (steps numbered from the notebook, independently of the signals).
    const int totalSteps = steps * runs;
    QVERIFY2(log.stepEmissions <= totalSteps, qPrintable(QString::number(log.stepEmissions)));
    QCOMPARE(log.steps.size(), totalSteps);
    notebook::Notebook notebook(notebookPath.toStdString(), notebook::OpenMode::ReadOnly);
    const QList<qint64> runIds = log.startedIds;
    int index = 0;
    for (const qint64 runId : runIds) {
        const std::vector<notebook::StepRecord> stored = notebook.steps().ofRun(runId);
        QCOMPARE(static_cast<int>(stored.size()), steps);
        for (const notebook::StepRecord& record : stored) {
            QCOMPARE(log.steps[index].runId, runId);
            QCOMPARE(log.steps[index].step, record.step);
            QCOMPARE(log.steps[index].tokenIds.size(), static_cast<int>(record.tokenIds.size()));
            ++index;
        }
    }

    // The status line is never behind the steps shown: progress for a batch arrives before it.
    QCOMPARE(log.stepsAheadOfProgress, 0);

    // Progress never goes back.
    QVERIFY(!log.progressDone.isEmpty());
    for (int i = 1; i < log.progressDone.size(); ++i)
        QVERIFY(log.progressDone[i] >= log.progressDone[i - 1]);

    // finished carries the run id for one run, the group id (not a run id) for "both".
    const qint64 finishedId = log.finishedIds.first();
    if (runs == 1)
        QCOMPARE(finishedId, runIds.first());
    else
        for (const qint64 runId : runIds) // the group the notebook lists for each of its runs
            QVERIFY(notebook.groups().ofRun(runId) == std::vector<std::int64_t>{finishedId});
}

void RunWorkerTest::cancelMidRunKeepsSteps()
{
    const QString notebookPath = dir_.filePath("cancel.sqlite");
    ModelCache cache;
    RunWorker worker(cache);
    SignalLog log;
    connectLog(worker, log);
    // Cancel as soon as the first step arrives (direct: on the worker thread, before the next
    // forward), so the test does not race a tiny model that finishes 40 steps in milliseconds.
    connect(&worker, &RunWorker::stepFinished, &worker, [&worker] { worker.cancel(); }, Qt::DirectConnection);

    worker.start(request("4", 40), notebookPath);
    QTRY_VERIFY_WITH_TIMEOUT(log.ends() > 0, kWaitMs);
    QCOMPARE(log.cancellations, 1);
    QCOMPARE(log.finishedIds.size(), 0);
    QCOMPARE(log.startedIds.size(), 1);
    const qint64 runId = log.startedIds.first();

    notebook::Notebook notebook(notebookPath.toStdString(), notebook::OpenMode::ReadOnly);
    const auto run = notebook.runs().find(runId);
    QVERIFY(run.has_value());
    QCOMPARE(QString::fromStdString(notebook::toString(run->status)), QString("cancelled"));
    const auto stored = notebook.steps().ofRun(runId);
    QVERIFY(!stored.empty());
    QVERIFY2(stored.size() < 40, qPrintable(QString::number(stored.size())));
    QCOMPARE(log.steps.size(), static_cast<int>(stored.size()));
}

void RunWorkerTest::corruptModelFailsWithLoaderMessage()
{
    QTemporaryDir corruptDir;
    QVERIFY(corruptDir.isValid());
    TestModelSpec spec;
    spec.peaked = true;
    writeTestModel(corruptDir.path().toStdString(), spec);
    QFile weights(corruptDir.filePath("model.safetensors"));
    QVERIFY(weights.resize(weights.size() / 2)); // truncated: tensors run past the end of the file

    ModelCache cache;
    RunWorker worker(cache);
    SignalLog log;
    connectLog(worker, log);
    ExperimentRequest truncated = request("4", 3);
    truncated.modelFolder = corruptDir.path().toStdString();
    worker.start(truncated, dir_.filePath("corrupt.sqlite"));
    QTRY_VERIFY_WITH_TIMEOUT(log.ends() > 0, kWaitMs);
    QCOMPARE(log.finishedIds.size(), 0);
    QCOMPARE(log.failures.size(), 1);
    const QString message = log.failures.first();
    qInfo("loader message: %s", qPrintable(message));
    QVERIFY2(message.contains("model.safetensors"), qPrintable(message));
    QVERIFY2(message.contains("expected", Qt::CaseInsensitive), qPrintable(message));
    QVERIFY2(message.contains("truncated"), qPrintable(message));
}

void RunWorkerTest::secondRunReusesLoadedModel()
{
    ModelCache cache;
    RunWorker worker(cache);
    SignalLog log;
    connectLog(worker, log);
    worker.start(request("4", 2), dir_.filePath("reuse.sqlite"));
    QTRY_VERIFY_WITH_TIMEOUT(log.ends() > 0, kWaitMs);
    QCOMPARE(log.finishedIds.size(), 1);
    QCOMPARE(cache.loads(), std::size_t(1));
    worker.start(request("4", 2), dir_.filePath("reuse.sqlite"));
    QTRY_VERIFY_WITH_TIMEOUT(log.ends() > 1, kWaitMs);
    QCOMPARE(log.finishedIds.size(), 2);
    QCOMPARE(cache.loads(), std::size_t(1)); // same folder, device and dtype: no second load
}

QTEST_GUILESS_MAIN(RunWorkerTest)
#include "runworker_test.moc"
