#include "render/charts/chartbuilders.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <QBuffer>
#include <QPainter>
#include <qcustomplot.h>

namespace tempo::charts {

namespace {

using report::ReportData;
using report::ReportRun;

// Series colours in the order used: blue, vermillion, bluish green, orange, reddish purple, sky
// blue, black, yellow (yellow last: it is hard to see on white).
QColor seriesColour(int index)
{
    static const int order[] = {4, 5, 2, 0, 6, 1, 7, 3};
    return okabeItoPalette()[static_cast<size_t>(order[index % 8])];
}

// A second cue beside colour, so series stay apart in greyscale print too.
QCPScatterStyle::ScatterShape seriesShape(int index)
{
    static const QCPScatterStyle::ScatterShape shapes[] = {QCPScatterStyle::ssCircle, QCPScatterStyle::ssSquare,
                                                           QCPScatterStyle::ssTriangle, QCPScatterStyle::ssDiamond,
                                                           QCPScatterStyle::ssCross, QCPScatterStyle::ssPlus};
    return shapes[index % 6];
}

QString runName(const ReportRun& run)
{
    return QStringLiteral("run %1%2").arg(run.record.id).arg(run.mode.empty() ? QString() : QStringLiteral(" (%1)").arg(QString::fromStdString(run.mode)));
}

QFont baseFont(int points, bool boldFace = false)
{
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSize(points);
    font.setBold(boldFace);
    return font;
}

// Brings `plot` back to one axis rect with a title row above and a legend row below, whatever an
// earlier drawChart left there (the window redraws the same widget for another chart).
QCPAxisRect* resetPlot(QCustomPlot& plot, const QString& title)
{
    plot.clearPlottables();
    plot.clearItems();
    plot.plotLayout()->clear(); // deletes the old axis rects, legend, colour scales and titles
    plot.plotLayout()->simplify();
    auto* rect = new QCPAxisRect(&plot, true);
    plot.xAxis = rect->axis(QCPAxis::atBottom);
    plot.yAxis = rect->axis(QCPAxis::atLeft);
    plot.xAxis2 = rect->axis(QCPAxis::atTop);
    plot.yAxis2 = rect->axis(QCPAxis::atRight);
    auto* heading = new QCPTextElement(&plot, title, baseFont(17, true));
    plot.plotLayout()->addElement(0, 0, heading);
    plot.plotLayout()->addElement(1, 0, rect);
    plot.legend = new QCPLegend;
    plot.legend->setFont(baseFont(13));
    plot.legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    plot.legend->setWrap(3);
    plot.legend->setBorderPen(QPen(QColor(160, 160, 160)));
    plot.plotLayout()->addElement(2, 0, plot.legend);
    plot.legend->setLayer(QStringLiteral("legend"));
    plot.plotLayout()->setRowStretchFactor(0, 0.001);
    plot.plotLayout()->setRowStretchFactor(2, 0.001);
    for (QCPAxis* axis : {plot.xAxis, plot.yAxis, plot.yAxis2}) {
        // Sized for a page: the 1200 px image is printed about 16 cm wide.
        axis->setLabelFont(baseFont(15));
        axis->setTickLabelFont(baseFont(13));
    }
    plot.setBackground(Qt::white);
    return rect;
}

void integerTicks(QCPAxis* axis)
{
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    axis->setTicker(ticker);
}

QCPGraph* addLine(QCustomPlot& plot, QCPAxis* valueAxis, const QString& name, const QVector<double>& x,
                  const QVector<double>& y, int series, Qt::PenStyle style = Qt::SolidLine)
{
    QCPGraph* graph = plot.addGraph(plot.xAxis, valueAxis);
    graph->setName(name);
    graph->setData(x, y, true);
    QPen pen(seriesColour(series), 2.2, style);
    graph->setPen(pen);
    graph->setScatterStyle(QCPScatterStyle(seriesShape(series), seriesColour(series), Qt::white, 8));
    return graph;
}

// Range over finite values with a margin; [0, 1] when none.
QCPRange finiteRange(const std::vector<double>& values, bool includeZero)
{
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (double v : values)
        if (std::isfinite(v)) {
            low = std::min(low, v);
            high = std::max(high, v);
        }
    if (!std::isfinite(low))
        return {0.0, 1.0};
    if (includeZero) {
        low = std::min(low, 0.0);
        high = std::max(high, 0.0);
    }
    const double span = high - low;
    const double margin = span > 0 ? span * 0.08 : std::max(std::fabs(high) * 0.1, 1e-9);
    return {includeZero && low == 0.0 ? 0.0 : low - margin, high + margin};
}

void message(QCustomPlot& plot, const QString& text)
{
    auto* item = new QCPItemText(&plot);
    item->position->setType(QCPItemPosition::ptAxisRectRatio);
    item->position->setCoords(0.5, 0.5);
    item->setText(text);
    item->setFont(baseFont(12));
}

void finish(QCustomPlot& plot)
{
    plot.legend->setVisible(plot.legend->itemCount() > 0);
    if (plot.legend->itemCount() == 0) {
        // An empty legend row would still take space: out of the layout, still owned by the plot.
        plot.plotLayout()->take(plot.legend);
        plot.legend->setParent(&plot);
    }
    plot.plotLayout()->simplify();
}

// ---- one builder per chart kind

void drawSetWidth(QCustomPlot& plot, const ReportData& data)
{
    int series = 0;
    std::vector<double> all{0.0};
    for (const auto& run : data.runs) {
        QVector<double> x, y;
        for (const auto& step : run.steps) {
            x << step.step;
            y << static_cast<double>(step.tokenIds.size());
            all.push_back(y.back());
        }
        if (x.isEmpty())
            continue;
        // Dashed second series: where both runs chose the same widths the lines overlap exactly.
        addLine(plot, plot.yAxis, runName(run), x, y, series, series % 2 ? Qt::DashLine : Qt::SolidLine);
        ++series;
    }
    plot.xAxis->setLabel(QStringLiteral("Step (logical position after the prompt)"));
    plot.yAxis->setLabel(QStringLiteral("Set width (members)"));
    integerTicks(plot.xAxis);
    integerTicks(plot.yAxis);
    plot.rescaleAxes();
    plot.xAxis->setRange(plot.xAxis->range().lower - 0.5, plot.xAxis->range().upper + 0.5);
    plot.yAxis->setRange(0, *std::max_element(all.begin(), all.end()) + 1);
}

void drawEntropy(QCustomPlot& plot, const ReportData& data)
{
    int series = 0;
    std::vector<double> entropies{0.0};
    for (const auto& run : data.runs) {
        if (run.readoutEntropy.empty())
            continue;
        QVector<double> x, entropy, top;
        for (size_t s = 0; s < run.readoutEntropy.size(); ++s) {
            x << static_cast<double>(s);
            entropy << run.readoutEntropy[s];
            top << run.readoutTopProbability[s];
            entropies.push_back(run.readoutEntropy[s]);
        }
        addLine(plot, plot.yAxis, QStringLiteral("entropy, %1").arg(runName(run)), x, entropy, series);
        addLine(plot, plot.yAxis2, QStringLiteral("top-token probability, %1").arg(runName(run)), x, top, series, Qt::DashLine)
            ->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, seriesColour(series), seriesColour(series), 7));
        ++series;
    }
    plot.xAxis->setLabel(QStringLiteral("Step s (readout p_s that selected step s)"));
    plot.yAxis->setLabel(QStringLiteral("Entropy (nats), solid"));
    plot.yAxis2->setLabel(QStringLiteral("Top-token probability, dashed"));
    plot.yAxis2->setVisible(true);
    plot.yAxis2->setTickLabels(true);
    integerTicks(plot.xAxis);
    plot.rescaleAxes();
    plot.xAxis->setRange(plot.xAxis->range().lower - 0.5, plot.xAxis->range().upper + 0.5);
    plot.yAxis->setRange(finiteRange(entropies, true));
    plot.yAxis2->setRange(0.0, 1.05);
}

QVector<double> keys(const std::vector<std::pair<int, double>>& series)
{
    QVector<double> out;
    for (const auto& p : series)
        out << p.first;
    return out;
}
QVector<double> values(const std::vector<std::pair<int, double>>& series)
{
    QVector<double> out;
    for (const auto& p : series)
        out << p.second;
    return out;
}

void drawAttentionDifference(QCustomPlot& plot, const ReportData& data)
{
    auto mean = report::stepSeries(data.pairMetrics, "attention.by_step.mean_abs_diff");
    auto max = report::stepSeries(data.pairMetrics, "attention.by_step.max_abs_diff");
    // The prefill is stored without a step; draw it at step -1.
    if (auto prefill = report::scalarMetric(data.pairMetrics, "attention.by_step.mean_abs_diff"))
        mean.insert(mean.begin(), {-1, *prefill});
    if (auto prefill = report::scalarMetric(data.pairMetrics, "attention.by_step.max_abs_diff"))
        max.insert(max.begin(), {-1, *prefill});
    addLine(plot, plot.yAxis, QStringLiteral("mean |difference|"), keys(mean), values(mean), 0);
    addLine(plot, plot.yAxis, QStringLiteral("max |difference|"), keys(max), values(max), 1, Qt::DashLine);
    plot.xAxis->setLabel(QStringLiteral("Step fed (-1 = prefill)"));
    plot.yAxis->setLabel(QStringLiteral("|attention isolated - visible| (probability)"));
    integerTicks(plot.xAxis);
    plot.rescaleAxes();
    std::vector<double> all;
    for (const auto& p : max) all.push_back(p.second);
    for (const auto& p : mean) all.push_back(p.second);
    plot.yAxis->setRange(finiteRange(all, true));
    plot.xAxis->setRange(plot.xAxis->range().lower - 0.5, plot.xAxis->range().upper + 0.5);
}

void drawLayerCorrelation(QCustomPlot& plot, const ReportData& data)
{
    const auto pearson = report::layerSeries(data.pairMetrics, "attention.by_layer.pearson");
    addLine(plot, plot.yAxis, QStringLiteral("Pearson correlation"), keys(pearson), values(pearson), 0);
    plot.xAxis->setLabel(QStringLiteral("Layer"));
    plot.yAxis->setLabel(QStringLiteral("Pearson correlation (1 = identical attention)"));
    integerTicks(plot.xAxis);
    std::vector<double> all{1.0};
    for (const auto& p : pearson) all.push_back(p.second);
    plot.rescaleAxes();
    plot.xAxis->setRange(plot.xAxis->range().lower - 0.5, plot.xAxis->range().upper + 0.5);
    plot.yAxis->setRange(finiteRange(all, false));
}

void drawSiblingVsPrior(QCustomPlot& plot, const ReportData& data)
{
    auto* group = new QCPBarsGroup(&plot);
    int series = 0;
    std::vector<double> all{0.0};
    int runsWithData = 0;
    for (const auto& run : data.runs)
        runsWithData += report::layerSeries(run.metrics, "cross_parallel.by_layer.mean_sibling").empty() ? 0 : 1;
    const double width = 0.8 / std::max(1, 2 * runsWithData);
    for (const auto& run : data.runs) {
        const auto sibling = report::layerSeries(run.metrics, "cross_parallel.by_layer.mean_sibling");
        const auto prior = report::layerSeries(run.metrics, "cross_parallel.by_layer.mean_prior");
        if (sibling.empty())
            continue;
        for (const auto& [label, series_] : {std::make_pair(QStringLiteral("to siblings"), sibling),
                                             std::make_pair(QStringLiteral("to prior context"), prior)}) {
            auto* bars = new QCPBars(plot.xAxis, plot.yAxis);
            bars->setName(QStringLiteral("%1, %2").arg(label, runName(run)));
            bars->setData(keys(series_), values(series_), true);
            bars->setWidth(width);
            bars->setPen(QPen(seriesColour(series).darker(130)));
            bars->setBrush(seriesColour(series));
            bars->setBarsGroup(group);
            for (const auto& p : series_) all.push_back(p.second);
            ++series;
        }
    }
    plot.xAxis->setLabel(QStringLiteral("Layer"));
    plot.yAxis->setLabel(QStringLiteral("Mean attention mass per member (fraction of 1)"));
    integerTicks(plot.xAxis);
    plot.rescaleAxes();
    plot.xAxis->setRange(plot.xAxis->range().lower - 0.6, plot.xAxis->range().upper + 0.6);
    plot.yAxis->setRange(finiteRange(all, true));
}

// Viridis-like stops (perceptually uniform, readable by every colour vision).
QCPColorGradient viridis()
{
    QCPColorGradient gradient;
    gradient.clearColorStops();
    gradient.setColorStopAt(0.0, QColor(0x44, 0x01, 0x54));
    gradient.setColorStopAt(0.25, QColor(0x3b, 0x52, 0x8b));
    gradient.setColorStopAt(0.5, QColor(0x21, 0x91, 0x8c));
    gradient.setColorStopAt(0.75, QColor(0x5e, 0xc9, 0x62));
    gradient.setColorStopAt(1.0, QColor(0xfd, 0xe7, 0x25));
    return gradient;
}

void drawHeatmap(QCustomPlot& plot, QCPAxisRect* rect, const ReportData& data)
{
    const bool difference = report::heatmapShowsAttentionDifference(data);
    std::map<std::pair<int, int>, double> grid;
    QString what;
    if (difference) {
        grid = report::headGrid(data.pairMetrics, "attention.by_head.mean_abs_diff");
        what = QStringLiteral("Mean |attention isolated - visible|");
    } else {
        for (const auto& run : data.runs) {
            grid = report::headGrid(run.metrics, "cross_parallel.by_head.mean_sibling");
            if (!grid.empty()) {
                what = QStringLiteral("Mean sibling attention mass, %1").arg(runName(run));
                break;
            }
        }
    }
    int layers = 0, heads = 0;
    for (const auto& [key, value] : grid) {
        layers = std::max(layers, key.first + 1);
        heads = std::max(heads, key.second + 1);
    }
    auto* map = new QCPColorMap(plot.xAxis, plot.yAxis);
    map->data()->setSize(std::max(heads, 1), std::max(layers, 1));
    map->data()->setRange(QCPRange(0, std::max(heads - 1, 0)), QCPRange(0, std::max(layers - 1, 0)));
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (const auto& [key, value] : grid) {
        map->data()->setCell(key.second, key.first, std::isfinite(value) ? value : 0.0);
        if (std::isfinite(value)) {
            low = std::min(low, value);
            high = std::max(high, value);
        }
    }
    if (!std::isfinite(low))
        low = high = 0.0;
    if (high <= low)
        high = low + (low == 0.0 ? 1e-9 : std::fabs(low) * 1e-3);
    auto* scale = new QCPColorScale(&plot);
    plot.plotLayout()->addElement(1, 1, scale);
    scale->setType(QCPAxis::atRight);
    scale->axis()->setLabel(what);
    scale->axis()->setLabelFont(baseFont(14));
    scale->axis()->setTickLabelFont(baseFont(12));
    map->setColorScale(scale);
    map->setGradient(viridis());
    map->setDataRange(QCPRange(low, high));
    map->setInterpolate(false);
    map->removeFromLegend();
    auto* margins = new QCPMarginGroup(&plot);
    rect->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    scale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    plot.xAxis->setLabel(QStringLiteral("Head"));
    plot.yAxis->setLabel(QStringLiteral("Layer"));
    integerTicks(plot.xAxis);
    integerTicks(plot.yAxis);
    plot.xAxis->setRange(-0.5, heads - 0.5);
    plot.yAxis->setRange(-0.5, layers - 0.5);
}

void drawSlotMap(QCustomPlot& plot, const ReportData& data)
{
    int series = 0;
    double maxSlot = 0, maxPosition = 0;
    for (const auto& run : data.runs) {
        QVector<double> x, y;
        for (std::int64_t p = 0; p < run.promptTokens; ++p) {
            x << static_cast<double>(p);
            y << static_cast<double>(p);
        }
        for (const auto& step : run.steps)
            for (std::int64_t slot : step.physicalSlots) {
                if (slot < 0)
                    continue; // selected but not fed: no slot
                x << static_cast<double>(slot);
                y << step.logicalPosition;
            }
        if (x.isEmpty())
            continue;
        maxSlot = std::max(maxSlot, *std::max_element(x.begin(), x.end()));
        maxPosition = std::max(maxPosition, *std::max_element(y.begin(), y.end()));
        QCPGraph* graph = plot.addGraph();
        graph->setName(runName(run));
        graph->setData(x, y, true);
        graph->setLineStyle(QCPGraph::lsNone);
        graph->setScatterStyle(QCPScatterStyle(series == 0 ? QCPScatterStyle::ssCircle : QCPScatterStyle::ssCross,
                                               QPen(seriesColour(series), 2), Qt::NoBrush, series == 0 ? 10 : 8));
        ++series;
    }
    QCPGraph* diagonal = plot.addGraph();
    diagonal->setName(QStringLiteral("slot = position (plain decoding)"));
    diagonal->setData(QVector<double>{0, maxSlot}, QVector<double>{0, maxSlot}, true);
    diagonal->setPen(QPen(QColor(120, 120, 120), 1.2, Qt::DotLine));
    plot.xAxis->setLabel(QStringLiteral("Physical slot in the KV cache"));
    plot.yAxis->setLabel(QStringLiteral("Logical position (RoPE position id)"));
    plot.xAxis->setRange(-0.5, maxSlot + 0.5);
    plot.yAxis->setRange(-0.5, std::max(maxPosition, maxSlot) + 0.5);
    if (maxSlot <= 40)
        integerTicks(plot.xAxis);
    if (maxPosition <= 40)
        integerTicks(plot.yAxis);
}

void drawDivergence(QCustomPlot& plot, const ReportData& data)
{
    const auto klAB = report::stepSeries(data.pairMetrics, "distribution.by_step.kl_ab");
    const auto klBA = report::stepSeries(data.pairMetrics, "distribution.by_step.kl_ba");
    const auto js = report::stepSeries(data.pairMetrics, "distribution.by_step.js");
    addLine(plot, plot.yAxis, QStringLiteral("KL(isolated || visible)"), keys(klAB), values(klAB), 0);
    addLine(plot, plot.yAxis, QStringLiteral("KL(visible || isolated)"), keys(klBA), values(klBA), 1, Qt::DashLine);
    addLine(plot, plot.yAxis, QStringLiteral("Jensen-Shannon"), keys(js), values(js), 2, Qt::DotLine);
    plot.xAxis->setLabel(QStringLiteral("Step s (readout p_s)"));
    plot.yAxis->setLabel(QStringLiteral("Divergence (nats)"));
    integerTicks(plot.xAxis);
    std::vector<double> all;
    for (const auto* s : {&klAB, &klBA, &js})
        for (const auto& p : *s) all.push_back(p.second);
    plot.rescaleAxes();
    plot.xAxis->setRange(plot.xAxis->range().lower - 0.5, plot.xAxis->range().upper + 0.5);
    plot.yAxis->setRange(finiteRange(all, true));
}

void drawSweepMeans(QCustomPlot& plot, const ReportData& data)
{
    const report::ReportSweep& sweep = *data.sweep;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (size_t i = 0; i < sweep.categories.size(); ++i)
        ticker->addTick(static_cast<double>(i), QString::fromStdString(sweep.categories[i]));
    plot.xAxis->setTicker(ticker);
    // One bar set per threshold (grouped), plus every threshold together.
    std::vector<std::optional<double>> thresholds;
    for (double t : sweep.thresholds)
        thresholds.push_back(t);
    if (thresholds.size() != 1)
        thresholds.push_back(std::nullopt);
    auto* group = new QCPBarsGroup(&plot);
    group->setSpacing(2);
    const double width = 0.8 / static_cast<double>(std::max<size_t>(thresholds.size(), 1));
    std::vector<double> all{0.0};
    int series = 0;
    for (const auto& threshold : thresholds) {
        QVector<double> x, mean, error;
        for (size_t i = 0; i < sweep.categories.size(); ++i)
            for (const auto& st : sweep.statistics)
                if (st.metric == sweep.headlineMetric && st.category == sweep.categories[i] && st.threshold == threshold &&
                    std::isfinite(st.mean)) {
                    x << static_cast<double>(i);
                    mean << st.mean;
                    // NaN: no bar at all where n < 2 (a zero-length bar would read as a certain mean).
                    error << (std::isfinite(st.ciHigh) ? st.ciHigh - st.mean : std::numeric_limits<double>::quiet_NaN());
                    all.push_back(st.mean);
                    if (std::isfinite(st.ciHigh)) {
                        all.push_back(st.ciHigh);
                        all.push_back(st.ciLow);
                    }
                }
        auto* bars = new QCPBars(plot.xAxis, plot.yAxis);
        bars->setName(threshold ? QStringLiteral("threshold %1").arg(*threshold) : QStringLiteral("all thresholds"));
        bars->setData(x, mean, true);
        bars->setWidth(width);
        bars->setPen(QPen(seriesColour(series).darker(130)));
        bars->setBrush(seriesColour(series));
        bars->setBarsGroup(group);
        auto* bars95 = new QCPErrorBars(plot.xAxis, plot.yAxis);
        bars95->removeFromLegend();
        bars95->setDataPlottable(bars);
        bars95->setData(error);
        bars95->setPen(QPen(Qt::black, 1.5));
        ++series;
    }
    plot.xAxis->setLabel(QStringLiteral("Prompt category"));
    plot.yAxis->setLabel(QString::fromStdString(sweep.headlineMetric) + QStringLiteral(" (mean, 95% CI)"));
    plot.xAxis->setRange(-0.6, static_cast<double>(sweep.categories.size()) - 0.4);
    plot.yAxis->setRange(finiteRange(all, true));
}

// Error bars for `plottable` from the spec's interval (NaN: no bar at that point).
void addIntervals(QCustomPlot& plot, QCPAbstractPlottable* plottable, const report::ChartSeries& s,
                  std::vector<double>& all)
{
    if (s.low.size() != s.y.size() || s.high.size() != s.y.size())
        return;
    QVector<double> minus, plus;
    bool any = false;
    for (size_t i = 0; i < s.y.size(); ++i) {
        if (!std::isfinite(s.y[i]))
            continue; // the data plottable skipped this point too
        const bool has = std::isfinite(s.low[i]) && std::isfinite(s.high[i]);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        minus << (has ? s.y[i] - s.low[i] : nan);
        plus << (has ? s.high[i] - s.y[i] : nan);
        if (has) {
            all.push_back(s.low[i]);
            all.push_back(s.high[i]);
            any = true;
        }
    }
    if (!any)
        return;
    auto* intervals = new QCPErrorBars(plot.xAxis, plot.yAxis);
    intervals->removeFromLegend();
    intervals->setDataPlottable(plottable);
    intervals->setData(minus, plus);
    intervals->setPen(QPen(QColor(40, 40, 40), 1.4));
    intervals->setWhiskerWidth(8);
}

void drawSpec(QCustomPlot& plot, const report::ChartSpec& spec)
{
    std::vector<double> all;
    int barSeries = 0;
    for (const auto& s : spec.series)
        barSeries += s.style == report::ChartSeries::Style::Bars ? 1 : 0;
    QCPBarsGroup* group = barSeries > 1 ? new QCPBarsGroup(&plot) : nullptr;
    if (group)
        group->setSpacing(2);
    double minX = std::numeric_limits<double>::infinity(), maxX = -minX;
    int index = 0;
    for (const auto& s : spec.series) {
        QVector<double> x, y;
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            if (!std::isfinite(s.y[i]) || (spec.logY && s.y[i] <= 0))
                continue;
            x << s.x[i];
            y << s.y[i];
            all.push_back(s.y[i]);
            minX = std::min(minX, s.x[i]);
            maxX = std::max(maxX, s.x[i]);
        }
        report::ChartSeries kept = s; // intervals of the points drawn, in order
        kept.y.clear();
        kept.low.clear();
        kept.high.clear();
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            if (!std::isfinite(s.y[i]) || (spec.logY && s.y[i] <= 0))
                continue;
            kept.y.push_back(s.y[i]);
            if (s.low.size() == s.y.size() && s.high.size() == s.y.size()) {
                kept.low.push_back(s.low[i]);
                kept.high.push_back(s.high[i]);
            }
        }
        const QString name = QString::fromStdString(s.name);
        if (s.style == report::ChartSeries::Style::Bars) {
            auto* bars = new QCPBars(plot.xAxis, plot.yAxis);
            bars->setName(name);
            bars->setData(x, y, true);
            bars->setWidth(0.8 / std::max(1, barSeries));
            bars->setPen(QPen(seriesColour(index).darker(130)));
            bars->setBrush(seriesColour(index));
            if (group)
                bars->setBarsGroup(group);
            addIntervals(plot, bars, kept, all);
        } else {
            QCPGraph* graph = addLine(plot, plot.yAxis, name, x, y, index, index % 3 == 1 ? Qt::DashLine
                                                                          : index % 3 == 2 ? Qt::DotLine
                                                                                           : Qt::SolidLine);
            if (s.style == report::ChartSeries::Style::Points)
                graph->setLineStyle(QCPGraph::lsNone);
            addIntervals(plot, graph, kept, all);
        }
        ++index;
    }
    plot.xAxis->setLabel(QString::fromStdString(spec.xLabel));
    plot.yAxis->setLabel(QString::fromStdString(spec.yLabel));
    if (!spec.categories.empty()) {
        QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
        for (size_t i = 0; i < spec.categories.size(); ++i)
            ticker->addTick(static_cast<double>(i), QString::fromStdString(spec.categories[i]));
        plot.xAxis->setTicker(ticker);
        plot.xAxis->setRange(-0.6, static_cast<double>(spec.categories.size()) - 0.4);
    } else {
        if (spec.integerX && std::isfinite(minX) && maxX - minX <= 40)
            integerTicks(plot.xAxis);
        if (std::isfinite(minX))
            plot.xAxis->setRange(minX - 0.6, maxX + 0.6);
    }
    if (spec.logY) {
        plot.yAxis->setScaleType(QCPAxis::stLogarithmic);
        plot.yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
        double low = std::numeric_limits<double>::infinity(), high = 0.0;
        for (double v : all)
            if (v > 0) {
                low = std::min(low, v);
                high = std::max(high, v);
            }
        if (std::isfinite(low))
            plot.yAxis->setRange(low / 2, high * 2);
    } else {
        plot.yAxis->setRange(finiteRange(all, true));
    }
}

} // namespace

void drawChartSpec(QCustomPlot& plot, const report::ChartSpec& spec)
{
    QObject::disconnect(&plot, &QCustomPlot::afterLayout, nullptr, nullptr);
    QObject::connect(&plot, &QCustomPlot::afterLayout, &plot, [&plot] { fitAxisLabels(plot); });
    resetPlot(plot, QString::fromStdString(spec.title));
    drawSpec(plot, spec);
    finish(plot);
}

QImage renderChartSpecImage(const report::ChartSpec& spec, QSize size)
{
    QCustomPlot plot;
    plot.resize(size);
    drawChartSpec(plot, spec);
    plot.replot(QCustomPlot::rpImmediateRefresh);
    QImage image(size, QImage::Format_ARGB32);
    image.fill(Qt::white);
    QCPPainter painter(&image);
    plot.toPainter(&painter, size.width(), size.height());
    painter.end();
    return image;
}

QByteArray renderChartSpecPng(const report::ChartSpec& spec, QSize size)
{
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    renderChartSpecImage(spec, size).save(&buffer, "PNG");
    return png;
}

const std::vector<QColor>& okabeItoPalette()
{
    static const std::vector<QColor> palette{QColor(0xE6, 0x9F, 0x00), QColor(0x56, 0xB4, 0xE9), QColor(0x00, 0x9E, 0x73),
                                             QColor(0xF0, 0xE4, 0x42), QColor(0x00, 0x72, 0xB2), QColor(0xD5, 0x5E, 0x00),
                                             QColor(0xCC, 0x79, 0xA7), QColor(0x00, 0x00, 0x00)};
    return palette;
}

QString chartTitle(ChartKind kind) { return QString::fromStdString(report::chartTitle(kind)); }

int axisLabelLength(const QCPAxis& axis)
{
    const QFontMetrics metrics(axis.labelFont());
    int longest = 0;
    for (const QString& line : axis.label().split('\n'))
        longest = std::max(longest, metrics.horizontalAdvance(line));
    return longest;
}

int axisLength(const QCPAxis& axis)
{
    const QCPAxisRect* rect = axis.axisRect();
    return axis.orientation() == Qt::Vertical ? rect->height() : rect->width();
}

int fitAxisLabels(QCustomPlot& plot)
{
    constexpr int kMinimumPoints = 7;
    constexpr char kChartPoints[] = "tempoChartLabelPoints"; // the size the chart set
    constexpr char kChartLabel[] = "tempoChartLabel";        // the title before any wrapping
    int overflowing = 0;
    // The axes of every axis rect, and of every colour scale (its own small axis rect).
    QList<QCPAxis*> axes;
    for (QCPAxisRect* rect : plot.axisRects())
        axes += rect->axes();
    for (QCPLayoutElement* element : plot.plotLayout()->elements(true))
        if (auto* scale = qobject_cast<QCPColorScale*>(element))
            axes << scale->axis();
    for (QCPAxis* axis : axes) {
        if (!axis->visible() || axis->label().isEmpty())
            continue;
        if (!axis->property(kChartPoints).isValid()) {
            axis->setProperty(kChartPoints, axis->labelFont().pointSize());
            axis->setProperty(kChartLabel, axis->label());
        }
        const int available = axisLength(*axis) - 8; // a little air at both ends
        QFont font = axis->labelFont();
        axis->setLabel(axis->property(kChartLabel).toString());
        int points = axis->property(kChartPoints).toInt();
        font.setPointSize(points);
        axis->setLabelFont(font);
        while (axisLabelLength(*axis) > available && points > kMinimumPoints) {
            font.setPointSize(--points);
            axis->setLabelFont(font);
        }
        if (axisLabelLength(*axis) > available) {
            // Two lines, broken at the space nearest the middle.
            QString text = axis->label();
            const int middle = int(text.size()) / 2;
            int best = -1;
            for (int i = 0; i < text.size(); ++i)
                if (text[i] == ' ' && (best < 0 || std::abs(i - middle) < std::abs(best - middle)))
                    best = i;
            if (best > 0) {
                text[best] = '\n';
                axis->setLabel(text);
            }
        }
        overflowing += axisLabelLength(*axis) > available ? 1 : 0;
    }
    return overflowing;
}

void drawChart(QCustomPlot& plot, ChartKind kind, const ReportData& data)
{
    // After every layout (first draw, resizes) the axis titles are fitted to their axes.
    QObject::disconnect(&plot, &QCustomPlot::afterLayout, nullptr, nullptr);
    QObject::connect(&plot, &QCustomPlot::afterLayout, &plot, [&plot] { fitAxisLabels(plot); });
    QCPAxisRect* rect = resetPlot(plot, charts::chartTitle(kind));
    const auto available = report::chartsFor(data);
    if (std::find(available.begin(), available.end(), kind) == available.end()) {
        message(plot, QStringLiteral("No data for this chart in %1").arg(QString::fromStdString(report::subjectIdText(data.subject))));
        finish(plot);
        return;
    }
    switch (kind) {
    case ChartKind::SetWidth: drawSetWidth(plot, data); break;
    case ChartKind::EntropyTopProbability: drawEntropy(plot, data); break;
    case ChartKind::AttentionDifference: drawAttentionDifference(plot, data); break;
    case ChartKind::LayerCorrelation: drawLayerCorrelation(plot, data); break;
    case ChartKind::SiblingVsPrior: drawSiblingVsPrior(plot, data); break;
    case ChartKind::LayerHeadHeatmap: drawHeatmap(plot, rect, data); break;
    case ChartKind::SlotPositionMap: drawSlotMap(plot, data); break;
    case ChartKind::Divergence: drawDivergence(plot, data); break;
    case ChartKind::SweepCategoryMeans: drawSweepMeans(plot, data); break;
    }
    finish(plot);
}

QSize defaultChartSize() { return {1200, 700}; }

QImage renderChartImage(ChartKind kind, const ReportData& data, QSize size)
{
    QCustomPlot plot;
    plot.resize(size);
    drawChart(plot, kind, data);
    plot.replot(QCustomPlot::rpImmediateRefresh);
    QImage image(size, QImage::Format_ARGB32);
    image.fill(Qt::white);
    QCPPainter painter(&image);
    plot.toPainter(&painter, size.width(), size.height());
    painter.end();
    return image;
}

QByteArray renderChartPng(ChartKind kind, const ReportData& data, QSize size)
{
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    renderChartImage(kind, data, size).save(&buffer, "PNG");
    return png;
}

} // namespace tempo::charts
