#pragma once
// The notebook window: the run history on the left, the pages on the right (Launch, Run,
// Compare, Report, Notes, Sweeps), the run's progress in the status bar (steps, ETA, Cancel).
// Runs happen on the context's RunWorker thread; this window only reacts to its signals.

#include <QList>
#include <QMainWindow>
#include <QMap>

#include "core/experiment/experimentrunner.h"

class QAction;
class QActionGroup;
class QLabel;
class QProgressBar;
class QPushButton;
class QSplitter;
class QStackedWidget;

namespace tempo::gui {

class HistorySidebar;
class LabContext;
class ComparePage;
class LaunchPage;
class NotesEditor;
class ReportPage;
class RunPage;
class SweepsPage;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class Page { Launch, Run, Compare, Report, Notes, Sweeps };

    explicit MainWindow(LabContext& context, QWidget* parent = nullptr);
    ~MainWindow() override;

    LabContext& context() { return context_; }
    HistorySidebar& history() { return *history_; }
    LaunchPage& launchPage() { return *launch_; }
    RunPage& runPage() { return *run_; }
    ComparePage& comparePage() { return *compare_; }
    ReportPage& reportPage() { return *report_; }
    NotesEditor& notesPage() { return *notes_; }
    QWidget* page(Page page) const;
    void showPage(Page page);
    Page currentPage() const;
    bool isRunning() const { return running_; }
    QProgressBar& progressBar() { return *progress_; }
    QPushButton& cancelButton() { return *cancel_; }
    QString progressText() const;
    QString notebookSummaryText() const; // "Notebook F · N runs" at the left of the status bar

    // The checks of a finished job in the status line: "every check passed", "2 checks failed", or,
    // when some did not apply, "every applicable check passed, 1 not applicable".
    static QString checksOutcomeText(const std::vector<notebook::CheckRecord>& checks);

    // Saves a PNG of every page (and the settings dialog) into `folder`; returns the files written.
    QStringList saveScreenshots(const QString& folder);

public slots:
    void startRun(const tempo::ExperimentRequest& request);
    void cancelRun();
    void openRun(qint64 runId);
    void openGroup(qint64 groupId);
    void compareRuns(qint64 runA, qint64 runB);
    void openSweep(qint64 sweepId);
    void openStudyReport(qint64 studyId); // the Report page shows the study's findings report
    void openSettings();
    void exportReport();

signals:
    // After the window has shown the outcome (history refreshed, run page loaded).
    void runFinished(qint64 runId);
    void runCancelled(qint64 runId);
    void runFailed(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildNavigation();
    void buildMenus();
    void buildStatusBar();
    void applyShortcuts();
    void setRunning(bool running);
    void onStarted(qint64 runId);
    void onProgress(int done, int total, double etaSeconds);
    void onFinished(qint64 runOrGroupId);
    void onCancelled();
    void onFailed(const QString& message);
    void selectedRunsChanged(const QList<qint64>& runIds);
    // Shows `runId` on the Run, Notes and Report pages (the live run's page keeps growing on its
    // own); `switchPage` goes to the Run page from pages that show something else.
    void followRun(qint64 runId, bool switchPage);
    void updateNotebookSummary();

    LabContext& context_;
    HistorySidebar* history_;
    QSplitter* splitter_;
    QStackedWidget* stack_;
    LaunchPage* launch_;
    RunPage* run_;
    ComparePage* compare_;
    ReportPage* report_;
    NotesEditor* notes_;
    SweepsPage* sweeps_;
    QMap<Page, QWidget*> pages_;
    QMap<Page, QAction*> pageActions_;
    QActionGroup* navigation_;
    QMap<QString, QAction*> shortcutActions_; // run, cancel, search, export
    QLabel* notebookSummary_;
    QLabel* progressLabel_;
    QProgressBar* progress_;
    QPushButton* cancel_;

    bool running_ = false;
    tempo::ExperimentRequest request_;
    QList<qint64> jobRunIds_; // runs the current job created, in order
    qint64 followedRunId_ = 0; // the run the Notes and Report pages show
    qint64 newestBeforeJob_ = 0; // the newest run id when the job started: a failed job's row is newer
};

} // namespace tempo::gui
