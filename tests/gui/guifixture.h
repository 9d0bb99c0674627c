#pragma once
// Shared set-up of the GUI tests: settings and data folders in a temporary directory (a test
// never reads or writes the user's settings or default notebook), the compiled-in icons and
// styles, and the model runs use: the bundled model when this build has one, else a generated
// tiny "peaked" model (multi-member sets) published through TEMPO_LAB_MODEL, which is where the
// window's model picker looks for its default model.

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTimer>

#include <QSemaphore>

#include <atomic>
#include <ctime>
#include <memory>

#include "app/runworker.h"
#include "core/testmodel/testmodel.h"
#include "gui/widgets/modelfolders.h"
#include "gui/widgets/theme.h"

namespace tempo::gui::test {

struct GuiFixture {
    QTemporaryDir dir;
    QString modelFolder;
    bool bundled = false;

    // Call first in initTestCase, before any window or settings object exists.
    void setUp()
    {
        qputenv("XDG_CONFIG_HOME", QDir(dir.path()).filePath("config").toUtf8());
        qputenv("XDG_DATA_HOME", QDir(dir.path()).filePath("data").toUtf8());
        qputenv("HF_HUB_CACHE", QDir(dir.path()).filePath("hf-hub").toUtf8()); // no stray cache models
        tempo::gui::initGuiResources();
        modelFolder = bundledModelFolderOrEmpty();
        bundled = !modelFolder.isEmpty() && qEnvironmentVariableIsEmpty("TEMPO_LAB_MODEL");
        if (modelFolder.isEmpty()) {
            modelFolder = QDir(dir.path()).filePath("peaked-model");
            TestModelSpec spec;
            spec.peaked = true;
            writeTestModel(modelFolder.toStdString(), spec);
            qputenv("TEMPO_LAB_MODEL", modelFolder.toUtf8());
        }
        qInfo("model under test: %s (%s)", qPrintable(modelFolder), bundled ? "bundled" : "generated peaked tiny model");
    }

    QString notebookPath(const QString& name) const { return QDir(dir.path()).filePath(name + ".sqlite"); }
};

// CPU time the calling thread has used, in ms (what the UI thread itself did, whatever the other
// processes on a shared machine take).
inline double threadCpuMs()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

// Ticks every 10 ms on the UI thread and records the longest gap between two ticks, in wall time
// and in UI-thread CPU time. A long wall gap with little CPU means the UI thread was waiting for
// a core (other processes); a long CPU gap means the UI thread itself was busy (blocking work).
class UiResponsiveness : public QObject {
public:
    UiResponsiveness()
    {
        timer_.setInterval(10);
        timer_.setTimerType(Qt::PreciseTimer);
        QObject::connect(&timer_, &QTimer::timeout, this, [this] { tick(); });
    }
    void start()
    {
        worstWallMs = worstCpuMs = 0;
        ticks = 0;
        clock_.start();
        lastWall_ = 0;
        lastCpu_ = threadCpuMs();
        timer_.start();
    }
    void stop() { timer_.stop(); tick(); }

    double worstWallMs = 0;
    double worstCpuMs = 0;
    int ticks = 0;

private:
    void tick()
    {
        const double wall = clock_.nsecsElapsed() / 1e6;
        const double cpu = threadCpuMs();
        worstWallMs = std::max(worstWallMs, wall - lastWall_);
        worstCpuMs = std::max(worstCpuMs, cpu - lastCpu_);
        lastWall_ = wall;
        lastCpu_ = cpu;
        ++ticks;
    }
    QTimer timer_;
    QElapsedTimer clock_;
    double lastWall_ = 0;
    double lastCpu_ = 0;
};

// Holds the worker thread inside its stepFinished emission once `steps` steps have been sent,
// until open() (or the gate's end), so a test can act on a run that is certainly still going,
// however quickly the model steps and however long the UI thread waits for a core. Receivers
// connected before the gate (the window's queued slots) have their steps posted by then.
class WorkerGate {
public:
    WorkerGate(tempo::RunWorker& worker, int steps) : state_(std::make_shared<State>())
    {
        // The lambda owns the state: the worker may still be leaving acquire() when the gate is gone.
        connection_ = QObject::connect(
            &worker, &tempo::RunWorker::stepFinished, &worker,
            [state = state_, steps](const QList<tempo::StepUpdate>& batch) {
                state->sent += int(batch.size());
                if (state->sent >= steps && !state->held) {
                    state->held = true;
                    state->semaphore.acquire();
                }
            },
            Qt::DirectConnection);
    }
    ~WorkerGate()
    {
        QObject::disconnect(connection_);
        open();
    }
    WorkerGate(const WorkerGate&) = delete;
    WorkerGate& operator=(const WorkerGate&) = delete;

    void open()
    {
        if (!opened_.exchange(true))
            state_->semaphore.release();
    }

private:
    struct State {
        QSemaphore semaphore;
        int sent = 0;      // worker thread only
        bool held = false; // worker thread only
    };
    std::shared_ptr<State> state_;
    QMetaObject::Connection connection_;
    std::atomic<bool> opened_{false};
};

} // namespace tempo::gui::test
