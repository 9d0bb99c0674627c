#include "gui/shell/mainwindow.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include "core/notebook/notebook.h"
#include "gui/pages/launch/launchpage.h"
#include "gui/pages/launch/studypanel.h"
#include "gui/pages/run/runpage.h"
#include "gui/shell/historymodel.h"
#include "gui/shell/historysidebar.h"
#include "gui/shell/labcontext.h"
#include "gui/shell/labsettings.h"
#include "gui/shell/settingsdialog.h"
#include "gui/widgets/modelpicker.h"
#include "gui/widgets/presetcard.h"

#include "gui/pages/compare/comparepage.h"
#include "gui/pages/notes/noteseditor.h"
#include "gui/pages/report/reportpage.h"
#include "gui/pages/sweeps/sweepspage.h"

namespace tempo::gui {

namespace {
QString etaText(double seconds)
{
    if (seconds < 0)
        return QObject::tr("estimating time left");
    if (seconds < 1)
        return QObject::tr("under a second left");
    if (seconds < 90)
        return QObject::tr("about %1 s left").arg(qRound(seconds));
    return QObject::tr("about %1 min left").arg(qRound(seconds / 60.0));
}
} // namespace

MainWindow::MainWindow(LabContext& context, QWidget* parent) : QMainWindow(parent), context_(context)
{
    setWindowTitle(tr("TEMPO Lab"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/app.svg")));
    setMinimumSize(960, 600);

    splitter_ = new QSplitter(Qt::Horizontal, this);
    splitter_->setObjectName(QStringLiteral("mainSplitter"));
    splitter_->setChildrenCollapsible(false);
    history_ = new HistorySidebar(context_, splitter_);
    history_->setMinimumWidth(300);
    stack_ = new QStackedWidget(splitter_);
    splitter_->addWidget(history_);
    splitter_->addWidget(stack_);
    splitter_->setStretchFactor(0, 0);
    splitter_->setStretchFactor(1, 1);
    splitter_->setSizes({400, 880});
    setCentralWidget(splitter_);

    launch_ = new LaunchPage(context_, stack_);
    run_ = new RunPage(context_, stack_);
    pages_[Page::Launch] = launch_;
    pages_[Page::Run] = run_;
    compare_ = new ComparePage(context_, stack_);
    report_ = new ReportPage(context_, stack_);
    notes_ = new NotesEditor(context_, stack_);
    sweeps_ = new SweepsPage(context_, stack_);
    pages_[Page::Compare] = compare_;
    pages_[Page::Report] = report_;
    pages_[Page::Notes] = notes_;
    pages_[Page::Sweeps] = sweeps_;
    for (QWidget* widget : pages_)
        stack_->addWidget(widget);

    buildNavigation();
    buildMenus();
    buildStatusBar();
    applyShortcuts();

    RunWorker& worker = context_.worker();
    connect(launch_, &LaunchPage::runRequested, this, &MainWindow::startRun);
    connect(&launch_->studyPanel(), &StudyPanel::reportRequested, this, &MainWindow::openStudyReport);
    connect(&worker, &RunWorker::started, this, &MainWindow::onStarted);
    connect(&worker, &RunWorker::stepFinished, run_, &RunPage::appendSteps);
    connect(&worker, &RunWorker::progress, this, &MainWindow::onProgress);
    connect(&worker, &RunWorker::finished, this, &MainWindow::onFinished);
    connect(&worker, &RunWorker::cancelled, this, &MainWindow::onCancelled);
    connect(&worker, &RunWorker::failed, this, &MainWindow::onFailed);
    connect(history_, &HistorySidebar::runActivated, this, &MainWindow::openRun);
    connect(history_, &HistorySidebar::compareRequested, this, &MainWindow::compareRuns);
    connect(history_, &HistorySidebar::selectionChanged, this, &MainWindow::selectedRunsChanged);
    connect(&context_, &LabContext::runsChanged, this, &MainWindow::updateNotebookSummary);
    connect(run_, &RunPage::compareRequested, this, &MainWindow::openGroup);
    connect(&context_, &LabContext::runSelected, this, &MainWindow::openRun);
    connect(&context_, &LabContext::groupSelected, this, &MainWindow::openGroup);
    connect(&context_, &LabContext::notebookChanged, this, [this] {
        setWindowTitle(tr("TEMPO Lab — %1").arg(QDir::toNativeSeparators(context_.notebookPath())));
        followedRunId_ = 0;
        updateNotebookSummary();
    });
    setWindowTitle(tr("TEMPO Lab — %1").arg(QDir::toNativeSeparators(context_.notebookPath())));

    if (!restoreGeometry(LabSettings::windowGeometry()))
        resize(1280, 800);
    restoreState(LabSettings::windowState());
    splitter_->restoreState(LabSettings::splitterState());
    showPage(Page::Launch);
}

MainWindow::~MainWindow() = default;

void MainWindow::buildNavigation()
{
    auto* bar = new QToolBar(tr("Pages"), this);
    bar->setObjectName(QStringLiteral("navigation"));
    bar->setMovable(false);
    bar->setFloatable(false);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->setIconSize(QSize(18, 18));
    navigation_ = new QActionGroup(this);
    navigation_->setExclusive(true);
    const QList<std::tuple<Page, QString, QString>> entries = {
        {Page::Launch, tr("Launch"), "launch"}, {Page::Run, tr("Run"), "run"},
        {Page::Compare, tr("Compare"), "compare"}, {Page::Report, tr("Report"), "report"},
        {Page::Notes, tr("Notes"), "notes"}, {Page::Sweeps, tr("Sweeps"), "sweeps"}};
    int number = 1;
    for (const auto& [page, text, icon] : entries) {
        QAction* action = bar->addAction(QIcon(QStringLiteral(":/icons/%1.svg").arg(icon)), text);
        action->setObjectName(QStringLiteral("page_") + icon);
        action->setCheckable(true);
        action->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_0 + number++)));
        action->setToolTip(QStringLiteral("%1 (%2)").arg(text, action->shortcut().toString(QKeySequence::NativeText)));
        navigation_->addAction(action);
        pageActions_[page] = action;
        const Page target = page;
        connect(action, &QAction::triggered, this, [this, target] { showPage(target); });
    }
    auto* spacer = new QWidget(bar);
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    bar->addWidget(spacer);
    QAction* settings = bar->addAction(QIcon(QStringLiteral(":/icons/settings.svg")), tr("Settings"));
    settings->setObjectName(QStringLiteral("settingsAction"));
    connect(settings, &QAction::triggered, this, &MainWindow::openSettings);
    addToolBar(Qt::TopToolBarArea, bar);
}

void MainWindow::buildMenus()
{
    auto add = [this](QMenu* menu, const QString& icon, const QString& text, auto slot) {
        QAction* action = menu->addAction(icon.isEmpty() ? QIcon() : QIcon(QStringLiteral(":/icons/%1.svg").arg(icon)),
                                          text);
        connect(action, &QAction::triggered, this, slot);
        return action;
    };
    QMenu* file = menuBar()->addMenu(tr("&File"));
    add(file, "notebook", tr("Notebook and settings…"), [this] { openSettings(); });
    QAction* exportAction = add(file, "export", tr("Export report…"), [this] { exportReport(); });
    file->addSeparator();
    QAction* quit = add(file, QString(), tr("Quit"), [this] { close(); });
    quit->setShortcut(QKeySequence::Quit);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    QAction* runAction = add(run, "launch", tr("Run the current preset"), [this] {
        if (PresetCard* card = launch_->currentCard())
            card->runButton()->click();
    });
    QAction* cancelAction = add(run, "cancel", tr("Cancel the run"), [this] { cancelRun(); });
    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* searchAction = add(view, "search", tr("Search the history"), [this] { history_->focusSearch(); });
    view->addSeparator();
    for (QAction* action : navigation_->actions())
        view->addAction(action);
    shortcutActions_ = {{"run", runAction}, {"cancel", cancelAction}, {"search", searchAction},
                        {"export", exportAction}};
}

void MainWindow::applyShortcuts()
{
    for (auto it = shortcutActions_.begin(); it != shortcutActions_.end(); ++it) {
        it.value()->setShortcut(LabSettings::shortcut(it.key()));
        it.value()->setShortcutContext(Qt::ApplicationShortcut);
    }
}

void MainWindow::buildStatusBar()
{
    progressLabel_ = new QLabel(this);
    progressLabel_->setObjectName(QStringLiteral("progressLabel"));
    progress_ = new QProgressBar(this);
    progress_->setObjectName(QStringLiteral("runProgress"));
    progress_->setMaximumWidth(220);
    progress_->setTextVisible(false);
    cancel_ = new QPushButton(QIcon(QStringLiteral(":/icons/cancel.svg")), tr("Cancel"), this);
    cancel_->setObjectName(QStringLiteral("cancelButton"));
    connect(cancel_, &QPushButton::clicked, this, &MainWindow::cancelRun);
    notebookSummary_ = new QLabel(this);
    notebookSummary_->setObjectName(QStringLiteral("notebookSummary"));
    statusBar()->addWidget(notebookSummary_, 1);
    statusBar()->addPermanentWidget(progressLabel_);
    statusBar()->addPermanentWidget(progress_);
    statusBar()->addPermanentWidget(cancel_);
    progress_->hide();
    cancel_->hide();
    updateNotebookSummary();
}

void MainWindow::updateNotebookSummary()
{
    const int runs = int(context_.notebook().runs().count());
    notebookSummary_->setText(tr("Notebook %1 · %2").arg(QDir::toNativeSeparators(context_.notebookPath()),
                                                      runs == 1 ? tr("1 run") : tr("%1 runs").arg(runs)));
}

QString MainWindow::notebookSummaryText() const
{
    return notebookSummary_->text();
}

QWidget* MainWindow::page(Page page) const
{
    return pages_.value(page);
}

void MainWindow::showPage(Page page)
{
    stack_->setCurrentWidget(pages_.value(page));
    if (QAction* action = pageActions_.value(page))
        action->setChecked(true);
}

MainWindow::Page MainWindow::currentPage() const
{
    return pages_.key(stack_->currentWidget(), Page::Launch);
}

QString MainWindow::progressText() const
{
    return progressLabel_->text();
}

void MainWindow::setRunning(bool running)
{
    running_ = running;
    launch_->setRunning(running);
    progress_->setVisible(running);
    cancel_->setVisible(running);
    cancel_->setEnabled(running);
    shortcutActions_.value("cancel")->setEnabled(running);
}

void MainWindow::startRun(const ExperimentRequest& request)
{
    if (running_) {
        statusBar()->showMessage(tr("A run is going: wait for it or cancel it first."), 5000);
        return;
    }
    request_ = request;
    jobRunIds_.clear();
    const auto newest = context_.notebook().runs().list({"", "", std::nullopt, 1, 0});
    newestBeforeJob_ = newest.empty() ? 0 : newest.front().id;
    setRunning(true);
    progress_->setRange(0, 0); // busy until the first step (the model may be loading)
    progressLabel_->setText(tr("Preset %1: loading the model…").arg(QString::fromStdString(request.preset.preset.id)));
    context_.worker().start(request, context_.notebookPath());
}

void MainWindow::cancelRun()
{
    if (!running_)
        return;
    context_.worker().cancel();
    cancel_->setEnabled(false);
    progressLabel_->setText(tr("Cancelling after the current step…"));
}

void MainWindow::onStarted(qint64 runId)
{
    jobRunIds_ << runId;
    run_->beginLiveRun(runId);
    showPage(Page::Run);
    history_->refresh();
    history_->selectRun(runId);
    updateNotebookSummary();
}

void MainWindow::onProgress(int done, int total, double etaSeconds)
{
    if (!running_)
        return;
    progress_->setRange(0, std::max(total, 1));
    progress_->setValue(done);
    const QString runs = jobRunIds_.size() > 1 || request_.preset.preset.mode == PresetMode::Both
                             ? tr(" (run %1 of 2)").arg(std::max<qsizetype>(jobRunIds_.size(), 1))
                             : QString();
    progressLabel_->setText(tr("Preset %1%2: step %3 / %4 · %5")
                                .arg(QString::fromStdString(request_.preset.preset.id), runs)
                                .arg(done)
                                .arg(total)
                                .arg(etaText(etaSeconds)));
}

void MainWindow::onFinished(qint64 runOrGroupId)
{
    setRunning(false);
    const bool group = request_.preset.preset.mode == PresetMode::Both;
    const qint64 runId = group ? (jobRunIds_.isEmpty() ? 0 : jobRunIds_.first()) : runOrGroupId;
    history_->refresh();
    run_->showRun(runId);
    showPage(Page::Run);
    followedRunId_ = runId; // followed below, not again by the selection
    history_->selectRun(runId);
    updateNotebookSummary();
    // The pages that were waiting for the finished run: its notes, its report (the group's for
    // "both"), and Compare on the pair that just ran.
    notes_->showRun(runId);
    if (group) {
        compare_->showGroup(runOrGroupId);
        report_->showGroup(runOrGroupId);
    } else {
        report_->showRun(runId);
    }
    std::vector<notebook::CheckRecord> checks;
    for (qint64 id : jobRunIds_)
        for (auto& check : context_.notebook().checks().ofRun(id))
            checks.push_back(std::move(check));
    const QString outcome = checksOutcomeText(checks);
    progressLabel_->setText(group ? tr("Group %1 finished (runs %2, %3) · %4")
                                        .arg(runOrGroupId)
                                        .arg(jobRunIds_.value(0))
                                        .arg(jobRunIds_.value(1))
                                        .arg(outcome)
                                  : tr("Run %1 finished · %2").arg(runId).arg(outcome));
    emit runFinished(runId);
}

QString MainWindow::checksOutcomeText(const std::vector<notebook::CheckRecord>& checks)
{
    int failed = 0, notApplicable = 0;
    for (const auto& check : checks) {
        failed += check.passed ? 0 : 1;
        notApplicable += check.notApplicable() ? 1 : 0;
    }
    if (failed > 0)
        return tr("%n check(s) failed", nullptr, failed);
    if (notApplicable == 0)
        return tr("every check passed");
    return tr("every applicable check passed, %n not applicable", nullptr, notApplicable);
}

void MainWindow::onCancelled()
{
    setRunning(false);
    const qint64 runId = jobRunIds_.isEmpty() ? 0 : jobRunIds_.last();
    history_->refresh();
    updateNotebookSummary();
    if (runId) {
        run_->showRun(runId);
        followedRunId_ = runId; // followed here, not again by the selection
        history_->selectRun(runId);
        notes_->showRun(runId);
        report_->showRun(runId); // the report waited for the run's end
    }
    progressLabel_->setText(tr("Run %1 cancelled; its %n finished step(s) are kept", nullptr,
                               runId ? int(context_.notebook().steps().ofRun(runId).size()) : 0)
                                .arg(runId));
    emit runCancelled(runId);
}

void MainWindow::onFailed(const QString& message)
{
    setRunning(false);
    history_->refresh();
    // A failed load records a failed run without a started signal: show the newest run then, if
    // this job made it. A run refused before its row existed (out of range for the model) has none.
    qint64 runId = jobRunIds_.isEmpty() ? 0 : jobRunIds_.last();
    if (runId == 0) {
        const auto newest = context_.notebook().runs().list({"", "", std::nullopt, 1, 0});
        runId = !newest.empty() && newest.front().id > newestBeforeJob_ ? newest.front().id : 0;
    }
    updateNotebookSummary();
    if (runId) {
        run_->showRun(runId);
        followedRunId_ = runId; // followed here, not again by the selection
        history_->selectRun(runId);
        notes_->showRun(runId);
        report_->showRun(runId); // the report waited for the run's end
    } else {
        run_->showNoRun(tr("Preset %1 was not run").arg(QString::fromStdString(request_.preset.preset.id)));
    }
    run_->showFailure(message);
    showPage(Page::Run);
    progressLabel_->setText(tr("The run failed — see the Run page"));
    emit runFailed(message);
}

void MainWindow::openRun(qint64 runId)
{
    followRun(runId, true);
}

void MainWindow::followRun(qint64 runId, bool switchPage)
{
    if (runId <= 0)
        return;
    const bool live = running_ && jobRunIds_.contains(runId);
    // A live run's page keeps growing on its own; an explicit open reloads, a selection that
    // stays on the shown run does not.
    if (!live && (switchPage || run_->runId() != runId))
        run_->showRun(runId);
    if (switchPage || runId != followedRunId_) {
        followedRunId_ = runId;
        notes_->showRun(runId);
        // A live run's report would be out of date at once: it is built when the run ends.
        if (!live)
            report_->showRun(runId);
    }
    if (switchPage &&
        (currentPage() == Page::Launch || currentPage() == Page::Compare || currentPage() == Page::Sweeps))
        showPage(Page::Run);
}

void MainWindow::openGroup(qint64 groupId)
{
    if (groupId <= 0)
        return;
    compare_->showGroup(groupId);
    report_->showGroup(groupId);
    showPage(Page::Compare);
}

void MainWindow::compareRuns(qint64 runA, qint64 runB)
{
    compare_->showRuns(runA, runB);
    showPage(Page::Compare);
}

void MainWindow::openSweep(qint64 sweepId)
{
    sweeps_->showSweep(sweepId);
    showPage(Page::Sweeps);
}

void MainWindow::openStudyReport(qint64 studyId)
{
    report_->showStudy(studyId);
    showPage(Page::Report);
}

void MainWindow::selectedRunsChanged(const QList<qint64>& runIds)
{
    // One selected row, by click, keys or the window itself: the pages follow it.
    if (runIds.size() == 1)
        followRun(runIds.first(), false);
    if (runIds.size() == 2)
        statusBar()->showMessage(tr("Two runs selected: right-click → Compare the two runs"), 4000);
}

void MainWindow::exportReport()
{
    showPage(Page::Report);
    if (QPushButton* button = report_->exportButton(reportexport::ReportFormat::Html))
        if (button->isEnabled())
            button->click();
}

void MainWindow::openSettings()
{
    SettingsDialog dialog(context_.notebookPath(), this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    dialog.store();
    applyShortcuts();
    launch_->modelPicker().applySettings(LabSettings::modelPicker());
    const QString chosen = dialog.notebookPath();
    if (!chosen.isEmpty() && QDir::cleanPath(chosen) != QDir::cleanPath(context_.notebookPath())) {
        if (running_) {
            QMessageBox::information(this, tr("Notebook"), tr("Switch notebooks after the current run."));
            return;
        }
        try {
            context_.switchNotebook(chosen);
            LabSettings::setNotebookPath(context_.notebookPath());
            statusBar()->showMessage(tr("Opened notebook %1").arg(context_.notebookPath()), 5000);
        } catch (const std::exception& error) {
            QMessageBox::warning(this, tr("Notebook"),
                                 tr("That notebook could not be opened; the current one stays open.\n\n%1")
                                     .arg(QString::fromStdString(error.what())));
        }
    }
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    LabSettings::saveWindow(saveGeometry(), saveState(), splitter_->saveState());
    if (running_)
        context_.worker().cancel(); // the worker's destructor waits for the step in flight
    QMainWindow::closeEvent(event);
}

QStringList MainWindow::saveScreenshots(const QString& folder)
{
    QDir().mkpath(folder);
    QStringList written;
    auto settle = [] {
        for (int i = 0; i < 5; ++i)
            QApplication::processEvents(QEventLoop::AllEvents, 50);
    };
    const QList<std::pair<Page, QString>> order = {{Page::Launch, "1-launch"}, {Page::Run, "2-run"},
                                                   {Page::Compare, "3-compare"}, {Page::Report, "4-report"},
                                                   {Page::Notes, "5-notes"}, {Page::Sweeps, "6-sweeps"}};
    for (const auto& [page, name] : order) {
        showPage(page);
        settle();
        const QString path = QDir(folder).filePath(name + ".png");
        if (grab().save(path))
            written << path;
    }
    SettingsDialog dialog(context_.notebookPath(), this);
    dialog.show();
    settle();
    const QString path = QDir(folder).filePath("7-settings.png");
    if (dialog.grab().save(path))
        written << path;
    dialog.close();
    return written;
}

} // namespace tempo::gui
