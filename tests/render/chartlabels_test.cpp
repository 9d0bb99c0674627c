// Axis titles fit their axes: every chart of the fixture group drawn at the size the window gives
// it (a Run page chart is about 820 x 300 pixels, 640 in a narrow window) and at the report size keeps each title within
// the length of its axis. Before fitAxisLabels, "Entropy (nats), solid" and the correlation and
// attention-mass titles ran past short vertical axes and were cut at both ends.
#include <string>

#include <QRect>
#include <QSize>

#include <gtest/gtest.h>
#include <qcustomplot.h>

#include "core/report/reportbuilder.h"
#include "render/charts/chartbuilders.h"
#include "reportfixture.h"
#include "support/testsupport.h"

namespace tempo::test {
namespace {

using report::ChartKind;
using report::SubjectKind;

class ChartLabels : public ::testing::TestWithParam<QSize> {
protected:
    void SetUp() override
    {
        book_ = std::make_unique<notebook::Notebook>((dir_.path() / "fixture.sqlite").string());
        ids_ = writeReportFixture(*book_, "labels");
    }
    TempDir dir_{"tempo-chart-labels"};
    std::unique_ptr<notebook::Notebook> book_;
    ReportFixture ids_;
};

TEST_P(ChartLabels, every_axis_title_fits_its_axis)
{
    const QSize size = GetParam();
    const auto data = report::loadReportData(*book_, {SubjectKind::Group, ids_.groupId});
    const auto kinds = report::chartsFor(data);
    ASSERT_GE(kinds.size(), 4u);
    int titles = 0;
    for (ChartKind kind : kinds) {
        QCustomPlot plot;
        plot.setViewport(QRect(QPoint(0, 0), size)); // a hidden widget gets no resize event
        charts::drawChart(plot, kind, data);
        plot.replot(QCustomPlot::rpImmediateRefresh); // lays out, then fits the titles
        QList<QCPAxis*> axes;
        for (QCPAxisRect* rect : plot.axisRects())
            axes += rect->axes();
        for (QCPLayoutElement* element : plot.plotLayout()->elements(true))
            if (auto* scale = qobject_cast<QCPColorScale*>(element))
                axes << scale->axis(); // the heatmap's colour scale has a title too
        for (QCPAxis* axis : axes) {
            if (!axis->visible() || axis->label().isEmpty())
                continue;
            ++titles;
            EXPECT_LE(charts::axisLabelLength(*axis), charts::axisLength(*axis))
                << report::chartKindName(kind) << ": '" << axis->label().toStdString() << "' at "
                << size.width() << "x" << size.height() << ", " << axis->labelFont().pointSize() << " pt";
            EXPECT_GE(axis->labelFont().pointSize(), 7);
        }
    }
    EXPECT_GT(titles, int(kinds.size())); // at least the x and y titles of most charts were checked
}

INSTANTIATE_TEST_SUITE_P(WindowAndReportSizes, ChartLabels,
                         ::testing::Values(QSize(820, 300), QSize(640, 300), QSize(1200, 700)),
                         [](const ::testing::TestParamInfo<QSize>& info) {
                             return std::to_string(info.param.width()) + "x" + std::to_string(info.param.height());
                         });

TEST(ChartLabelFit, a_title_too_long_for_its_axis_shrinks_then_wraps)
{
    QCustomPlot plot;
    plot.setViewport(QRect(0, 0, 400, 200));
    plot.yAxis->setLabelFont(QFont(QStringLiteral("DejaVu Sans"), 15));
    const QString title = QStringLiteral("A very long vertical axis title that cannot fit in two hundred pixels");
    plot.yAxis->setLabel(title);
    plot.replot(QCustomPlot::rpImmediateRefresh);
    ASSERT_GT(charts::axisLabelLength(*plot.yAxis), charts::axisLength(*plot.yAxis)); // the case to fix
    charts::fitAxisLabels(plot);
    EXPECT_LT(plot.yAxis->labelFont().pointSize(), 15);
    EXPECT_TRUE(plot.yAxis->label().contains('\n')) << plot.yAxis->label().toStdString();
    EXPECT_EQ(QString(plot.yAxis->label()).replace('\n', ' '), title); // wrapped, not cut
}

} // namespace
} // namespace tempo::test
