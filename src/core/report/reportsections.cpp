// The sections of a findings report, assembled from ReportData alone. Every sentence is filled
// from numbers in the data; where a number is missing the text says so instead of guessing.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/report/reportbuilder.h"
#include "core/report/documentwriter.h"
#include "core/analysis/verdict.h"
#include "core/runrecord/tempoconfig.h"

namespace tempo::report {

namespace {

using nlohmann::json;
using Metrics = std::vector<notebook::MetricRecord>;

// ---- small builders

Span plain(std::string text) { return {std::move(text), Span::Style::Plain}; }
Span bold(std::string text) { return {std::move(text), Span::Style::Bold}; }
Span code(std::string text) { return {std::move(text), Span::Style::Code}; }

std::string num(double value) { return formatNumber(value); }
std::string integer(std::int64_t value) { return std::to_string(value); }
std::string plural(std::int64_t n, const std::string& one, const std::string& many) { return integer(n) + " " + (n == 1 ? one : many); }

std::string optionalNumber(const std::optional<double>& value) { return value ? num(*value) : "n/a"; }

// Length of the valid UTF-8 sequence starting at text[i], 0 when the bytes there are not one.
size_t utf8SequenceLength(const std::string& text, size_t i)
{
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || (length == 2 && lead < 0xC2) || i + length > text.size())
        return 0;
    for (size_t k = 1; k < length; ++k)
        if ((byte(i + k) >> 6) != 0x2)
            return 0;
    return length;
}

// A token as a reader can see it: quotes around it, control characters spelled out, and bytes
// that are not whole UTF-8 characters (byte-level BPE pieces) as \xNN.
std::string visibleToken(const std::string& token)
{
    static const char* hex = "0123456789abcdef";
    std::string out = "\"";
    for (size_t i = 0; i < token.size();) {
        const unsigned char c = static_cast<unsigned char>(token[i]);
        const size_t length = utf8SequenceLength(token, i);
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else if (length == 0 || c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        } else {
            out += token.substr(i, length);
            i += length;
            continue;
        }
        ++i;
    }
    return out + "\"";
}

std::string runLabel(const ReportRun& run)
{
    std::string qualifiers = run.mode;
    if (run.artifactControl)
        qualifiers += (qualifiers.empty() ? "" : ", ") + std::string(kArtifactControlLabel);
    return "run " + integer(run.record.id) + (qualifiers.empty() ? "" : " (" + qualifiers + ")");
}

// A chart of the run/group/sweep report as a figure block (its data is drawn by src/render).
void addChartFigure(DocumentWriter& w, ChartKind kind, const ReportData& data)
{
    Block b;
    b.kind = Block::Kind::Figure;
    b.chart = kind;
    b.imagePath = "charts/" + chartFileName(kind);
    b.imageAlt = chartTitle(kind);
    b.text = {plain(chartTitle(kind) + ". " + chartCaption(kind, data))};
    w.append(std::move(b));
    w.document().charts.push_back(kind);
}

// Rows "metric | value" for the scalar metrics `names` (prefix + name) present in `metrics`.
std::vector<std::vector<std::string>> scalarRows(const Metrics& metrics, const std::string& prefix,
                                                 const std::vector<std::pair<std::string, std::string>>& names)
{
    std::vector<std::vector<std::string>> rows;
    for (const auto& [name, meaning] : names)
        if (auto value = scalarMetric(metrics, prefix + name))
            rows.push_back({prefix + name, num(*value), meaning});
    return rows;
}

bool hasPrefix(const Metrics& metrics, const std::string& prefix)
{
    return std::any_of(metrics.begin(), metrics.end(), [&](const auto& m) { return m.name.rfind(prefix, 0) == 0; });
}

// ---- title and provenance

void writeProvenance(DocumentWriter& w, const ReportData& data)
{
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"Report subject", subjectIdText(data.subject)});
    rows.push_back({"Date of the data", data.date.empty() ? "unknown" : data.date});
    rows.push_back({"Preset", data.presetId + (data.presetDescription.empty() ? "" : ": " + data.presetDescription)});
    if (data.artifactControl())
        rows.push_back({"Mechanism", std::string(kArtifactControlLabel) + ": " + kArtifactControlMeaning});
    std::set<std::string> models;
    for (const auto& run : data.runs) {
        if (run.model)
            models.insert(run.model->name + " (weights SHA-256 " + run.model->weightsSha256 + ", tokenizer SHA-256 " +
                          run.model->tokenizerSha256 + ")");
        else
            models.insert("unknown (the run records no model)");
    }
    if (data.sweep)
        models.insert("folder " + data.sweep->modelFolder);
    for (const auto& model : models)
        rows.push_back({"Model", model});
    if (!data.runs.empty()) {
        std::string runs;
        for (const auto& run : data.runs)
            runs += (runs.empty() ? "" : "; ") + runLabel(run) + ", preset " + run.record.presetId + ", " +
                    notebook::toString(run.record.status);
        rows.push_back({"Runs", runs});
        std::set<std::string> prompts;
        for (const auto& run : data.runs)
            prompts.insert(run.record.prompt);
        for (const auto& prompt : prompts)
            rows.push_back({"Prompt", visibleToken(prompt)});
    }
    if (data.group)
        rows.push_back({"Group", "group " + integer(data.group->id) + " (" + data.group->kind + ")"});
    if (data.sweep)
        rows.push_back({"Sweep", "sweep " + integer(data.sweep->record.id) + ", status " + data.sweep->status});
    w.table({"Field", "Value"}, rows);
}

// ---- executive summary

std::string criterionText(const ReportCriterion& c) { return criterionSentence(c.name, c.value, c.threshold, c.met); }

void writeExecutiveSummary(DocumentWriter& w, const ReportData& data)
{
    w.heading(2, "Executive summary", "executive-summary");
    if (data.artifactControl())
        w.paragraph({bold(std::string(kArtifactControlLabel) + "."),
                     plain(" This subject is the artifact control: it reproduces the original project's method on "
                           "purpose (" + std::string(kArtifactControlMeaning) + "). Its mechanism checks fail by design "
                           "and its numbers are shown beside the real mechanism's, never counted as TEMPO results.")});
    // Failed checks first: a finding about a mechanism that did not run as designed is no finding.
    std::vector<Inline> failures;
    std::int64_t checksRun = 0;
    for (const auto& run : data.runs) {
        checksRun += static_cast<std::int64_t>(run.checks.size());
        for (const auto& check : run.checks)
            if (!check.passed)
                failures.push_back({bold("FAILED: "), plain(runLabel(run) + " check "), code(check.name),
                                    plain(", value " + num(check.value) + (check.detail.empty() ? "" : ": " + check.detail))});
    }
    if (!failures.empty()) {
        w.paragraph({bold(plural(static_cast<std::int64_t>(failures.size()), "mechanism check", "mechanism checks") +
                          " failed (of " + integer(checksRun) + ")."),
                     plain(" The decoder did not run as DESIGN.md section 1 specifies for the runs below, so the "
                           "numbers in this report do not measure TEMPO as designed.")});
        w.bullets(failures);
    }
    for (const auto& run : data.runs)
        if (run.record.status != notebook::RunStatus::Finished)
            w.paragraph({bold("Run " + integer(run.record.id) + " is " + notebook::toString(run.record.status) + "."),
                         plain(run.record.errorText.empty() ? " Its records may be incomplete."
                                                            : " Error: " + run.record.errorText)});

    if (data.sweep) {
        const ReportSweep& s = *data.sweep;
        std::string text = "The sweep ran preset " + s.presetId + " (" + s.mode + ") over " +
                           plural(static_cast<std::int64_t>(s.suite.size()), "prompt", "prompts") + " in " +
                           plural(static_cast<std::int64_t>(s.categories.size()), "category", "categories") + " and " +
                           plural(static_cast<std::int64_t>(s.thresholds.size()), "threshold", "thresholds") + "; " +
                           integer(s.pointsAggregated) + " of " + integer(s.pointsPlanned) +
                           " points finished and are aggregated (status " + s.status + ").";
        for (const auto& st : s.statistics)
            if (st.metric == s.headlineMetric && st.category.empty() && !st.threshold)
                text += " Headline metric " + s.headlineMetric + ": mean " + num(st.mean) + ", 95% CI [" + num(st.ciLow) +
                        ", " + num(st.ciHigh) + "], n = " + integer(st.n) + ".";
        w.paragraph(text);
        if (!s.verdictCounts.empty()) {
            std::string counts;
            for (const auto& [scenario, count] : s.verdictCounts)
                counts += (counts.empty() ? "" : ", ") + scenario + ": " + integer(count);
            w.paragraph("Scenario verdicts over the aggregated points: " + counts + ".");
        }
        return;
    }

    if (data.verdict.present) {
        const ReportVerdict& v = data.verdict;
        if (v.scenario == "inconclusive" || v.scenario.empty()) {
            w.paragraph({bold("Verdict: inconclusive."), plain(" Reason: " + v.inconclusiveReason + ".")});
        } else if (v.scenario == scenarioName(Scenario::Control)) {
            std::string measured;
            for (const auto& c : v.criteria)
                if (c.name == "identical" || c.name == "same_selected_sets")
                    measured += " " + criterionText(c);
            w.paragraph({bold("Verdict: " + v.title + "."), plain(" " + v.inconclusiveReason + "." + measured)});
        } else {
            std::string basis;
            for (const auto& c : v.criteria)
                if (c.name == "identical" || c.name == "nearly_identical" || c.name == "same_selected_sets" ||
                    c.name.rfind("same_top", 0) == 0 || c.name == "prior_dominates")
                    basis += " " + criterionText(c);
            w.paragraph({bold("Verdict: scenario " + v.scenario + " (" + v.title + ")."), plain(basis)});
        }
    } else {
        w.paragraph("No scenario verdict is stored for this subject.");
    }
    for (const auto& run : data.runs) {
        const auto total = parseObject(run.record.timingsJson).value("total_ms", json());
        std::string text = "Run " + integer(run.record.id) + (run.mode.empty() ? "" : " (" + run.mode + ")") + " decoded " +
                           plural(static_cast<std::int64_t>(run.steps.size()), "step", "steps") + " at threshold " +
                           num(run.threshold) + "; " + integer(run.multiMemberSteps()) +
                           " of them fed a set of 2 or more members (widest " + integer(run.maxWidthSeen()) + ")";
        if (total.is_number())
            text += ", in " + num(total.get<double>()) + " ms";
        w.paragraph(text + ".");
    }
    if (auto diff = scalarMetric(data.pairMetrics, "distribution.max_abs_diff")) {
        std::string text = "Isolated vs visible readouts: max |p_isolated - p_visible| = " + num(*diff);
        if (auto js = scalarMetric(data.pairMetrics, "distribution.mean_js"))
            text += ", mean Jensen-Shannon divergence " + num(*js) + " nats";
        if (auto first = scalarMetric(data.pairMetrics, "distribution.first_differing_set_step"))
            text += *first < 0 ? ", the selected sets never differ" : ", selected sets first differ at step " + num(*first);
        w.paragraph(text + ".");
    }
}

// ---- key findings

void writeParallelSets(DocumentWriter& w, const ReportRun& run)
{
    w.heading(4, "Parallel sets of " + runLabel(run));
    std::vector<std::vector<std::string>> rows;
    for (const auto& step : run.steps) {
        std::string members, slots;
        for (size_t i = 0; i < step.tokens.size(); ++i) {
            members += (i ? ", " : "") + visibleToken(step.tokens[i]);
            if (i < step.probabilities.size())
                members += " " + formatNumber(step.probabilities[i], 3);
        }
        if (!step.physicalSlots.empty())
            slots = integer(step.physicalSlots.front()) +
                    (step.physicalSlots.size() > 1 ? "-" + integer(step.physicalSlots.back()) : "");
        rows.push_back({integer(step.step), integer(step.logicalPosition), slots, integer(static_cast<std::int64_t>(step.tokens.size())),
                        members});
    }
    w.table({"Step", "Logical position", "Slots", "Width", "Members (probability)"}, rows);
    if (rows.empty())
        w.paragraph("No steps are stored for this run.");
    w.paragraph({bold("Generated text: "), plain(visibleToken(run.record.generatedText))});
}

void writeReadouts(DocumentWriter& w, const ReportRun& run)
{
    if (run.readoutEntropy.empty())
        return;
    w.heading(4, "Readout distributions of " + runLabel(run));
    std::vector<std::vector<std::string>> rows;
    for (size_t s = 0; s < run.readoutEntropy.size(); ++s)
        rows.push_back({integer(static_cast<std::int64_t>(s)), num(run.readoutEntropy[s]), num(run.readoutTopProbability[s])});
    w.table({"Step (p_s)", "Entropy (nats)", "Top-token probability"}, rows);
}

void writeDistributionComparison(DocumentWriter& w, const Metrics& pair)
{
    if (!hasPrefix(pair, "distribution."))
        return;
    w.heading(3, "Readout distributions, isolated vs visible");
    w.table({"Metric", "Value", "Meaning"},
            scalarRows(pair, "distribution.",
                       {{"steps_compared", "steps with a readout in both runs"},
                        {"max_abs_diff", "max over steps and tokens of |p_isolated - p_visible|"},
                        {"mean_kl_ab", "mean KL(isolated || visible), nats"},
                        {"mean_kl_ba", "mean KL(visible || isolated), nats"},
                        {"mean_js", "mean Jensen-Shannon divergence, nats"},
                        {"min_top1_overlap", "min over steps of the top-1 overlap"},
                        {"min_top5_overlap", "min over steps of the top-5 overlap"},
                        {"min_top10_overlap", "min over steps of the top-10 overlap"},
                        {"min_top20_overlap", "min over steps of the top-20 overlap"},
                        {"first_differing_set_step", "first step whose selected sets differ (-1: none)"},
                        {"first_differing_distribution_step", "first step whose readouts differ by >= 1e-6 (-1: none)"},
                        {"steps_only_in_one_run", "readouts only one run has"}}));
    const auto kl = stepSeries(pair, "distribution.by_step.kl_ab");
    std::vector<std::vector<std::string>> rows;
    for (const auto& [step, klAB] : kl) {
        auto at = [&, step = step](const std::string& name) {
            for (const auto& [s, v] : stepSeries(pair, "distribution.by_step." + name))
                if (s == step)
                    return num(v);
            return std::string("n/a");
        };
        rows.push_back({integer(step), at("entropy_a"), at("entropy_b"), at("top_probability_a"), at("top_probability_b"),
                        num(klAB), at("kl_ba"), at("js"), at("cosine"), at("max_abs_diff"), at("top5_overlap")});
    }
    w.table({"Step", "Entropy iso", "Entropy vis", "Top p iso", "Top p vis", "KL(iso||vis)", "KL(vis||iso)", "JS", "Cosine",
             "Max |diff|", "Top-5 overlap"},
            rows);
}

void writeAttentionComparison(DocumentWriter& w, const Metrics& pair)
{
    if (!hasPrefix(pair, "attention."))
        return;
    w.heading(3, "Attention, isolated vs visible");
    w.table({"Metric", "Value", "Meaning"},
            scalarRows(pair, "attention.",
                       {{"elements", "aligned attention probabilities compared"},
                        {"mean_abs_diff", "mean |a_isolated - a_visible|"},
                        {"max_abs_diff", "max |a_isolated - a_visible|"},
                        {"pearson", "Pearson correlation over every aligned element"},
                        {"tolerance", "a forward differs when its max |diff| exceeds this"},
                        {"first_differing_step", "step of the first differing forward (-1: none or prefill)"},
                        {"first_differing_forward", "first differing forward (-1: none)"},
                        {"forwards_only_in_one_run", "steps one run reached and the other did not"}}));
    std::vector<std::vector<std::string>> rows;
    // The prefill's per-step numbers are stored without a step (step -1 maps to none).
    if (auto prefill = scalarMetric(pair, "attention.by_step.mean_abs_diff"))
        rows.push_back({"prefill", num(*prefill), optionalNumber(scalarMetric(pair, "attention.by_step.max_abs_diff")),
                        optionalNumber(scalarMetric(pair, "attention.by_step.pearson"))});
    const auto maxSeries = stepSeries(pair, "attention.by_step.max_abs_diff");
    const auto pearsonSeries = stepSeries(pair, "attention.by_step.pearson");
    const auto meanSeries = stepSeries(pair, "attention.by_step.mean_abs_diff");
    for (size_t i = 0; i < meanSeries.size(); ++i)
        rows.push_back({integer(meanSeries[i].first), num(meanSeries[i].second),
                        i < maxSeries.size() ? num(maxSeries[i].second) : "n/a",
                        i < pearsonSeries.size() ? num(pearsonSeries[i].second) : "n/a"});
    w.table({"Step", "Mean |diff|", "Max |diff|", "Pearson"}, rows);
    rows.clear();
    const auto layerMean = layerSeries(pair, "attention.by_layer.mean_abs_diff");
    const auto layerMax = layerSeries(pair, "attention.by_layer.max_abs_diff");
    const auto layerPearson = layerSeries(pair, "attention.by_layer.pearson");
    for (size_t i = 0; i < layerMean.size(); ++i)
        rows.push_back({integer(layerMean[i].first), num(layerMean[i].second), i < layerMax.size() ? num(layerMax[i].second) : "n/a",
                        i < layerPearson.size() ? num(layerPearson[i].second) : "n/a"});
    w.table({"Layer", "Mean |diff|", "Max |diff|", "Pearson"}, rows);
}

void writeCrossParallel(DocumentWriter& w, const ReportRun& run)
{
    if (!hasPrefix(run.metrics, "cross_parallel."))
        return;
    w.heading(4, "Cross-parallel attention of " + runLabel(run));
    if (std::find(run.computedForReport.begin(), run.computedForReport.end(), "cross_parallel") != run.computedForReport.end())
        w.paragraph("Computed for this report from the stored attention: the run was recorded before TEMPO Lab "
                    "stored this analysis when a run ends.");
    w.table({"Metric", "Value", "Meaning"},
            scalarRows(run.metrics, "cross_parallel.",
                       {{"multi_member_sets", "sets of >= 2 members with attention"},
                        {"rows", "(member, layer, head) rows summarised"},
                        {"mean_sibling", "mean attention mass to siblings"},
                        {"max_sibling", "max attention mass to siblings"},
                        {"mean_prior", "mean attention mass to the prompt and earlier sets"},
                        {"min_prior", "min attention mass to prior context"},
                        {"mean_self", "mean attention mass to the member itself"},
                        {"ratio", "mean sibling / mean prior"}}));
    std::vector<std::vector<std::string>> rows;
    const auto sibling = layerSeries(run.metrics, "cross_parallel.by_layer.mean_sibling");
    const auto prior = layerSeries(run.metrics, "cross_parallel.by_layer.mean_prior");
    const auto ratio = layerSeries(run.metrics, "cross_parallel.by_layer.ratio");
    for (size_t i = 0; i < sibling.size(); ++i)
        rows.push_back({integer(sibling[i].first), num(sibling[i].second), i < prior.size() ? num(prior[i].second) : "n/a",
                        i < ratio.size() ? num(ratio[i].second) : "n/a"});
    w.table({"Layer", "Mean sibling mass", "Mean prior mass", "Ratio"}, rows);
}

// Metrics named "<prefix><index>.<field>" holding two fields per index, as formatted numbers:
// .first is `firstField`, .second the other one. Sorted by index.
std::map<int, std::pair<std::string, std::string>> indexedPairs(const std::vector<notebook::MetricRecord>& metrics,
                                                                const std::string& prefix, const std::string& firstField)
{
    std::map<int, std::pair<std::string, std::string>> pairs;
    for (const auto& m : metrics) {
        if (m.name.rfind(prefix, 0) != 0)
            continue;
        const std::string rest = m.name.substr(prefix.size());
        const auto dot = rest.find('.');
        if (dot == std::string::npos)
            continue;
        const int index = std::atoi(rest.substr(0, dot).c_str());
        (rest.substr(dot + 1) == firstField ? pairs[index].first : pairs[index].second) = num(m.value);
    }
    return pairs;
}

void writeRope(DocumentWriter& w, const ReportRun& run)
{
    if (!hasPrefix(run.metrics, "rope."))
        return;
    w.heading(4, "KV cache and RoPE of " + runLabel(run));
    w.table({"Metric", "Value", "Meaning"},
            scalarRows(run.metrics, "rope.",
                       {{"max_logical_error", "max |cached key - R(logical position) k|"},
                        {"min_physical_error", "min over moved slots of |cached key - R(slot) k|"},
                        {"mismatched_slots", "slots whose used and recorded positions differ"},
                        {"unreported_slots", "slots with no reported position"},
                        {"shared_position_slots", "slots sharing a position with another slot"},
                        {"all_layers_passed", "1: every inspected layer passed"}}));
    const auto slots = indexedPairs(run.metrics, "rope.by_slot.", "position_used");
    std::vector<std::vector<std::string>> rows;
    for (const auto& [slot, positions] : slots)
        rows.push_back({integer(slot), positions.first, positions.second});
    w.table({"Slot", "Position used by RoPE", "Position recorded"}, rows);
}

void writeParallelism(DocumentWriter& w, const ReportRun& run)
{
    if (!hasPrefix(run.metrics, "parallelism."))
        return;
    w.heading(4, "Parallelism of " + runLabel(run));
    w.table({"Metric", "Value", "Meaning"},
            scalarRows(run.metrics, "parallelism.",
                       {{"max_width", "widest set"},
                        {"mean_width", "mean set width"},
                        {"multi_member_steps", "steps with >= 2 members"},
                        {"ms_per_extra_member", "least-squares ms per extra member"},
                        {"intercept_ms", "least-squares ms at width 0"},
                        {"total_ms", "sum of step times, ms"},
                        {"non_finite_values", "NaN/Inf among readouts"},
                        {"non_finite_readouts", "readouts holding a NaN/Inf"},
                        {"max_probability_sum_error", "max |sum(p) - 1|"}}));
    const auto widths = indexedPairs(run.metrics, "parallelism.by_width.", "steps");
    std::vector<std::vector<std::string>> rows;
    for (const auto& [width, numbers] : widths)
        rows.push_back({integer(width), numbers.first, numbers.second});
    w.table({"Width", "Steps", "Mean ms per step"}, rows);
}

void writeSweepFindings(DocumentWriter& w, const ReportSweep& s)
{
    w.heading(3, "Headline metric by category and threshold");
    w.paragraph({plain("Metric "), code(s.headlineMetric.empty() ? "none" : s.headlineMetric),
                 plain(", unit of analysis: " + (s.unit.empty() ? std::string("n/a") : s.unit) + ".")});
    std::vector<std::vector<std::string>> rows;
    for (const auto& st : s.statistics)
        if (st.metric == s.headlineMetric)
            rows.push_back({st.category.empty() ? "all" : st.category, st.threshold ? num(*st.threshold) : "all",
                            integer(st.n), num(st.mean), num(st.stddev), "[" + num(st.ciLow) + ", " + num(st.ciHigh) + "]"});
    w.table({"Category", "Threshold", "n", "Mean", "Std", "95% CI"}, rows);
    w.heading(3, "Every metric over all points");
    rows.clear();
    for (const auto& st : s.statistics)
        if (st.category.empty() && !st.threshold)
            rows.push_back({st.metric, integer(st.n), num(st.mean), num(st.stddev), num(st.ciLow), num(st.ciHigh)});
    w.table({"Metric", "n", "Mean", "Std", "CI low", "CI high"}, rows);
    if (rows.empty())
        w.paragraph("The sweep has no aggregated point yet.");
    w.heading(3, "Prompt suite");
    rows.clear();
    for (size_t i = 0; i < s.suite.size(); ++i)
        rows.push_back({integer(static_cast<std::int64_t>(i)), s.suite[i].first, visibleToken(s.suite[i].second)});
    w.table({"#", "Category", "Prompt"}, rows);
}

void writeKeyFindings(DocumentWriter& w, const ReportData& data)
{
    w.heading(2, "Key findings", "key-findings");
    if (data.sweep) {
        writeSweepFindings(w, *data.sweep);
    } else {
        w.heading(3, "Parallel sets and generated text");
        for (const auto& run : data.runs)
            writeParallelSets(w, run);
        if (std::any_of(data.runs.begin(), data.runs.end(), [](const auto& r) { return !r.readoutEntropy.empty(); })) {
            w.heading(3, "Readout entropy and top-token probability");
            for (const auto& run : data.runs)
                writeReadouts(w, run);
        }
        writeDistributionComparison(w, data.pairMetrics);
        writeAttentionComparison(w, data.pairMetrics);
        if (std::any_of(data.runs.begin(), data.runs.end(), [](const auto& r) { return hasPrefix(r.metrics, "cross_parallel."); })) {
            w.heading(3, "Cross-parallel attention (members to siblings vs prior context)");
            for (const auto& run : data.runs)
                writeCrossParallel(w, run);
        }
        if (std::any_of(data.runs.begin(), data.runs.end(), [](const auto& r) { return hasPrefix(r.metrics, "rope."); })) {
            w.heading(3, "KV cache and RoPE inspection");
            for (const auto& run : data.runs)
                writeRope(w, run);
        }
        if (std::any_of(data.runs.begin(), data.runs.end(), [](const auto& r) { return hasPrefix(r.metrics, "parallelism."); })) {
            w.heading(3, "Parallelism and numerical health");
            for (const auto& run : data.runs)
                writeParallelism(w, run);
        }
    }
    const auto charts = chartsFor(data);
    if (!charts.empty()) {
        w.heading(3, "Charts");
        for (ChartKind kind : charts)
            addChartFigure(w, kind, data);
    }
}

// ---- mechanism checks and scenarios

void writeChecks(DocumentWriter& w, const ReportData& data)
{
    w.heading(2, "Mechanism checks", "mechanism-checks");
    if (data.sweep) {
        w.paragraph("A sweep report aggregates metrics; the checks of each run are in that run's report. The verdict "
                    "counts above include inconclusive points whose checks failed.");
        return;
    }
    // A check the run gave nothing to check (passed vacuously, value n/a) is listed with the others
    // but counted apart: it shows nothing about the mechanism.
    std::vector<std::vector<std::string>> failed, passed;
    std::int64_t notApplicable = 0;
    for (const auto& run : data.runs)
        for (const auto& c : run.checks) {
            notApplicable += c.notApplicable() ? 1 : 0;
            (c.passed ? passed : failed)
                .push_back({runLabel(run), c.name, c.notApplicable() ? "n/a" : c.passed ? "pass" : "FAIL", num(c.value),
                            c.detail});
        }
    const std::int64_t applicable = static_cast<std::int64_t>(failed.size() + passed.size()) - notApplicable;
    const std::string applicableWord = notApplicable > 0 ? " applicable" : "";
    const std::string apart = notApplicable > 0 ? "; " + plural(notApplicable, "check", "checks") +
                                                      " did not apply (n/a: the run gave " +
                                                      (notApplicable == 1 ? "it" : "them") + " nothing to check)"
                                                : "";
    if (applicable + notApplicable == 0)
        w.paragraph({bold("No mechanism checks are stored."), plain(" Nothing shows that the mechanism ran as designed.")});
    else if (!failed.empty())
        w.paragraph({bold(integer(static_cast<std::int64_t>(failed.size())) + " of " + integer(applicable) + applicableWord +
                          " checks failed"),
                     plain(" (listed first)" + apart + ".")});
    else if (applicable == 0)
        w.paragraph("No check applied to " + std::string(data.runs.size() == 1 ? "this run" : "these runs") + apart + ".");
    else
        w.paragraph("All " + integer(applicable) + applicableWord + " checks passed" + apart + ".");
    failed.insert(failed.end(), passed.begin(), passed.end());
    w.table({"Run", "Check", "Result", "Value", "Detail"}, failed);
}

const ReportCriterion* findCriterion(const ReportVerdict& v, const std::string& name)
{
    for (const auto& c : v.criteria)
        if (c.name == name)
            return &c;
    return nullptr;
}

void writeScenarios(DocumentWriter& w, const ReportData& data)
{
    w.heading(2, "Scenario analysis", "scenario-analysis");
    if (data.sweep) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& [scenario, count] : data.sweep->verdictCounts)
            rows.push_back({scenario, integer(count)});
        w.table({"Scenario", "Points"}, rows);
        if (rows.empty())
            w.paragraph("No verdicts are stored for the sweep's points.");
        return;
    }
    const ReportVerdict& v = data.verdict;
    if (!v.present) {
        w.paragraph("No verdict is stored: the preset did not ask for one, or no pair of isolated and visible runs exists.");
        return;
    }
    if (data.runs.size() == 1 && std::find(data.runs.front().computedForReport.begin(),
                                           data.runs.front().computedForReport.end(),
                                           "verdict") != data.runs.front().computedForReport.end())
        w.paragraph("Decided for this report from the stored steps and checks: the run stored no verdict when it "
                    "ended (it was recorded before TEMPO Lab stored one, or its preset asks for none).");
    w.paragraph("Scenarios (DESIGN.md section 2): A prior context dominates; B subtle cross-attention; C significant "
                "interaction; D different logits, same top-k. Preconditions must all hold before a scenario is decided.");
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : v.criteria)
        rows.push_back({c.name, c.comparison.rfind("finite", 0) == 0 ? c.comparison : c.comparison + " " + num(c.threshold),
                        num(c.value), c.met ? "yes" : "no", c.meaning});
    w.table({"Criterion", "Test", "Value", "Met", "Meaning"}, rows);
    auto met = [&](const std::string& name) {
        const ReportCriterion* c = findCriterion(v, name);
        return c && c->met;
    };
    const bool control = v.scenario == scenarioName(Scenario::Control);
    const bool decided = v.scenario != "inconclusive" && !v.scenario.empty() && !control;
    const bool I = met("identical"), N = met("nearly_identical"), T = met("same_selected_sets") && met("same_top5"),
               P = met("prior_dominates");
    auto holds = [&](bool value) { return decided ? (value ? "holds" : "does not hold") : "not decided"; };
    w.table({"Scenario", "Rule (I identical, N nearly identical, T same selection, P prior dominates)", "Result"},
            {{"A " + std::string("prior context dominates"), "T and I and P", holds(T && I && P)},
             {"B subtle cross-attention", "T and N and not (I and P)", holds(T && N && !(I && P))},
             {"C significant interaction", "not T, or (not N and not P)", holds(!T || (!N && !P))},
             {"D different logits, same top-k", "T and not N and P", holds(T && !N && P)}});
    if (decided)
        w.paragraph({bold("Decided: scenario " + v.scenario + " (" + v.title + ")."),
                     plain(" I = " + std::string(I ? "yes" : "no") + ", N = " + (N ? "yes" : "no") + ", T = " +
                           (T ? "yes" : "no") + ", P = " + (P ? "yes" : "no") + ".")});
    else if (control)
        w.paragraph({bold("Not a scenario, " + v.title + ": "), plain(v.inconclusiveReason + ".")});
    else
        w.paragraph({bold("Inconclusive: "), plain(v.inconclusiveReason + ".")});
}

// ---- technical details

void writeTechnicalDetails(DocumentWriter& w, const ReportData& data)
{
    w.heading(2, "Technical details", "technical-details");
    if (data.sweep) {
        const ReportSweep& s = *data.sweep;
        std::string thresholds;
        for (double t : s.thresholds)
            thresholds += (thresholds.empty() ? "" : ", ") + num(t);
        w.table({"Field", "Value"}, {{"Preset", s.presetId},
                                     {"Mode", s.mode},
                                     {"Model folder", s.modelFolder},
                                     {"Device", s.device},
                                     {"Dtype", s.dtype},
                                     {"Thresholds", thresholds},
                                     {"Points planned", integer(s.pointsPlanned)},
                                     {"Points aggregated", integer(s.pointsAggregated)},
                                     {"Runs in the sweep", integer(static_cast<std::int64_t>(s.record.runs.size()))},
                                     {"Confidence intervals", s.method},
                                     {"Created", s.record.createdAt}});
        return;
    }
    std::vector<std::string> header{"Field"};
    for (const auto& run : data.runs)
        header.push_back(runLabel(run));
    std::vector<std::vector<std::string>> rows;
    auto row = [&](const std::string& field, auto value) {
        std::vector<std::string> cells{field};
        for (const auto& run : data.runs)
            cells.push_back(value(run));
        rows.push_back(cells);
    };
    auto timing = [](const ReportRun& run, const char* key) {
        const json t = parseObject(run.record.timingsJson);
        if (!t.contains(key)) return std::string("n/a");
        return t[key].is_number() ? num(t[key].get<double>()) : t[key].is_string() ? t[key].get<std::string>() : t[key].dump();
    };
    row("UUID", [](const ReportRun& r) { return r.record.uuid; });
    row("Status", [](const ReportRun& r) { return notebook::toString(r.record.status); });
    row("Started", [](const ReportRun& r) { return r.record.startedAt; });
    row("Ended", [](const ReportRun& r) { return r.record.endedAt; });
    row("Device", [](const ReportRun& r) { return r.record.provenance.device; });
    row("Dtype", [](const ReportRun& r) { return r.record.provenance.dtype; });
    row("Threads", [](const ReportRun& r) { return integer(r.record.provenance.threads); });
    row("LibTorch", [](const ReportRun& r) { return r.record.provenance.libtorchVersion; });
    row("App version", [](const ReportRun& r) { return r.record.provenance.appVersion; });
    row("Git commit", [](const ReportRun& r) { return r.record.provenance.gitCommit; });
    row("Prefill (ms)", [&](const ReportRun& r) { return timing(r, "prefill_ms"); });
    row("Total (ms)", [&](const ReportRun& r) { return timing(r, "total_ms"); });
    row("Per step (ms)", [&](const ReportRun& r) { return timing(r, "ms_per_step"); });
    row("Stop reason", [&](const ReportRun& r) { return timing(r, "stop_reason"); });
    row("Prompt tokens", [](const ReportRun& r) { return integer(r.promptTokens); });
    row("Steps (max)", [](const ReportRun& r) { return integer(static_cast<std::int64_t>(r.steps.size())) + " (" + integer(r.maxSteps) + ")"; });
    row("Threshold", [](const ReportRun& r) { return num(r.threshold); });
    row("Max width", [](const ReportRun& r) { return integer(r.maxWidth); });
    row("Readout", [](const ReportRun& r) { return r.readout; });
    row("Captures", [](const ReportRun& r) {
        std::string text;
        for (const auto& c : r.captures)
            text += (text.empty() ? "" : ", ") + c;
        return text.empty() ? std::string("none") : text;
    });
    row("Stored tensors", [](const ReportRun& r) { return integer(static_cast<std::int64_t>(r.tensors.size())); });
    row("Stored tensor bytes", [](const ReportRun& r) { return bytesText(r.capturedBytes()); });
    w.table(header, rows);

    std::set<std::string> modelsSeen;
    for (const auto& run : data.runs) {
        if (!run.model || !modelsSeen.insert(run.model->weightsSha256).second)
            continue;
        const json config = parseObject(run.model->configJson);
        auto field = [&](const char* key) {
            return config.contains(key) && config[key].is_number() ? num(config[key].get<double>()) : std::string("n/a");
        };
        w.heading(3, "Model " + run.model->name);
        w.table({"Field", "Value"}, {{"Folder", run.model->folder},
                                     {"Weights SHA-256", run.model->weightsSha256},
                                     {"Tokenizer SHA-256", run.model->tokenizerSha256},
                                     {"Layers", field("num_hidden_layers")},
                                     {"Hidden size", field("hidden_size")},
                                     {"Attention heads", field("num_attention_heads")},
                                     {"KV heads", field("num_key_value_heads")},
                                     {"Vocabulary", field("vocab_size")}});
    }

    w.heading(3, "Captured tensors");
    rows.clear();
    for (const auto& run : data.runs) {
        struct Group {
            std::int64_t count = 0, bytes = 0;
            std::string dtype, firstShape, lastShape;
        };
        std::map<std::string, Group> groups;
        auto shapeText = [](const std::vector<std::int64_t>& shape) {
            std::string text = "[";
            for (size_t i = 0; i < shape.size(); ++i)
                text += (i ? ", " : "") + integer(shape[i]);
            return text + "]";
        };
        for (const auto& t : run.tensors) {
            Group& g = groups[t.name];
            if (g.count == 0)
                g.firstShape = shapeText(t.shape);
            g.lastShape = shapeText(t.shape);
            ++g.count;
            g.bytes += t.byteSize;
            g.dtype = t.dtype;
        }
        for (const auto& [name, g] : groups)
            rows.push_back({runLabel(run), name, integer(g.count), g.dtype,
                            g.firstShape + (g.lastShape != g.firstShape ? " ... " + g.lastShape : ""), bytesText(g.bytes)});
    }
    w.table({"Run", "Tensor", "Count", "Dtype", "Shape (first ... last)", "Bytes"}, rows);
    if (rows.empty())
        w.paragraph("No tensors were captured.");
}

// ---- limitations (every sentence computed from the data)

void writeLimitations(DocumentWriter& w, const ReportData& data)
{
    w.heading(2, "Limitations", "limitations");
    std::vector<Inline> items;
    if (data.sweep) {
        const ReportSweep& s = *data.sweep;
        std::map<std::string, std::int64_t> perCategory;
        for (const auto& entry : s.suite)
            ++perCategory[entry.first];
        std::string smallest;
        std::int64_t fewest = std::numeric_limits<std::int64_t>::max();
        for (const auto& [category, count] : perCategory)
            if (count < fewest) {
                fewest = count;
                smallest = category;
            }
        items.push_back({plain(plural(static_cast<std::int64_t>(s.suite.size()), "prompt", "prompts") + " in " +
                               plural(static_cast<std::int64_t>(perCategory.size()), "category", "categories") +
                               (perCategory.empty() ? "" : "; the smallest category (" + smallest + ") has " + integer(fewest) +
                                                               " prompt(s), so its interval rests on that many points per threshold") +
                               ".")});
        items.push_back({plain("One model folder (" + s.modelFolder + ") on " + s.device + " in " + s.dtype + ".")});
        std::string thresholds;
        for (double t : s.thresholds)
            thresholds += (thresholds.empty() ? "" : ", ") + num(t);
        items.push_back({plain(plural(static_cast<std::int64_t>(s.thresholds.size()), "threshold", "thresholds") + " (" +
                               thresholds + "); other thresholds are not measured.")});
        std::int64_t undefined = 0, nonFinite = 0;
        for (const auto& st : s.statistics) {
            undefined += std::isnan(st.ciLow) ? 1 : 0;
            nonFinite += st.nonFinite;
        }
        items.push_back({plain(integer(undefined) + " of " + integer(static_cast<std::int64_t>(s.statistics.size())) +
                               " statistics have no confidence interval (n < 2); " + integer(nonFinite) +
                               " non-finite values were left out of the means.")});
        if (s.pointsAggregated < s.pointsPlanned)
            items.push_back({plain(integer(s.pointsPlanned - s.pointsAggregated) + " planned points did not finish and are missing from every statistic.")});
        w.bullets(items);
        return;
    }
    std::set<std::string> prompts, models, devices, thresholds;
    std::int64_t steps = 0, multi = 0, maxSteps = 0;
    bool attention = false, logits = false;
    for (const auto& run : data.runs) {
        prompts.insert(run.record.prompt);
        models.insert(run.model ? run.model->name : "unknown");
        devices.insert(run.record.provenance.device + " / " + run.record.provenance.dtype);
        thresholds.insert(num(run.threshold));
        steps = std::max<std::int64_t>(steps, static_cast<std::int64_t>(run.steps.size()));
        maxSteps = std::max(maxSteps, run.maxSteps);
        multi = std::max(multi, run.multiMemberSteps());
        for (const auto& c : run.captures) {
            attention |= c == "attention";
            logits |= c == "logits";
        }
    }
    auto joined = [](const std::set<std::string>& items) {
        std::string text;
        for (const auto& item : items)
            text += (text.empty() ? "" : ", ") + item;
        return text;
    };
    items.push_back({plain(plural(static_cast<std::int64_t>(prompts.size()), "prompt", "prompts") +
                           " and no repetition: nothing here estimates how the numbers vary across prompts (run a sweep for that).")});
    std::string modelText = plural(static_cast<std::int64_t>(models.size()), "model", "models") + " (" + joined(models) + ")";
    for (const auto& run : data.runs)
        if (run.model) {
            const json config = parseObject(run.model->configJson);
            if (config.contains("num_hidden_layers") && config.contains("hidden_size"))
                modelText += ", " + config["num_hidden_layers"].dump() + " layers, hidden size " + config["hidden_size"].dump();
            break;
        }
    items.push_back({plain(modelText + "; other models may behave differently.")});
    items.push_back({plain("Threshold " + joined(thresholds) + " only; device / dtype " + joined(devices) + ".")});
    items.push_back({plain(integer(steps) + " steps decoded (limit " + integer(maxSteps) + "), " + integer(multi) +
                           " with a set of 2 or more members: only those steps can show a difference between isolated and "
                           "visible mode.")});
    if (multi == 0)
        items.push_back({bold("No multi-member set occurred:"), plain(" isolated and visible mode did the same computation, so this run says nothing about sibling visibility.")});
    if (!attention)
        items.push_back({plain("Attention was not captured: no attention or cross-parallel numbers.")});
    if (!logits)
        items.push_back({plain("Logits were not captured: no readout distributions, entropy or divergences.")});
    if (data.verdict.present) {
        std::string thresholdsText;
        for (const auto& name : {"identical", "nearly_identical", "prior_dominates"})
            if (const ReportCriterion* c = findCriterion(data.verdict, name))
                thresholdsText += (thresholdsText.empty() ? "" : ", ") + c->name + " " + c->comparison + " " + num(c->threshold);
        if (!thresholdsText.empty())
            items.push_back({plain("The verdict rests on fixed cut-offs (" + thresholdsText +
                                   "); a value near a cut-off could fall on the other side with another prompt or dtype.")});
    }
    const std::int64_t failed = data.failedCheckCount();
    if (failed > 0)
        items.push_back({bold(plural(failed, "failed check", "failed checks")), plain(" undermine every number in this report.")});
    w.bullets(items);
}

void writeNotes(DocumentWriter& w, const ReportData& data)
{
    std::vector<Inline> items;
    for (const auto& run : data.runs) {
        for (const auto& note : run.notes)
            items.push_back({bold(runLabel(run) + ", " + note.createdAt + ": "), plain(note.markdown)});
        if (!run.tags.empty()) {
            std::string tags;
            for (const auto& tag : run.tags)
                tags += (tags.empty() ? "" : ", ") + tag;
            items.push_back({bold(runLabel(run) + " tags: "), plain(tags)});
        }
    }
    if (items.empty())
        return;
    w.heading(2, "Notes and tags", "notes");
    w.bullets(items);
}

void writeFiles(DocumentWriter& w, const ReportDocument& document)
{
    w.heading(2, "Files", "files");
    std::vector<Inline> items{{code("report.md"), plain(": this report")}};
    if (document.drawing == ChartDrawing::NotDrawn) {
        if (!document.charts.empty())
            items.push_back({code("charts/"), plain(": not written; the " + std::to_string(document.charts.size()) +
                                                    " charts named above were not drawn (a build without Qt)")});
    } else {
        for (ChartKind kind : document.charts)
            items.push_back({code("charts/" + chartFileName(kind)), plain(": " + chartTitle(kind))});
    }
    w.bullets(items);
}

} // namespace

ReportDocument buildReportDocument(const ReportData& data, ChartDrawing drawing)
{
    ReportDocument document;
    document.title = data.title;
    document.drawing = drawing;
    DocumentWriter w(document);
    w.heading(1, data.title, "title");
    writeProvenance(w, data);
    writeExecutiveSummary(w, data);
    writeKeyFindings(w, data);
    writeChecks(w, data);
    writeScenarios(w, data);
    writeTechnicalDetails(w, data);
    writeLimitations(w, data);
    writeNotes(w, data);
    writeFiles(w, document);
    return document;
}

} // namespace tempo::report
