// Switching notebooks in the window: every page holds the stores it uses and fetches them again
// when the notebook changes. The test opens notebook A, switches to notebook B and uses each page
// afterwards; B's runs have the same ids as A's but other presets, prompts and step counts, so a
// page still reading A (its stores are gone with A: a page that kept one reads freed memory) shows
// the wrong run, fails, or writes nowhere, and the checks below read B's file to see the writes.

#include <algorithm>

#include <QLineEdit>
#include <QPlainTextEdit>
#include <QTableView>
#include <QTableWidget>
#include <QtTest>

#include "core/experiment/presetcatalog.h"
#include "core/notebook/notebook.h"
#include "gui/pages/attention/attentionexplorer.h"
#include "gui/pages/compare/comparepage.h"
#include "gui/pages/launch/launchpage.h"
#include "gui/pages/notes/noteseditor.h"
#include "gui/pages/run/runpage.h"
#include "gui/shell/historymodel.h"
#include "gui/shell/historysidebar.h"
#include "gui/shell/labcontext.h"
#include "gui/shell/mainwindow.h"
#include "guifixture.h"

using namespace tempo;
using namespace tempo::gui;

class SwitchNotebookTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void pagesUseTheNewNotebookAfterASwitch();

private:
    // `count` finished runs of `presetId`, each with `steps` steps; returns their ids.
    static QList<qint64> addRuns(notebook::Notebook& notebook, const std::string& presetId, const std::string& prompt,
                                 int count, int steps);
    void select(MainWindow& window, qint64 runId);

    test::GuiFixture fixture_;
    QString pathA_, pathB_;
    QList<qint64> runsA_, runsB_;
};

QList<qint64> SwitchNotebookTest::addRuns(notebook::Notebook& notebook, const std::string& presetId,
                                          const std::string& prompt, int count, int steps)
{
    QList<qint64> ids;
    for (int i = 0; i < count; ++i) {
        notebook::RunRecord run;
        run.presetId = presetId;
        run.prompt = prompt;
        TempoConfig tempo;
        run.config.tempo = tempo;
        run.config.prompt = prompt;
        run.config.promptTokenIds = {510, 84};
        const std::int64_t id = notebook.runs().create(run);
        for (int step = 0; step < steps; ++step)
            notebook.steps().append(id, {step, 2 + step, {2 + step}, {104}, {"h"}, {0.9}, 1.0});
        notebook.runs().finish(id, notebook::RunStatus::Finished, prompt + "h", "{}", "");
        ids << id;
    }
    return ids;
}

void SwitchNotebookTest::initTestCase()
{
    fixture_.setUp();
    pathA_ = fixture_.notebookPath("a");
    pathB_ = fixture_.notebookPath("b");
    {
        notebook::Notebook a(pathA_.toStdString());
        runsA_ = addRuns(a, "1a", "alpha prompt", 3, 1);
    }
    notebook::Notebook b(pathB_.toStdString());
    runsB_ = addRuns(b, "3", "beta prompt", 2, 4);
    Preset own = *shippedPreset("3");
    own.id = "only-in-b";
    saveUserPreset(b.presets(), own);
    QCOMPARE(runsB_.first(), runsA_.first()); // the same ids in both notebooks: only the stores tell them apart
}

void SwitchNotebookTest::select(MainWindow& window, qint64 runId)
{
    HistorySidebar& history = window.history();
    QTRY_VERIFY(history.model().rowOfRun(runId) >= 0);
    history.table().setCurrentIndex(history.model().index(history.model().rowOfRun(runId), 0));
    QCOMPARE(history.selectedRunIds(), QList<qint64>{runId});
}

void SwitchNotebookTest::pagesUseTheNewNotebookAfterASwitch()
{
    LabContext context(pathA_);
    MainWindow window(context);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    select(window, runsA_.first());
    QCOMPARE(window.runPage().stepTable().rowCount(), 1);
    QVERIFY(!window.launchPage().card("only-in-b"));

    context.switchNotebook(pathB_);
    QCOMPARE(context.notebookPath(), QFileInfo(pathB_).absoluteFilePath());

    // History: B's runs and B's presets in the filter values.
    HistoryModel& history = window.history().model();
    QTRY_COMPARE(history.loadedRows(), int(runsB_.size()));
    QCOMPARE(history.distinctPresets(), QStringList{"3"});

    // Launch: B's user preset is a card.
    QVERIFY(window.launchPage().card("only-in-b"));

    // Run page (runs, steps, checks, models, groups, the charts' report data).
    const qint64 shown = runsB_.first();
    select(window, shown);
    QCOMPARE(window.runPage().runId(), shown);
    QCOMPARE(window.runPage().stepTable().rowCount(), 4);
    QVERIFY2(window.runPage().failureText().isEmpty(), qPrintable(window.runPage().failureText()));

    // Attention (runs, steps, tensors): B's run captured no attention, and the page says so.
    AttentionExplorer& attention = window.runPage().attentionExplorer();
    attention.showRun(shown);
    QVERIFY2(!attention.messageText().contains("cannot be explored"), qPrintable(attention.messageText()));

    // Compare (runs, steps, groups): B's two runs, four aligned steps.
    ComparePage& compare = window.comparePage();
    compare.reloadPickers();
    compare.showRuns(runsB_[0], runsB_[1]);
    QCOMPARE(compare.runA(), runsB_[0]);
    QCOMPARE(compare.stepTable()->rowCount(), 4);

    // Notes and tags (runs, notes, tags): written into B, not A.
    NotesEditor& notes = window.notesPage();
    QCOMPARE(notes.runId(), shown);
    QVERIFY(notes.editor()->isEnabled());
    notes.editor()->setPlainText("written after the switch");
    notes.saveNow();
    notes.addTag("after-switch");
    notebook::Notebook b(pathB_.toStdString(), notebook::OpenMode::ReadOnly);
    const auto notesInB = b.notes().ofRun(shown);
    QCOMPARE(notesInB.size(), size_t{1});
    QCOMPARE(QString::fromStdString(notesInB.front().markdown), QString("written after the switch"));
    const auto tagsInB = b.tags().ofRun(shown);
    QVERIFY(std::find(tagsInB.begin(), tagsInB.end(), "after-switch") != tagsInB.end());
    notebook::Notebook a(pathA_.toStdString(), notebook::OpenMode::ReadOnly);
    QVERIFY(a.notes().ofRun(shown).empty());
    QVERIFY(a.tags().ofRun(shown).empty());
    // The history's filters see the new tag (the tag store of B).
    QTRY_VERIFY(history.distinctTags().contains("after-switch"));
}

QTEST_MAIN(SwitchNotebookTest)
#include "switchnotebook_test.moc"
