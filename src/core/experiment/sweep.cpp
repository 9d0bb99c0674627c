#include "core/experiment/sweep.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/analysis/verdict.h"
#include "core/common/errors.h"
#include "core/experiment/sweepstatistics.h"
#include "core/notebook/notebook.h"
#include "core/tempo/runlimits.h"

namespace tempo {

namespace {

using nlohmann::json;
using Metrics = std::map<std::string, double>;

json finiteOrNull(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

json statisticsJson(const std::vector<double>& values)
{
    const SampleSummary s = summarizeSample(values);
    return {{"n", s.n},
            {"non_finite", s.nonFinite},
            {"mean", finiteOrNull(s.mean)},
            {"std", finiteOrNull(s.stddev)},
            {"ci95_low", finiteOrNull(s.ciLow)},
            {"ci95_high", finiteOrNull(s.ciHigh)}};
}

bool isScalar(const notebook::MetricRecord& m) { return !m.step && !m.layer && !m.head; }
bool isVerdictMetric(const std::string& name) { return name.rfind("verdict.", 0) == 0; }

void addRunMetrics(notebook::Notebook& notebook, int64_t runId, const std::string& prefix, Metrics& into)
{
    for (const auto& m : notebook.metrics().ofRun(runId))
        if (isScalar(m) && !isVerdictMetric(m.name))
            into[prefix + m.name] = m.value;
}

std::string verdictOf(notebook::Notebook& notebook, int64_t runId)
{
    static const char* names[] = {"inconclusive", "A", "B", "C", "D", "control"}; // metrics(Verdict) codes
    for (const auto& m : notebook.metrics().ofRun(runId))
        if (m.name == "verdict.scenario" && isScalar(m) && m.value >= 0 && m.value <= 5)
            return names[static_cast<int>(m.value)];
    return "";
}

// The steps a point decodes and the width cap it needs to fit the model.
struct PointShape {
    int64_t steps = 0;
    std::optional<int64_t> maxWidthCap; // lowered max_width
};

struct PointKey {
    int64_t promptIndex = 0;
    double threshold = 0.0;
    bool operator<(const PointKey& o) const
    {
        return promptIndex != o.promptIndex ? promptIndex < o.promptIndex : threshold < o.threshold;
    }
};

struct PointRuns {
    std::string category;
    std::map<std::string, int64_t> finishedRunByMode; // newest finished run of each mode
    std::optional<int64_t> groupId;
};

std::vector<std::string> modesOf(const json& spec)
{
    const std::string mode = spec["preset"].value("mode", "");
    if (mode == "both")
        return {"isolated", "visible"};
    return {mode};
}

std::map<PointKey, PointRuns> finishedPoints(notebook::Notebook& notebook, const notebook::SweepRecord& sweep)
{
    std::map<PointKey, PointRuns> points;
    for (const auto& [runId, pointText] : sweep.runs) {
        const auto run = notebook.runs().find(runId);
        if (!run || run->status != notebook::RunStatus::Finished)
            continue;
        const json point = json::parse(pointText, nullptr, false);
        if (!point.is_object())
            continue;
        PointRuns& entry = points[{point.value("prompt_index", int64_t{-1}), point.value("threshold", 0.0)}];
        entry.category = point.value("category", "");
        const std::string mode = point.value("mode", "");
        entry.finishedRunByMode[mode] = std::max(entry.finishedRunByMode[mode], runId);
        if (point.contains("group_id") && point["group_id"].is_number_integer())
            entry.groupId = point["group_id"].get<int64_t>();
    }
    return points;
}

bool complete(const PointRuns& point, const std::vector<std::string>& modes)
{
    for (const auto& mode : modes)
        if (!point.finishedRunByMode.count(mode))
            return false;
    return modes.size() < 2 || point.groupId.has_value();
}

void storeSweepState(notebook::Notebook& notebook, int64_t sweepId, const json& spec, const std::string& status,
                     const json& aggregate, const std::string& error = "", const json& extra = json::object())
{
    json state{{"spec", spec}, {"status", status}, {"aggregate", aggregate}};
    if (!error.empty())
        state["error"] = error;
    state.update(extra);
    notebook.sweeps().updateSpec(sweepId, state.dump());
}

json aggregateGroup(const std::vector<std::pair<std::string, Metrics>>& units)
{
    std::map<std::string, std::vector<double>> samples;
    for (const auto& unit : units)
        for (const auto& [name, value] : unit.second)
            samples[name].push_back(value);
    json out = json::object();
    for (const auto& [name, values] : samples)
        out[name] = statisticsJson(values);
    return out;
}

json aggregateUnits(const std::vector<std::pair<std::string, Metrics>>& units,
                    const std::vector<std::string>& verdicts)
{
    std::map<std::string, std::vector<std::pair<std::string, Metrics>>> byCategory;
    json verdictCounts = json::object();
    for (size_t i = 0; i < units.size(); ++i) {
        byCategory[units[i].first].push_back(units[i]);
        if (!verdicts[i].empty())
            verdictCounts[verdicts[i]] = verdictCounts.value(verdicts[i], 0) + 1;
    }
    json categories = json::object();
    for (const auto& [category, members] : byCategory)
        categories[category] = {{"points", members.size()}, {"metrics", aggregateGroup(members)}};
    return {{"points", units.size()},
            {"overall", aggregateGroup(units)},
            {"categories", categories},
            {"verdicts", verdictCounts}};
}

int64_t completePointCount(notebook::Notebook& notebook, const notebook::SweepRecord& sweep,
                           const std::vector<std::string>& modes)
{
    int64_t count = 0;
    for (const auto& entry : finishedPoints(notebook, sweep))
        count += complete(entry.second, modes) ? 1 : 0;
    return count;
}

} // namespace

namespace {

// Every point's steps and width cap, in the sweep's work-item order (threshold by threshold,
// prompts in suite order). Throws InvalidArgument for a point that cannot fit the model at all.
std::vector<PointShape> planPointShapes(const SweepRequest& request, ModelCache& cache)
{
    std::vector<PointShape> shapes;
    std::shared_ptr<const LoadedModel> model;
    try {
        model = cache.get(request.modelFolder, request.options);
    } catch (const std::exception&) {
        // The model does not load: no point can be shaped, and the first point's run records the
        // loader's error as a failed run (ExperimentRunner), as for any other run.
    }
    std::map<size_t, int64_t> promptTokens;
    for (double threshold : request.thresholds) {
        for (size_t i = 0; i < request.suite.size(); ++i) {
            PointShape shape;
            shape.steps = request.stepsOverride        ? *request.stepsOverride
                          : request.suite[i].steps > 0 ? request.suite[i].steps
                                                       : request.preset.preset.maxSteps;
            if (model) {
                if (!promptTokens.count(i))
                    promptTokens[i] = static_cast<int64_t>(model->tokenizer->encode(request.suite[i].prompt, true).size());
                Preset preset = request.preset.preset;
                preset.threshold = threshold;
                preset.maxSteps = shape.steps;
                TempoConfig config = preset.tempoConfig(SiblingMode::Isolated);
                const int64_t positions = model->model->config().maxPositionEmbeddings;
                // Every member needs a KV slot: P + S * W <= M, so W <= (M - P) / S.
                const int64_t widest = (positions - promptTokens[i]) / std::max<int64_t>(1, shape.steps);
                if (config.widestSet() > widest && widest >= 1) {
                    shape.maxWidthCap = widest;
                    config.maxWidth = widest;
                }
                try {
                    validateRunFits(config, promptTokens[i], model->model->config());
                } catch (const InvalidArgument& failure) {
                    throw InvalidArgument("sweep point (prompt " + std::to_string(i + 1) + " of the suite, threshold " +
                                          json(threshold).dump() + ", " + std::to_string(shape.steps) +
                                          " steps) does not fit the model: " + failure.what() +
                                          "; nothing was run (use fewer steps or a shorter prompt)");
                }
            }
            shapes.push_back(shape);
        }
    }
    return shapes;
}

} // namespace

std::pair<int64_t, int64_t> sliceRange(int64_t items, int64_t index, int64_t count)
{
    if (count < 1 || index < 0 || index >= count)
        throw InvalidArgument(expectedFound("sweep slice", "i/N with 0 <= i < N",
                                            std::to_string(index) + "/" + std::to_string(count)));
    return {items * index / count, items * (index + 1) / count};
}

std::pair<int64_t, int64_t> parseSlice(const std::string& text, const std::string& flag)
{
    const auto slash = text.find('/');
    const auto isNumber = [](const std::string& word) {
        return !word.empty() && word.size() < 10 && word.find_first_not_of("0123456789") == std::string::npos;
    };
    if (slash == std::string::npos || !isNumber(text.substr(0, slash)) || !isNumber(text.substr(slash + 1)))
        throw InvalidArgument(expectedFound(flag, "i/N (slice i of N, counted from 0)", "'" + text + "'"));
    const int64_t index = std::stoll(text.substr(0, slash));
    const int64_t count = std::stoll(text.substr(slash + 1));
    if (count < 1 || index >= count)
        throw InvalidArgument(expectedFound(flag, "i/N with 0 <= i < N", "'" + text + "'"));
    return {index, count};
}

std::vector<double> parseThresholdList(const std::string& text, const std::string& what)
{
    std::vector<double> thresholds;
    std::string item;
    const auto finishItem = [&] {
        if (item.empty())
            return;
        std::size_t used = 0;
        double value = 0;
        try {
            value = std::stod(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != item.size() || !(value > 0 && value <= 1))
            throw InvalidArgument(expectedFound(what + " item", "a number in (0, 1] such as 0.05", "'" + item + "'"));
        thresholds.push_back(value);
        item.clear();
    };
    for (char c : text) {
        if (c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '\r')
            finishItem();
        else
            item += c;
    }
    finishItem();
    if (thresholds.empty())
        throw InvalidArgument(expectedFound(what, "at least one threshold such as 0.1", "none"));
    return thresholds;
}

std::vector<SuitePrompt> parseSuite(const std::string& text, const std::string& source)
{
    std::vector<SuitePrompt> suite;
    std::istringstream lines(text);
    int lineNumber = 0;
    for (std::string line; std::getline(lines, line);) {
        ++lineNumber;
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        const std::string where = source + " line " + std::to_string(lineNumber);
        const json entry = json::parse(line, nullptr, false);
        if (!entry.is_object())
            throw InvalidArgument(expectedFound(where, "a JSON object {\"family\": ..., \"prompt\": ..., \"steps\": N}",
                                                line.substr(0, 80)));
        // "family" names the prompt's group; "category" (the first suite format) is the same field.
        const char* familyKey = entry.contains("family") ? "family" : "category";
        if (entry.contains("family") && entry.contains("category"))
            throw InvalidArgument(expectedFound(where, "one of 'family' or 'category' (the same field)", "both"));
        for (const char* field : {familyKey, "prompt"})
            if (!entry.contains(field) || !entry[field].is_string() || entry[field].get<std::string>().empty())
                throw InvalidArgument(expectedFound(where + " field '" + std::string(field == familyKey ? "family" : field) + "'",
                                                    "a non-empty string", entry.contains(field) ? entry[field].dump() : "no such field"));
        for (const auto& [key, value] : entry.items())
            if (key != "family" && key != "category" && key != "prompt" && key != "steps")
                throw InvalidArgument(expectedFound(where + " field '" + key + "'", "one of family, prompt, steps", "an unknown field"));
        SuitePrompt prompt{entry[familyKey].get<std::string>(), entry["prompt"].get<std::string>()};
        if (entry.contains("steps")) {
            const json& steps = entry["steps"];
            if (!steps.is_number_integer() || steps.get<int64_t>() < 1 || steps.get<int64_t>() > kMaxSuiteSteps)
                throw InvalidArgument(expectedFound(where + " field 'steps'",
                                                    "an integer from 1 to " + std::to_string(kMaxSuiteSteps), steps.dump()));
            prompt.steps = steps.get<int64_t>();
        }
        suite.push_back(std::move(prompt));
    }
    if (suite.empty())
        throw InvalidArgument(expectedFound(source, "at least one prompt", "none"));
    return suite;
}

std::vector<SuitePrompt> loadSuite(const std::filesystem::path& file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw InvalidArgument(expectedFound("prompt suite '" + file.string() + "'", "a readable file", "cannot open it"));
    std::ostringstream text;
    text << in.rdbuf();
    return parseSuite(text.str(), "prompt suite '" + file.string() + "'");
}

json aggregateSweep(notebook::Notebook& notebook, int64_t sweepId)
{
    const auto sweep = notebook.sweeps().find(sweepId);
    if (!sweep)
        throw NotebookError(expectedFound("sweep " + std::to_string(sweepId), "a stored sweep", "no such sweep"));
    const json state = json::parse(sweep->specJson);
    const json& spec = state.at("spec");
    const std::vector<std::string> modes = modesOf(spec);
    std::map<double, std::pair<std::vector<std::pair<std::string, Metrics>>, std::vector<std::string>>> byThreshold;
    std::vector<std::pair<std::string, Metrics>> allUnits;
    std::vector<std::string> allVerdicts;
    for (const auto& [key, point] : finishedPoints(notebook, *sweep)) {
        if (!complete(point, modes))
            continue;
        Metrics metrics;
        if (modes.size() == 1) {
            addRunMetrics(notebook, point.finishedRunByMode.at(modes.front()), "", metrics);
        } else {
            for (const auto& mode : modes)
                addRunMetrics(notebook, point.finishedRunByMode.at(mode), mode + ".", metrics);
            if (auto group = notebook.groups().find(*point.groupId)) {
                if (group->comparison.metrics)
                    for (const AnalysisMetric& m : *group->comparison.metrics)
                        if (m.step < 0 && m.layer < 0 && m.head < 0 && !isVerdictMetric(m.name))
                            metrics[m.name] = m.value; // NaN when stored as null
            }
        }
        const std::string verdict = verdictOf(notebook, point.finishedRunByMode.at(modes.back()));
        byThreshold[key.threshold].first.push_back({point.category, metrics});
        byThreshold[key.threshold].second.push_back(verdict);
        allUnits.push_back({point.category, metrics});
        allVerdicts.push_back(verdict);
    }
    json thresholds = json::array();
    for (const auto& [threshold, units] : byThreshold) {
        json entry = aggregateUnits(units.first, units.second);
        entry["threshold"] = threshold;
        thresholds.push_back(entry);
    }
    json aggregate{{"method", kConfidenceIntervalMethod},
                   {"unit", modes.size() == 1 ? "run" : "group of an isolated and a visible run"},
                   {"by_threshold", thresholds},
                   {"all_thresholds", aggregateUnits(allUnits, allVerdicts)}};
    // A sweep of the artifact control aggregates control runs only (its preset names the
    // mechanism, so it is never the same sweep as a TEMPO one): labelled so nothing counts its
    // numbers as TEMPO results. Omitted for TEMPO sweeps, like the preset's key.
    if (spec["preset"].value(kMechanismKey, mechanismName(Mechanism::Tempo)) == mechanismName(Mechanism::ArtifactControl)) {
        aggregate[kMechanismKey] = mechanismName(Mechanism::ArtifactControl);
        aggregate["control"] = std::string(kArtifactControlLabel) + ": " + kControlVerdictTitle;
    }
    return aggregate;
}

SweepResult SweepRunner::run(const SweepRequest& request, const SweepCallbacks& callbacks)
{
    if (request.thresholds.empty())
        throw InvalidArgument(expectedFound("sweep thresholds", "at least one", "none"));
    for (double t : request.thresholds)
        applyOverrides(request.preset.preset, {"threshold=" + json(t).dump()}); // refuses a bad one by name
    json suite = json::array();
    for (const auto& entry : request.suite) {
        json line{{"category", entry.category}, {"prompt", entry.prompt}};
        if (entry.steps > 0)
            line["steps"] = entry.steps;
        suite.push_back(line);
    }
    const std::vector<PointShape> shapes = planPointShapes(request, cache_);
    std::error_code error;
    const auto folder = std::filesystem::weakly_canonical(std::filesystem::absolute(request.modelFolder), error);
    json spec{{"preset", presetToJson(request.preset.preset)},
                    {"model_folder", (error ? request.modelFolder : folder).string()},
                    {"device", ComputeOptions::deviceName(request.options.device)},
                    {"dtype", ComputeOptions::dtypeName(request.options.dtype)},
                    {"suite", suite},
                    {"thresholds", request.thresholds}};
    if (request.stepsOverride)
        spec["steps"] = *request.stepsOverride; // absent otherwise: sweeps stored before still resume

    SweepResult result;
    const int64_t workItems = static_cast<int64_t>(request.suite.size() * request.thresholds.size());
    const auto [sliceFirst, sliceEnd] = sliceRange(workItems, request.sliceIndex, request.sliceCount);
    const bool sliced = request.sliceCount > 1;
    result.points = sliceEnd - sliceFirst;
    if (!request.sweepUuid.empty()) {
        // A cluster slice: the sweep is named by its UUID, shared by every slice of it.
        if (auto id = notebook_.sweeps().findByUuid(request.sweepUuid)) {
            const json state = json::parse(notebook_.sweeps().find(*id)->specJson, nullptr, false);
            if (!state.is_object() || !state.contains("spec") || state["spec"] != spec)
                throw ConfigError(expectedFound("sweep " + request.sweepUuid + " in '" + notebook_.path() + "'",
                                                "the same preset, model, suite and thresholds",
                                                "a sweep with another specification"));
            result.sweepId = *id;
            result.resumed = true;
        }
    } else if (!request.forceNew) {
        for (int64_t id : notebook_.sweeps().all()) {
            const json state = json::parse(notebook_.sweeps().find(id)->specJson, nullptr, false);
            if (state.is_object() && state.contains("spec") && state["spec"] == spec) {
                result.sweepId = id;
                result.resumed = true;
            }
        }
    }
    if (!result.resumed) {
        const std::string name = "preset " + request.preset.preset.id + ": " + std::to_string(request.suite.size()) +
                                 " prompts x " + std::to_string(request.thresholds.size()) + " thresholds";
        result.sweepId = notebook_.sweeps().create(
            {0, request.sweepUuid, name, json{{"spec", spec}, {"status", "running"}}.dump(), "", {}});
    }
    const json sliceState = sliced ? json{{"slice", std::to_string(request.sliceIndex) + "/" +
                                                        std::to_string(request.sliceCount)}}
                                   : json::object();
    storeSweepState(notebook_, result.sweepId, spec, "running", json::object(), "", sliceState);

    const auto done = finishedPoints(notebook_, *notebook_.sweeps().find(result.sweepId));
    const std::vector<std::string> modes = modesOf(spec);
    ExperimentRunner runner(notebook_, cache_);
    runner.setStepCommits(StepCommits::Batched); // nobody watches a sweep's runs step by step
    RunCallbacks runCallbacks = callbacks.run;
    const auto onRunCreated = callbacks.run.onRunCreated;
    runCallbacks.onRunCreated = [&](int64_t runId) {
        ++result.runsMade;
        if (onRunCreated)
            onRunCreated(runId);
    };
    const auto start = std::chrono::steady_clock::now();
    int64_t pointsDone = 0;
    int64_t workItem = -1; // index of (threshold, prompt) in the sweep's fixed order
    try {
        for (double threshold : request.thresholds) {
            for (size_t i = 0; i < request.suite.size() && !result.cancelled; ++i) {
                ++workItem;
                if (workItem < sliceFirst || workItem >= sliceEnd)
                    continue;
                auto previous = done.find({static_cast<int64_t>(i), threshold});
                if (previous != done.end() && complete(previous->second, modes)) {
                    ++result.pointsSkipped;
                    ++pointsDone;
                    continue;
                }
                if (callbacks.run.cancel && callbacks.run.cancel->load()) {
                    result.cancelled = true;
                    break;
                }
                Preset preset = request.preset.preset;
                preset.prompt = request.suite[i].prompt;
                preset.threshold = threshold;
                const PointShape& shape = shapes[static_cast<size_t>(workItem)];
                preset.maxSteps = shape.steps;
                RunSweepPoint sweepPoint;
                sweepPoint.sweepId = result.sweepId;
                sweepPoint.promptIndex = static_cast<int64_t>(i);
                sweepPoint.category = request.suite[i].category;
                sweepPoint.threshold = threshold;
                sweepPoint.steps = shape.steps;
                json point{{"prompt_index", i}, {"category", request.suite[i].category}, {"threshold", threshold},
                           {"steps", shape.steps}};
                if (shape.maxWidthCap) {
                    preset.maxWidth = *shape.maxWidthCap;
                    sweepPoint.maxWidthCap = *shape.maxWidthCap;
                    sweepPoint.presetMaxWidth = request.preset.preset.maxWidth;
                    point["max_width_cap"] = *shape.maxWidthCap;
                    point["preset_max_width"] = request.preset.preset.maxWidth;
                }
                ExperimentRequest experiment{{parsePreset(presetToJson(preset), "sweep point"), request.preset.shipped},
                                             request.modelFolder, request.options, sweepPoint};
                const ExperimentResult outcome = runner.run(experiment, runCallbacks);
                for (size_t r = 0; r < outcome.runIds.size(); ++r) {
                    json runPoint = point;
                    runPoint["mode"] = modes.size() == 1 ? modes.front() : modes[r];
                    if (outcome.groupId)
                        runPoint["group_id"] = *outcome.groupId;
                    notebook_.sweeps().addRun(result.sweepId, outcome.runIds[r], runPoint.dump());
                }
                if (outcome.status == notebook::RunStatus::Cancelled) {
                    result.cancelled = true;
                    break;
                }
                ++result.pointsRun;
                ++pointsDone;
                if (callbacks.onPointFinished) {
                    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                    const double perPoint = seconds / static_cast<double>(std::max<int64_t>(result.pointsRun, 1));
                    callbacks.onPointFinished(pointsDone, result.points,
                                              perPoint * static_cast<double>(result.points - pointsDone));
                }
            }
            if (result.cancelled)
                break;
        }
    } catch (const std::exception& failure) {
        storeSweepState(notebook_, result.sweepId, spec, "failed", aggregateSweep(notebook_, result.sweepId),
                        failure.what(), sliceState);
        throw;
    }
    result.aggregate = aggregateSweep(notebook_, result.sweepId);
    storeSweepState(notebook_, result.sweepId, spec, result.cancelled ? "cancelled" : "finished", result.aggregate, "",
                    sliceState);
    return result;
}

json refreshSweepAggregate(notebook::Notebook& notebook, int64_t sweepId)
{
    const auto sweep = notebook.sweeps().find(sweepId);
    if (!sweep)
        throw NotebookError(expectedFound("sweep " + std::to_string(sweepId), "a stored sweep", "no such sweep"));
    const json state = json::parse(sweep->specJson, nullptr, false);
    if (!state.is_object() || !state.contains("spec"))
        throw NotebookError(expectedFound("sweep " + std::to_string(sweepId) + " state", "a JSON object with \"spec\"",
                                          sweep->specJson.substr(0, 80)));
    const json& spec = state["spec"];
    const int64_t points = static_cast<int64_t>(spec.value("suite", json::array()).size() *
                                                spec.value("thresholds", json::array()).size());
    const int64_t completePoints = completePointCount(notebook, *sweep, modesOf(spec));
    const std::string status = completePoints == points ? "finished" : "partial";
    storeSweepState(notebook, sweepId, spec, status, aggregateSweep(notebook, sweepId));
    return {{"complete_points", completePoints}, {"points", points}, {"status", status}};
}

} // namespace tempo
