// The findings report of a study, assembled from StudyReportData alone. Every sentence about the
// outcome is picked by a rule over the numbers (the rule's cut-off is printed with it); where a
// number is missing the text says so instead of guessing.
#include "core/report/studyreport.h"
#include "core/report/documentwriter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>
#include <map>

#include "core/runrecord/tempoconfig.h"

namespace tempo::report {

namespace {
namespace studydoc { // unity builds: names unique within tempo_report

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Span text(std::string value) { return {std::move(value), Span::Style::Plain}; }
Span strong(std::string value) { return {std::move(value), Span::Style::Bold}; }
Span ident(std::string value) { return {std::move(value), Span::Style::Code}; }

std::string num(double value) { return formatNumber(value); }
std::string count(std::int64_t value) { return std::to_string(value); }
std::string counted(std::int64_t n, const std::string& one, const std::string& many)
{
    return count(n) + " " + (n == 1 ? one : many);
}
std::string percent(double share) { return std::isfinite(share) ? formatNumber(100.0 * share, 3) + "%" : "n/a"; }

std::string joined(const std::vector<std::string>& items, const std::string& separator = ", ")
{
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : separator) + item;
    return out;
}

std::string thresholdList(const std::vector<double>& thresholds)
{
    std::vector<std::string> items;
    for (double t : thresholds)
        items.push_back(num(t));
    return joined(items);
}

std::string familyName(const std::string& family) { return family.empty() ? "all families" : family; }
// The family as the subject of a sentence ("the whole suite supports ...").
std::string familySubject(const std::string& family) { return family.empty() ? "the whole suite" : family; }
// "1 run was" / "2 runs were": a count with its noun and verb agreeing.
std::string countedWas(std::int64_t n, const std::string& one, const std::string& many)
{
    return counted(n, one, many) + (n == 1 ? " was" : " were");
}

// Mean and interval as table cells.
std::string meanCell(const Estimate& e) { return e.n > 0 ? num(e.mean) : "n/a"; }
std::string intervalCell(const Estimate& e)
{
    return e.n >= 2 && std::isfinite(e.ciLow) ? "[" + num(e.ciLow) + ", " + num(e.ciHigh) + "]" : "none (n < 2)";
}
std::string estimateCell(const Estimate& e)
{
    if (e.n == 0)
        return "n/a";
    return num(e.mean) + (e.n >= 2 && std::isfinite(e.ciLow) ? " [" + num(e.ciLow) + ", " + num(e.ciHigh) + "]" : "");
}

const EstimatePoint* pointAt(const EstimateSeries& series, double x)
{
    for (const auto& p : series)
        if (p.x == x)
            return &p;
    return nullptr;
}

std::string seriesCell(const EstimateSeries& series, double x)
{
    const EstimatePoint* p = pointAt(series, x);
    return p ? estimateCell(p->value) : "n/a";
}

// Every x of the given series, ascending.
std::vector<double> unionX(const std::vector<const EstimateSeries*>& series)
{
    std::set<double> xs;
    for (const auto* s : series)
        for (const auto& p : *s)
            xs.insert(p.x);
    return {xs.begin(), xs.end()};
}

ChartSeries chartSeries(const std::string& name, ChartSeries::Style style, const EstimateSeries& series)
{
    ChartSeries out;
    out.name = name;
    out.style = style;
    for (const auto& p : series) {
        out.x.push_back(p.x);
        out.y.push_back(p.value.n > 0 ? p.value.mean : kNaN);
        out.low.push_back(p.value.n >= 2 ? p.value.ciLow : kNaN);
        out.high.push_back(p.value.n >= 2 ? p.value.ciHigh : kNaN);
    }
    return out;
}

// A figure when some series has a value; otherwise a sentence saying there is nothing to draw.
void addSpecFigure(DocumentWriter& w, ChartSpec spec, const std::string& caption)
{
    const bool hasData = std::any_of(spec.series.begin(), spec.series.end(), [](const ChartSeries& s) {
        return std::any_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); });
    });
    if (!hasData) {
        w.paragraph("No chart \"" + spec.title + "\": none of its values was measured.");
        return;
    }
    Block b;
    b.kind = Block::Kind::Figure;
    b.imagePath = "charts/" + spec.id + ".png";
    b.imageAlt = spec.title;
    b.text = {text(spec.title + ". " + caption)};
    b.spec = std::move(spec);
    w.append(std::move(b));
}

const FamilyScenario* allFamilies(const std::vector<FamilyScenario>& families)
{
    for (const auto& f : families)
        if (f.family.empty())
            return &f;
    return nullptr;
}

std::string scenarioLabel(const std::string& scenario)
{
    if (scenario == "A" || scenario == "B" || scenario == "C" || scenario == "D")
        return scenario + " (" + scenarioTitle(parseScenario(scenario)) + ")";
    return scenario;
}

std::int64_t verdictCount(const FamilyScenario& f, const std::string& scenario)
{
    const auto found = f.verdicts.find(scenario);
    return found == f.verdicts.end() ? 0 : found->second;
}

std::string supportSentence(const FamilyScenario& f)
{
    const ScenarioSupport s = supportedScenario(f);
    const std::int64_t inconclusive = verdictCount(f, "inconclusive");
    const std::string rest =
        inconclusive > 0 ? "; " + countedWas(inconclusive, "further pair", "further pairs") + " inconclusive" : "";
    if (s.scenario == "inconclusive")
        return "no pair of " + familySubject(f.family) + " has a decided verdict" + rest + ", so no scenario is supported";
    if (s.scenario == "mixed")
        return familySubject(f.family) + ": no scenario holds for more than " + percent(kStudyMajorityShare) + " of the " +
               count(s.decided) + " decided pairs; the most frequent, " + scenarioLabel(s.leading) + ", holds for " +
               count(s.count) + " (" + percent(s.share) + ")" + rest;
    return familySubject(f.family) + " supports scenario " + scenarioLabel(s.scenario) + ": it holds for " + count(s.count) +
           " of " + count(s.decided) + " decided pairs (" + percent(s.share) + ", more than " +
           percent(kStudyMajorityShare) + ")" + rest;
}

// ---- title and provenance

void writeHeader(DocumentWriter& w, const StudyReportData& d)
{
    w.heading(1, studyReportTitle(d), "title");
    std::vector<std::string> families;
    for (const auto& [family, n] : d.promptsByFamily)
        families.push_back(family + " " + count(n));
    const StudyProvenance& p = d.provenance;
    w.table({"Field", "Value"},
            {{"Study", "study " + count(d.studyId) + (d.name.empty() ? "" : " \"" + d.name + "\"") + ", UUID " + d.uuid},
             {"Status", d.status},
             {"Created", d.createdAt},
             {"Finished", d.finishedAt.empty() ? "not finished" : d.finishedAt},
             {"Model", p.modelName + " (" + p.modelFolder + ")"},
             {"Weights SHA-256", p.weightsSha256},
             {"Prompt suite", d.suiteName + ": " + counted(d.prompts(), "prompt", "prompts") + " (" + joined(families) + ")"},
             {"Presets", joined(d.presets)},
             {"Thresholds", thresholdList(d.thresholds)},
             {"Steps", d.stepsOverride > 0 ? count(d.stepsOverride) + " for every prompt (override)"
                                           : "each prompt's own, else the preset's max_steps"}});
}

// ---- executive summary

void writeExecutiveSummary(DocumentWriter& w, const StudyReportData& d)
{
    w.heading(2, "Executive summary", "executive-summary");
    const std::int64_t failed = d.tempoChecksFailed();
    if (failed > 0) {
        std::int64_t run = 0;
        for (const auto& s : d.sweeps)
            if (s.role != "control")
                run += s.checksRun;
        w.paragraph({strong(counted(failed, "mechanism check", "mechanism checks") + " failed"),
                     text(" in the TEMPO sweeps (of " + count(run) +
                          "): the decoder did not run as designed for those runs, so their numbers do not measure TEMPO. "
                          "The failing checks are listed under Technical details.")});
    }
    const FamilyScenario* all = d.exp2.present ? allFamilies(d.exp2.families) : nullptr;
    if (!all) {
        w.paragraph({strong("Verdict: none."),
                     text(" Experiment 2 (isolated vs visible readouts, the pairs the scenario verdict is decided on) "
                          "is not part of this study or has no finished pair.")});
    } else {
        const ScenarioSupport s = supportedScenario(*all);
        const std::string verdict = s.scenario == "mixed"          ? "no single scenario"
                                    : s.scenario == "inconclusive" ? "inconclusive"
                                                                   : "scenario " + scenarioLabel(s.scenario);
        w.paragraph({strong("Verdict: " + verdict + "."),
                     text(" Over the " + counted(all->points, "pair", "pairs") + " of experiment 2, " + supportSentence(*all) +
                          ".")});
        std::vector<Inline> basis;
        basis.push_back({text("Largest readout change max |p_isolated - p_visible| per pair: mean " +
                              estimateText(all->maxAbsDiff) + " (identical below " + num(kIdenticalMaxAbsProbabilityDifference) +
                              ", nearly identical below " + num(kNearlyIdenticalMaxAbsProbabilityDifference) + ").")});
        basis.push_back({text("Sibling / prior attention ratio of the visible runs: mean " + estimateText(all->siblingRatio) +
                              " (prior context dominates below " + num(kPriorDominatesSiblingToPriorRatio) + ").")});
        basis.push_back({text("Share of pairs whose selected sets differ at some step: " + estimateText(all->selectionChanged) +
                              ".")});
        basis.push_back({text("Mean Jensen-Shannon divergence per pair (nats): " + estimateText(all->meanJs) + ".")});
        w.bullets(basis);
        std::vector<const FamilyScenario*> families;
        for (const auto& f : d.exp2.families)
            if (!f.family.empty())
                families.push_back(&f);
        if (families.size() > 1) {
            std::vector<std::string> parts;
            for (const auto* f : families) {
                const ScenarioSupport fs = supportedScenario(*f);
                parts.push_back(f->family + " " + (fs.scenario == "mixed" ? "no majority" : fs.scenario));
            }
            w.paragraph(std::string(familiesDiffer(d.exp2.families) ? "The prompt families differ: "
                                                                      : "The prompt families agree: ") +
                        joined(parts) + " (scenario analysis below).");
        }
    }
    if (d.control.present && !d.control.rows.empty()) {
        const auto& row = d.control.rows.back();
        w.paragraph("Artifact control (the original method: only the last member of a set is fed): isolated and visible "
                    "readouts were identical in " +
                    count(row.controlIdentical) + " of " + counted(row.controlPoints, "point", "points") +
                    " (max |dp| mean " + estimateText(row.control) + "); with the real mechanism in " +
                    count(row.tempoIdentical) + " of " + counted(row.tempoPoints, "point", "points") + " (max |dp| mean " +
                    estimateText(row.tempo) + ").");
    }
    w.paragraph("The study made " + counted(d.totalRuns(), "run", "runs") + " in " + counted(static_cast<std::int64_t>(d.sweeps.size()), "sweep", "sweeps") +
                ", decoded " + counted(d.totalSteps(), "step", "steps") + " and stored " + bytesText(d.totalBytes()) +
                " of captured tensors, in " + num(d.wallSeconds) + " s of wall time.");
}

// ---- key findings

void writeExperiment1(DocumentWriter& w, const StudyReportData& d)
{
    w.heading(3, "Experiments 1a and 1b: attention to siblings vs prior context", "experiment-1");
    const Experiment1& e = d.exp1;
    if (!e.present) {
        w.paragraph("Not part of this study (presets 1a and 1b were not run).");
        return;
    }
    w.paragraph("Mean attention mass a member of a set of 2 or more sends to its siblings and to the prompt and earlier "
                "sets, per layer, averaged over members and heads of each run, then across the " +
                counted(e.runs1a, "run", "runs") + " of 1a (isolated: siblings hidden) and the " +
                counted(e.runs1b, "run", "runs") + " of 1b (visible) that fed such a set, with 95% intervals across the runs.");
    double leak = 0.0;
    for (const auto& p : e.sibling1a)
        if (p.value.n > 0)
            leak = std::max(leak, std::fabs(p.value.mean));
    if (!e.sibling1a.empty())
        w.paragraph(leak > kIsolationLeakTolerance
                        ? "1a sends its hidden siblings up to " + num(leak) + " of the attention mass (more than the " +
                              num(kIsolationLeakTolerance) + " allowed): isolation leaked; check the mask."
                        : "1a sends its hidden siblings at most " + num(leak) + " of the attention mass (" +
                              num(kIsolationLeakTolerance) + " allowed), as isolation requires.");
    const EstimatePoint* peak = nullptr;
    for (const auto& p : e.sibling1b)
        if (p.value.n > 0 && (!peak || p.value.mean > peak->value.mean))
            peak = &p;
    if (peak)
        w.paragraph("In 1b the sibling mass is largest at layer " + num(peak->x) + ": " + estimateText(peak->value) +
                    "; prior context there receives " + seriesCell(e.prior1b, peak->x) + ".");
    std::vector<std::vector<std::string>> rows;
    for (double layer : unionX({&e.sibling1a, &e.prior1a, &e.sibling1b, &e.prior1b, &e.differenceByLayer}))
        rows.push_back({num(layer), seriesCell(e.sibling1a, layer), seriesCell(e.prior1a, layer), seriesCell(e.sibling1b, layer),
                        seriesCell(e.prior1b, layer), seriesCell(e.differenceByLayer, layer)});
    w.table({"Layer", "1a to siblings", "1a to prior", "1b to siblings", "1b to prior", "Mean |a_1a - a_1b|"}, rows);
    // Studies made before 1a's tensors were kept for 1b (or a 1a run pruned by hand) have pairs
    // whose attention could not be compared: say how many were.
    const std::int64_t compared = e.meanAbsDiff.n;
    const std::string comparedText =
        compared < e.pairs ? "; " + count(compared) + " of them compared, the others' attention was no longer stored" : "";
    w.paragraph("Attention of 1a against 1b over " + counted(e.pairs, "pair", "pairs") + " (same prompt and threshold" +
                comparedText + "): mean |difference| " + estimateText(e.meanAbsDiff) + ", max |difference| " +
                estimateText(e.maxAbsDiff) + ", Pearson correlation " + estimateText(e.pearson) + ".");

    ChartSpec masses{"exp1_sibling_prior", "Attention to siblings vs prior context per layer (1a, 1b)", "Layer",
                     "Mean attention mass per member (fraction of 1)", {}, true, false, {}};
    masses.series = {chartSeries("1a to siblings", ChartSeries::Style::Bars, e.sibling1a),
                     chartSeries("1a to prior context", ChartSeries::Style::Bars, e.prior1a),
                     chartSeries("1b to siblings", ChartSeries::Style::Bars, e.sibling1b),
                     chartSeries("1b to prior context", ChartSeries::Style::Bars, e.prior1b)};
    addSpecFigure(w, masses, "Means across the runs of each preset; bars are 95% bootstrap intervals.");
    ChartSpec difference{"exp1_attention_difference", "Attention difference 1a vs 1b per layer", "Layer",
                         "Mean |attention 1a - 1b| (probability)", {}, true, false, {}};
    difference.series = {chartSeries("mean |a_1a - a_1b|", ChartSeries::Style::Line, e.differenceByLayer)};
    addSpecFigure(w, difference, "Mean absolute difference of aligned attention probabilities per layer, across the 1a/1b pairs, "
                         "with 95% intervals.");
}

void writeExperiment2(DocumentWriter& w, const StudyReportData& d)
{
    w.heading(3, "Experiment 2: logit divergence, isolated vs visible", "experiment-2");
    const Experiment2& e = d.exp2;
    if (!e.present) {
        w.paragraph("Not part of this study (preset 2 was not run).");
        return;
    }
    w.paragraph("Over " + counted(e.pairs, "pair", "pairs") + " of an isolated and a visible run: max |p_isolated - p_visible| " +
                estimateText(e.maxAbsDiff) + "; mean KL(isolated || visible) in nats " + estimateText(e.meanKl) +
                "; mean Jensen-Shannon divergence in nats " + estimateText(e.meanJs) + ".");
    std::vector<std::vector<std::string>> rows;
    for (double step : unionX({&e.klIsolatedVisible, &e.klVisibleIsolated, &e.js})) {
        const EstimatePoint* kl = pointAt(e.klIsolatedVisible, step);
        rows.push_back({num(step), kl ? count(kl->value.n) : "0", seriesCell(e.klIsolatedVisible, step),
                        seriesCell(e.klVisibleIsolated, step), seriesCell(e.js, step)});
    }
    w.table({"Step s", "Pairs", "KL(iso || vis)", "KL(vis || iso)", "Jensen-Shannon"}, rows);
    ChartSpec chart{"exp2_divergence", "KL and Jensen-Shannon divergence per step across the suite", "Step s (readout p_s)",
                    "Divergence (nats)", {}, true, false, {}};
    chart.series = {chartSeries("KL(isolated || visible)", ChartSeries::Style::Line, e.klIsolatedVisible),
                    chartSeries("KL(visible || isolated)", ChartSeries::Style::Line, e.klVisibleIsolated),
                    chartSeries("Jensen-Shannon", ChartSeries::Style::Line, e.js)};
    addSpecFigure(w, chart, "Mean over the pairs that reached step s; bars are 95% bootstrap intervals across the suite.");
}

void writeExperiment3(DocumentWriter& w, const StudyReportData& d)
{
    w.heading(3, "Experiment 3: cross-parallel attention ratio", "experiment-3");
    const Experiment3& e = d.exp3;
    if (!e.present) {
        w.paragraph("Not part of this study (preset 3 was not run).");
        return;
    }
    w.paragraph("Mean sibling / prior attention mass ratio of " + counted(e.runs, "visible run", "visible runs") + ": " +
                estimateText(e.ratio) + " (sibling mass " + estimateText(e.sibling) + ", prior mass " + estimateText(e.prior) +
                "). " +
                (e.ratio.n >= 2 && std::isfinite(e.ratio.ciHigh) && e.ratio.ciHigh < kPriorDominatesSiblingToPriorRatio
                     ? "The whole interval lies below " + num(kPriorDominatesSiblingToPriorRatio) +
                           ": prior context dominates across the suite."
                 : e.ratio.n >= 2 && std::isfinite(e.ratio.ciLow) && e.ratio.ciLow >= kPriorDominatesSiblingToPriorRatio
                     ? "The whole interval lies at or above " + num(kPriorDominatesSiblingToPriorRatio) +
                           ": siblings receive a tenth or more of the prior context's attention."
                     : "The interval does not lie wholly on one side of " + num(kPriorDominatesSiblingToPriorRatio) + "."));
    std::vector<std::vector<std::string>> rows;
    for (const auto& [family, ratio] : e.ratioByFamily)
        rows.push_back({family, count(ratio.n), meanCell(ratio), intervalCell(ratio)});
    w.table({"Family", "Runs", "Mean ratio", "95% CI"}, rows);
    rows.clear();
    for (const auto& p : e.ratioByThreshold)
        rows.push_back({num(p.x), count(p.value.n), meanCell(p.value), intervalCell(p.value)});
    w.table({"Threshold", "Runs", "Mean ratio", "95% CI"}, rows);
    ChartSpec byFamily{"exp3_ratio_by_family", "Sibling / prior attention ratio per prompt family", "Prompt family",
                       "Sibling / prior attention mass (mean, 95% CI)", {}, false, false, {}};
    EstimateSeries familySeries;
    for (size_t i = 0; i < e.ratioByFamily.size(); ++i) {
        byFamily.categories.push_back(e.ratioByFamily[i].first);
        familySeries.push_back({static_cast<double>(i), e.ratioByFamily[i].second});
    }
    byFamily.series = {chartSeries("sibling / prior ratio", ChartSeries::Style::Bars, familySeries)};
    addSpecFigure(w, byFamily, "Mean over the visible runs of each family (all thresholds); the scenario rule's cut-off for "
                       "\"prior context dominates\" is " +
                           num(kPriorDominatesSiblingToPriorRatio) + ".");
    ChartSpec byLayer{"exp3_ratio_by_layer", "Sibling / prior attention ratio per layer", "Layer",
                      "Sibling / prior attention mass (mean, 95% CI)", {}, true, false, {}};
    byLayer.series = {chartSeries("sibling / prior ratio", ChartSeries::Style::Line, e.ratioByLayer)};
    addSpecFigure(w, byLayer, "Mean over the visible runs of experiment 3 per layer.");
}

void writeExperiment4(DocumentWriter& w, const StudyReportData& d)
{
    w.heading(3, "Experiment 4: KV cache and RoPE inspection", "experiment-4");
    const Experiment4& e = d.exp4;
    if (!e.present) {
        w.paragraph("Not part of this study (preset 4 was not run).");
        return;
    }
    if (e.runs.empty()) {
        w.paragraph("No run of preset 4 stored a RoPE inspection.");
        return;
    }
    std::int64_t passed = 0, mismatched = 0;
    double maxLogical = 0.0, minPhysical = std::numeric_limits<double>::infinity(), tolerance = 0.0;
    for (const auto& r : e.runs) {
        passed += r.passed ? 1 : 0;
        mismatched += r.mismatchedSlots;
        maxLogical = std::max(maxLogical, r.maxLogicalError);
        if (std::isfinite(r.minPhysicalError))
            minPhysical = std::min(minPhysical, r.minPhysicalError);
        tolerance = std::max(tolerance, r.tolerance);
    }
    w.paragraph("Every cached key was compared with the key rotated to its logical position (and to its physical slot). " +
                count(passed) + " of " + counted(static_cast<std::int64_t>(e.runs.size()), "run", "runs") +
                " passed. Largest error against the logical rotation: " + num(maxLogical) + " (tolerance up to " +
                num(tolerance) + "); smallest error against the slot's rotation where the two differ: " +
                (std::isfinite(minPhysical) ? num(minPhysical) : std::string("n/a (no slot moved)")) + "; " +
                counted(mismatched, "slot", "slots") + " with a position used other than the one recorded.");
    std::map<double, std::vector<const RopeRunSummary*>> byThreshold;
    for (const auto& r : e.runs)
        byThreshold[r.threshold].push_back(&r);
    std::vector<std::vector<std::string>> rows;
    for (const auto& [threshold, runs] : byThreshold) {
        std::int64_t ok = 0, slots = 0;
        double worst = 0.0, closest = std::numeric_limits<double>::infinity();
        for (const auto* r : runs) {
            ok += r->passed ? 1 : 0;
            slots += r->mismatchedSlots;
            worst = std::max(worst, r->maxLogicalError);
            if (std::isfinite(r->minPhysicalError))
                closest = std::min(closest, r->minPhysicalError);
        }
        rows.push_back({num(threshold), count(static_cast<std::int64_t>(runs.size())), count(ok), num(worst),
                        std::isfinite(closest) ? num(closest) : "n/a", count(slots)});
    }
    w.table({"Threshold", "Runs", "Passed", "Max logical error", "Min physical error", "Mismatched slots"}, rows);
    rows.clear();
    for (const auto& r : e.runs)
        if (!r.passed)
            rows.push_back({count(r.runId), r.family, num(r.threshold), num(r.maxLogicalError), num(r.tolerance),
                            count(r.mismatchedSlots)});
    if (!rows.empty()) {
        w.paragraph("Runs that failed the inspection:");
        w.table({"Run", "Family", "Threshold", "Max logical error", "Tolerance", "Mismatched slots"}, rows);
    }
    ChartSpec chart{"exp4_rope_error", "RoPE: max error of cached keys per run", "Run (in study order)",
                    "|cached key - R(position) k| (log scale)", {}, true, true, {}};
    ChartSeries logical{"vs logical position (must be small)", ChartSeries::Style::Points, {}, {}, {}, {}};
    ChartSeries physical{"vs physical slot (min, must be large)", ChartSeries::Style::Points, {}, {}, {}, {}};
    ChartSeries limit{"tolerance", ChartSeries::Style::Line, {}, {}, {}, {}};
    for (size_t i = 0; i < e.runs.size(); ++i) {
        const double x = static_cast<double>(i + 1);
        logical.x.push_back(x);
        logical.y.push_back(e.runs[i].maxLogicalError);
        physical.x.push_back(x);
        physical.y.push_back(std::isfinite(e.runs[i].minPhysicalError) ? e.runs[i].minPhysicalError : kNaN);
        limit.x.push_back(x);
        limit.y.push_back(e.runs[i].tolerance);
    }
    // A log axis has no 0: an exact 0 is drawn at a floor a decade below the smallest positive value,
    // and the caption says so.
    double smallest = std::numeric_limits<double>::infinity();
    for (const auto* s : {&logical, &physical, &limit})
        for (double y : s->y)
            if (y > 0)
                smallest = std::min(smallest, y);
    const double floor = std::isfinite(smallest) ? smallest / 10 : 1e-12;
    bool floored = false;
    for (auto* s : {&logical, &physical})
        for (double& y : s->y)
            if (y == 0.0) {
                y = floor;
                floored = true;
            }
    chart.series = {logical, physical, limit};
    addSpecFigure(w, chart, "Per run: the largest error of a cached key against the rotation of its logical position, the smallest "
                    "against the rotation of its physical slot (where they differ), and the run's tolerance." +
                        (floored ? " Errors of exactly 0 are drawn at " + num(floor) + " (a log axis has no 0)." : std::string()));
}

void writeExperiment5(DocumentWriter& w, const StudyReportData& d)
{
    w.heading(3, "Experiment 5: width distribution and high-parallelism stress", "experiment-5");
    const Experiment5& e = d.exp5;
    if (!e.present) {
        w.paragraph("Not part of this study (preset 5 was not run).");
        return;
    }
    std::vector<std::vector<std::string>> rows;
    std::int64_t capped = 0;
    for (const auto& wd : e.widths) {
        std::int64_t steps = 0, multi = 0, widest = 0;
        double sum = 0.0;
        for (const auto& [width, n] : wd.stepsByWidth) {
            steps += n;
            multi += width >= 2 ? n : 0;
            widest = std::max(widest, width);
            sum += static_cast<double>(width * n);
        }
        capped += wd.stepsAtCap;
        rows.push_back({num(wd.threshold), count(steps), steps > 0 ? num(sum / static_cast<double>(steps)) : "n/a",
                        count(widest), steps > 0 ? percent(static_cast<double>(multi) / static_cast<double>(steps)) : "n/a",
                        count(wd.maxWidthCap), count(wd.stepsAtCap)});
    }
    w.paragraph("Over " + counted(e.runs, "run", "runs") + " of preset 5 the widest set had " +
                counted(e.maxWidth, "member", "members") + "; " +
                (capped == 0   ? std::string("no step reached the max_width cap of its run.")
                 : capped == 1 ? std::string("1 step reached the max_width cap of its run (its set may have been cut).")
                               : count(capped) + " steps reached the max_width cap of their run (their sets may have been cut)."));
    w.table({"Threshold", "Steps", "Mean width", "Max width", "Steps with >= 2 members", "Max width cap", "Steps at the cap"},
            rows);
    ChartSpec distribution{"exp5_width_distribution", "Set width distribution at each threshold", "Set width (members)",
                           "Share of steps", {}, true, false, {}};
    // Every width from 1 to the widest seen at any threshold, 0 where no step had it: a line
    // straight from width 1 to width 5 would suggest steps of widths 2-4 that never happened.
    std::int64_t widest = 0;
    for (const auto& wd : e.widths)
        for (const auto& [width, n] : wd.stepsByWidth)
            widest = std::max<std::int64_t>(widest, width);
    for (const auto& wd : e.widths) {
        ChartSeries s{"threshold " + num(wd.threshold), ChartSeries::Style::Line, {}, {}, {}, {}};
        std::int64_t steps = 0;
        for (const auto& [width, n] : wd.stepsByWidth)
            steps += n;
        for (std::int64_t width = 1; width <= widest; ++width) {
            const auto found = wd.stepsByWidth.find(width);
            const std::int64_t n = found == wd.stepsByWidth.end() ? 0 : found->second;
            s.x.push_back(static_cast<double>(width));
            s.y.push_back(steps > 0 ? static_cast<double>(n) / static_cast<double>(steps) : kNaN);
        }
        distribution.series.push_back(s);
    }
    addSpecFigure(w, distribution, "Share of the steps of preset 5 whose set had each width, one line per threshold.");
    rows.clear();
    for (const auto& p : e.msPerStepByWidth)
        rows.push_back({num(p.x), count(p.value.n), meanCell(p.value), intervalCell(p.value)});
    w.paragraph("Time per step against width (unit: a step). Each extra member costs, in ms, " +
                estimateText(e.msPerExtraMember) + " (least-squares slope per run, across runs).");
    w.table({"Width", "Steps", "Mean ms per step", "95% CI"}, rows);
    ChartSpec timing{"exp5_time_vs_width", "Time per step vs set width", "Set width (members)", "Time per step (ms)",
                     {}, true, false, {}};
    timing.series = {chartSeries("mean ms per step", ChartSeries::Style::Line, e.msPerStepByWidth)};
    addSpecFigure(w, timing, "Mean wall time of a decoding step of each width, with 95% intervals across the steps.");
    w.paragraph(std::string("Numerical health: ") + counted(e.nonFiniteValues, "non-finite value", "non-finite values") +
                " (NaN/Inf) among the readouts; largest |sum(p) - 1| " + num(e.maxProbabilitySumError) + "." +
                (e.nonFiniteValues > 0 ? " Readouts with NaN/Inf are not valid distributions." : ""));
}

// ---- scenario analysis

void writeScenarioAnalysis(DocumentWriter& w, const StudyReportData& d)
{
    w.heading(2, "Scenario analysis", "scenario-analysis");
    w.paragraph("Each pair of experiment 2 gets a verdict (core/analysis/verdict.h) from four criteria: I identical "
                "(max |dp| < " + num(kIdenticalMaxAbsProbabilityDifference) + "), N nearly identical (max |dp| < " +
                num(kNearlyIdenticalMaxAbsProbabilityDifference) + "), T same selection (the same selected sets and the same top-" +
                count(kSameSelectionTopK) + " at every step), P prior dominates (sibling / prior attention ratio < " +
                num(kPriorDominatesSiblingToPriorRatio) + "). A pair is inconclusive when a precondition fails (a failed check, "
                "no set of 2 or more members, no compared step, an unmeasured ratio).");
    w.table({"Scenario", "Rule"}, {{"A prior context dominates", "T and I and P"},
                                   {"B subtle cross-attention", "T and N and not (I and P)"},
                                   {"C significant interaction", "not T, or (not N and not P)"},
                                   {"D different logits, same top-k", "T and not N and P"}});
    w.paragraph("Study rule: a family (or the whole suite) supports a scenario when more than " + percent(kStudyMajorityShare) +
                " of its decided pairs have that verdict; otherwise no single scenario is supported.");
    if (!d.exp2.present || d.exp2.families.empty()) {
        w.paragraph("No pairs of experiment 2 are stored: no scenario can be decided.");
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : d.exp2.families) {
        const ScenarioSupport s = supportedScenario(f);
        rows.push_back({familyName(f.family), count(f.points), count(verdictCount(f, "A")), count(verdictCount(f, "B")),
                        count(verdictCount(f, "C")), count(verdictCount(f, "D")), count(verdictCount(f, "inconclusive")),
                        s.scenario == "mixed" ? "none (" + s.leading + " " + percent(s.share) + ")"
                                              : s.scenario + (s.decided > 0 ? " " + percent(s.share) : "")});
    }
    w.table({"Family", "Pairs", "A", "B", "C", "D", "Inconclusive", "Supported"}, rows);
    rows.clear();
    for (const auto& f : d.exp2.families)
        rows.push_back({familyName(f.family), estimateCell(f.maxAbsDiff), estimateCell(f.siblingRatio),
                        estimateCell(f.selectionChanged), estimateCell(f.meanJs)});
    w.paragraph("Measured values per family (mean [95% CI] across the pairs):");
    w.table({"Family", "Max |dp|", "Sibling / prior ratio", "Share with changed selection", "Mean JS (nats)"}, rows);
    std::vector<Inline> sentences;
    for (const auto& f : d.exp2.families)
        sentences.push_back({text(supportSentence(f) + ".")});
    w.bullets(sentences);
    const bool differ = familiesDiffer(d.exp2.families);
    w.paragraph({strong(differ ? "The families differ." : "The families agree."),
                 text(differ ? " The suite-wide verdict hides a difference between prompt families; read the rows above per family."
                             : " Every family with decided pairs supports the same outcome.")});
    ChartSpec chart{"scenario_by_family", "Scenario verdicts per prompt family", "Prompt family", "Pairs", {}, false, false, {}};
    for (const auto& f : d.exp2.families)
        chart.categories.push_back(familyName(f.family));
    for (const std::string scenario : {"A", "B", "C", "D", "inconclusive"}) {
        ChartSeries s{scenario == "inconclusive" ? scenario : "scenario " + scenario, ChartSeries::Style::Bars, {}, {}, {}, {}};
        for (size_t i = 0; i < d.exp2.families.size(); ++i) {
            s.x.push_back(static_cast<double>(i));
            s.y.push_back(static_cast<double>(verdictCount(d.exp2.families[i], scenario)));
        }
        chart.series.push_back(s);
    }
    addSpecFigure(w, chart, "Number of pairs of experiment 2 with each verdict, per family and over all families.");
}

// ---- artifact control

void writeControl(DocumentWriter& w, const StudyReportData& d)
{
    w.heading(2, "Artifact control vs real mechanism", "artifact-control");
    const ControlComparison& c = d.control;
    if (!c.present) {
        w.paragraph("No artifact control sweep is part of this study.");
        return;
    }
    w.paragraph({strong(std::string(kArtifactControlLabel) + "."),
                 text(" Sweep " + count(c.controlSweepId) + " reruns preset 2 with the original project's method: " +
                      kArtifactControlMeaning + ". Siblings never reach the model, so isolated and visible must be identical "
                      "(max |dp| < " + num(kControlIdenticalTolerance) + "). The real mechanism is sweep " +
                      count(c.tempoSweepId) + ".")});
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : c.rows)
        rows.push_back({familyName(r.family), estimateCell(r.control), count(r.controlIdentical) + " / " + count(r.controlPoints),
                        estimateCell(r.tempo), count(r.tempoIdentical) + " / " + count(r.tempoPoints)});
    w.table({"Family", "Control max |dp|", "Control identical", "Real max |dp|", "Real identical"}, rows);
    if (!c.rows.empty()) {
        const auto& all = c.rows.back();
        const bool reproduced = all.controlPoints > 0 && all.controlIdentical == all.controlPoints;
        w.paragraph({strong(reproduced ? "The control reproduces the artifact." : "The control does not reproduce the artifact."),
                     text(reproduced ? " Isolated and visible were identical in every one of its " +
                                           counted(all.controlPoints, "point", "points") + "."
                                     : " Identical in " + count(all.controlIdentical) + " of " +
                                           counted(all.controlPoints, "point", "points") +
                                           ": the control did not run the original method as intended.")});
        const std::int64_t differing = all.tempoPoints - all.tempoIdentical;
        w.paragraph("With the real mechanism " + count(differing) + " of " + counted(all.tempoPoints, "point", "points") +
                    " differ (max |dp| mean " + estimateText(all.tempo) + "): " +
                    (differing > 0 ? "the identity the original project reported comes from its method, not from the model."
                                   : "the real mechanism shows no difference either in this suite."));
    }
    if (c.controlChecksFailed > 0) {
        std::vector<Inline> items;
        for (const auto& check : c.controlFailedChecks)
            items.push_back({text(check)});
        w.paragraph(counted(c.controlChecksFailed, "mechanism check", "mechanism checks") +
                    " failed in the control, as they must (the control breaks TEMPO's design on purpose):");
        w.bullets(items);
    }
    ChartSpec chart{"control_vs_real", "Artifact control vs real mechanism: max |p_isolated - p_visible|", "Prompt family",
                    "Max |dp| per pair (mean, 95% CI)", {}, false, false, {}};
    EstimateSeries control, real;
    for (size_t i = 0; i < c.rows.size(); ++i) {
        chart.categories.push_back(familyName(c.rows[i].family));
        control.push_back({static_cast<double>(i), c.rows[i].control});
        real.push_back({static_cast<double>(i), c.rows[i].tempo});
    }
    chart.series = {chartSeries("real mechanism", ChartSeries::Style::Bars, real),
                    chartSeries("artifact control", ChartSeries::Style::Points, control)};
    addSpecFigure(w, chart, "Bars: the real mechanism, what sibling visibility changes; markers: the artifact control, which must be "
                    "0 everywhere.");
}

// ---- technical details

void writeTechnicalDetails(DocumentWriter& w, const StudyReportData& d)
{
    w.heading(2, "Technical details", "technical-details");
    w.heading(3, "Provenance");
    const StudyProvenance& p = d.provenance;
    w.table({"Field", "Value"},
            {{"Model", p.modelName},
             {"Model folder", p.modelFolder},
             {"Weights SHA-256", p.weightsSha256},
             {"Tokenizer SHA-256", p.tokenizerSha256},
             {"Parameters", p.parameters > 0 ? count(p.parameters) + " (from config.json)" : "unknown"},
             {"Layers / hidden size / heads / KV heads", count(p.layers) + " / " + count(p.hiddenSize) + " / " + count(p.heads) +
                                                              " / " + count(p.kvHeads)},
             {"Vocabulary / positions", count(p.vocabulary) + " / " + count(p.maxPositions)},
             {"App version", p.appVersion},
             {"Git commit", p.gitCommit},
             {"LibTorch", p.libtorchVersion},
             {"Device / dtype / threads", p.device + " / " + p.dtype + " / " + count(p.threads)}});
    w.heading(3, "Data volumes and timings");
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : d.sweeps)
        rows.push_back({count(s.sweepId), s.presetId, s.role, s.mode, s.status,
                        count(s.pointsFinished) + " / " + count(s.pointsPlanned), count(s.runs), count(s.steps),
                        count(s.storedTensors), bytesText(s.storedBytes), num(s.totalMs / 1000.0),
                        count(s.checksFailed) + " / " + count(s.checksRun) +
                            (s.checksNotApplicable > 0 ? " (" + count(s.checksNotApplicable) + " n/a)" : "")});
    w.table({"Sweep", "Preset", "Role", "Mode", "Status", "Points", "Runs", "Steps", "Tensors", "Bytes", "Run time (s)",
             "Checks failed"},
            rows);
    const double outside = d.wallSeconds > 0 ? (d.wallSeconds - d.forwardSeconds) / d.wallSeconds : kNaN;
    w.paragraph("Wall time " + num(d.wallSeconds) + " s, of which " + num(d.forwardSeconds) +
                " s in model forward passes; " + percent(outside) + " outside them (tokenising, analyses, storage).");
    if (!d.tensorRetention.empty())
        w.paragraph("Tensor retention: " + d.tensorRetention + (d.tensorRetention.back() == '.' ? "" : "."));
    w.heading(3, "Capture formats");
    rows.clear();
    for (const auto& c : d.captures)
        rows.push_back({c.tensor, c.dtype, c.shapeExample, count(c.count), bytesText(c.bytes)});
    w.table({"Tensor", "Dtype", "Shape (example)", "Stored", "Bytes"}, rows);
    if (rows.empty())
        w.paragraph("No tensors are stored.");
    w.heading(3, "Width caps");
    rows.clear();
    // One row per preset, threshold and length (the prompts of one length get about the same
    // cap): a default study caps hundreds of points, too many to list one by one.
    struct CapGroup {
        std::int64_t prompts = 0, presetMaxWidth = 0;
        std::int64_t low = std::numeric_limits<std::int64_t>::max(), high = 0;
    };
    std::vector<std::tuple<std::string, double, std::int64_t>> capOrder;
    std::map<std::tuple<std::string, double, std::int64_t>, CapGroup> capGroups;
    for (const auto& c : d.widthCaps) {
        const auto key = std::make_tuple(c.presetId, c.threshold, c.steps);
        if (!capGroups.count(key))
            capOrder.push_back(key);
        CapGroup& g = capGroups[key];
        ++g.prompts;
        g.presetMaxWidth = std::max(g.presetMaxWidth, c.presetMaxWidth);
        g.low = std::min(g.low, c.cappedMaxWidth);
        g.high = std::max(g.high, c.cappedMaxWidth);
    }
    for (const auto& key : capOrder) {
        const CapGroup& g = capGroups[key];
        rows.push_back({std::get<0>(key), num(std::get<1>(key)), count(std::get<2>(key)), count(g.prompts),
                        count(g.presetMaxWidth), g.low == g.high ? count(g.low) : count(g.low) + "-" + count(g.high)});
    }
    w.table({"Preset", "Threshold", "Steps", "Prompts capped", "Preset max_width", "Used max_width"}, rows);
    w.paragraph(d.widthCaps.empty() ? "No width cap was applied: every run used its preset's max_width."
                                    : counted(static_cast<std::int64_t>(d.widthCaps.size()), "run was", "runs were") +
                                   " capped so that prompt + steps x width fits the model's positions.");
    std::vector<Inline> failures;
    for (const auto& s : d.sweeps)
        if (s.role != "control" && s.checksFailed > 0)
            failures.push_back({text("sweep " + count(s.sweepId) + " (preset " + s.presetId + "): " + count(s.checksFailed) +
                                     " failed: " + joined(s.failedCheckNames))});
    if (!failures.empty()) {
        w.heading(3, "Failed mechanism checks");
        w.bullets(failures);
    }
}

// ---- recommendations, limitations, files

void writeRecommendations(DocumentWriter& w, const StudyReportData& d)
{
    w.heading(2, "Recommendations", "recommendations");
    w.paragraph("Each recommendation follows from a rule over the numbers above; the rule's cut-off is given with it.");
    std::vector<Inline> items;
    for (const auto& r : studyRecommendations(d))
        items.push_back({text(r)});
    if (items.empty())
        w.paragraph("No rule applies to these numbers.");
    w.bullets(items);
}

void writeLimitations(DocumentWriter& w, const StudyReportData& d)
{
    w.heading(2, "Limitations", "limitations");
    std::vector<Inline> items;
    const StudyProvenance& p = d.provenance;
    items.push_back({text("One model, " + p.modelName + " (" +
                          (p.parameters > 0 ? count(p.parameters) + " parameters, " : std::string()) + count(p.layers) +
                          " layers), on " + p.device + " in " + p.dtype + "; larger models and other dtypes may behave differently.")});
    std::vector<std::string> families;
    for (const auto& [family, n] : d.promptsByFamily)
        families.push_back(family + " " + count(n));
    items.push_back({text(counted(d.prompts(), "prompt", "prompts") + " (" + joined(families) +
                          "); every interval is across these prompts and the thresholds, not across all text.")});
    items.push_back({text(counted(static_cast<std::int64_t>(d.thresholds.size()), "threshold", "thresholds") + " (" +
                          thresholdList(d.thresholds) + "); other thresholds are not measured.")});
    std::vector<std::string> missing;
    for (const std::string preset : {"1a", "1b", "2", "3", "4", "5"})
        if (std::find(d.presets.begin(), d.presets.end(), preset) == d.presets.end())
            missing.push_back(preset);
    items.push_back({text("Not measured: " +
                          (missing.empty() ? std::string() : "presets " + joined(missing) + " (not in the study); ") +
                          "sampling other than the threshold rule, readouts other than each preset's, long generations beyond "
                          "the steps above, and any model but this one.")});
    if (!d.widthCaps.empty())
        items.push_back({text(countedWas(static_cast<std::int64_t>(d.widthCaps.size()), "run", "runs") +
                              " given a lower max_width to fit the model's positions; the widest sets there may have been cut.")});
    if (d.exp5.present) {
        std::int64_t atCap = 0;
        for (const auto& wd : d.exp5.widths)
            atCap += wd.stepsAtCap;
        if (atCap > 0)
            items.push_back({text(counted(atCap, "step", "steps") + " of preset 5 reached the max_width cap: the width "
                                                                     "distribution is cut at the cap.")});
    }
    if (d.exp2.present)
        if (const FamilyScenario* all = allFamilies(d.exp2.families)) {
            const std::int64_t inconclusive = verdictCount(*all, "inconclusive");
            if (inconclusive > 0)
                items.push_back({text(counted(inconclusive, "pair", "pairs") + " of experiment 2 had no decided verdict (" +
                                      (inconclusive == 1 ? "it is" : "they are") + " left out of the scenario shares).")});
        }
    if (d.control.present)
        items.push_back({text("The artifact control covers preset 2 only.")});
    w.bullets(items);
}

void writeFiles(DocumentWriter& w, const ReportDocument& document)
{
    w.heading(2, "Files", "files");
    std::vector<Inline> items{{ident("report.md"), text(": this report")}};
    std::int64_t figures = 0;
    for (const auto& block : document.blocks)
        if (block.kind == Block::Kind::Figure && block.spec) {
            ++figures;
            if (document.drawing == ChartDrawing::Drawn)
                items.push_back({ident(block.imagePath), text(": " + block.imageAlt)});
        }
    if (document.drawing == ChartDrawing::NotDrawn && figures > 0)
        items.push_back({ident("charts/"), text(": not written; the " + count(figures) +
                                                " charts named above were not drawn (a build without Qt)")});
    w.bullets(items);
}

} // namespace studydoc
} // namespace

std::string estimateText(const Estimate& e)
{
    using studydoc::count;
    using studydoc::num;
    if (e.n == 0)
        return "n/a (n = 0)";
    if (e.n < 2 || !std::isfinite(e.ciLow))
        return num(e.mean) + " (n = " + count(e.n) + ", no interval)";
    return num(e.mean) + " [" + num(e.ciLow) + ", " + num(e.ciHigh) + "], n = " + count(e.n);
}

ScenarioSupport supportedScenario(const FamilyScenario& family)
{
    ScenarioSupport s;
    for (const std::string scenario : {"A", "B", "C", "D"}) {
        const std::int64_t n = studydoc::verdictCount(family, scenario);
        s.decided += n;
        if (n > s.count) {
            s.count = n;
            s.leading = scenario;
        }
    }
    if (s.decided == 0) {
        s.scenario = "inconclusive";
        s.share = std::numeric_limits<double>::quiet_NaN();
        return s;
    }
    s.share = static_cast<double>(s.count) / static_cast<double>(s.decided);
    s.scenario = s.share > kStudyMajorityShare ? s.leading : "mixed";
    return s;
}

bool familiesDiffer(const std::vector<FamilyScenario>& families)
{
    std::set<std::string> outcomes;
    for (const auto& f : families) {
        if (f.family.empty())
            continue;
        const ScenarioSupport s = supportedScenario(f);
        if (s.scenario != "inconclusive")
            outcomes.insert(s.scenario);
    }
    return outcomes.size() > 1;
}

std::string studyReportTitle(const StudyReportData& data)
{
    return "Study " + std::to_string(data.studyId) + (data.name.empty() ? "" : " (" + data.name + ")") + ": findings report";
}

ReportDocument buildStudyReportDocument(const StudyReportData& data, ChartDrawing drawing)
{
    using namespace studydoc;
    ReportDocument document;
    document.title = studyReportTitle(data);
    document.drawing = drawing;
    DocumentWriter w(document);
    writeHeader(w, data);
    writeExecutiveSummary(w, data);
    w.heading(2, "Key findings", "key-findings");
    writeExperiment1(w, data);
    writeExperiment2(w, data);
    writeExperiment3(w, data);
    writeExperiment4(w, data);
    writeExperiment5(w, data);
    writeScenarioAnalysis(w, data);
    writeControl(w, data);
    writeTechnicalDetails(w, data);
    writeRecommendations(w, data);
    writeLimitations(w, data);
    studydoc::writeFiles(w, document);
    return document;
}

std::string buildStudyMarkdown(const StudyReportData& data) { return renderMarkdown(buildStudyReportDocument(data)); }

} // namespace tempo::report
