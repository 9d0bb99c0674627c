#include "studyfixture.h"

#include <limits>

namespace tempo::test {

namespace {

using report::Estimate;
using report::EstimateSeries;

Estimate est(const std::vector<double>& values) { return summarizeSample(values); }

EstimateSeries series(const std::vector<std::vector<double>>& valuesPerX, double firstX = 0.0)
{
    EstimateSeries out;
    for (size_t i = 0; i < valuesPerX.size(); ++i)
        out.push_back({firstX + static_cast<double>(i), summarizeSample(valuesPerX[i])});
    return out;
}

report::StudySweepSummary sweep(std::int64_t id, const std::string& preset, const std::string& role, const std::string& mode,
                                std::int64_t runs, std::int64_t steps, std::int64_t tensors, std::int64_t bytes, double ms,
                                std::int64_t checks, std::int64_t failed, std::vector<std::string> failedNames = {})
{
    report::StudySweepSummary s;
    s.sweepId = id;
    s.presetId = preset;
    s.role = role;
    s.mode = mode;
    s.status = "finished";
    s.pointsPlanned = s.pointsFinished = 10;
    s.runs = s.runsFinished = runs;
    s.steps = steps;
    s.storedTensors = tensors;
    s.storedBytes = bytes;
    s.totalMs = ms;
    s.checksRun = checks;
    s.checksFailed = failed;
    s.failedCheckNames = std::move(failedNames);
    return s;
}

report::FamilyScenario family(const std::string& name, std::map<std::string, std::int64_t> verdicts,
                              const std::vector<double>& maxAbsDiff, const std::vector<double>& ratio,
                              const std::vector<double>& js, const std::vector<double>& changed)
{
    report::FamilyScenario f;
    f.family = name;
    for (const auto& [scenario, n] : verdicts)
        f.points += n;
    f.verdicts = std::move(verdicts);
    f.maxAbsDiff = est(maxAbsDiff);
    f.siblingRatio = est(ratio);
    f.meanJs = est(js);
    f.selectionChanged = est(changed);
    return f;
}

} // namespace

report::StudyReportData tinyStudyReportData()
{
    report::StudyReportData d;
    d.studyId = 1;
    d.uuid = "5f0c1e2a-7b3d-4c8e-9a10-2b3c4d5e6f70";
    d.name = "tiny";
    d.status = "finished";
    d.createdAt = "2026-12-05T20:00:00Z";
    d.finishedAt = "2026-12-05T20:04:10Z";
    d.suiteName = "tiny.jsonl";
    d.presets = {"1a", "1b", "2", "3", "4", "5"};
    d.thresholds = {0.05, 0.3};
    d.promptsByFamily = {{"code", 2}, {"narrative", 3}};
    report::StudyProvenance& p = d.provenance;
    p.modelName = "tiny-llama";
    p.modelFolder = "/tmp/tiny-llama";
    p.weightsSha256 = "0b7c6a3f9e21d4c58a0f6e3b2d1c9a8b7f6e5d4c3b2a190817263544536271ff";
    p.tokenizerSha256 = "7d1e0c9b8a7f6e5d4c3b2a190817263544536271f0e1d2c3b4a5968778695a4b";
    p.parameters = 140544;
    p.layers = 2;
    p.hiddenSize = 64;
    p.heads = 4;
    p.kvHeads = 2;
    p.vocabulary = 512;
    p.maxPositions = 128;
    p.appVersion = "0.16.0";
    p.gitCommit = "8b27c89";
    p.libtorchVersion = "2.5.1";
    p.device = "cpu";
    p.dtype = "f32";
    p.threads = 2;
    d.sweeps = {sweep(11, "1a", "tempo", "isolated", 10, 80, 160, 1843200, 2400, 60, 0),
                sweep(12, "1b", "tempo", "visible", 10, 80, 160, 1843200, 2500, 60, 0),
                sweep(13, "2", "tempo", "both", 20, 160, 320, 3686400, 5100, 120, 0),
                sweep(14, "3", "tempo", "visible", 10, 120, 240, 2764800, 3600, 60, 0),
                sweep(15, "4", "tempo", "isolated", 10, 80, 200, 409600, 2000, 50, 0),
                sweep(16, "5", "tempo", "both", 20, 140, 280, 5324800, 6900, 120, 0),
                sweep(17, "2", "control", "both", 20, 160, 320, 3686400, 4300, 120, 20,
                      {"kv_positions_shared", "sibling_attention"})};
    d.captures = {{"attention", "f32", "[2, 4, 9, 9]", 1120, 12902400},
                  {"kv.keys", "f32", "[2, 2, 12, 16]", 100, 307200},
                  {"readout.distribution", "f32", "[512]", 560, 1146880}};
    d.wallSeconds = 251.5;
    d.forwardSeconds = 231.2;
    d.tensorRetention = "every captured tensor of every run";
    d.widthCaps = {{"5", 1, 0.05, 8, 32, 14}};

    d.exp1.present = true;
    d.exp1.runs1a = d.exp1.runs1b = 10;
    d.exp1.pairs = 6; // points where both runs had a set of 2 or more members
    d.exp1.sibling1a = series({{0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0}});
    d.exp1.prior1a = series({{0.62, 0.58, 0.66, 0.6, 0.64, 0.61}, {0.55, 0.51, 0.57, 0.5, 0.58, 0.54}});
    d.exp1.sibling1b = series({{0.08, 0.11, 0.09, 0.12, 0.07, 0.1}, {0.15, 0.13, 0.18, 0.12, 0.16, 0.14}});
    d.exp1.prior1b = series({{0.55, 0.5, 0.58, 0.52, 0.57, 0.53}, {0.45, 0.43, 0.41, 0.46, 0.44, 0.42}});
    d.exp1.differenceByLayer = series({{0.011, 0.014, 0.01, 0.016, 0.012, 0.013}, {0.021, 0.025, 0.019, 0.027, 0.022, 0.024}});
    d.exp1.meanAbsDiff = est({0.016, 0.019, 0.014, 0.021, 0.017, 0.018});
    d.exp1.maxAbsDiff = est({0.21, 0.24, 0.19, 0.31, 0.22, 0.27});
    d.exp1.pearson = est({0.97, 0.96, 0.98, 0.95, 0.97, 0.96});

    d.exp2.present = true;
    d.exp2.pairs = 10;
    d.exp2.klIsolatedVisible = series({{0.004, 0.006, 0.003, 0.005}, {0.012, 0.009, 0.015, 0.011}, {0.02, 0.017, 0.024}});
    d.exp2.klVisibleIsolated = series({{0.005, 0.006, 0.004, 0.005}, {0.013, 0.01, 0.014, 0.012}, {0.021, 0.018, 0.022}});
    d.exp2.js = series({{0.001, 0.0015, 0.0008, 0.0012}, {0.003, 0.0024, 0.0037, 0.0028}, {0.005, 0.0043, 0.006}});
    d.exp2.maxAbsDiff = est({0.06, 0.08, 0.07, 0.009, 0.004, 0.006, 0.003, 0.008, 0.12, 0.005});
    d.exp2.meanJs = est({0.003, 0.004, 0.0035, 0.0045, 0.002, 0.0015, 0.0025, 0.001, 0.0026, 0.002});
    d.exp2.meanKl = est({0.008, 0.012, 0.006, 0.016, 0.01, 0.014, 0.004, 0.018, 0.01, 0.008});
    d.exp2.families = {family("code", {{"B", 1}, {"C", 3}}, {0.06, 0.08, 0.07, 0.009}, {0.22, 0.25, 0.2, 0.27},
                              {0.003, 0.004, 0.0035, 0.0045}, {1, 1, 1, 0}),
                       family("narrative", {{"B", 4}, {"C", 1}, {"inconclusive", 1}}, {0.004, 0.006, 0.003, 0.008, 0.12, 0.005},
                              {0.12, 0.1, 0.14, 0.11, 0.13, 0.12}, {0.002, 0.0015, 0.0025, 0.001, 0.0026, 0.002},
                              {0, 0, 1, 0, 0, 0}),
                       family("", {{"B", 5}, {"C", 4}, {"inconclusive", 1}}, {0.06, 0.08, 0.07, 0.009, 0.004, 0.006, 0.003, 0.008, 0.12, 0.005},
                              {0.22, 0.25, 0.2, 0.27, 0.12, 0.1, 0.14, 0.11, 0.13, 0.12},
                              {0.003, 0.004, 0.0035, 0.0045, 0.002, 0.0015, 0.0025, 0.001, 0.0026, 0.002},
                              {1, 1, 1, 0, 0, 0, 1, 0, 0, 0})};

    d.exp3.present = true;
    d.exp3.runs = 10;
    d.exp3.ratio = est({0.21, 0.18, 0.24, 0.2, 0.17, 0.22, 0.19, 0.23, 0.2, 0.18});
    d.exp3.sibling = est({0.1, 0.09, 0.11, 0.1, 0.08, 0.1, 0.09, 0.11, 0.1, 0.09});
    d.exp3.prior = est({0.48, 0.5, 0.46, 0.5, 0.47, 0.45, 0.47, 0.48, 0.5, 0.5});
    d.exp3.ratioByFamily = {{"code", est({0.24, 0.22, 0.23, 0.2})}, {"narrative", est({0.18, 0.17, 0.19, 0.2, 0.18, 0.21})}};
    d.exp3.ratioByThreshold = {{0.05, est({0.22, 0.2, 0.24, 0.23, 0.21})}, {0.3, est({0.18, 0.17, 0.19, 0.2, 0.18})}};
    d.exp3.ratioByLayer = series({{0.15, 0.14, 0.17, 0.16, 0.13}, {0.26, 0.24, 0.28, 0.25, 0.27}});

    d.exp4.present = true;
    const char* families[] = {"narrative", "narrative", "narrative", "code", "code"};
    for (int t = 0; t < 2; ++t)
        for (int i = 0; i < 5; ++i) {
            report::RopeRunSummary r;
            r.runId = 400 + t * 5 + i;
            r.family = families[i];
            r.threshold = t == 0 ? 0.05 : 0.3;
            r.maxLogicalError = 1e-7 * (1 + i + t);
            r.minPhysicalError = t == 1 && i == 4 ? std::numeric_limits<double>::quiet_NaN() : 0.35 + 0.05 * i;
            r.tolerance = 1e-5;
            r.mismatchedSlots = 0;
            r.passed = true;
            d.exp4.runs.push_back(r);
        }

    d.exp5.present = true;
    d.exp5.runs = 20;
    d.exp5.widths = {{0.05, {{1, 30}, {2, 22}, {3, 14}, {5, 6}, {8, 3}, {14, 1}}, 32, 1},
                     {0.3, {{1, 58}, {2, 6}}, 32, 0}};
    d.exp5.maxWidth = 14;
    d.exp5.msPerStepByWidth = {{1, est({11.2, 10.8, 11.5, 11.0, 10.9})},
                               {2, est({12.1, 12.4, 11.9, 12.3})},
                               {3, est({13.0, 13.4, 12.8})},
                               {5, est({15.1, 14.7})},
                               {8, est({18.9})},
                               {14, est({25.3})}};
    d.exp5.msPerExtraMember = est({1.02, 0.98, 1.05, 1.01, 0.97, 1.04});
    d.exp5.nonFiniteValues = 0;
    d.exp5.maxProbabilitySumError = 2.4e-7;

    d.control.present = true;
    d.control.controlSweepId = 17;
    d.control.tempoSweepId = 13;
    report::ControlComparison::Row code{"code", est({0.06, 0.08, 0.07, 0.009}), est({0, 0, 0, 0}), 4, 0, 4, 4};
    report::ControlComparison::Row narrative{"narrative", est({0.004, 0.006, 0.003, 0.008, 0.12, 0.005}), est({0, 0, 0, 0, 0, 0}),
                                             6, 1, 6, 6};
    report::ControlComparison::Row all{"", est({0.06, 0.08, 0.07, 0.009, 0.004, 0.006, 0.003, 0.008, 0.12, 0.005}),
                                       est({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 10, 1, 10, 10};
    d.control.rows = {code, narrative, all};
    d.control.controlChecksFailed = 20;
    d.control.controlFailedChecks = {"kv_positions_shared: members advance one position each (artifact control)",
                                     "sibling_attention: only the last member is fed (artifact control)"};
    return d;
}

void setFamilyVerdicts(report::StudyReportData& data, const std::string& familyName,
                       const std::map<std::string, std::int64_t>& verdicts)
{
    for (auto& f : data.exp2.families)
        if (f.family == familyName) {
            f.verdicts = verdicts;
            f.points = 0;
            for (const auto& [scenario, n] : verdicts)
                f.points += n;
        }
}

} // namespace tempo::test
