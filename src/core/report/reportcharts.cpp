#include "core/report/reportcharts.h"

#include <algorithm>

namespace tempo::report {

namespace {

bool anyRun(const ReportData& data, bool (*test)(const ReportRun&))
{
    return std::any_of(data.runs.begin(), data.runs.end(), test);
}

bool hasSiblingLayers(const ReportRun& run) { return !layerSeries(run.metrics, "cross_parallel.by_layer.mean_sibling").empty(); }
bool hasSiblingHeads(const ReportRun& run) { return !headGrid(run.metrics, "cross_parallel.by_head.mean_sibling").empty(); }
bool hasSteps(const ReportRun& run) { return !run.steps.empty(); }
bool hasReadouts(const ReportRun& run) { return !run.readoutEntropy.empty(); }

} // namespace

std::string chartKindName(ChartKind kind)
{
    switch (kind) {
    case ChartKind::SetWidth: return "set_width";
    case ChartKind::EntropyTopProbability: return "entropy_top_probability";
    case ChartKind::AttentionDifference: return "attention_difference";
    case ChartKind::LayerCorrelation: return "layer_correlation";
    case ChartKind::SiblingVsPrior: return "sibling_vs_prior";
    case ChartKind::LayerHeadHeatmap: return "layer_head_heatmap";
    case ChartKind::SlotPositionMap: return "slot_position_map";
    case ChartKind::Divergence: return "divergence";
    case ChartKind::SweepCategoryMeans: return "sweep_category_means";
    }
    return "chart";
}

std::string chartTitle(ChartKind kind)
{
    switch (kind) {
    case ChartKind::SetWidth: return "Parallel set width per step";
    case ChartKind::EntropyTopProbability: return "Readout entropy and top-token probability per step";
    case ChartKind::AttentionDifference: return "Attention difference per step (isolated vs visible)";
    case ChartKind::LayerCorrelation: return "Attention correlation per layer (isolated vs visible)";
    case ChartKind::SiblingVsPrior: return "Attention from members to siblings vs to prior context, per layer";
    case ChartKind::LayerHeadHeatmap: return "Layer x head heatmap";
    case ChartKind::SlotPositionMap: return "Physical slot to logical position";
    case ChartKind::Divergence: return "KL and Jensen-Shannon divergence per step (isolated vs visible)";
    case ChartKind::SweepCategoryMeans: return "Per-category means with 95% confidence intervals";
    }
    return "Chart";
}

std::string chartFileName(ChartKind kind) { return chartKindName(kind) + ".png"; }

bool heatmapShowsAttentionDifference(const ReportData& data)
{
    return !headGrid(data.pairMetrics, "attention.by_head.mean_abs_diff").empty();
}

std::string chartCaption(ChartKind kind, const ReportData& data)
{
    switch (kind) {
    case ChartKind::SetWidth:
        return "Members of the parallel set fed at each step (stored steps), one line per run.";
    case ChartKind::EntropyTopProbability:
        return "Entropy (nats) and largest probability of each stored readout distribution p_s, the distribution "
               "that selected step s.";
    case ChartKind::AttentionDifference:
        return "Mean and maximum absolute difference of aligned attention probabilities per step (attention.by_step.*).";
    case ChartKind::LayerCorrelation:
        return "Pearson correlation of aligned attention probabilities per layer (attention.by_layer.pearson); "
               "1 means identical patterns.";
    case ChartKind::SiblingVsPrior:
        return "Mean attention mass a member sends to its siblings and to the prompt and earlier sets, over every "
               "multi-member set, member and head (cross_parallel.by_layer.*).";
    case ChartKind::LayerHeadHeatmap:
        return heatmapShowsAttentionDifference(data)
                   ? "Mean absolute attention difference, isolated vs visible, per layer and head (attention.by_head.mean_abs_diff)."
                   : "Mean attention mass from members to siblings per layer and head (cross_parallel.by_head.mean_sibling).";
    case ChartKind::SlotPositionMap:
        return "Each cache slot (x) against the logical position its token was fed at (y), from the stored steps; "
               "members of one set share a position.";
    case ChartKind::Divergence:
        return "KL(isolated || visible), KL(visible || isolated) and Jensen-Shannon divergence of the readouts per step "
               "(nats).";
    case ChartKind::SweepCategoryMeans:
        return "Mean of " + (data.sweep ? data.sweep->headlineMetric : std::string("the headline metric")) +
               " per prompt category over all thresholds; bars are 95% bootstrap intervals (none when n < 2).";
    }
    return "";
}

std::vector<ChartKind> chartsFor(const ReportData& data)
{
    std::vector<ChartKind> charts;
    if (data.sweep) {
        if (!data.sweep->headlineMetric.empty() && !data.sweep->categories.empty())
            charts.push_back(ChartKind::SweepCategoryMeans);
        return charts;
    }
    if (anyRun(data, hasSteps))
        charts.push_back(ChartKind::SetWidth);
    if (anyRun(data, hasReadouts))
        charts.push_back(ChartKind::EntropyTopProbability);
    if (!stepSeries(data.pairMetrics, "distribution.by_step.kl_ab").empty())
        charts.push_back(ChartKind::Divergence);
    if (!stepSeries(data.pairMetrics, "attention.by_step.mean_abs_diff").empty())
        charts.push_back(ChartKind::AttentionDifference);
    if (!layerSeries(data.pairMetrics, "attention.by_layer.pearson").empty())
        charts.push_back(ChartKind::LayerCorrelation);
    if (anyRun(data, hasSiblingLayers))
        charts.push_back(ChartKind::SiblingVsPrior);
    if (heatmapShowsAttentionDifference(data) || anyRun(data, hasSiblingHeads))
        charts.push_back(ChartKind::LayerHeadHeatmap);
    if (anyRun(data, hasSteps))
        charts.push_back(ChartKind::SlotPositionMap);
    return charts;
}

} // namespace tempo::report
