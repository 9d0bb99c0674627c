// The window end to end on a real model run: launch preset 1a by clicking its card's Run button,
// watch it finish, find it at the top of the history and on the Run page with its text and every
// check green; cancel a run mid-way; and the UI thread never blocks for 100 ms or more while a
// run goes (a 10 ms timer measures the worst gap).

#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <limits>

#include "core/model/llamaconfig.h"
#include "core/notebook/notebook.h"
#include "core/tokenizer/tokenizer.h"
#include "gui/pages/attention/attentionexplorer.h"
#include "gui/pages/compare/comparepage.h"
#include "gui/pages/launch/launchpage.h"
#include "gui/pages/notes/noteseditor.h"
#include "gui/pages/report/reportpage.h"
#include "gui/pages/run/runpage.h"
#include "gui/shell/historymodel.h"
#include "gui/shell/historysidebar.h"
#include "gui/shell/labcontext.h"
#include "gui/shell/mainwindow.h"
#include "gui/widgets/modelpicker.h"
#include "gui/widgets/presetcard.h"
#include "gui/widgets/tokenchips.h"
#include "guifixture.h"

using namespace tempo;
using namespace tempo::gui;

namespace {
constexpr int kRunWaitMs = 240000; // a ceiling for a loaded 2-core machine; a run takes seconds
}

class LaunchTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void launchPreset1aByClicking();
    void pagesFollowTheSelectedRow();
    void finishedPairOpensOnCompareAndReport();
    void stepLimitShownAsYouType();
    void cancelRunMidWay();
    void failureShownInWords();
    void refusedRunLeavesOlderRunsAlone();
    void statusLineCountsChecksThatDidNotApplyApart();

private:
    test::GuiFixture fixture_;
};

void LaunchTest::initTestCase()
{
    fixture_.setUp();
}

void LaunchTest::launchPreset1aByClicking()
{
    LabContext context(fixture_.notebookPath("launch"));
    MainWindow window(context);
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    // The picker's default is the bundled model (or TEMPO_LAB_MODEL's generated one).
    QCOMPARE(window.launchPage().modelPicker().modelFolder(), QFileInfo(fixture_.modelFolder).absoluteFilePath());
    PresetCard* card = window.launchPage().card("1a");
    QVERIFY(card);
    QCOMPARE(window.launchPage().cards().size(), 6); // 1a, 1b, 2, 3, 4, 5

    QSignalSpy finished(&window, &MainWindow::runFinished);
    QSignalSpy failed(&window, &MainWindow::runFailed);
    QSignalSpy steps(&context.worker(), &RunWorker::stepFinished);
    test::UiResponsiveness responsiveness;
    responsiveness.start();
    QTest::mouseClick(card->runButton(), Qt::LeftButton);
    QVERIFY(window.isRunning());
    QVERIFY(!card->runButton()->isEnabled()); // one run at a time
    QVERIFY(window.cancelButton().isVisible());
    QTRY_VERIFY2_WITH_TIMEOUT(finished.count() + failed.count() > 0, "the run neither finished nor failed in time",
                              kRunWaitMs);
    responsiveness.stop();
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
    QCOMPARE(finished.count(), 1);
    const qint64 runId = finished.first().first().toLongLong();
    QVERIFY(runId > 0);
    QVERIFY(!steps.isEmpty()); // steps arrived while the run went

    qInfo("UI thread during the run: worst gap between 10 ms ticks %.1f ms wall, %.1f ms of UI-thread CPU "
          "(%d ticks)", responsiveness.worstWallMs, responsiveness.worstCpuMs, responsiveness.ticks);
    QVERIFY2(responsiveness.worstCpuMs < 100.0, qPrintable(QString::number(responsiveness.worstCpuMs)));
    QVERIFY(responsiveness.ticks > 0);

    // What the notebook holds, read through its own connection (independent of the window).
    notebook::Notebook reader(fixture_.notebookPath("launch").toStdString(), notebook::OpenMode::ReadOnly);
    const auto run = reader.runs().find(runId);
    QVERIFY(run);
    QCOMPARE(QString::fromStdString(run->presetId), QString("1a"));
    QVERIFY(run->status == notebook::RunStatus::Finished);
    const auto storedSteps = reader.steps().ofRun(runId);
    const auto storedChecks = reader.checks().ofRun(runId);
    QVERIFY(!storedSteps.empty());
    QVERIFY(!storedChecks.empty());
    QVERIFY(!run->generatedText.empty());

    // Top of the history.
    HistoryModel& history = window.history().model();
    QVERIFY(history.loadedRows() >= 1);
    QCOMPARE(history.runIdAt(0), runId);
    QCOMPARE(history.data(history.index(0, HistoryModel::StatusColumn), Qt::DisplayRole).toString(),
             QString("finished"));

    // Its page: the text (one chip group per stored step, prompt first) and all checks green.
    QCOMPARE(window.currentPage(), MainWindow::Page::Run);
    RunPage& page = window.runPage();
    QCOMPARE(page.runId(), runId);
    QCOMPARE(page.generatedText(), QString::fromStdString(run->generatedText));
    QCOMPARE(page.chips().stepCount(), int(storedSteps.size()));
    QCOMPARE(page.stepTable().rowCount(), int(storedSteps.size()));
    int multiMember = 0;
    for (const auto& step : storedSteps)
        multiMember += step.tokenIds.size() > 1 ? 1 : 0;
    QCOMPARE(page.chips().parallelSetCount(), multiMember);
    const QList<QLabel*> badges = page.checkBadges();
    QCOMPARE(badges.size(), int(storedChecks.size()));
    for (std::size_t i = 0; i < storedChecks.size(); ++i) {
        QCOMPARE(badges[int(i)]->property("checkName").toString(), QString::fromStdString(storedChecks[i].name));
        QVERIFY2(storedChecks[i].passed, storedChecks[i].name.c_str());
        QVERIFY2(badges[int(i)]->property("passed").toBool(), storedChecks[i].name.c_str());
        QTRY_VERIFY_WITH_TIMEOUT(badges[int(i)]->isVisible(), 30000); // shown once the layout has run
    }
    QVERIFY(window.progressText().contains("every check passed"));
    QVERIFY(card->runButton()->isEnabled());
    QVERIFY(!window.cancelButton().isVisible());

    // The rest of the window follows the run that just finished: the status bar counts it, the
    // Notes page is on it, and the Report page builds its report without a click in the history.
    QVERIFY2(window.notebookSummaryText().endsWith(QStringLiteral("· %1 run").arg(reader.runs().count()) +
                                                   (reader.runs().count() == 1 ? "" : "s")),
             qPrintable(window.notebookSummaryText()));
    QCOMPARE(window.notesPage().runId(), runId);
    QCOMPARE(window.reportPage().subjectText(), QStringLiteral("run:%1").arg(runId));
    QTRY_VERIFY_WITH_TIMEOUT(window.reportPage().isReady(), kRunWaitMs);
    QVERIFY(window.reportPage().exportButton(reportexport::ReportFormat::Html)->isEnabled());
}

void LaunchTest::pagesFollowTheSelectedRow()
{
    // Two runs in the notebook; moving the history's selection with the keyboard (no click) puts
    // the Notes and Report pages on the selected run.
    const QString path = fixture_.notebookPath("follow");
    LabContext context(path);
    MainWindow window(context);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy finished(&window, &MainWindow::runFinished);
    QSignalSpy failed(&window, &MainWindow::runFailed);
    for (int i = 0; i < 2; ++i) {
        QTest::mouseClick(window.launchPage().card("4")->runButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > i, kRunWaitMs);
    }
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
    const qint64 newer = finished.at(1).first().toLongLong();
    const qint64 older = finished.at(0).first().toLongLong();
    QVERIFY(window.notebookSummaryText().endsWith("· 2 runs"));
    QCOMPARE(window.notesPage().runId(), newer);

    HistorySidebar& history = window.history();
    history.table().setFocus();
    history.table().setCurrentIndex(history.model().index(history.model().rowOfRun(newer), 0));
    QTest::keyClick(&history.table(), history.model().rowOfRun(older) > history.model().rowOfRun(newer)
                                          ? Qt::Key_Down : Qt::Key_Up);
    QCOMPARE(history.selectedRunIds(), QList<qint64>{older});
    QCOMPARE(window.notesPage().runId(), older);
    QCOMPARE(window.reportPage().subjectText(), QStringLiteral("run:%1").arg(older));
    QCOMPARE(window.runPage().runId(), older);
}

void LaunchTest::finishedPairOpensOnCompareAndReport()
{
    // Preset 2 runs isolated + visible as a group: when it finishes, Compare holds that pair
    // and the Report page the group's report, without a click.
    const QString path = fixture_.notebookPath("pair");
    LabContext context(path);
    MainWindow window(context);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy finished(&window, &MainWindow::runFinished);
    QSignalSpy failed(&window, &MainWindow::runFailed);
    QTest::mouseClick(window.launchPage().card("2")->runButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 0, kRunWaitMs);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));

    notebook::Notebook reader(path.toStdString(), notebook::OpenMode::ReadOnly);
    const qint64 runId = finished.first().first().toLongLong();
    const auto groups = reader.groups().ofRun(runId);
    QCOMPARE(int(groups.size()), 1);
    const auto group = reader.groups().find(groups.front());
    QVERIFY(group && group->runIds.size() == 2);
    QCOMPARE(window.comparePage().runA(), qint64(group->runIds[0]));
    QCOMPARE(window.comparePage().runB(), qint64(group->runIds[1]));
    QCOMPARE(window.reportPage().subjectText(), QStringLiteral("group:%1").arg(groups.front()));
    QTRY_VERIFY_WITH_TIMEOUT(window.reportPage().isReady(), kRunWaitMs);
    QVERIFY2(window.notebookSummaryText().endsWith("· 2 runs"), qPrintable(window.notebookSummaryText()));
}

void LaunchTest::stepLimitShownAsYouType()
{
    LabContext context(fixture_.notebookPath("limits"));
    MainWindow window(context);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    PresetCard* card = window.launchPage().card("1a");
    QVERIFY(card);
    QTRY_VERIFY_WITH_TIMEOUT(card->stepLimit() >= 0, kRunWaitMs); // the model's files are read off the UI thread

    // The limit worked out here from the model's own files: M positions, P prompt tokens, sets at
    // most W = min(width, floor(1 / threshold)) wide; every step needs a position and W slots.
    const std::filesystem::path folder = fixture_.modelFolder.toStdString();
    const LlamaConfig config = LlamaConfig::fromFile(folder / "config.json");
    const Tokenizer tokenizer = Tokenizer::fromFile(folder / "tokenizer.json");
    auto expectedLimit = [&] {
        const auto prompt = static_cast<qint64>(tokenizer.encode(card->promptEdit()->text().toStdString(), true).size());
        const qint64 width = std::min<qint64>(card->maxWidthBox()->value(),
                                              qint64(std::floor(1.0 / card->thresholdBox()->value())));
        const qint64 room = config.maxPositionEmbeddings - prompt;
        return std::min(room, room / width);
    };
    const qint64 limit = expectedLimit();
    qInfo("preset 1a on %s: at most %lld steps (%s)", qPrintable(fixture_.modelFolder), limit,
          qPrintable(card->limitText()));
    QCOMPARE(card->stepLimit(), limit);
    QVERIFY(card->fitsModel());
    QVERIFY(card->runButton()->isEnabled());
    QVERIFY(card->limitText().contains(QString::number(limit)));

    // Steps 480 (the case that used to fail only after a 0-step run was written): told at once,
    // Run held back.
    QVERIFY(480 > limit);
    card->stepsBox()->setValue(480);
    QVERIFY(!card->fitsModel());
    QVERIFY(!card->runButton()->isEnabled());
    QVERIFY2(card->limitText().contains("480 steps do not fit") && card->limitText().contains(QString::number(limit)),
             qPrintable(card->limitText()));
    card->stepsBox()->setValue(int(limit));
    QVERIFY(card->fitsModel());
    QVERIFY(card->runButton()->isEnabled());

    // A longer prompt leaves fewer positions: the limit follows the typing.
    QTest::keyClicks(card->promptEdit(), " mat, and the dog sat by the door of the house");
    QTRY_VERIFY_WITH_TIMEOUT(card->stepLimit() == expectedLimit(), 30000);
    QVERIFY(card->stepLimit() < limit);
    QVERIFY(!card->fitsModel());
    QVERIFY(!card->runButton()->isEnabled());
}

void LaunchTest::cancelRunMidWay()
{
    LabContext context(fixture_.notebookPath("cancel"));
    MainWindow window(context);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    // Many steps without stopping at end-of-text, so the run is still going when Cancel is clicked.
    PresetCard* card = window.launchPage().card("1b");
    QVERIFY(card);
    Preset preset = card->editedPreset();
    preset.maxSteps = 160; // 7 prompt tokens + 160 * 3 <= 512 positions of the bundled model
    preset.maxWidth = 3;
    preset.stopAtEos = false;
    ExperimentRequest request;
    request.preset = CatalogEntry{preset, true};
    request.modelFolder = window.launchPage().modelPicker().modelFolder().toStdString();
    request.options = window.launchPage().modelPicker().computeOptions();

    QSignalSpy started(&context.worker(), &RunWorker::started);
    QSignalSpy cancelled(&window, &MainWindow::runCancelled);
    QSignalSpy finished(&window, &MainWindow::runFinished);
    QSignalSpy failed(&window, &MainWindow::runFailed);
    // The worker holds after it has sent two steps until Cancel has been clicked, so the run is
    // still going when the click lands however slow this thread is (the bundled model makes 160
    // steps in well under a second; a busy machine can keep the UI thread off a core for that).
    test::WorkerGate gate(context.worker(), 2);
    window.startRun(request);
    // Wait until the steps reached the page and the status line, then click Cancel.
    QTRY_VERIFY_WITH_TIMEOUT(window.runPage().chips().stepCount() >= 2 || !failed.isEmpty(), kRunWaitMs);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
    QVERIFY(window.progressBar().isVisible());
    QTRY_VERIFY2(window.progressText().contains("step"), qPrintable(window.progressText()));
    QTest::mouseClick(&window.cancelButton(), Qt::LeftButton);
    gate.open();
    QTRY_VERIFY_WITH_TIMEOUT(cancelled.count() + finished.count() + failed.count() > 0, kRunWaitMs);
    QCOMPARE(cancelled.count(), 1);
    QCOMPARE(finished.count(), 0);
    QCOMPARE(started.count(), 1);
    const qint64 runId = cancelled.first().first().toLongLong();
    QCOMPARE(runId, started.first().first().toLongLong());

    notebook::Notebook reader(fixture_.notebookPath("cancel").toStdString(), notebook::OpenMode::ReadOnly);
    const auto run = reader.runs().find(runId);
    QVERIFY(run);
    QVERIFY(run->status == notebook::RunStatus::Cancelled);
    const int stored = int(reader.steps().ofRun(runId).size());
    qInfo("cancelled after %d of 160 steps", stored);
    QVERIFY(stored >= 2);
    QVERIFY(stored < 160);
    QCOMPARE(window.runPage().runId(), runId);
    QCOMPARE(window.runPage().chips().stepCount(), stored);
    QVERIFY(window.progressText().contains("cancelled"));
    QVERIFY(!window.isRunning());
    QCOMPARE(window.history().model().runIdAt(0), runId);
}

void LaunchTest::failureShownInWords()
{
    // A folder that is not a model: the engine's loader refuses it; the window says so plainly.
    LabContext context(fixture_.notebookPath("failure"));
    MainWindow window(context);
    window.show();
    const QString broken = QDir(fixture_.dir.path()).filePath("not-a-model");
    QDir().mkpath(broken);
    QFile config(QDir(broken).filePath("config.json"));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write("{\"model_type\": \"llama\"}"); // no sizes, no weights
    config.close();
    window.launchPage().modelPicker().selectFolder(broken);
    QSignalSpy failed(&window, &MainWindow::runFailed);
    QTest::mouseClick(window.launchPage().card("1a")->runButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), kRunWaitMs);
    const QString message = failed.first().first().toString();
    QVERIFY(!message.isEmpty());
    QCOMPARE(window.currentPage(), MainWindow::Page::Run);
    const QString shown = window.runPage().failureText();
    QVERIFY(shown.contains(message)); // the engine's words are kept, after a plain first line
    QVERIFY2(shown.startsWith("The model could not be loaded"), qPrintable(shown));
    QVERIFY(!window.isRunning());
    QCOMPARE(window.history().model().data(window.history().model().index(0, HistoryModel::StatusColumn),
                                           Qt::DisplayRole).toString(),
             QString("failed"));
    // Preset 1a captures attention: the explorer says the run failed, not that 1a has no capture.
    const QString explorer = window.runPage().attentionExplorer().messageText();
    QVERIFY2(explorer.contains("failed before its attention was stored"), qPrintable(explorer));
    QVERIFY2(!explorer.contains("has no attention capture"), qPrintable(explorer));
}

void LaunchTest::refusedRunLeavesOlderRunsAlone()
{
    // A run the engine refuses before its row exists (more steps than the model has positions,
    // sent past the card's own check) fails in words; the window does not present the newest
    // older run as the one that failed.
    const QString path = fixture_.notebookPath("refused");
    LabContext context(path);
    MainWindow window(context);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy finished(&window, &MainWindow::runFinished);
    QSignalSpy failed(&window, &MainWindow::runFailed);
    QTest::mouseClick(window.launchPage().card("4")->runButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 0, kRunWaitMs);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
    const qint64 older = finished.first().first().toLongLong();

    PresetCard* card = window.launchPage().card("1a");
    Preset preset = card->editedPreset();
    preset.maxSteps = 1000000;
    ExperimentRequest request;
    request.preset = CatalogEntry{preset, true};
    request.modelFolder = window.launchPage().modelPicker().modelFolder().toStdString();
    request.options = window.launchPage().modelPicker().computeOptions();
    window.startRun(request);
    QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), kRunWaitMs);
    const QString message = failed.first().first().toString();
    QVERIFY2(message.contains("max_steps") || message.contains("steps"), qPrintable(message));
    QVERIFY(window.runPage().runId() != older);
    QVERIFY2(window.runPage().failureText().contains(message), qPrintable(window.runPage().failureText()));
    notebook::Notebook reader(path.toStdString(), notebook::OpenMode::ReadOnly);
    QCOMPARE(int(reader.runs().count()), 1); // nothing was recorded for the refused run
    QVERIFY(reader.runs().find(older)->status == notebook::RunStatus::Finished);
}

// The status line after a job: a check that did not apply (passed, value NaN, "not applicable")
// is not called passed.
void LaunchTest::statusLineCountsChecksThatDidNotApplyApart()
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const notebook::CheckRecord passed{"finite", true, 0.0, "0 non-finite"};
    const notebook::CheckRecord notApplicable{"sibling_attention", true, nan,
                                              "not applicable: no forward fed 2 or more members of one set"};
    const notebook::CheckRecord failed{"sibling_attention", false, 0.25, "max sibling weight 0.25"};
    QCOMPARE(MainWindow::checksOutcomeText({passed, passed}), QStringLiteral("every check passed"));
    QCOMPARE(MainWindow::checksOutcomeText({passed, notApplicable}),
             QStringLiteral("every applicable check passed, 1 not applicable"));
    QCOMPARE(MainWindow::checksOutcomeText({failed, notApplicable, passed}), QStringLiteral("1 check(s) failed"));
}

QTEST_MAIN(LaunchTest)
#include "launch_test.moc"
