// A run whose stored configuration this version cannot read (hand-edited, written by a broken
// tool) and a group whose stored comparison it cannot read: the window keeps working. Selecting
// the run shows what is wrong (the run, the field, expected and found) on the Run page, the other
// pages say they cannot use it, and the readable run beside it shows as before.

#include <QLabel>
#include <QSignalSpy>
#include <QTableView>
#include <QTableWidget>
#include <QtTest>

#include "core/notebook/database.h"
#include "core/notebook/notebook.h"
#include "gui/shell/historymodel.h"
#include "gui/shell/historysidebar.h"
#include "gui/shell/labcontext.h"
#include "gui/shell/mainwindow.h"
#include "gui/pages/attention/attentionexplorer.h"
#include "gui/pages/compare/comparepage.h"
#include "gui/pages/notes/noteseditor.h"
#include "gui/pages/report/reportpage.h"
#include "gui/pages/run/runpage.h"
#include "guifixture.h"

using namespace tempo;
using namespace tempo::gui;

class CorruptRunTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void unreadableRunIsShownInWords();
    void unreadableGroupIsLeftOutOfCompare();

private:
    void select(MainWindow& window, qint64 runId);

    test::GuiFixture fixture_;
    QString path_;
    qint64 good_ = 0, bad_ = 0, group_ = 0;
};

void CorruptRunTest::initTestCase()
{
    fixture_.setUp();
    path_ = fixture_.notebookPath("corrupt");
    notebook::Notebook notebook(path_.toStdString());
    auto addRun = [&](const std::string& prompt, SiblingMode mode) {
        notebook::RunRecord run;
        run.presetId = "2";
        run.prompt = prompt;
        TempoConfig tempo;
        tempo.mode = mode;
        run.config.tempo = tempo;
        run.config.prompt = prompt;
        run.config.promptTokenIds = {510, 84};
        const std::int64_t id = notebook.runs().create(run);
        notebook.steps().append(id, {0, 2, {2}, {104}, {"h"}, {0.9}, 1.0});
        notebook.runs().finish(id, notebook::RunStatus::Finished, prompt + "h", "{}", "");
        return id;
    };
    good_ = addRun("readable run", SiblingMode::Isolated);
    bad_ = addRun("hand edited run", SiblingMode::Visible);
    notebook::RunGroupRecord pair;
    pair.kind = "mode-pair";
    pair.runIds = {good_, bad_};
    group_ = notebook.groups().create(pair);
    notebook.database().exec("UPDATE runs SET config_json = '{\"tempo\": {\"threshold\": \"high\"}}' WHERE id = " +
                             std::to_string(bad_));
    notebook.database().exec("UPDATE run_groups SET comparison_json = '{\"verdict\": \"C\"}' WHERE id = " +
                             std::to_string(group_));
}

void CorruptRunTest::select(MainWindow& window, qint64 runId)
{
    HistorySidebar& history = window.history();
    QTRY_VERIFY(history.model().rowOfRun(runId) >= 0);
    history.table().setCurrentIndex(history.model().index(history.model().rowOfRun(runId), 0));
    QCOMPARE(history.selectedRunIds(), QList<qint64>{runId});
}

void CorruptRunTest::unreadableRunIsShownInWords()
{
    LabContext context(path_);
    MainWindow window(context);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    select(window, bad_);
    QCOMPARE(window.runPage().runId(), bad_);
    const QString failure = window.runPage().failureText();
    QVERIFY2(failure.contains(QStringLiteral("run %1").arg(bad_)), qPrintable(failure));
    QVERIFY2(failure.contains("tempo.threshold"), qPrintable(failure));
    QVERIFY2(failure.contains("expected a number"), qPrintable(failure));
    QCOMPARE(window.runPage().stepTable().rowCount(), 1); // its steps are still shown
    QVERIFY2(window.runPage().attentionExplorer().messageText().contains("cannot be explored"),
             qPrintable(window.runPage().attentionExplorer().messageText()));
    QCOMPARE(window.notesPage().runId(), bad_); // notes stay usable
    auto* reportStatus = window.reportPage().findChild<QLabel*>("reportStatus");
    QVERIFY(reportStatus);
    QTRY_VERIFY2(reportStatus->text().contains("tempo.threshold"), qPrintable(reportStatus->text()));

    select(window, good_);
    QCOMPARE(window.runPage().runId(), good_);
    QCOMPARE(window.runPage().failureText(), QString());
    // The good run belongs to the unreadable group: its report refuses in words (a pair verdict it
    // cannot read is not replaced by a single-run one) instead of showing a different verdict.
    QTRY_VERIFY2(reportStatus->text().contains(QStringLiteral("group %1").arg(group_)) &&
                     reportStatus->text().contains("expected a JSON object"),
                 qPrintable(reportStatus->text()));
}

void CorruptRunTest::unreadableGroupIsLeftOutOfCompare()
{
    LabContext context(path_);
    MainWindow window(context);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    ComparePage& compare = window.comparePage();
    compare.reloadPickers();
    compare.showGroup(group_); // says why instead of throwing
    compare.showRuns(good_, bad_);
    QCOMPARE(compare.runA(), good_);
    QCOMPARE(compare.runB(), bad_);
    QCOMPARE(compare.stepTable()->rowCount(), 1);
}

QTEST_MAIN(CorruptRunTest)
#include "corruptrun_test.moc"
