#include "gui/pages/sweeps/sweepworker.h"

#include <exception>

#include "core/common/errors.h"
#include "core/experiment/sweep.h"
#include "core/notebook/notebook.h"

namespace tempo::gui {

SweepWorker::SweepWorker()
{
    thread_.setObjectName("SweepWorker");
    moveToThread(&thread_);
    thread_.start();
}

SweepWorker::~SweepWorker()
{
    cancel();
    thread_.quit();
    thread_.wait();
}

void SweepWorker::start(const SweepLaunch& launch, const QString& notebookPath)
{
    running_ = true;
    QMetaObject::invokeMethod(this, [this, launch, notebookPath] { runSweep(launch, notebookPath); }, Qt::QueuedConnection);
}

void SweepWorker::cancel() { cancelFlag_ = true; }

void SweepWorker::runSweep(const SweepLaunch& launch, const QString& notebookPath)
{
    cancelFlag_ = false;
    running_ = true;
    emit started();
    try {
        notebook::Notebook notebook(notebookPath.toStdString());
        SweepRequest request;
        request.preset = findPreset(launch.presetId.toStdString(), &notebook);
        if (launch.maxSteps > 0)
            request.preset.preset.maxSteps = launch.maxSteps;
        request.modelFolder = launch.modelFolder.toStdString();
        request.options.device = ComputeOptions::parseDevice(launch.device.toStdString());
        request.options.dtype = ComputeOptions::parseDtype(launch.dtype.toStdString());
        request.options.threads = launch.threads;
        request.suite = parseSuite(launch.suiteText.toStdString(), launch.suiteSource.toStdString());
        request.thresholds.assign(launch.thresholds.begin(), launch.thresholds.end());

        SweepCallbacks callbacks;
        callbacks.run.cancel = &cancelFlag_;
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

} // namespace tempo::gui
