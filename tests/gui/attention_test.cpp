// Attention explorer: for a run with attention captures the heatmap has one column per slot so far
// and one row per member fed, its cells are the stored probabilities of the chosen layer and head,
// and isolated siblings read exactly 0 under the mask; a run without the capture says so.

#include <QtTest>

#include <qcustomplot.h>

#include "gui/pages/attention/attentionexplorer.h"
#include "gui/shell/labcontext.h"
#include "pagesfixture.h"

using namespace tempo;
using namespace tempo::gui;

class AttentionTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void heatmapHasTheStoredShapeAndValues();
    void everyStepHasTheRightSize();
    void runWithoutCaptureSaysSo();

private:
    std::optional<testing::PagesFixture> fixture_;
    int64_t attentionRun_ = 0;
    int64_t plainRun_ = 0;
};

void AttentionTest::initTestCase()
{
    testing::isolateSettings("gui.attention");
    fixture_.emplace();
    attentionRun_ = fixture_->run("1a", 6, {"threshold=0.05"}).runIds.at(0);
    plainRun_ = fixture_->run("4", 3).runIds.at(0); // preset 4 captures kv and positions only
}

void AttentionTest::heatmapHasTheStoredShapeAndValues()
{
    // The first multi-member step, its stored tensor and the slot of its first member, read here.
    notebook::Notebook notebook(fixture_->notebookPath.toStdString(), notebook::OpenMode::ReadOnly);
    const auto steps = notebook.steps().ofRun(attentionRun_);
    int step = -1;
    for (const auto& s : steps)
        if (s.tokenIds.size() >= 2) {
            step = s.step;
            break;
        }
    QVERIFY2(step >= 0, "the fixture run must have a multi-member set");
    std::optional<notebook::TensorBlob> blob;
    for (const auto& info : notebook.tensors().infosOfRun(attentionRun_))
        if (info.name == "attention" && info.step == step)
            blob = notebook.tensors().load(info.id);
    QVERIFY(blob.has_value());
    QCOMPARE(blob->shape.size(), size_t{4}); // [layers, heads, rows, slots]
    const int64_t layers = blob->shape[0], heads = blob->shape[1], rows = blob->shape[2], slotCount = blob->shape[3];
    QCOMPARE(rows, static_cast<int64_t>(steps[step].tokenIds.size()));
    QCOMPARE(slotCount, steps[step].physicalSlots.back() + 1);
    const std::vector<float> values = blob->toF32();

    LabContext context(fixture_->notebookPath);
    AttentionExplorer explorer(context);
    explorer.showRun(attentionRun_);
    QVERIFY(explorer.hasCapture());
    const int layer = static_cast<int>(layers - 1), head = static_cast<int>(heads - 1);
    explorer.select(step, 1, layer, head);
    QCOMPARE(explorer.heatmapCells(), QSize(static_cast<int>(slotCount), static_cast<int>(rows)));

    // Every cell is the stored probability; isolated siblings are exactly 0.
    const int64_t firstSlot = steps[step].physicalSlots.front();
    double maxDiff = 0;
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < slotCount; ++c) {
            const double stored = values[((layer * heads + head) * rows + r) * slotCount + c];
            const double shown = explorer.heatmap()->data()->cell(static_cast<int>(c), static_cast<int>(r));
            maxDiff = std::max(maxDiff, std::abs(stored - shown));
            if (c >= firstSlot && c != firstSlot + r)
                QCOMPARE(shown, 0.0);
        }
    qInfo("heatmap %lldx%lld cells vs stored tensor: max |difference| %g", static_cast<long long>(slotCount),
          static_cast<long long>(rows), maxDiff);
    QCOMPARE(maxDiff, 0.0);
    testing::PagesFixture::grab(explorer, "attention");
}

void AttentionTest::everyStepHasTheRightSize()
{
    notebook::Notebook notebook(fixture_->notebookPath.toStdString(), notebook::OpenMode::ReadOnly);
    LabContext context(fixture_->notebookPath);
    AttentionExplorer explorer(context);
    explorer.showRun(attentionRun_);
    int checked = 0;
    for (const auto& info : notebook.tensors().infosOfRun(attentionRun_)) {
        if (info.name != "attention")
            continue;
        explorer.select(*info.step, 0, 0, 0);
        QCOMPARE(explorer.heatmapCells(), QSize(static_cast<int>(info.shape[3]), static_cast<int>(info.shape[2])));
        ++checked;
    }
    qInfo("%d stored forwards checked", checked);
    QVERIFY(checked >= 6); // the prefill and the steps whose set was fed
}

void AttentionTest::runWithoutCaptureSaysSo()
{
    LabContext context(fixture_->notebookPath);
    AttentionExplorer explorer(context);
    explorer.showRun(plainRun_);
    QVERIFY(!explorer.hasCapture());
    QCOMPARE(explorer.heatmapCells(), QSize(0, 0));
    QVERIFY2(explorer.messageText().contains("no attention capture"), qPrintable(explorer.messageText()));
    testing::PagesFixture::grab(explorer, "attention-none");
}

QTEST_MAIN(AttentionTest)
#include "attention_test.moc"
