// RunWorker through its signals only (QSignalSpy), on a peaked tiny model written into a temporary
// folder and a temporary notebook; the main thread never blocks (QSignalSpy::wait / QTRY_).

#include <QFile>
#include <QSignalSpy>
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
    QList<StepUpdate> steps;
    int stepEmissions = 0;
    QList<int> progressDone;
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
    connect(&worker, &RunWorker::started, this, [&log](qint64) { log.order << "started"; });
    connect(&worker, &RunWorker::stepFinished, this, [&log](const QList<StepUpdate>& steps) {
        log.order << "step";
        log.steps += steps;
        ++log.stepEmissions;
    });
    connect(&worker, &RunWorker::progress, this,
            [&log](int done, int, double) { log.progressDone << done; });
    connect(&worker, &RunWorker::finished, this, [&log](qint64) { log.order << "finished"; });
    connect(&worker, &RunWorker::failed, this, [&log](const QString&) { log.order << "failed"; });
    connect(&worker, &RunWorker::cancelled, this, [&log]() { log.order << "cancelled"; });
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
    QSignalSpy startedSpy(&worker, &RunWorker::started);
    QSignalSpy finishedSpy(&worker, &RunWorker::finished);
    QSignalSpy failedSpy(&worker, &RunWorker::failed);

    worker.start(request(presetId, steps), notebookPath);
    QVERIFY(finishedSpy.wait(kWaitMs));
    QCOMPARE(failedSpy.count(), 0);
    QCOMPARE(startedSpy.count(), runs);

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
    QList<qint64> runIds;
    for (const QList<QVariant>& args : startedSpy)
        runIds << args.at(0).toLongLong();
    int index = 0;
    for (const qint64 runId : runIds) {
        const std::vector<notebook::StepRecord> stored = notebook.steps(runId);
        QCOMPARE(static_cast<int>(stored.size()), steps);
        for (const notebook::StepRecord& record : stored) {
            QCOMPARE(log.steps[index].runId, runId);
            QCOMPARE(log.steps[index].step, record.step);
            QCOMPARE(log.steps[index].tokenIds.size(), static_cast<int>(record.tokenIds.size()));
            ++index;
        }
    }

    // Progress never goes back.
    QVERIFY(!log.progressDone.isEmpty());
    for (int i = 1; i < log.progressDone.size(); ++i)
        QVERIFY(log.progressDone[i] >= log.progressDone[i - 1]);

    // finished carries the run id for one run, the group id (not a run id) for "both".
    const qint64 finishedId = finishedSpy.first().at(0).toLongLong();
    if (runs == 1)
        QCOMPARE(finishedId, runIds.first());
    else
        for (const qint64 runId : runIds) // the group the notebook lists for each of its runs
            QVERIFY(notebook.groupsOfRun(runId) == std::vector<std::int64_t>{finishedId});
}

void RunWorkerTest::cancelMidRunKeepsSteps()
{
    const QString notebookPath = dir_.filePath("cancel.sqlite");
    ModelCache cache;
    RunWorker worker(cache);
    QSignalSpy startedSpy(&worker, &RunWorker::started);
    QSignalSpy cancelledSpy(&worker, &RunWorker::cancelled);
    QSignalSpy finishedSpy(&worker, &RunWorker::finished);
    QSignalSpy stepSpy(&worker, &RunWorker::stepFinished);
    // Cancel as soon as the first step arrives (direct: on the worker thread, before the next
    // forward), so the test does not race a tiny model that finishes 40 steps in milliseconds.
    connect(&worker, &RunWorker::stepFinished, &worker, [&worker] { worker.cancel(); }, Qt::DirectConnection);

    worker.start(request("4", 40), notebookPath);
    QVERIFY(cancelledSpy.wait(kWaitMs));
    QCOMPARE(finishedSpy.count(), 0);
    QCOMPARE(startedSpy.count(), 1);
    const qint64 runId = startedSpy.first().at(0).toLongLong();

    notebook::Notebook notebook(notebookPath.toStdString(), notebook::OpenMode::ReadOnly);
    const auto run = notebook.run(runId);
    QVERIFY(run.has_value());
    QCOMPARE(QString::fromStdString(notebook::toString(run->status)), QString("cancelled"));
    const auto stored = notebook.steps(runId);
    QVERIFY(!stored.empty());
    QVERIFY2(stored.size() < 40, qPrintable(QString::number(stored.size())));
    int signalled = 0;
    for (const QList<QVariant>& args : stepSpy)
        signalled += args.at(0).value<QList<StepUpdate>>().size();
    QCOMPARE(signalled, static_cast<int>(stored.size()));
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
    QSignalSpy failedSpy(&worker, &RunWorker::failed);
    QSignalSpy finishedSpy(&worker, &RunWorker::finished);
    ExperimentRequest truncated = request("4", 3);
    truncated.modelFolder = corruptDir.path().toStdString();
    worker.start(truncated, dir_.filePath("corrupt.sqlite"));
    QVERIFY(failedSpy.wait(kWaitMs));
    QCOMPARE(finishedSpy.count(), 0);
    const QString message = failedSpy.first().at(0).toString();
    qInfo("loader message: %s", qPrintable(message));
    QVERIFY2(message.contains("model.safetensors"), qPrintable(message));
    QVERIFY2(message.contains("expected", Qt::CaseInsensitive), qPrintable(message));
    QVERIFY2(message.contains("truncated"), qPrintable(message));
}

void RunWorkerTest::secondRunReusesLoadedModel()
{
    ModelCache cache;
    RunWorker worker(cache);
    QSignalSpy finishedSpy(&worker, &RunWorker::finished);
    worker.start(request("4", 2), dir_.filePath("reuse.sqlite"));
    QVERIFY(finishedSpy.wait(kWaitMs));
    QCOMPARE(cache.loads(), std::size_t(1));
    worker.start(request("4", 2), dir_.filePath("reuse.sqlite"));
    QTRY_COMPARE_WITH_TIMEOUT(finishedSpy.count(), 2, kWaitMs);
    QCOMPARE(cache.loads(), std::size_t(1)); // same folder, device and dtype: no second load
}

QTEST_GUILESS_MAIN(RunWorkerTest)
#include "runworker_test.moc"
