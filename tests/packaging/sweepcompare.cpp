// packaging_sweep_compare REFERENCE MERGED: checks that the sweep in MERGED (shards of a Slurm array
// job merged home) reproduces the sweep in REFERENCE (the same sweep run on one machine):
//   - the same points (prompt index, threshold, mode), each with one finished run;
//   - per run: the same generated text, the same parallel sets step by step (token ids, logical
//     positions), the same checks (name and pass), the same scalar metrics;
//   - per "both" point: a group whose comparison equals the reference's;
//   - the stored sweep aggregate equals the reference's, and equals the aggregate recomputed
//     from MERGED's runs (so merge refreshed it), with status "finished".
// Timing metrics (names ending in "_ms") differ between any two runs and are left out. Numbers
// are compared with a relative tolerance of 1e-9 (the runs are the same CPU computation, so they
// are expected to match to the last bit); the max difference is printed.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/experiment/sweep.h"
#include "core/notebook/notebook.h"

namespace {

using nlohmann::json;
using tempo::notebook::Notebook;

constexpr double kRelativeTolerance = 1e-9;
double gMaxDifference = 0.0;
int gFailures = 0;

void fail(const std::string& what)
{
    if (++gFailures <= 20)
        std::cerr << "MISMATCH " << what << "\n";
}

bool isTiming(const std::string& name) { return name.size() > 3 && name.compare(name.size() - 3, 3, "_ms") == 0; }

void compareNumbers(double a, double b, const std::string& where)
{
    if (std::isnan(a) && std::isnan(b))
        return;
    const double difference = std::fabs(a - b);
    if (std::isfinite(difference))
        gMaxDifference = std::max(gMaxDifference, difference);
    if (!(difference <= kRelativeTolerance * std::max({1.0, std::fabs(a), std::fabs(b)})))
        fail(where + ": " + std::to_string(a) + " vs " + std::to_string(b));
}

// Structural comparison; keys naming timings are skipped.
void compareJson(const json& a, const json& b, const std::string& where)
{
    if (a.is_number() && b.is_number())
        return compareNumbers(a.get<double>(), b.get<double>(), where);
    if (a.type() != b.type())
        return fail(where + ": " + a.dump().substr(0, 60) + " vs " + b.dump().substr(0, 60));
    if (a.is_object()) {
        for (const auto& [key, value] : a.items()) {
            if (isTiming(key))
                continue;
            if (!b.contains(key))
                fail(where + "." + key + ": missing in the merged sweep");
            else
                compareJson(value, b[key], where + "." + key);
        }
        for (const auto& [key, value] : b.items())
            if (!isTiming(key) && !a.contains(key))
                fail(where + "." + key + ": only in the merged sweep");
    } else if (a.is_array()) {
        if (a.size() != b.size())
            return fail(where + ": " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + " items");
        for (size_t i = 0; i < a.size(); ++i)
            compareJson(a[i], b[i], where + "[" + std::to_string(i) + "]");
    } else if (a != b) {
        fail(where + ": " + a.dump().substr(0, 60) + " vs " + b.dump().substr(0, 60));
    }
}

using PointKey = std::tuple<long long, double, std::string>; // prompt index, threshold, mode

std::map<PointKey, std::pair<int64_t, json>> pointsOf(const Notebook& book, const tempo::notebook::SweepRecord& sweep)
{
    std::map<PointKey, std::pair<int64_t, json>> points;
    for (const auto& [runId, text] : sweep.runs) {
        const json point = json::parse(text);
        const PointKey key{point.at("prompt_index").get<long long>(), point.at("threshold").get<double>(),
                           point.at("mode").get<std::string>()};
        if (points.count(key))
            fail("point " + text + " has more than one run in sweep " + sweep.uuid);
        points[key] = {runId, point};
    }
    return points;
}

json scalarMetrics(const Notebook& book, int64_t runId)
{
    json metrics = json::object();
    for (const auto& m : book.metrics().ofRun(runId))
        if (!m.step && !m.layer && !m.head && !isTiming(m.name))
            metrics[m.name] = std::isfinite(m.value) ? json(m.value) : json(nullptr);
    return metrics;
}

json stepsOf(const Notebook& book, int64_t runId)
{
    json steps = json::array();
    for (const auto& s : book.steps().ofRun(runId))
        steps.push_back({{"step", s.step}, {"logical_position", s.logicalPosition}, {"token_ids", s.tokenIds},
                         {"probabilities", s.probabilities}});
    return steps;
}

json checksOf(const Notebook& book, int64_t runId)
{
    json checks = json::object();
    for (const auto& c : book.checks().ofRun(runId))
        checks[c.name] = c.passed;
    return checks;
}

int64_t onlySweep(const Notebook& book, const std::string& what)
{
    const auto sweeps = book.sweeps().all();
    if (sweeps.size() != 1) {
        std::cerr << what << " '" << book.path() << "': expected exactly one sweep, found " << sweeps.size() << "\n";
        std::exit(1);
    }
    return sweeps.front();
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::cerr << "usage: packaging_sweep_compare REFERENCE.sqlite MERGED.sqlite\n";
        return 2;
    }
    Notebook reference(argv[1], tempo::notebook::OpenMode::ReadOnly);
    Notebook merged(argv[2], tempo::notebook::OpenMode::ReadWrite);
    const auto referenceSweep = *reference.sweeps().find(onlySweep(reference, "reference notebook"));
    const auto mergedSweep = *merged.sweeps().find(onlySweep(merged, "merged notebook"));

    const auto referencePoints = pointsOf(reference, referenceSweep);
    const auto mergedPoints = pointsOf(merged, mergedSweep);
    if (referencePoints.size() != mergedPoints.size())
        fail("run count: " + std::to_string(referencePoints.size()) + " in the reference sweep, " +
             std::to_string(mergedPoints.size()) + " in the merged one");
    for (const auto& [key, entry] : referencePoints) {
        const std::string where = "point (prompt " + std::to_string(std::get<0>(key)) + ", threshold " +
                                  std::to_string(std::get<1>(key)) + ", " + std::get<2>(key) + ")";
        auto found = mergedPoints.find(key);
        if (found == mergedPoints.end()) {
            fail(where + ": missing in the merged sweep");
            continue;
        }
        const int64_t a = entry.first, b = found->second.first;
        const auto runA = reference.runs().find(a), runB = merged.runs().find(b);
        if (runB->status != tempo::notebook::RunStatus::Finished)
            fail(where + ": merged run status " + tempo::notebook::toString(runB->status));
        if (runA->generatedText != runB->generatedText)
            fail(where + " text: '" + runA->generatedText + "' vs '" + runB->generatedText + "'");
        compareJson(stepsOf(reference, a), stepsOf(merged, b), where + " steps");
        compareJson(checksOf(reference, a), checksOf(merged, b), where + " checks");
        compareJson(scalarMetrics(reference, a), scalarMetrics(merged, b), where + " metrics");
        const bool groupA = entry.second.contains("group_id"), groupB = found->second.second.contains("group_id");
        if (groupA != groupB) {
            fail(where + ": group in one sweep only");
        } else if (groupA) {
            const auto gA = reference.groups().find(entry.second["group_id"].get<int64_t>());
            const auto gB = merged.groups().find(found->second.second["group_id"].get<int64_t>());
            if (!gA || !gB)
                fail(where + ": group id names no group");
            else
                compareJson(groupComparisonJson(gA->comparison), groupComparisonJson(gB->comparison), where + " comparison");
        }
    }

    const json stateA = json::parse(referenceSweep.specJson), stateB = json::parse(mergedSweep.specJson);
    compareJson(stateA.at("spec"), stateB.at("spec"), "sweep spec");
    if (stateB.value("status", "") != "finished")
        fail("merged sweep status '" + stateB.value("status", "") + "', expected 'finished'");
    compareJson(stateA.at("aggregate"), stateB.at("aggregate"), "stored aggregate (reference vs merged)");
    compareJson(tempo::aggregateSweep(merged, mergedSweep.id), stateB.at("aggregate"),
                "merged aggregate (recomputed vs stored)");
    const auto overall = stateB["aggregate"]["all_thresholds"];
    std::printf("%zu runs, %s points in the aggregate, %zu overall metrics; max difference %.3g (tolerance %.0e "
                "relative)\n",
                mergedPoints.size(), overall.value("points", json(0)).dump().c_str(),
                overall.value("overall", json::object()).size(), gMaxDifference, kRelativeTolerance);
    if (gFailures > 0) {
        std::cerr << gFailures << " mismatch(es)\n";
        return 1;
    }
    std::printf("SWEEP OK: the merged shards reproduce the single-machine sweep\n");
    return 0;
}
