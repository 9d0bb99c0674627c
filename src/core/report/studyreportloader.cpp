// loadStudyReportData: a study's sweeps read back from the notebook through the existing stores
// (studies, sweeps, runs, steps, checks, metrics, tensors, groups, models) and summarised across
// the suite. Only stored metrics and steps are read, never captured tensors' contents: a study may
// drop its tensors to keep the notebook small (its summary says which it kept).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "core/report/reportdata.h"
#include "core/report/studyreport.h"

namespace tempo::report {

namespace {
namespace studyload { // unity builds: names unique within tempo_report

using nlohmann::json;
using Metrics = std::vector<notebook::MetricRecord>;

// One run of a sweep point, with what the report reads of it.
struct PointRun {
    std::int64_t runId = 0;
    std::string family;
    double threshold = 0.0;
    std::string mode;
    std::optional<std::int64_t> groupId;
    notebook::RunRecord record;
    Metrics metrics;
    std::vector<notebook::StepRecord> steps;
    std::vector<notebook::CheckRecord> checks;
    std::vector<notebook::TensorInfo> tensors;
};

struct LoadedSweep {
    notebook::StudySweep link;
    notebook::SweepRecord record;
    json state;
    std::vector<PointRun> runs; // finished runs, in sweep order
    std::int64_t runsStored = 0;
};

double metricOr(const Metrics& metrics, const std::string& name, double fallback)
{
    const auto value = scalarMetric(metrics, name);
    return value ? *value : fallback;
}

std::optional<double> comparisonScalar(const notebook::RunGroupRecord& group, const std::string& name)
{
    if (!group.comparison.metrics)
        return std::nullopt;
    for (const auto& m : *group.comparison.metrics)
        if (m.name == name && m.step < 0 && m.layer < 0 && m.head < 0)
            return m.value;
    return std::nullopt;
}

LoadedSweep loadSweep(notebook::Notebook& book, const notebook::StudySweep& link)
{
    LoadedSweep out;
    out.link = link;
    auto record = book.sweeps().find(link.sweepId);
    if (!record)
        throw NotebookError(expectedFound("sweep " + std::to_string(link.sweepId) + " of the study",
                                          "a sweep stored in " + book.path(), "no such sweep"));
    out.record = *record;
    out.state = parseObject(record->specJson);
    out.runsStored = static_cast<std::int64_t>(record->runs.size());
    for (const auto& [runId, pointText] : record->runs) {
        auto run = book.runs().find(runId);
        if (!run || run->status != notebook::RunStatus::Finished)
            continue;
        const json point = parseObject(pointText);
        PointRun p;
        p.runId = runId;
        p.family = point.value("category", "");
        p.threshold = point.value("threshold", 0.0);
        p.mode = point.value("mode", "");
        if (point.contains("group_id") && point["group_id"].is_number_integer())
            p.groupId = point["group_id"].get<std::int64_t>();
        p.record = *run;
        p.metrics = book.metrics().ofRun(runId);
        p.steps = book.steps().ofRun(runId);
        p.checks = book.checks().ofRun(runId);
        p.tensors = book.tensors().infosOfRun(runId);
        out.runs.push_back(std::move(p));
    }
    return out;
}

// Whether the run fed a set of 2 or more members: only then are sibling and prior masses measured.
bool hasMultiMemberSets(const PointRun& r)
{
    return std::any_of(r.steps.begin(), r.steps.end(), [](const auto& step) { return step.tokenIds.size() >= 2; });
}

// Whether some cache slot holds a token at a position other than the slot's index: only then can
// the error against the slot's rotation differ from the error against the logical one.
bool hasMovedSlot(const PointRun& r)
{
    for (const auto& step : r.steps)
        for (std::int64_t slot : step.physicalSlots)
            if (slot >= 0 && slot != step.logicalPosition)
                return true;
    return false;
}

// Samples per x (layer, step, width, ...), summarised in ascending x.
class SeriesSamples {
public:
    void add(double x, double value) { samples_[x].push_back(value); }
    EstimateSeries summary() const
    {
        EstimateSeries out;
        for (const auto& [x, values] : samples_)
            out.push_back({x, summarizeSample(values)});
        return out;
    }

private:
    std::map<double, std::vector<double>> samples_;
};

void addLayerSeries(SeriesSamples& into, const Metrics& metrics, const std::string& name)
{
    for (const auto& [layer, value] : layerSeries(metrics, name))
        into.add(layer, value);
}

// The groups (isolated/visible pairs) the runs of these sweeps belong to, each once, ascending id.
std::vector<notebook::RunGroupRecord> groupsOf(notebook::Notebook& book, const std::vector<const LoadedSweep*>& sweeps,
                                               std::map<std::int64_t, std::string>* familyOfGroup = nullptr)
{
    std::map<std::int64_t, std::string> families;
    for (const auto* s : sweeps)
        for (const auto& r : s->runs)
            if (r.groupId)
                families.emplace(*r.groupId, r.family);
    std::vector<notebook::RunGroupRecord> groups;
    for (const auto& [id, family] : families)
        if (auto group = book.groups().find(id); group && group->comparison.metrics)
            groups.push_back(*group);
    if (familyOfGroup)
        *familyOfGroup = families;
    return groups;
}

// ---- experiments

void fillExperiment1(notebook::Notebook& book, const LoadedSweep* a, const LoadedSweep* b, Experiment1& e)
{
    e.present = a || b;
    SeriesSamples sibling1a, prior1a, sibling1b, prior1b, difference;
    for (const auto& r : a ? a->runs : std::vector<PointRun>{}) {
        if (!hasMultiMemberSets(r))
            continue;
        ++e.runs1a;
        addLayerSeries(sibling1a, r.metrics, "cross_parallel.by_layer.mean_sibling");
        addLayerSeries(prior1a, r.metrics, "cross_parallel.by_layer.mean_prior");
    }
    for (const auto& r : b ? b->runs : std::vector<PointRun>{}) {
        if (!hasMultiMemberSets(r))
            continue;
        ++e.runs1b;
        addLayerSeries(sibling1b, r.metrics, "cross_parallel.by_layer.mean_sibling");
        addLayerSeries(prior1b, r.metrics, "cross_parallel.by_layer.mean_prior");
    }
    std::vector<const LoadedSweep*> sweeps;
    for (const auto* s : {a, b})
        if (s)
            sweeps.push_back(s);
    std::vector<double> mean, max, pearson;
    for (const auto& group : groupsOf(book, sweeps)) {
        const auto m = comparisonScalar(group, "attention.mean_abs_diff");
        if (!m)
            continue;
        ++e.pairs;
        mean.push_back(*m);
        max.push_back(comparisonScalar(group, "attention.max_abs_diff").value_or(std::nan("")));
        pearson.push_back(comparisonScalar(group, "attention.pearson").value_or(std::nan("")));
        for (const auto& metric : *group.comparison.metrics)
            if (metric.name == "attention.by_layer.mean_abs_diff" && metric.layer >= 0 && metric.head < 0)
                difference.add(static_cast<double>(metric.layer), metric.value);
    }
    e.sibling1a = sibling1a.summary();
    e.prior1a = prior1a.summary();
    e.sibling1b = sibling1b.summary();
    e.prior1b = prior1b.summary();
    e.differenceByLayer = difference.summary();
    e.meanAbsDiff = summarizeSample(mean);
    e.maxAbsDiff = summarizeSample(max);
    e.pearson = summarizeSample(pearson);
}

// Per pair of a preset-2 sweep: family, max |dp|, whether it was identical.
struct PairValues {
    std::string family;
    double maxAbsDiff = 0.0;
};

std::vector<PairValues> pairValues(notebook::Notebook& book, const LoadedSweep& sweep)
{
    std::map<std::int64_t, std::string> families;
    std::vector<PairValues> out;
    for (const auto& group : groupsOf(book, {&sweep}, &families))
        if (auto diff = comparisonScalar(group, "distribution.max_abs_diff"))
            out.push_back({families[group.id], *diff});
    return out;
}

void fillExperiment2(notebook::Notebook& book, const LoadedSweep* sweep, Experiment2& e)
{
    if (!sweep)
        return;
    e.present = true;
    std::map<std::int64_t, std::string> families;
    const auto groups = groupsOf(book, {sweep}, &families);
    // The visible run's sibling / prior ratio, by run id.
    std::map<std::int64_t, double> ratioOfRun;
    for (const auto& r : sweep->runs)
        ratioOfRun[r.runId] = metricOr(r.metrics, "cross_parallel.ratio", std::nan(""));
    SeriesSamples klAB, klBA, js;
    struct Values {
        std::map<std::string, std::int64_t> verdicts;
        std::vector<double> maxAbsDiff, ratio, meanJs, changed;
    };
    std::map<std::string, Values> byFamily;
    std::vector<double> meanKl;
    for (const auto& group : groups) {
        ++e.pairs;
        for (const auto& m : *group.comparison.metrics) {
            if (m.step < 0 || m.layer >= 0 || m.head >= 0)
                continue;
            if (m.name == "distribution.by_step.kl_ab")
                klAB.add(static_cast<double>(m.step), m.value);
            else if (m.name == "distribution.by_step.kl_ba")
                klBA.add(static_cast<double>(m.step), m.value);
            else if (m.name == "distribution.by_step.js")
                js.add(static_cast<double>(m.step), m.value);
        }
        meanKl.push_back(comparisonScalar(group, "distribution.mean_kl_ab").value_or(std::nan("")));
        bool changed = comparisonScalar(group, "distribution.first_differing_set_step").value_or(-1.0) >= 0;
        std::string scenario = "inconclusive";
        if (const auto& v = group.comparison.verdict) {
            scenario = scenarioName(v->scenario);
            const VerdictCriterion* sets = v->criterion("same_selected_sets");
            const VerdictCriterion* top = v->criterion("same_top5");
            if (sets && top)
                changed = !(sets->met && top->met);
        }
        const double ratio = group.comparison.visibleRunId && ratioOfRun.count(*group.comparison.visibleRunId)
                                 ? ratioOfRun[*group.comparison.visibleRunId]
                                 : std::nan("");
        for (const std::string& family : {families[group.id], std::string()}) {
            Values& v = byFamily[family];
            ++v.verdicts[scenario];
            v.maxAbsDiff.push_back(comparisonScalar(group, "distribution.max_abs_diff").value_or(std::nan("")));
            v.meanJs.push_back(comparisonScalar(group, "distribution.mean_js").value_or(std::nan("")));
            v.ratio.push_back(ratio);
            v.changed.push_back(changed ? 1.0 : 0.0);
        }
    }
    e.klIsolatedVisible = klAB.summary();
    e.klVisibleIsolated = klBA.summary();
    e.js = js.summary();
    e.meanKl = summarizeSample(meanKl);
    for (const auto& [family, v] : byFamily) {
        if (family.empty())
            continue;
        FamilyScenario f;
        f.family = family;
        f.verdicts = v.verdicts;
        f.points = static_cast<std::int64_t>(v.maxAbsDiff.size());
        f.maxAbsDiff = summarizeSample(v.maxAbsDiff);
        f.siblingRatio = summarizeSample(v.ratio);
        f.meanJs = summarizeSample(v.meanJs);
        f.selectionChanged = summarizeSample(v.changed);
        e.families.push_back(f);
    }
    if (byFamily.count("")) {
        const Values& v = byFamily.at("");
        FamilyScenario all;
        all.verdicts = v.verdicts;
        all.points = static_cast<std::int64_t>(v.maxAbsDiff.size());
        all.maxAbsDiff = summarizeSample(v.maxAbsDiff);
        all.siblingRatio = summarizeSample(v.ratio);
        all.meanJs = summarizeSample(v.meanJs);
        all.selectionChanged = summarizeSample(v.changed);
        e.families.push_back(all);
        e.maxAbsDiff = all.maxAbsDiff;
        e.meanJs = all.meanJs;
    }
}

void fillExperiment3(const LoadedSweep* sweep, Experiment3& e)
{
    if (!sweep)
        return;
    e.present = true;
    std::vector<double> ratio, sibling, prior;
    std::map<std::string, std::vector<double>> byFamily;
    SeriesSamples byThreshold, byLayer;
    for (const auto& r : sweep->runs) {
        const auto value = scalarMetric(r.metrics, "cross_parallel.ratio");
        if (!value || !hasMultiMemberSets(r))
            continue; // no set of 2 or more members: nothing measured (the analysis stores 0 then)
        ++e.runs;
        ratio.push_back(*value);
        sibling.push_back(metricOr(r.metrics, "cross_parallel.mean_sibling", std::nan("")));
        prior.push_back(metricOr(r.metrics, "cross_parallel.mean_prior", std::nan("")));
        byFamily[r.family].push_back(*value);
        byThreshold.add(r.threshold, *value);
        addLayerSeries(byLayer, r.metrics, "cross_parallel.by_layer.ratio");
    }
    e.ratio = summarizeSample(ratio);
    e.sibling = summarizeSample(sibling);
    e.prior = summarizeSample(prior);
    for (const auto& [family, values] : byFamily)
        e.ratioByFamily.push_back({family, summarizeSample(values)});
    e.ratioByThreshold = byThreshold.summary();
    e.ratioByLayer = byLayer.summary();
}

void fillExperiment4(const LoadedSweep* sweep, Experiment4& e)
{
    if (!sweep)
        return;
    e.present = true;
    for (const auto& r : sweep->runs) {
        if (!scalarMetric(r.metrics, "rope.max_logical_error"))
            continue;
        RopeRunSummary s;
        s.runId = r.runId;
        s.family = r.family;
        s.threshold = r.threshold;
        s.maxLogicalError = metricOr(r.metrics, "rope.max_logical_error", std::nan(""));
        // Without a moved slot the physical rotation is the logical one: no separate error to show.
        s.minPhysicalError = hasMovedSlot(r) ? metricOr(r.metrics, "rope.min_physical_error", std::nan("")) : std::nan("");
        s.mismatchedSlots = static_cast<std::int64_t>(metricOr(r.metrics, "rope.mismatched_slots", 0.0));
        s.passed = metricOr(r.metrics, "rope.all_layers_passed", 0.0) == 1.0;
        for (const auto& [layer, tolerance] : layerSeries(r.metrics, "rope.by_layer.tolerance"))
            s.tolerance = std::max(s.tolerance, tolerance);
        e.runs.push_back(s);
    }
}

void fillExperiment5(const LoadedSweep* sweep, Experiment5& e)
{
    if (!sweep)
        return;
    e.present = true;
    std::map<double, WidthDistribution> widths;
    SeriesSamples msByWidth;
    std::vector<double> slopes;
    for (const auto& r : sweep->runs) {
        ++e.runs;
        WidthDistribution& wd = widths[r.threshold];
        wd.threshold = r.threshold;
        const std::int64_t cap = r.record.config.tempo ? r.record.config.tempo->maxWidth : 0;
        wd.maxWidthCap = std::max(wd.maxWidthCap, cap);
        for (const auto& step : r.steps) {
            const auto width = static_cast<std::int64_t>(step.tokenIds.size());
            ++wd.stepsByWidth[width];
            wd.stepsAtCap += cap > 0 && width >= cap ? 1 : 0;
            e.maxWidth = std::max(e.maxWidth, width);
            msByWidth.add(static_cast<double>(width), step.elapsedMs);
        }
        slopes.push_back(metricOr(r.metrics, "parallelism.ms_per_extra_member", std::nan("")));
        e.nonFiniteValues += static_cast<std::int64_t>(metricOr(r.metrics, "parallelism.non_finite_values", 0.0));
        const double sumError = metricOr(r.metrics, "parallelism.max_probability_sum_error", 0.0);
        if (std::isfinite(sumError))
            e.maxProbabilitySumError = std::max(e.maxProbabilitySumError, sumError);
    }
    for (auto& [threshold, wd] : widths)
        e.widths.push_back(wd);
    e.msPerStepByWidth = msByWidth.summary();
    e.msPerExtraMember = summarizeSample(slopes);
}

void fillControl(notebook::Notebook& book, const LoadedSweep* tempo, const LoadedSweep* control, ControlComparison& c)
{
    if (!control)
        return;
    c.present = true;
    c.controlSweepId = control->link.sweepId;
    c.tempoSweepId = tempo ? tempo->link.sweepId : 0;
    std::map<std::string, std::vector<double>> tempoValues, controlValues;
    for (const auto& p : tempo ? pairValues(book, *tempo) : std::vector<PairValues>{})
        for (const std::string& family : {p.family, std::string()})
            tempoValues[family].push_back(p.maxAbsDiff);
    for (const auto& p : pairValues(book, *control))
        for (const std::string& family : {p.family, std::string()})
            controlValues[family].push_back(p.maxAbsDiff);
    std::set<std::string> families;
    for (const auto* values : {&tempoValues, &controlValues})
        for (const auto& [family, v] : *values)
            if (!family.empty())
                families.insert(family);
    auto identical = [](const std::vector<double>& values) {
        return static_cast<std::int64_t>(
            std::count_if(values.begin(), values.end(), [](double v) { return std::isfinite(v) && v < kControlIdenticalTolerance; }));
    };
    std::vector<std::string> order(families.begin(), families.end());
    order.push_back("");
    for (const auto& family : order) {
        ControlComparison::Row row;
        row.family = family;
        row.tempo = summarizeSample(tempoValues[family]);
        row.control = summarizeSample(controlValues[family]);
        row.tempoPoints = static_cast<std::int64_t>(tempoValues[family].size());
        row.tempoIdentical = identical(tempoValues[family]);
        row.controlPoints = static_cast<std::int64_t>(controlValues[family].size());
        row.controlIdentical = identical(controlValues[family]);
        c.rows.push_back(row);
    }
    std::map<std::string, std::string> firstDetail;
    for (const auto& r : control->runs)
        for (const auto& check : r.checks)
            if (!check.passed) {
                ++c.controlChecksFailed;
                firstDetail.emplace(check.name, check.detail);
            }
    for (const auto& [name, detail] : firstDetail)
        c.controlFailedChecks.push_back(name + (detail.empty() ? "" : ": " + detail));
}

// ---- provenance, volumes

std::int64_t configInteger(const json& config, const char* key, std::int64_t fallback = 0)
{
    return config.contains(key) && config[key].is_number() ? config[key].get<std::int64_t>() : fallback;
}

void fillProvenance(notebook::Notebook& book, const std::vector<LoadedSweep>& sweeps, StudyReportData& d)
{
    StudyProvenance& p = d.provenance;
    for (const auto& s : sweeps)
        for (const auto& r : s.runs) {
            if (!r.record.modelId)
                continue;
            auto model = book.models().find(*r.record.modelId);
            if (!model)
                continue;
            p.modelName = model->name;
            p.modelFolder = model->folder;
            p.weightsSha256 = model->weightsSha256;
            p.tokenizerSha256 = model->tokenizerSha256;
            const json config = parseObject(model->configJson);
            p.layers = configInteger(config, "num_hidden_layers");
            p.hiddenSize = configInteger(config, "hidden_size");
            p.heads = configInteger(config, "num_attention_heads");
            p.kvHeads = configInteger(config, "num_key_value_heads", p.heads);
            p.vocabulary = configInteger(config, "vocab_size");
            p.maxPositions = configInteger(config, "max_position_embeddings");
            const std::int64_t intermediate = configInteger(config, "intermediate_size");
            const std::int64_t headDim = configInteger(config, "head_dim", p.heads > 0 ? p.hiddenSize / p.heads : 0);
            const bool tied = config.value("tie_word_embeddings", false);
            if (p.layers > 0 && p.hiddenSize > 0 && p.vocabulary > 0) {
                const std::int64_t h = p.hiddenSize, kv = p.kvHeads * headDim, q = p.heads * headDim;
                const std::int64_t perLayer = h * q + 2 * h * kv + q * h + 3 * h * intermediate + 2 * h;
                p.parameters = p.vocabulary * h + p.layers * perLayer + h + (tied ? 0 : p.vocabulary * h);
            }
            const notebook::RunProvenance& run = r.record.provenance;
            p.appVersion = run.appVersion;
            p.gitCommit = run.gitCommit;
            p.libtorchVersion = run.libtorchVersion;
            p.device = run.device;
            p.dtype = run.dtype;
            p.threads = run.threads;
            return;
        }
    p.modelFolder = d.provenance.modelFolder;
}

StudySweepSummary sweepSummary(const LoadedSweep& s)
{
    StudySweepSummary out;
    out.sweepId = s.link.sweepId;
    out.presetId = s.link.presetId;
    out.role = notebook::toString(s.link.role);
    const json spec = s.state.value("spec", json::object());
    out.mode = spec.value("preset", json::object()).value("mode", "");
    out.status = s.state.value("status", "");
    out.pointsPlanned = static_cast<std::int64_t>(spec.value("suite", json::array()).size() *
                                                  spec.value("thresholds", json::array()).size());
    out.pointsFinished =
        s.state.value("aggregate", json::object()).value("all_thresholds", json::object()).value("points", std::int64_t{0});
    out.runs = s.runsStored;
    out.runsFinished = static_cast<std::int64_t>(s.runs.size());
    std::set<std::string> failed;
    for (const auto& r : s.runs) {
        out.steps += static_cast<std::int64_t>(r.steps.size());
        for (const auto& c : r.checks) {
            if (c.notApplicable()) {
                ++out.checksNotApplicable;
                continue;
            }
            ++out.checksRun;
            if (!c.passed) {
                ++out.checksFailed;
                failed.insert(c.name);
            }
        }
        out.storedTensors += static_cast<std::int64_t>(r.tensors.size());
        for (const auto& t : r.tensors)
            out.storedBytes += t.byteSize;
        const json timings = parseObject(r.record.timingsJson);
        if (timings.contains("total_ms") && timings["total_ms"].is_number())
            out.totalMs += timings["total_ms"].get<double>();
    }
    out.failedCheckNames.assign(failed.begin(), failed.end());
    return out;
}

std::vector<StudyCaptureFormat> captureFormats(const std::vector<LoadedSweep>& sweeps)
{
    std::map<std::string, StudyCaptureFormat> formats;
    for (const auto& s : sweeps)
        for (const auto& r : s.runs)
            for (const auto& t : r.tensors) {
                StudyCaptureFormat& f = formats[t.name];
                if (f.count == 0) {
                    f.tensor = t.name;
                    f.dtype = t.dtype;
                    f.shapeExample = "[";
                    for (size_t i = 0; i < t.shape.size(); ++i)
                        f.shapeExample += (i ? ", " : "") + std::to_string(t.shape[i]);
                    f.shapeExample += "]";
                }
                ++f.count;
                f.bytes += t.byteSize;
            }
    std::vector<StudyCaptureFormat> out;
    for (auto& [name, f] : formats)
        out.push_back(f);
    return out;
}

} // namespace studyload
} // namespace

StudyReportData loadStudyReportData(notebook::Notebook& notebook, std::int64_t studyId)
{
    using namespace studyload;
    auto study = notebook.studies().find(studyId);
    if (!study)
        throw NotebookError(expectedFound("study " + std::to_string(studyId), "a study stored in " + notebook.path(),
                                          "no such study"));
    StudyReportData d;
    d.studyId = study->id;
    d.uuid = study->uuid;
    d.name = study->name;
    d.status = notebook::toString(study->status);
    d.createdAt = study->createdAt;
    d.finishedAt = study->finishedAt;
    d.suiteName = study->spec.suiteName;
    d.presets = study->spec.presets;
    d.thresholds = study->spec.thresholds;
    for (const auto& prompt : study->spec.prompts)
        ++d.promptsByFamily[prompt.family];
    d.stepsOverride = study->spec.stepsOverride.value_or(0);
    d.provenance.modelFolder = study->modelFolder;
    d.wallSeconds = study->summary.wallSeconds;
    d.forwardSeconds = study->summary.forwardSeconds;
    d.tensorRetention = study->summary.tensorRetention;
    for (const auto& cap : study->summary.widthCaps)
        d.widthCaps.push_back({cap.presetId, cap.promptIndex, cap.threshold, cap.steps, cap.presetMaxWidth, cap.cappedMaxWidth});

    std::vector<LoadedSweep> sweeps;
    for (const auto& link : notebook.studies().sweepsOf(studyId))
        sweeps.push_back(loadSweep(notebook, link));
    // The first sweep of each preset and role (a study runs one of each).
    auto find = [&](const std::string& preset, notebook::StudySweepRole role) -> const LoadedSweep* {
        for (const auto& s : sweeps)
            if (s.link.presetId == preset && s.link.role == role)
                return &s;
        return nullptr;
    };
    const auto tempo = notebook::StudySweepRole::Tempo;
    fillExperiment1(notebook, find("1a", tempo), find("1b", tempo), d.exp1);
    fillExperiment2(notebook, find("2", tempo), d.exp2);
    fillExperiment3(find("3", tempo), d.exp3);
    fillExperiment4(find("4", tempo), d.exp4);
    fillExperiment5(find("5", tempo), d.exp5);
    fillControl(notebook, find("2", tempo), find("2", notebook::StudySweepRole::Control), d.control);
    fillProvenance(notebook, sweeps, d);
    for (const auto& s : sweeps)
        d.sweeps.push_back(sweepSummary(s));
    d.captures = captureFormats(sweeps);
    return d;
}

} // namespace tempo::report
