// Sweeps page: a tiny sweep (2 prompts x 2 thresholds of preset 1a, 3 steps) launched by clicking
// Run runs on the worker thread while the UI thread keeps turning (worst gap printed), and its
// aggregate table fills with one column per threshold whose run.steps and run.max_width means are
// the ones computed here from the stored runs. The compiled-in suite equals the shipped file.

#include <cmath>
#include <ctime>
#include <numeric>

#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTimer>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "core/experiment/sweep.h"
#include "gui/pages/sweeps/sweepspage.h"
#include "gui/shell/labcontext.h"
#include "gui/widgets/thresholdfield.h"
#include "pagesfixture.h"

using namespace tempo;
using namespace tempo::gui;

class SweepsTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void compiledSuiteEqualsTheShippedFile();
    void thresholdsParse();
    void tinySweepFillsTheTable();

private:
    std::optional<testing::PagesFixture> fixture_;
};

void SweepsTest::initTestCase()
{
    testing::isolateSettings("gui.sweeps");
    fixture_.emplace();
}

void SweepsTest::compiledSuiteEqualsTheShippedFile()
{
    const QString path = QFileInfo(QStringLiteral(__FILE__)).dir().filePath("../../resources/suites/default.jsonl");
    QFile file(path);
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(path));
    const QByteArray shipped = file.readAll();
    QCOMPARE(QString::fromUtf8(defaultSuiteText()), QString::fromUtf8(shipped));
    QCOMPARE(parseSuite(defaultSuiteText(), "compiled suite").size(),
             parseSuite(shipped.toStdString(), path.toStdString()).size());
}

void SweepsTest::thresholdsParse()
{
    QString error;
    QCOMPARE(parseThresholdField("0.05, 0.1 0.2;0.3", &error), (QList<double>{0.05, 0.1, 0.2, 0.3}));
    QVERIFY(parseThresholdField("0.1, abc", &error).isEmpty());
    QVERIFY(error.contains("abc"));
}

void SweepsTest::tinySweepFillsTheTable()
{
    const QString suite = fixture_->dir.filePath("tiny.jsonl");
    {
        QFile file(suite);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"category\": \"animals\", \"prompt\": \"The cat sat on the\"}\n"
                   "{\"category\": \"weather\", \"prompt\": \"The rain fell over the\"}\n");
    }
    LabContext context(fixture_->notebookPath);
    SweepsPage page(context);
    page.resize(1100, 760);
    page.show();
    page.presetPicker()->setCurrentIndex(page.presetPicker()->findData(QString("1a")));
    page.useSuiteFile(suite);
    page.thresholdsField()->setText("0.05, 0.3");
    page.maxStepsField()->setValue(3);
    page.modelField()->setText(fixture_->modelFolder);
    QSignalSpy finished(&page, &SweepsPage::sweepFinished);

    // The UI thread must keep turning while the sweep runs: a 10 ms timer measures the gaps between
    // ticks in wall time and in UI-thread CPU time (the machine is shared, so a long wall gap with
    // little CPU is waiting for a core, not blocking work on the UI thread).
    QElapsedTimer sinceTick;
    double worstGapMs = 0, worstCpuGapMs = 0, lastCpu = 0;
    auto threadCpuMs = [] {
        timespec now{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
        return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
    };
    QTimer ticker;
    ticker.setInterval(10);
    connect(&ticker, &QTimer::timeout, this, [&] {
        worstGapMs = std::max(worstGapMs, sinceTick.nsecsElapsed() / 1e6);
        sinceTick.restart();
        const double cpu = threadCpuMs();
        worstCpuGapMs = std::max(worstCpuGapMs, cpu - lastCpu);
        lastCpu = cpu;
    });
    QTest::mouseClick(page.runButton(), Qt::LeftButton);
    sinceTick.start();
    lastCpu = threadCpuMs();
    ticker.start();
    QVERIFY(!page.runButton()->isEnabled());
    QVERIFY(page.cancelButton()->isEnabled());
    QVERIFY(finished.wait(180000));
    ticker.stop();
    qInfo("worst UI-thread gap during the sweep: %.1f ms wall, %.1f ms UI-thread CPU", worstGapMs, worstCpuGapMs);
    QVERIFY(worstCpuGapMs < 100); // the window's budget: no blocking work on the UI thread
    QVERIFY(page.runButton()->isEnabled());

    const qint64 sweepId = finished.first().first().toLongLong();
    QCOMPARE(page.shownSweep(), sweepId);
    QTableWidget* table = page.aggregateTable();
    QCOMPARE(table->columnCount(), 4); // metric, 2 thresholds, all
    QVERIFY(table->rowCount() > 0);
    QVERIFY(table->horizontalHeaderItem(1)->text().startsWith("t = 0.05"));
    QVERIFY(table->horizontalHeaderItem(2)->text().startsWith("t = 0.3"));

    // Independent means per threshold from the stored runs: steps made and the widest set.
    notebook::Notebook notebook(fixture_->notebookPath.toStdString(), notebook::OpenMode::ReadOnly);
    const auto sweep = notebook.sweeps().find(sweepId);
    QVERIFY(sweep.has_value());
    QCOMPARE(sweep->runs.size(), size_t{4});
    std::map<double, std::vector<double>> steps, widths;
    for (const auto& [runId, pointJson] : sweep->runs) {
        const double threshold = nlohmann::json::parse(pointJson).at("threshold").get<double>();
        const auto stored = notebook.steps().ofRun(runId);
        size_t widest = 0;
        for (const auto& s : stored)
            widest = std::max(widest, s.tokenIds.size());
        steps[threshold].push_back(static_cast<double>(stored.size()));
        widths[threshold].push_back(static_cast<double>(widest));
    }
    auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
    auto shownMean = [table](const QString& metric, int column) {
        const auto found = table->findItems(metric, Qt::MatchExactly);
        if (found.isEmpty())
            return std::nan("");
        return table->item(found.front()->row(), column)->text().section(' ', 0, 0).toDouble();
    };
    int column = 1;
    for (const auto& [threshold, values] : steps) {
        qInfo("t=%g: steps mean %g (table %g), max width mean %g (table %g)", threshold, mean(values),
              shownMean("run.steps", column), mean(widths[threshold]), shownMean("run.max_width", column));
        QCOMPARE(shownMean("run.steps", column), mean(values));
        QVERIFY(std::abs(shownMean("run.max_width", column) - mean(widths[threshold])) < 1e-3);
        ++column;
    }
    testing::PagesFixture::grab(page, "sweeps");
}

QTEST_MAIN(SweepsTest)
#include "sweeps_test.moc"
