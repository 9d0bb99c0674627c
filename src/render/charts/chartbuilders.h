#pragma once
// The report charts drawn with QCustomPlot: one builder per ChartKind (core/report/reportcharts.h).
// The window draws into its own embedded QCustomPlot with drawChart(); reports render the same
// builders to PNG with renderChartImage() (headless: needs a QApplication, e.g. with
// QT_QPA_PLATFORM=offscreen). Okabe-Ito colour-blind-safe palette, titles, axis labels with units,
// legends.

#include <vector>

#include <QColor>
#include <QImage>
#include <QSize>
#include <QString>

#include "core/report/chartspec.h"
#include "core/report/reportcharts.h"
#include "core/report/reportdata.h"

class QCPAxis;
class QCustomPlot;

namespace tempo::charts {

using report::ChartKind;

// report::chartTitle as a QString. Which charts a subject has: report::chartsFor (one list for
// the window and the exported reports).
QString chartTitle(ChartKind kind);

// Clears `plot` and draws the chart. Leaves the plot's size and interactions to the caller.
// Axis titles are kept within their axes at any size (fitAxisLabels after every layout).
void drawChart(QCustomPlot& plot, ChartKind kind, const report::ReportData& data);

// Makes every axis title of `plot` fit the length of its axis as laid out now: the font shrinks
// from the size the chart set (down to 7 pt), then the title wraps onto two lines at a space.
// Returns how many titles are still longer than their axis (0 unless an axis is tiny).
int fitAxisLabels(QCustomPlot& plot);
// The length an axis title takes in its font (the longest line), and the length of its axis, in
// pixels: for tests and for fitAxisLabels.
int axisLabelLength(const QCPAxis& axis);
int axisLength(const QCPAxis& axis);

// Page-sized default: 1200 x 700 pixels (about 16 x 9 cm at 190 dpi).
QSize defaultChartSize();
// Draws into an off-screen QCustomPlot and returns the image (ARGB32, white background).
QImage renderChartImage(ChartKind kind, const report::ReportData& data, QSize size = defaultChartSize());
// The same as PNG bytes (deterministic for equal data on one machine).
QByteArray renderChartPng(ChartKind kind, const report::ReportData& data, QSize size = defaultChartSize());

// A chart described by its numbers (a study report's figures): lines, bars or points per series,
// 95% intervals as error bars, category labels on x when the spec has them.
void drawChartSpec(QCustomPlot& plot, const report::ChartSpec& spec);
QImage renderChartSpecImage(const report::ChartSpec& spec, QSize size = defaultChartSize());
QByteArray renderChartSpecPng(const report::ChartSpec& spec, QSize size = defaultChartSize());

// Okabe & Ito (2008) colours: orange, sky blue, bluish green, yellow, blue, vermillion,
// reddish purple, black.
const std::vector<QColor>& okabeItoPalette();

} // namespace tempo::charts
