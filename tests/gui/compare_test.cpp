// Compare page on a preset 2 group (isolated + visible on a peaked tiny model): the first divergence
// the page highlights is the one computed here independently from the stored steps (and agrees with
// the analysis' stored first_differing_set_step), through showGroup and through the run pickers.

#include <set>

#include <QComboBox>
#include <QLabel>
#include <QTableWidget>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "gui/pages/compare/comparepage.h"
#include "gui/shell/labcontext.h"
#include "pagesfixture.h"

using namespace tempo;
using namespace tempo::gui;

namespace {

// First step whose sets differ as sets of token ids, or that only one run reached; -1: none.
int firstDivergenceByHand(const std::vector<notebook::StepRecord>& a, const std::vector<notebook::StepRecord>& b)
{
    const size_t longest = std::max(a.size(), b.size());
    for (size_t s = 0; s < longest; ++s) {
        if (s >= a.size() || s >= b.size())
            return static_cast<int>(s);
        const std::set<int64_t> setA(a[s].tokenIds.begin(), a[s].tokenIds.end());
        const std::set<int64_t> setB(b[s].tokenIds.begin(), b[s].tokenIds.end());
        if (setA != setB)
            return static_cast<int>(s);
    }
    return -1;
}

} // namespace

class CompareTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void groupShowsFirstDivergence();
    void pickersShowTheSameDivergence();
    void identicalRunsShowNoDivergence();

private:
    std::optional<testing::PagesFixture> fixture_;
    int64_t groupId_ = 0;
    std::vector<int64_t> runIds_;
    int expected_ = -1;
};

void CompareTest::initTestCase()
{
    testing::isolateSettings("gui.compare");
    fixture_.emplace();
    // A low threshold makes multi-member sets (and so a divergence) certain on the peaked model.
    const ExperimentResult result = fixture_->run("2", 10, {"threshold=0.05"});
    QVERIFY(result.groupId.has_value());
    groupId_ = *result.groupId;
    runIds_ = result.runIds;
    QCOMPARE(runIds_.size(), size_t{2});

    notebook::Notebook notebook(fixture_->notebookPath.toStdString(), notebook::OpenMode::ReadOnly);
    expected_ = firstDivergenceByHand(notebook.steps().ofRun(runIds_[0]), notebook.steps().ofRun(runIds_[1]));
    qInfo("first divergence computed from the stored steps: step %d", expected_);
    QVERIFY2(expected_ >= 0, "the fixture pair must diverge for the highlight to be tested");

    // The analysis stored its own answer with the group: the two must agree.
    const auto group = notebook.groups().find(groupId_);
    QVERIFY(group.has_value());
    QVERIFY(group->comparison.metrics.has_value());
    bool found = false;
    for (const auto& metric : *group->comparison.metrics)
        if (metric.name == "distribution.first_differing_set_step") {
            QCOMPARE(metric.value, static_cast<double>(expected_));
            found = true;
        }
    QVERIFY(found);
}

void CompareTest::groupShowsFirstDivergence()
{
    LabContext context(fixture_->notebookPath);
    ComparePage page(context);
    page.showGroup(groupId_);
    QCOMPARE(page.runA(), qint64(runIds_[0]));
    QCOMPARE(page.runB(), qint64(runIds_[1]));
    QCOMPARE(page.firstDivergence(), expected_);

    QTableWidget* table = page.stepTable();
    const int row = page.highlightedRow();
    QVERIFY(row >= 0);
    QCOMPARE(table->item(row, 0)->text(), QString::number(expected_));
    QCOMPARE(table->item(row, 4)->text(), QString("first divergence"));
    QVERIFY(table->item(row, 2)->background().color().alpha() > 0);
    // Rows before it are identical sets; exactly one row is highlighted.
    for (int r = 0; r < table->rowCount(); ++r) {
        const bool highlighted = table->item(r, 0)->font().bold();
        QCOMPARE(highlighted, r == row);
        if (table->item(r, 0)->text().toInt() < expected_)
            QCOMPARE(table->item(r, 4)->text(), QString("same"));
    }
    auto* banner = page.findChild<QLabel*>("divergenceBanner");
    QVERIFY(banner);
    QVERIFY2(banner->text().contains(QString("step %1").arg(expected_)), qPrintable(banner->text()));
    testing::PagesFixture::grab(page, "compare");
}

void CompareTest::pickersShowTheSameDivergence()
{
    LabContext context(fixture_->notebookPath);
    ComparePage page(context);
    auto* pickerA = page.findChild<QComboBox*>("runPickerA");
    auto* pickerB = page.findChild<QComboBox*>("runPickerB");
    QVERIFY(pickerA && pickerB);
    // Swapped order: the divergence is a property of the pair.
    pickerA->setCurrentIndex(pickerA->findData(qint64(runIds_[1])));
    pickerB->setCurrentIndex(pickerB->findData(qint64(runIds_[0])));
    QCOMPARE(page.runA(), qint64(runIds_[1]));
    QCOMPARE(page.runB(), qint64(runIds_[0]));
    QCOMPARE(page.firstDivergence(), expected_);
}

void CompareTest::identicalRunsShowNoDivergence()
{
    LabContext context(fixture_->notebookPath);
    ComparePage page(context);
    page.showRuns(runIds_[0], runIds_[0]);
    QCOMPARE(page.firstDivergence(), -1);
    QCOMPARE(page.highlightedRow(), -1);
    auto* banner = page.findChild<QLabel*>("divergenceBanner");
    QVERIFY(banner->text().contains("No divergence"));
}

QTEST_MAIN(CompareTest)
#include "compare_test.moc"
