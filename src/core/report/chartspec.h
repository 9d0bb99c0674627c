#pragma once
// A chart described by its data alone (title, axis labels, series of numbers with optional 95%
// intervals), for reports whose charts are not one of the fixed ChartKinds: the study report has
// several charts of one kind (sibling vs prior attention for 1a and for 1b, ...) whose numbers are
// aggregates across a suite. Core fills it (no Qt); src/render/charts draws any ChartSpec with
// QCustomPlot, so the builder decides what is shown and the renderer only how.

#include <string>
#include <vector>

namespace tempo::report {

struct ChartSeries {
    enum class Style { Line, Bars, Points };
    std::string name;            // legend text
    Style style = Style::Line;
    std::vector<double> x;       // categories: the category index
    std::vector<double> y;       // NaN: no value at this x (not drawn)
    // 95% interval per point (same size as y), or empty: none. NaN at a point: no interval there
    // (n < 2), which the renderer draws as no bar rather than a zero-length one.
    std::vector<double> low, high;
};

struct ChartSpec {
    std::string id;              // file stem, unique in a report: "exp1_sibling_prior" -> charts/exp1_sibling_prior.png
    std::string title;
    std::string xLabel, yLabel;  // with units
    std::vector<std::string> categories; // non-empty: x is an index into these labels
    bool integerX = false;       // ticks at whole numbers (layers, steps, widths)
    bool logY = false;           // logarithmic value axis (values <= 0 are not drawn)
    std::vector<ChartSeries> series;
};

} // namespace tempo::report
