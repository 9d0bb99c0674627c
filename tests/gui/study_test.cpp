// The study panel on the Launch page (issue 16): input the panel refuses in words before anything
// starts (a bad threshold list, an unknown preset, a suite file with a bad line named by number),
// and a tiny study (2 prompts x 1 threshold, preset 1a and the artifact control of preset 2, on a
// generated model, 2 steps each) started by clicking "Run the whole study": the progress bar moves, Cancel stops
// it with finished runs kept, Resume finishes it, and the stored study is finished with the runs
// of the first call reused (none made twice); in the window, Open report shows the study's findings
// report on the Report page. Pictures of the panel mid-run and finished go to
// /tmp (tempo-page-study-running.png, tempo-page-study-finished.png).

#include <algorithm>
#include <atomic>
#include <set>

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSemaphore>
#include <QSignalSpy>
#include <QSpinBox>
#include <QtTest>

#include "app/studyworker.h"
#include "core/experiment/shippedsuites.h"
#include "core/experiment/sweep.h"
#include "core/notebook/notebook.h"
#include "core/notebook/studystore.h"
#include "gui/pages/launch/launchpage.h"
#include "gui/pages/launch/studypanel.h"
#include "gui/pages/report/reportpage.h"
#include "gui/shell/mainwindow.h"
#include "gui/shell/labcontext.h"
#include "gui/widgets/modelpicker.h"
#include "gui/widgets/thresholdfield.h"
#include "pagesfixture.h"

using namespace tempo;
using namespace tempo::gui;

namespace {

// The finished runs of a stored study's sweeps.
std::set<std::int64_t> finishedRunsOf(notebook::Notebook& notebook, std::int64_t studyId)
{
    std::set<std::int64_t> runs;
    for (const notebook::StudySweep& link : notebook.studies().sweepsOf(studyId)) {
        const auto sweep = notebook.sweeps().find(link.sweepId);
        if (!sweep)
            continue;
        for (const auto& [runId, point] : sweep->runs) {
            const auto run = notebook.runs().find(runId);
            if (run && run->status == notebook::RunStatus::Finished)
                runs.insert(runId);
        }
    }
    return runs;
}

} // namespace

class StudyTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void shippedSuitesAreOffered();
    void badInputIsRefusedInWords();
    void badSuiteLineIsNamed();
    void runCancelResume();

private:
    QString writeSuite(const QString& name, const QByteArray& text);
    std::optional<testing::PagesFixture> fixture_;
};

void StudyTest::initTestCase()
{
    testing::isolateSettings("gui.study");
    fixture_.emplace();
}

QString StudyTest::writeSuite(const QString& name, const QByteArray& text)
{
    const QString path = fixture_->dir.filePath(name);
    QFile file(path);
    if (file.open(QIODevice::WriteOnly))
        file.write(text);
    return path;
}

void StudyTest::shippedSuitesAreOffered()
{
    // The picker offers both shipped suites with their prompt counts, and follows the model: the
    // general suite for a model that is not the bundled one.
    LabContext context(fixture_->notebookPath);
    LaunchPage page(context);
    QComboBox* suites = page.studyPanel().suitePicker();
    QCOMPARE(suites->count(), 3); // default, general, From file…
    for (int i = 0; i < 2; ++i) {
        const std::string name = suites->itemData(i).toString().section(':', 1).toStdString();
        const auto text = shippedSuiteText(name);
        QVERIFY2(text.has_value(), name.c_str());
        const auto prompts = parseSuite(*text, name).size();
        QVERIFY2(suites->itemText(i).contains(QString("(%1 prompts)").arg(prompts)), qPrintable(suites->itemText(i)));
    }
    QVERIFY(suites->itemText(0).startsWith("Default suite"));
    QVERIFY(suites->itemText(1).startsWith("General suite"));
    page.modelPicker().selectFolder(fixture_->modelFolder);
    QCOMPARE(suites->currentData().toString(), QString("shipped:general.jsonl"));
}

void StudyTest::badInputIsRefusedInWords()
{
    QString error;
    QCOMPARE(parseThresholdField("0.001, 0.1;0.5 1", &error), (QList<double>{0.001, 0.1, 0.5, 1.0}));
    QVERIFY(parseThresholdField("0.1, abc", &error).isEmpty());
    QVERIFY2(error.contains("'abc'") && error.contains("expected"), qPrintable(error));
    QVERIFY(parseThresholdField("0.1 1.5", &error).isEmpty());
    QVERIFY2(error.contains("1.5") && error.contains("(0, 1]"), qPrintable(error));
    QVERIFY(parseThresholdField(" , ", &error).isEmpty());
    QVERIFY2(error.contains("none"), qPrintable(error));

    LabContext context(fixture_->notebookPath);
    LaunchPage page(context);
    page.modelPicker().selectFolder(fixture_->modelFolder);
    StudyPanel& panel = page.studyPanel();
    const auto studiesBefore = context.notebook().studies().all().size();

    panel.thresholdsField()->setText("0.05, 0,3");
    QTest::mouseClick(panel.runButton(), Qt::LeftButton);
    QVERIFY(!panel.isRunning());
    QVERIFY(panel.runButton()->isEnabled());
    QVERIFY2(panel.statusLabel()->text().contains("(0, 1]") && panel.statusLabel()->text().contains("found '0'"),
             qPrintable(panel.statusLabel()->text()));

    panel.thresholdsField()->setText("0.05");
    panel.presetsField()->setText("1a, 9z");
    QTest::mouseClick(panel.runButton(), Qt::LeftButton);
    QVERIFY(!panel.isRunning());
    QVERIFY2(panel.statusLabel()->text().contains("'9z'") && panel.statusLabel()->text().contains("1b"),
             qPrintable(panel.statusLabel()->text()));
    QCOMPARE(context.notebook().studies().all().size(), studiesBefore);
}

void StudyTest::badSuiteLineIsNamed()
{
    const QString suite = writeSuite("bad.jsonl", "{\"family\": \"animals\", \"prompt\": \"The cat sat on the\"}\n"
                                                  "{\"family\": \"weather\", \"prompt\": 7}\n");
    LabContext context(fixture_->notebookPath);
    LaunchPage page(context);
    page.modelPicker().selectFolder(fixture_->modelFolder);
    StudyPanel& panel = page.studyPanel();
    const auto studiesBefore = context.notebook().studies().all().size();
    panel.useSuiteFile(suite);
    panel.thresholdsField()->setText("0.05");
    panel.presetsField()->setText("1a");
    QSignalSpy failed(&panel, &StudyPanel::studyFailed);
    QTest::mouseClick(panel.runButton(), Qt::LeftButton);
    QVERIFY(failed.wait(60000));
    const QString text = panel.statusLabel()->text();
    QVERIFY2(text.contains("line 2") && text.contains("bad.jsonl"), qPrintable(text));
    QVERIFY(panel.runButton()->isEnabled());
    QCOMPARE(context.notebook().studies().all().size(), studiesBefore); // nothing stored, nothing ran
}

void StudyTest::runCancelResume()
{
    const QString suite = writeSuite("tiny.jsonl", "{\"family\": \"animals\", \"prompt\": \"The cat sat on the\"}\n"
                                                   "{\"family\": \"weather\", \"prompt\": \"The rain fell over the\"}\n");
    LabContext context(fixture_->notebookPath);
    LaunchPage page(context);
    page.resize(960, 760);
    page.show();
    page.modelPicker().selectFolder(fixture_->modelFolder);
    StudyPanel& panel = page.studyPanel();
    panel.useSuiteFile(suite);
    panel.thresholdsField()->setText("0.05");
    panel.presetsField()->setText("1a");
    panel.stepsField()->setValue(2);
    QVERIFY(panel.controlBox()->isChecked());
    QSignalSpy started(&panel, &StudyPanel::studyStarted);
    QSignalSpy finished(&panel, &StudyPanel::studyFinished);
    QSignalSpy failed(&panel, &StudyPanel::studyFailed);

    // The worker holds still after its first finished point until the test has pressed Cancel, so
    // the cancel lands mid-study however fast the machine is (the progress reaches the UI queued
    // before the worker waits here). Bounded, so a failing test cannot hang the worker.
    // The UI thread records the points done it was told (queued, like the panel's own update); the
    // hold is connected after both, so the update it waits for is already queued when it blocks.
    qint64 pointsSeen = 0;
    connect(&panel.worker(), &StudyWorker::progress, &panel,
            [&](qint64 done, qint64) { pointsSeen = std::max(pointsSeen, done); });
    QSemaphore cancelPressed;
    std::atomic<bool> held{false};
    connect(
        &panel.worker(), &StudyWorker::progress, &panel.worker(),
        [&](qint64 done, qint64) {
            if (done >= 1 && !held.exchange(true))
                cancelPressed.tryAcquire(1, 60000);
        },
        Qt::DirectConnection);

    QTest::mouseClick(panel.runButton(), Qt::LeftButton);
    QVERIFY(panel.isRunning());
    QVERIFY(!panel.runButton()->isEnabled());
    QVERIFY(panel.cancelButton()->isEnabled());
    QVERIFY(!panel.resumeButton()->isEnabled());
    // Waits for the first finished point (not for the bar: the bar also moves within a point).
    QTRY_VERIFY_WITH_TIMEOUT(pointsSeen >= 1 || failed.count() > 0, 60000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(0).toString()));
    QCOMPARE(started.count(), 1);
    const qint64 studyId = started.first().first().toLongLong();
    QVERIFY(studyId > 0);
    // 1a and the control of preset 2, each 2 prompts x 1 threshold: 4 points, 100 bar units each.
    QCOMPARE(panel.progressBar()->maximum(), 400);
    QVERIFY(panel.progressBar()->value() >= 100);
    QVERIFY2(panel.statusLabel()->text().contains("1 of 4 points"), qPrintable(panel.statusLabel()->text()));
    QVERIFY2(panel.statusLabel()->text().contains("left") || panel.statusLabel()->text().contains("estimating"),
             qPrintable(panel.statusLabel()->text()));
    testing::PagesFixture::grab(panel, "study-running", true);

    QTest::mouseClick(panel.cancelButton(), Qt::LeftButton);
    cancelPressed.release();
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1 || failed.count() > 0, 60000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(0).toString()));
    QCOMPARE(finished.first().at(0).toLongLong(), studyId);
    QCOMPARE(finished.first().at(1).toString(), QString("cancelled"));
    QVERIFY2(panel.statusLabel()->text().contains("cancelled"), qPrintable(panel.statusLabel()->text()));
    QCOMPARE(panel.pickedStudy(), studyId);
    QVERIFY(panel.resumeButton()->isEnabled());
    QVERIFY(panel.runButton()->isEnabled());

    std::set<std::int64_t> keptRuns;
    std::int64_t pointsBefore = 0;
    {
        notebook::Notebook notebook(fixture_->notebookPath.toStdString(), notebook::OpenMode::ReadOnly);
        const auto study = notebook.studies().find(studyId);
        QVERIFY(study.has_value());
        QCOMPARE(notebook::toString(study->status), notebook::toString(notebook::StudyStatus::Cancelled));
        pointsBefore = study->summary.pointsDone;
        QVERIFY(pointsBefore >= 1);
        QVERIFY(pointsBefore < study->summary.points);
        keptRuns = finishedRunsOf(notebook, studyId);
        QVERIFY(!keptRuns.empty());
    }

    QTest::mouseClick(panel.resumeButton(), Qt::LeftButton);
    QVERIFY(panel.isRunning());
    QVERIFY(!panel.resumeButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 2 || failed.count() > 0, 90000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(0).toString()));
    QCOMPARE(finished.at(1).at(0).toLongLong(), studyId);
    QCOMPARE(finished.at(1).at(1).toString(), QString("finished"));
    QCOMPARE(panel.progressBar()->value(), panel.progressBar()->maximum());
    QVERIFY(!panel.resumeButton()->isEnabled()); // a finished study has nothing to resume
    QVERIFY(panel.reportButton()->isEnabled());
    testing::PagesFixture::grab(panel, "study-finished", true);

    notebook::Notebook notebook(fixture_->notebookPath.toStdString(), notebook::OpenMode::ReadOnly);
    const auto study = notebook.studies().find(studyId);
    QVERIFY(study.has_value());
    QCOMPARE(notebook::toString(study->status), notebook::toString(notebook::StudyStatus::Finished));
    QCOMPARE(study->summary.points, std::int64_t{4});
    QCOMPARE(study->summary.pointsDone, std::int64_t{4});
    QCOMPARE(study->summary.pointsReused, pointsBefore);
    const std::set<std::int64_t> finalRuns = finishedRunsOf(notebook, studyId);
    for (std::int64_t runId : keptRuns)
        QVERIFY2(finalRuns.count(runId) == 1, qPrintable(QString("run %1 of the first call was not reused").arg(runId)));
    // 2 points of 1a (one run each) and 2 of the control (a group of two runs each): no run made twice.
    QCOMPARE(finalRuns.size(), size_t{6});
    QCOMPARE(notebook.studies().sweepsOf(studyId).size(), size_t{2});

    QSignalSpy report(&panel, &StudyPanel::reportRequested);
    QTest::mouseClick(panel.reportButton(), Qt::LeftButton);
    QCOMPARE(report.count(), 1);
    QCOMPARE(report.first().first().toLongLong(), studyId);

    // In the window, the panel's Open report shows the study's findings report on the Report page.
    MainWindow window(context);
    QSignalSpy ready(&window.reportPage(), &ReportPage::reportReady);
    emit window.launchPage().studyPanel().reportRequested(studyId);
    QCOMPARE(window.currentPage(), MainWindow::Page::Report);
    QCOMPARE(window.reportPage().subjectText(), QString("study:%1").arg(studyId));
    QTRY_VERIFY_WITH_TIMEOUT(window.reportPage().isReady(), 60000);
}

QTEST_MAIN(StudyTest)
#include "study_test.moc"
