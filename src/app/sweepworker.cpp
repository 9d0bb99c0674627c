#include "app/sweepworker.h"

#include <exception>

#include <QByteArray>
#include <QFile>

#include "core/common/errors.h"
#include "core/experiment/sweep.h"
#include "core/notebook/notebook.h"

// The shipped prompt suite, resources/suites/default.jsonl, compiled into tempo_app through
// resources/app.qrc so a sweep runs on a fresh machine with nothing but the executable.
// Q_INIT_RESOURCE must be called outside any namespace; registering twice is harmless.
static void registerAppResources()
{
    Q_INIT_RESOURCE(app);
}

namespace tempo {

const char* defaultSuiteText()
{
    static const QByteArray text = [] {
        registerAppResources();
        QFile file(QStringLiteral(":/suites/default.jsonl"));
        // A missing resource is a build defect; an empty suite then fails parseSuite with its name.
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }();
    return text.constData();
}

SweepWorker::SweepWorker() : WorkerThread(QStringLiteral("SweepWorker")) {}

SweepWorker::~SweepWorker() { stopThread(); } // before running_ goes: a running sweep still sets it

void SweepWorker::start(const SweepLaunch& launch, const QString& notebookPath)
{
    running_ = true;
    post([this, launch, notebookPath] { runSweep(launch, notebookPath); });
}

void SweepWorker::runSweep(const SweepLaunch& launch, const QString& notebookPath)
{
    beginJob();
    running_ = true;
    emit started();
    try {
        notebook::Notebook notebook(notebookPath.toStdString());
        SweepRequest request;
        request.preset = findPreset(launch.presetId.toStdString(), &notebook.presets());
        if (launch.maxSteps > 0)
            request.preset.preset.maxSteps = launch.maxSteps;
        request.modelFolder = launch.modelFolder.toStdString();
        request.options.device = ComputeOptions::parseDevice(launch.device.toStdString());
        request.options.dtype = ComputeOptions::parseDtype(launch.dtype.toStdString());
        request.options.threads = launch.threads;
        request.suite = parseSuite(launch.suiteText.toStdString(), launch.suiteSource.toStdString());
        request.thresholds.assign(launch.thresholds.begin(), launch.thresholds.end());

        SweepCallbacks callbacks;
        callbacks.run.cancel = cancelFlag();
        callbacks.onPointFinished = [this](int64_t done, int64_t points, double eta) {
            emit pointFinished(done, points, eta);
        };
        SweepRunner runner(notebook);
        const SweepResult result = runner.run(request, callbacks);
        running_ = false;
        emit finished(result.sweepId, result.cancelled);
    } catch (const std::exception& error) {
        running_ = false;
        emit failed(QString::fromUtf8(error.what()));
    }
}

} // namespace tempo
