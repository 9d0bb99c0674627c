#include "app/studyworker.h"

#include <exception>

#include "core/experiment/study.h"
#include "core/experiment/sweep.h"
#include "core/notebook/notebook.h"

namespace tempo {

StudyWorker::StudyWorker() : WorkerThread(QStringLiteral("StudyWorker")) {}

StudyWorker::~StudyWorker() { stopThread(); } // before running_ goes: a running study still sets it

void StudyWorker::start(const StudyLaunch& launch, const QString& notebookPath)
{
    running_ = true;
    post([this, launch, notebookPath] { runStudy(launch, 0, notebookPath); });
}

void StudyWorker::resume(qint64 studyId, const QString& notebookPath)
{
    running_ = true;
    post([this, studyId, notebookPath] { runStudy(std::nullopt, studyId, notebookPath); });
}

void StudyWorker::report(const StudyProgress& p)
{
    const bool pointDone = p.pointsDone != lastPointsDone_;
    if (!pointDone && sinceLastEmit_.isValid() && sinceLastEmit_.elapsed() < kMinEmitIntervalMs)
        return;
    lastPointsDone_ = p.pointsDone;
    sinceLastEmit_.restart();
    emit progress(p.pointsDone, p.points, p.sweepIndex, p.sweeps, QString::fromStdString(p.presetId), p.control,
                  p.run.done, p.run.total, p.etaSeconds);
}

void StudyWorker::runStudy(const std::optional<StudyLaunch>& launch, qint64 resumeId, const QString& notebookPath)
{
    beginJob();
    running_ = true;
    lastPointsDone_ = -1;
    sinceLastEmit_.invalidate();
    qint64 studyId = resumeId;
    try {
        notebook::Notebook notebook(notebookPath.toStdString());
        StudyCallbacks callbacks;
        callbacks.cancel = cancelFlag();
        callbacks.onStudyCreated = [this, &studyId](int64_t id) {
            studyId = id;
            emit started(id);
        };
        callbacks.onProgress = [this](const StudyProgress& p) { report(p); };
        StudyRunner runner(notebook);
        StudyResult result;
        if (launch) {
            StudyRequest request;
            request.modelFolder = launch->modelFolder.toStdString();
            StudySpec& spec = request.spec;
            spec.suiteName = launch->suiteName.toStdString();
            // Parsed here, on the worker: a bad line is refused by number before anything is stored.
            for (const SuitePrompt& prompt : parseSuite(launch->suiteText.toStdString(), spec.suiteName))
                spec.prompts.push_back({prompt.category, prompt.prompt,
                                        prompt.steps > 0 ? std::optional<int64_t>(prompt.steps) : std::nullopt});
            if (!launch->thresholds.isEmpty())
                spec.thresholds.assign(launch->thresholds.begin(), launch->thresholds.end());
            if (!launch->presets.isEmpty()) {
                spec.presets.clear();
                for (const QString& id : launch->presets)
                    spec.presets.push_back(id.toStdString());
            }
            if (launch->steps > 0)
                spec.stepsOverride = launch->steps;
            spec.control = launch->control;
            spec.compute.device = launch->device.toStdString();
            spec.compute.dtype = launch->dtype.toStdString();
            spec.compute.threads = launch->threads;
            result = runner.run(request, callbacks);
        } else {
            result = runner.resume(resumeId, callbacks);
        }
        running_ = false;
        emit finished(result.studyId, QString::fromStdString(notebook::toString(result.status)), result.pointsRun,
                      result.pointsReused);
    } catch (const std::exception& error) {
        running_ = false;
        emit failed(studyId, QString::fromUtf8(error.what()));
    }
}

} // namespace tempo
