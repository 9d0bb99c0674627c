#pragma once
// Which charts a report has, decided from the data alone (Qt-free, so the Markdown builder can
// link to them without drawing). The drawing lives in src/render/charts (QCustomPlot), which uses the
// same ChartKind and file names.

#include <string>
#include <vector>

#include "core/report/reportdata.h"

namespace tempo::report {

enum class ChartKind {
    SetWidth,              // members of the parallel set per step, one series per run
    EntropyTopProbability, // readout entropy (nats, left axis) and top-token probability (right axis) per step
    AttentionDifference,   // mean and max |attention isolated - visible| per step (group)
    LayerCorrelation,      // Pearson correlation of isolated vs visible attention per layer (group)
    SiblingVsPrior,        // mean attention mass members -> siblings vs members -> prior context per layer
    LayerHeadHeatmap,      // layer x head: mean |attention difference| (group) or sibling mass (run)
    SlotPositionMap,       // physical slot -> logical position used by RoPE
    Divergence,            // KL(iso||vis), KL(vis||iso) and Jensen-Shannon per step (nats, group)
    SweepCategoryMeans,    // per-category means of the headline metric with 95% confidence bars
};

std::string chartKindName(ChartKind kind); // stable id: "set_width", ...
std::string chartTitle(ChartKind kind);    // "Parallel set width per step", ...
std::string chartFileName(ChartKind kind); // "set_width.png" (under charts/ in a bundle)
// One line saying what the chart shows and where its numbers come from (a caption).
std::string chartCaption(ChartKind kind, const ReportData& data);

// What the layer x head heatmap shows: true = mean |attention difference| of a group
// (attention.by_head.mean_abs_diff), false = sibling attention mass of a run (cross_parallel.by_head.mean_sibling).
bool heatmapShowsAttentionDifference(const ReportData& data);

// The charts this data can fill, in report order. A chart whose data is missing is left out.
std::vector<ChartKind> chartsFor(const ReportData& data);

} // namespace tempo::report
