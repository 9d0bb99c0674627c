#include "core/report/reportdata.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "core/analysis/crossparallel.h"
#include "core/analysis/distributioncomparison.h"
#include "core/common/errors.h"
#include "core/experiment/capturestore.h"
#include "core/experiment/presetcatalog.h"
#include "core/experiment/storedanalyses.h"
#include "core/notebook/notebook.h"

namespace tempo::report {

namespace {

using nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double numberOrNaN(const json& value) { return value.is_number() ? value.get<double>() : kNaN; }

bool hasMetricPrefix(const std::vector<notebook::MetricRecord>& metrics, const std::string& prefix)
{
    return std::any_of(metrics.begin(), metrics.end(), [&](const auto& m) { return m.name.rfind(prefix, 0) == 0; });
}

ReportRun loadRun(notebook::Notebook& notebook, std::int64_t runId)
{
    auto record = notebook.runs().find(runId);
    if (!record)
        throw NotebookError(expectedFound("run " + std::to_string(runId), "a run stored in " + notebook.path(), "no such run"));
    ReportRun run;
    run.record = *record;
    if (record->modelId)
        run.model = notebook.models().find(*record->modelId);
    const RunConfig& config = record->config;
    if (config.tempo) {
        run.mode = siblingModeName(config.tempo->mode);
        run.threshold = config.tempo->threshold;
        run.maxSteps = config.tempo->maxSteps;
        run.maxWidth = config.tempo->maxWidth;
        run.readout = readoutName(config.tempo->readout);
        run.artifactControl = config.tempo->isArtifactControl();
    }
    run.captures = config.captures.names();
    std::sort(run.captures.begin(), run.captures.end());
    run.promptTokens = static_cast<std::int64_t>(config.promptTokenIds.size());
    if (config.preset)
        run.presetName = config.preset->name;
    run.steps = notebook.steps().ofRun(runId);
    run.checks = notebook.checks().ofRun(runId);
    run.metrics = notebook.metrics().ofRun(runId);
    run.notes = notebook.notes().ofRun(runId);
    run.tags = notebook.tags().ofRun(runId);
    run.tensors = notebook.tensors().infosOfRun(runId);

    const bool hasAttention = std::any_of(run.tensors.begin(), run.tensors.end(),
                                          [](const auto& t) { return t.name == tensorname::kAttention; });
    const bool hasReadouts = std::any_of(run.tensors.begin(), run.tensors.end(),
                                         [](const auto& t) { return t.name == tensorname::kReadoutDistribution; });
    if (!hasAttention && !hasReadouts)
        return run;
    if (!config.decoded())
        return run; // a failed run before decoding: nothing to read back
    const StoredRun stored = readStoredRun(notebook, runId);
    if (hasReadouts) {
        for (const auto& readout : readRunDistributions(notebook, stored).readouts) {
            // readouts are p_0, p_1, ... in forward order
            run.readoutEntropy.push_back(entropy(readout.probabilities));
            float top = 0.0f;
            for (float p : readout.probabilities)
                top = std::max(top, p);
            run.readoutTopProbability.push_back(top);
            run.vocabulary = static_cast<std::int64_t>(readout.probabilities.size());
        }
    }
    // cross_parallel.* is stored when a run ends (analyseRecordedRun); a run recorded before
    // TEMPO Lab stored it has none, and gets it computed here, which the report says.
    if (hasAttention && !hasMetricPrefix(run.metrics, "cross_parallel.") && run.multiMemberSteps() > 0) {
        for (const auto& m : toMetricRecords(metrics(analyseCrossParallelAttention(readRunAttention(notebook, stored)))))
            run.metrics.push_back(m);
        run.computedForReport.push_back("cross_parallel");
    }
    return run;
}

ReportVerdict reportVerdict(const Verdict& verdict)
{
    ReportVerdict out;
    out.present = true;
    out.scenario = scenarioName(verdict.scenario);
    out.title = scenarioTitle(verdict.scenario);
    out.inconclusiveReason = verdict.inconclusiveReason;
    for (const VerdictCriterion& c : verdict.criteria)
        out.criteria.push_back({c.name, c.comparison, c.threshold, c.value, c.met, c.meaning});
    return out;
}

std::vector<notebook::MetricRecord> pairMetricRecords(const GroupComparison& comparison)
{
    return comparison.metrics ? toMetricRecords(*comparison.metrics) : std::vector<notebook::MetricRecord>{};
}

void fillPreset(ReportData& data, const std::string& presetId)
{
    data.presetId = presetId;
    if (auto preset = shippedPreset(presetId))
        data.presetDescription = preset->description;
}

std::string newestTime(const std::vector<ReportRun>& runs)
{
    std::string newest;
    for (const auto& run : runs)
        newest = std::max(newest, run.record.endedAt.empty() ? run.record.startedAt : run.record.endedAt);
    return newest;
}

ReportData loadRunSubject(notebook::Notebook& notebook, std::int64_t runId)
{
    ReportData data;
    data.subject = {SubjectKind::Run, runId};
    data.runs.push_back(loadRun(notebook, runId));
    const ReportRun& run = data.runs.front();
    fillPreset(data, run.record.presetId);
    data.title = "Run " + std::to_string(runId) + " (preset " + run.record.presetId +
                 (run.mode.empty() ? "" : ", " + run.mode) + ")" +
                 (run.artifactControl ? std::string(" - ") + kArtifactControlLabel : std::string());
    data.date = newestTime(data.runs);
    // A run that belongs to a mode pair reports the pair's verdict; otherwise the single-run verdict
    // (always inconclusive: nothing to compare with) says what is missing.
    for (std::int64_t groupId : notebook.groups().ofRun(runId)) {
        auto group = notebook.groups().find(groupId);
        if (group && group->comparison.verdict) {
            data.verdict = reportVerdict(*group->comparison.verdict);
            data.pairMetrics = pairMetricRecords(group->comparison);
            data.group = group;
        }
    }
    // Otherwise the run's own verdict, stored when it ended; a run that stored none (recorded before
    // TEMPO Lab stored it, or a preset that asks for no verdict) gets it decided here, and the
    // report says so.
    if (!data.verdict.present && run.record.status == notebook::RunStatus::Finished && run.promptTokens > 0) {
        if (const auto stored = storedSingleRunVerdict(notebook, runId)) {
            data.verdict = reportVerdict(*stored);
        } else {
            data.verdict = reportVerdict(singleRunVerdict(notebook, runId));
            data.runs.front().computedForReport.push_back("verdict");
        }
    }
    return data;
}

ReportData loadGroupSubject(notebook::Notebook& notebook, std::int64_t groupId)
{
    auto group = notebook.groups().find(groupId);
    if (!group)
        throw NotebookError(expectedFound("group " + std::to_string(groupId), "a run group stored in " + notebook.path(),
                                          "no such group"));
    ReportData data;
    data.subject = {SubjectKind::Group, groupId};
    data.group = group;
    for (std::int64_t runId : group->runIds)
        data.runs.push_back(loadRun(notebook, runId));
    const GroupComparison& comparison = group->comparison;
    data.pairMetrics = pairMetricRecords(comparison);
    if (comparison.verdict)
        data.verdict = reportVerdict(*comparison.verdict);
    const std::string presetId = !comparison.presetId.empty() ? comparison.presetId
                                 : data.runs.empty()         ? std::string()
                                                             : data.runs.front().record.presetId;
    fillPreset(data, presetId);
    std::string runs;
    for (const auto& run : data.runs)
        runs += (runs.empty() ? "" : " + ") + std::to_string(run.record.id);
    data.title = "Group " + std::to_string(groupId) + ": isolated vs visible (preset " + presetId + ", runs " + runs + ")";
    if (data.artifactControl())
        data.title += std::string(" - ") + kArtifactControlLabel;
    data.date = newestTime(data.runs);
    if (data.date.empty())
        data.date = group->createdAt;
    return data;
}

ReportData loadSweepSubject(notebook::Notebook& notebook, std::int64_t sweepId)
{
    auto record = notebook.sweeps().find(sweepId);
    if (!record)
        throw NotebookError(expectedFound("sweep " + std::to_string(sweepId), "a sweep stored in " + notebook.path(),
                                          "no such sweep"));
    ReportData data;
    data.subject = {SubjectKind::Sweep, sweepId};
    ReportSweep sweep;
    sweep.record = *record;
    const json state = parseObject(record->specJson);
    const json spec = state.value("spec", json::object());
    const json aggregate = state.value("aggregate", json::object());
    sweep.status = state.value("status", "");
    const json preset = spec.value("preset", json::object());
    sweep.presetId = preset.value("id", "");
    sweep.mode = preset.value("mode", "");
    sweep.artifactControl = preset.value(kMechanismKey, mechanismName(Mechanism::Tempo)) == mechanismName(Mechanism::ArtifactControl)
                            || aggregate.contains(kMechanismKey);
    sweep.modelFolder = spec.value("model_folder", "");
    sweep.device = spec.value("device", "");
    sweep.dtype = spec.value("dtype", "");
    for (const auto& t : spec.value("thresholds", json::array()))
        sweep.thresholds.push_back(numberOrNaN(t));
    std::set<std::string> categories;
    for (const auto& entry : spec.value("suite", json::array())) {
        sweep.suite.push_back({entry.value("category", ""), entry.value("prompt", "")});
        categories.insert(entry.value("category", ""));
    }
    sweep.categories.assign(categories.begin(), categories.end());
    sweep.pointsPlanned = static_cast<std::int64_t>(sweep.suite.size() * sweep.thresholds.size());
    sweep.method = aggregate.value("method", "");
    sweep.unit = aggregate.value("unit", "");

    auto addStatistics = [&](const json& metrics, const std::string& category, std::optional<double> threshold) {
        for (const auto& [name, s] : metrics.items())
            sweep.statistics.push_back({category, threshold, name, s.value("n", int64_t{0}), s.value("non_finite", int64_t{0}),
                                        numberOrNaN(s.value("mean", json())), numberOrNaN(s.value("std", json())),
                                        numberOrNaN(s.value("ci95_low", json())), numberOrNaN(s.value("ci95_high", json()))});
    };
    auto addUnits = [&](const json& units, std::optional<double> threshold) {
        addStatistics(units.value("overall", json::object()), "", threshold);
        const json categories = units.value("categories", json::object());
        for (const auto& [category, entry] : categories.items())
            addStatistics(entry.value("metrics", json::object()), category, threshold);
    };
    const json all = aggregate.value("all_thresholds", json::object());
    sweep.pointsAggregated = all.value("points", int64_t{0});
    const json verdicts = all.value("verdicts", json::object());
    for (const auto& [scenario, count] : verdicts.items())
        sweep.verdictCounts[scenario] = count.get<std::int64_t>();
    addUnits(all, std::nullopt);
    for (const auto& entry : aggregate.value("by_threshold", json::array()))
        addUnits(entry, numberOrNaN(entry.value("threshold", json())));

    static const char* kHeadlinePreference[] = {
        "distribution.max_abs_diff", "attention.mean_abs_diff", "distribution.mean_js", "cross_parallel.ratio",
        "parallelism.mean_width",    "visible.run.multi_member_steps", "run.multi_member_steps", "run.max_width"};
    for (const char* name : kHeadlinePreference) {
        if (std::any_of(sweep.statistics.begin(), sweep.statistics.end(), [&](const auto& s) { return s.metric == name; })) {
            sweep.headlineMetric = name;
            break;
        }
    }
    fillPreset(data, sweep.presetId);
    data.title = "Sweep " + std::to_string(sweepId) + ": " + record->name +
                 (sweep.artifactControl ? std::string(" - ") + kArtifactControlLabel : std::string());
    data.date = record->createdAt;
    data.sweep = std::move(sweep);
    return data;
}

} // namespace

nlohmann::json parseObject(const std::string& text)
{
    nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
    return value.is_object() ? value : nlohmann::json::object();
}

SubjectId parseSubjectId(const std::string& text)
{
    const auto colon = text.find(':');
    const std::string kind = colon == std::string::npos ? "run" : text.substr(0, colon);
    const std::string number = colon == std::string::npos ? text : text.substr(colon + 1);
    auto refuse = [&] {
        return InvalidArgument(expectedFound("report id '" + text + "'",
                                             "run:N, group:N, sweep:N, study:N or a plain run number N (N >= 1)", text));
    };
    if (number.empty() || number.size() > 18 ||
        !std::all_of(number.begin(), number.end(), [](unsigned char c) { return std::isdigit(c); }))
        throw refuse();
    const std::int64_t id = std::stoll(number);
    if (id < 1)
        throw refuse();
    if (kind == "run") return {SubjectKind::Run, id};
    if (kind == "group") return {SubjectKind::Group, id};
    if (kind == "sweep") return {SubjectKind::Sweep, id};
    if (kind == "study") return {SubjectKind::Study, id};
    throw refuse();
}

std::string subjectKindName(SubjectKind kind)
{
    switch (kind) {
    case SubjectKind::Run: return "run";
    case SubjectKind::Group: return "group";
    case SubjectKind::Sweep: return "sweep";
    case SubjectKind::Study: return "study";
    }
    return "run";
}

std::string subjectIdText(const SubjectId& subject) { return subjectKindName(subject.kind) + ":" + std::to_string(subject.id); }

std::int64_t ReportRun::failedCheckCount() const
{
    return std::count_if(checks.begin(), checks.end(), [](const auto& c) { return !c.passed; });
}

std::int64_t ReportRun::maxWidthSeen() const
{
    std::int64_t widest = 0;
    for (const auto& step : steps)
        widest = std::max<std::int64_t>(widest, static_cast<std::int64_t>(step.tokenIds.size()));
    return widest;
}

std::int64_t ReportRun::multiMemberSteps() const
{
    return std::count_if(steps.begin(), steps.end(), [](const auto& s) { return s.tokenIds.size() >= 2; });
}

std::int64_t ReportRun::capturedBytes() const
{
    std::int64_t bytes = 0;
    for (const auto& t : tensors)
        bytes += t.byteSize;
    return bytes;
}

const ReportRun* ReportData::runInMode(const std::string& mode) const
{
    for (const auto& run : runs)
        if (run.mode == mode)
            return &run;
    return nullptr;
}

bool ReportData::artifactControl() const
{
    if (sweep && sweep->artifactControl)
        return true;
    return std::any_of(runs.begin(), runs.end(), [](const ReportRun& run) { return run.artifactControl; });
}

std::int64_t ReportData::failedCheckCount() const
{
    std::int64_t failed = 0;
    for (const auto& run : runs)
        failed += run.failedCheckCount();
    return failed;
}

ReportData loadReportData(notebook::Notebook& notebook, const SubjectId& subject)
{
    switch (subject.kind) {
    case SubjectKind::Run: return loadRunSubject(notebook, subject.id);
    case SubjectKind::Group: return loadGroupSubject(notebook, subject.id);
    case SubjectKind::Sweep: return loadSweepSubject(notebook, subject.id);
    case SubjectKind::Study:
        throw InvalidArgument(expectedFound("report subject " + subjectIdText(subject), "a run, group or sweep",
                                            "a study (its report is built by loadStudyReportData)"));
    }
    throw InvalidArgument("unknown report subject kind");
}

std::optional<double> scalarMetric(const std::vector<notebook::MetricRecord>& metrics, const std::string& name)
{
    for (const auto& m : metrics)
        if (m.name == name && !m.step && !m.layer && !m.head)
            return m.value;
    return std::nullopt;
}

std::vector<std::pair<int, double>> stepSeries(const std::vector<notebook::MetricRecord>& metrics, const std::string& name)
{
    std::vector<std::pair<int, double>> series;
    for (const auto& m : metrics)
        if (m.name == name && m.step && !m.layer && !m.head)
            series.push_back({*m.step, m.value});
    std::stable_sort(series.begin(), series.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return series;
}

std::vector<std::pair<int, double>> layerSeries(const std::vector<notebook::MetricRecord>& metrics, const std::string& name)
{
    std::vector<std::pair<int, double>> series;
    for (const auto& m : metrics)
        if (m.name == name && m.layer && !m.head)
            series.push_back({*m.layer, m.value});
    std::stable_sort(series.begin(), series.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return series;
}

std::map<std::pair<int, int>, double> headGrid(const std::vector<notebook::MetricRecord>& metrics, const std::string& name)
{
    std::map<std::pair<int, int>, double> grid;
    for (const auto& m : metrics)
        if (m.name == name && m.layer && m.head)
            grid[{*m.layer, *m.head}] = m.value;
    return grid;
}

} // namespace tempo::report
