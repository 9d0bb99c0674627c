// An artifact-control run (TempoConfig::mechanism = artifact_control) in the window: the history
// list shows it as a control (Mode "CONTROL · <mode>", its text prefixed with the label, a tinted
// row, the label in the tooltip) and the run page carries the control banner; a TEMPO run beside
// it shows none of that. The runs are written straight into the notebook, so what is expected
// comes from the test, not from the code under test.
//
// TEMPO_CONTROL_SCREENSHOTS=DIR saves the window with each run selected (history list and run
// page) as PNGs, for looking at.

#include <QLabel>
#include <QTableView>
#include <QtTest>

#include "core/notebook/notebook.h"
#include "core/runrecord/tempoconfig.h"
#include "core/tempo/checks.h"
#include "gui/pages/run/runpage.h"
#include "gui/shell/historymodel.h"
#include "gui/shell/historysidebar.h"
#include "gui/shell/labcontext.h"
#include "gui/shell/mainwindow.h"
#include "guifixture.h"

using namespace tempo;
using namespace tempo::gui;

class ControlTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void historyListShowsTheControl();
    void runPageShowsTheControlBanner();

private:
    void select(MainWindow& window, qint64 runId);
    void saveScreenshot(QWidget& window, const QString& name);

    test::GuiFixture fixture_;
    QString path_;
    qint64 control_ = 0, tempoRun_ = 0;
};

void ControlTest::initTestCase()
{
    fixture_.setUp();
    path_ = fixture_.notebookPath("control");
    notebook::Notebook notebook(path_.toStdString());
    auto addRun = [&](Mechanism mechanism, const std::string& text) {
        notebook::RunRecord run;
        run.presetId = "2";
        run.prompt = "The cat sat on the";
        TempoConfig tempo;
        tempo.mode = SiblingMode::Isolated;
        tempo.mechanism = mechanism;
        run.config.tempo = tempo;
        run.config.prompt = run.prompt;
        run.config.promptTokenIds = {510, 84};
        const std::int64_t id = notebook.runs().create(run);
        // A set of two of which the control fed only the last member (slot -1 for the first).
        const std::vector<std::int64_t> fedSlots = mechanism == Mechanism::ArtifactControl ? std::vector<std::int64_t>{-1, 2}
                                                                                       : std::vector<std::int64_t>{2, 3};
        notebook.steps().append(id, {0, 2, fedSlots, {104, 109}, {"h", "m"}, {0.5, 0.3}, 1.0});
        // The checks as the decoder records them (a control run fails the mechanism checks, with the reason).
        std::vector<notebook::CheckRecord> checks;
        for (const char* name : {checkname::kAllMembersCached, checkname::kSharedPositions, checkname::kSiblingAttention,
                                 checkname::kRopeRotation, checkname::kFinite}) {
            CheckResult measured{name, true, 0.0, "measured fine"};
            if (mechanism == Mechanism::ArtifactControl)
                measured = asArtifactControlCheck(measured);
            checks.push_back({measured.name, measured.passed, measured.value, measured.detail});
        }
        notebook.checks().record(id, checks);
        notebook.runs().finish(id, notebook::RunStatus::Finished, text, "{}", "");
        return id;
    };
    tempoRun_ = addRun(Mechanism::Tempo, "The cat sat on the [h/m]");
    control_ = addRun(Mechanism::ArtifactControl, "The cat sat on the [h/m]");
}

void ControlTest::select(MainWindow& window, qint64 runId)
{
    HistorySidebar& history = window.history();
    QTRY_VERIFY(history.model().rowOfRun(runId) >= 0);
    history.table().setCurrentIndex(history.model().index(history.model().rowOfRun(runId), 0));
    QCOMPARE(history.selectedRunIds(), QList<qint64>{runId});
}

void ControlTest::saveScreenshot(QWidget& window, const QString& name)
{
    const QString folder = qEnvironmentVariable("TEMPO_CONTROL_SCREENSHOTS");
    if (folder.isEmpty())
        return;
    QVERIFY(window.grab().save(QDir(folder).filePath(name)));
}

void ControlTest::historyListShowsTheControl()
{
    notebook::Notebook notebook(path_.toStdString(), notebook::OpenMode::ReadOnly);
    HistoryModel model;
    model.setStores(&notebook.runs(), &notebook.tags());
    const int controlRow = model.rowOfRun(control_), tempoRow = model.rowOfRun(tempoRun_);
    QVERIFY(controlRow >= 0 && tempoRow >= 0);
    const QString label = QString::fromUtf8(kArtifactControlLabel);
    auto cell = [&](int row, int column, int role = Qt::DisplayRole) { return model.index(row, column).data(role); };

    QCOMPARE(cell(controlRow, HistoryModel::ModeColumn).toString(), QStringLiteral("control · isolated"));
    QCOMPARE(cell(controlRow, HistoryModel::TextColumn).toString(), "[" + label + "] The cat sat on the [h/m]");
    QVERIFY(cell(controlRow, HistoryModel::IdColumn, HistoryModel::kArtifactControlRole).toBool());
    QVERIFY(cell(controlRow, HistoryModel::TextColumn, Qt::BackgroundRole).isValid());
    QVERIFY(cell(controlRow, HistoryModel::IdColumn, Qt::ToolTipRole).toString().contains(label));

    QCOMPARE(cell(tempoRow, HistoryModel::ModeColumn).toString(), QStringLiteral("isolated"));
    QCOMPARE(cell(tempoRow, HistoryModel::TextColumn).toString(), QStringLiteral("The cat sat on the [h/m]"));
    QVERIFY(!cell(tempoRow, HistoryModel::IdColumn, HistoryModel::kArtifactControlRole).toBool());
    QVERIFY(!cell(tempoRow, HistoryModel::TextColumn, Qt::BackgroundRole).isValid());
    QVERIFY(!cell(tempoRow, HistoryModel::IdColumn, Qt::ToolTipRole).toString().contains(QStringLiteral("CONTROL")));
}

void ControlTest::runPageShowsTheControlBanner()
{
    LabContext context(path_);
    MainWindow window(context);
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    select(window, control_);
    QCOMPARE(window.runPage().runId(), control_);
    const QString banner = window.runPage().controlText();
    QVERIFY2(banner.startsWith(QString::fromUtf8(kArtifactControlLabel)), qPrintable(banner));
    QVERIFY2(banner.contains(QStringLiteral("not a TEMPO result")), qPrintable(banner));
    QVERIFY2(banner.contains(QStringLiteral("fail by design")), qPrintable(banner));
    const QList<QLabel*> badges = window.runPage().checkBadges();
    QCOMPARE(badges.size(), 5);
    for (QLabel* badge : badges)
        QCOMPARE(badge->property("passed").toBool(), badge->property("checkName").toString() == QLatin1String("finite"));
    window.showPage(MainWindow::Page::Run);
    saveScreenshot(window, QStringLiteral("control-run.png"));

    select(window, tempoRun_);
    QCOMPARE(window.runPage().runId(), tempoRun_);
    QCOMPARE(window.runPage().controlText(), QString());
    saveScreenshot(window, QStringLiteral("tempo-run.png"));
    QVERIFY(window.runPage().checkBadges().size() == 5);
}

QTEST_MAIN(ControlTest)
#include "control_test.moc"
