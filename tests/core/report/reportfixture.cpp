#include "reportfixture.h"

#include <sys/wait.h>

#include <array>
#include <cmath>
#include <map>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/experiment/presetcatalog.h"
#include "core/experiment/sweepstatistics.h"
#include "core/notebook/records.h"

namespace tempo::test {

namespace {

using nlohmann::json;
using notebook::CheckRecord;
using notebook::MetricRecord;
using notebook::StepRecord;

const std::string kSha(64, 'a');
const std::string kTokenizerSha(64, 'b');

json runConfig(const std::string& mode, const std::string& presetId, int maxSteps, double threshold,
               const std::vector<int>& promptIds, bool captured)
{
    return {{"tempo",
             {{"threshold", threshold},
              {"max_width", 32},
              {"mode", mode},
              {"readout", "mean"},
              {"max_steps", maxSteps},
              {"stop_at_eos", true},
              {"position_offset", 0},
              {"keys_layer", 1}}},
            {"prompt_token_ids", promptIds},
            {"preset", presetToJson(*shippedPreset(presetId))},
            {"captures", {{"attention", captured}, {"logits", captured}, {"kv", false}, {"positions", false}}},
            {"model", {{"folder", "/models/fixture-model"}, {"weights_sha256", kSha}, {"tokenizer_sha256", kTokenizerSha}}},
            {"compute", {{"device", "cpu"}, {"dtype", "f32"}, {"threads", 2}}}};
}

notebook::RunRecord runRecord(const std::string& uuidTail, const std::string& presetId, const json& config,
                              std::int64_t modelId, const std::string& prompt, const std::string& started,
                              const std::string& ended, const std::string& text, const std::string& timings)
{
    notebook::RunRecord run;
    run.uuid = "00000000-0000-4000-8000-" + uuidTail;
    run.presetId = presetId;
    run.config = readRunConfig(config);
    run.modelId = modelId;
    run.status = notebook::RunStatus::Finished;
    run.provenance = {"cpu", "f32", 2, "1.13.1", "0.1.0", "0123456789ab"};
    run.startedAt = started;
    run.endedAt = ended;
    run.prompt = prompt;
    run.generatedText = text;
    run.timingsJson = timings;
    return run;
}

StepRecord step(int index, int position, std::vector<std::int64_t> physicalSlots, std::vector<std::int64_t> ids,
                std::vector<std::string> tokens, std::vector<double> probabilities, double ms)
{
    StepRecord s;
    s.step = index;
    s.logicalPosition = position;
    s.physicalSlots = std::move(physicalSlots);
    s.tokenIds = std::move(ids);
    s.tokens = std::move(tokens);
    s.probabilities = std::move(probabilities);
    s.elapsedMs = ms;
    return s;
}

std::vector<CheckRecord> passingChecks(bool visible, double cacheSlots)
{
    return {{"all_members_cached", true, cacheSlots, "cache slots == prompt + set members"},
            {"shared_positions", true, 0, "every set fed at one position"},
            {"sibling_attention", true, visible ? 0.031 : 0.0,
             visible ? "min attention to an earlier sibling 0.031 > 0" : "max attention to a sibling is exactly 0"},
            {"rope_rotation", true, 2.1e-7, "layer 1: max error 2.1e-07 <= tolerance 1e-05"},
            {"finite", true, 0, "no NaN/Inf logits; readouts sum to 1"}};
}

MetricRecord m(const std::string& name, double value, std::optional<int> stepIndex = std::nullopt,
               std::optional<int> layer = std::nullopt, std::optional<int> head = std::nullopt)
{
    return {name, value, stepIndex, layer, head};
}

json jm(const std::string& name, double value, std::optional<int> stepIndex = std::nullopt,
        std::optional<int> layer = std::nullopt, std::optional<int> head = std::nullopt)
{
    json item{{"name", name}, {"value", value}};
    if (stepIndex) item["step"] = *stepIndex;
    if (layer) item["layer"] = *layer;
    if (head) item["head"] = *head;
    return item;
}

// Readout distributions over a vocabulary of 8, p_0 .. p_2 (tagged with step f - 1).
std::vector<notebook::TensorBlob> readouts(bool visible)
{
    const std::vector<std::vector<float>> p{
        {0.62f, 0.18f, 0.08f, 0.05f, 0.03f, 0.02f, 0.01f, 0.01f},
        {0.41f, 0.22f, 0.15f, 0.10f, 0.05f, 0.04f, 0.02f, 0.01f},
        visible ? std::vector<float>{0.48f, 0.12f, 0.14f, 0.10f, 0.07f, 0.05f, 0.03f, 0.01f}
                : std::vector<float>{0.55f, 0.09f, 0.14f, 0.10f, 0.05f, 0.04f, 0.02f, 0.01f}};
    std::vector<notebook::TensorBlob> blobs;
    for (int f = 0; f < 3; ++f)
        blobs.push_back(notebook::TensorBlob::fromF32("readout.distribution", f - 1, {8}, p[static_cast<size_t>(f)]));
    return blobs;
}

json statistics(const std::vector<double>& values)
{
    const SampleSummary s = summarizeSample(values);
    auto finite = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    return {{"n", s.n}, {"non_finite", s.nonFinite}, {"mean", finite(s.mean)}, {"std", finite(s.stddev)},
            {"ci95_low", finite(s.ciLow)}, {"ci95_high", finite(s.ciHigh)}};
}

// Aggregate of a sweep over 3 prompts (narrative x2, factual x1) and 2 thresholds, in the layout of
// core/experiment/sweep.cpp.
json sweepAggregate()
{
    // [threshold][prompt]: distribution.max_abs_diff and visible.run.multi_member_steps.
    const std::array<std::array<double, 3>, 2> diff{{{0.034, 0.012, 0.051}, {0.008, 0.0, 0.02}}};
    const std::array<std::array<double, 3>, 2> multi{{{2, 1, 3}, {1, 0, 1}}};
    const std::array<std::string, 3> category{"narrative", "narrative", "factual"};
    const std::array<std::array<std::string, 3>, 2> verdict{{{"C", "B", "C"}, {"B", "inconclusive", "C"}}};
    auto units = [&](const std::vector<std::pair<int, int>>& points) {
        std::map<std::string, std::vector<std::pair<int, int>>> byCategory;
        json verdicts = json::object();
        for (const auto& p : points) {
            byCategory[category[static_cast<size_t>(p.second)]].push_back(p);
            const std::string v = verdict[static_cast<size_t>(p.first)][static_cast<size_t>(p.second)];
            verdicts[v] = verdicts.value(v, 0) + 1;
        }
        auto metrics = [&](const std::vector<std::pair<int, int>>& members) {
            std::vector<double> d, w;
            for (const auto& p : members) {
                d.push_back(diff[static_cast<size_t>(p.first)][static_cast<size_t>(p.second)]);
                w.push_back(multi[static_cast<size_t>(p.first)][static_cast<size_t>(p.second)]);
            }
            return json{{"distribution.max_abs_diff", statistics(d)}, {"visible.run.multi_member_steps", statistics(w)}};
        };
        json categories = json::object();
        for (const auto& [name, members] : byCategory)
            categories[name] = {{"points", members.size()}, {"metrics", metrics(members)}};
        return json{{"points", points.size()}, {"overall", metrics(points)}, {"categories", categories}, {"verdicts", verdicts}};
    };
    json byThreshold = json::array();
    const std::array<double, 2> thresholds{0.05, 0.1};
    std::vector<std::pair<int, int>> all;
    for (int t = 0; t < 2; ++t) {
        std::vector<std::pair<int, int>> points;
        for (int p = 0; p < 3; ++p) {
            points.push_back({t, p});
            all.push_back({t, p});
        }
        json entry = units(points);
        entry["threshold"] = thresholds[static_cast<size_t>(t)];
        byThreshold.push_back(entry);
    }
    return {{"method", kConfidenceIntervalMethod},
            {"unit", "group of an isolated and a visible run"},
            {"by_threshold", byThreshold},
            {"all_thresholds", units(all)}};
}

} // namespace

ReportFixture writeReportFixture(notebook::Notebook& book, const std::string& hostileText)
{
    ReportFixture ids;
    notebook::ModelRecord model;
    model.folder = "/models/fixture-model";
    model.name = "fixture-model";
    model.weightsSha256 = kSha;
    model.tokenizerSha256 = kTokenizerSha;
    model.configJson = json{{"num_hidden_layers", 2}, {"hidden_size", 64}, {"num_attention_heads", 4},
                            {"num_key_value_heads", 2}, {"vocab_size", 8}}
                           .dump();
    const std::int64_t modelId = book.models().upsert(model);
    const std::string timings = R"({"prefill_ms":12.5,"total_ms":250.0,"ms_per_step":79.17,"steps":3,"stop_reason":"max_steps"})";

    // ---- the mode pair (preset 5 shape, 3 steps)
    const std::vector<int> prompt{1, 2, 3};
    ids.isolatedRun = book.runs().create(runRecord("000000000001", "5", runConfig("isolated", "5", 3, 0.03, prompt, true), modelId,
                                               "The quick brown", "2026-11-28T09:00:00.000Z", "2026-11-28T09:00:00.250Z",
                                               "The quick brown fox[ jumps/ runs] over", timings));
    ids.visibleRun = book.runs().create(runRecord("000000000002", "5", runConfig("visible", "5", 3, 0.03, prompt, true), modelId,
                                              "The quick brown", "2026-11-28T09:00:01.000Z", "2026-11-28T09:00:01.250Z",
                                              "The quick brown fox[ jumps/ runs][ over/ the]", timings));
    book.steps().append(ids.isolatedRun, step(0, 3, {3}, {10}, {" fox"}, {0.62}, 70.0), {});
    book.steps().append(ids.isolatedRun, step(1, 4, {4, 5}, {11, 12}, {" jumps", " runs"}, {0.41, 0.22}, 95.0), {});
    book.steps().append(ids.isolatedRun, step(2, 5, {6}, {13}, {" over"}, {0.55}, 72.5), {});
    book.steps().append(ids.visibleRun, step(0, 3, {3}, {10}, {" fox"}, {0.62}, 70.0), {});
    book.steps().append(ids.visibleRun, step(1, 4, {4, 5}, {11, 12}, {" jumps", " runs"}, {0.41, 0.22}, 95.0), {});
    book.steps().append(ids.visibleRun, step(2, 5, {6, 7}, {13, 14}, {" over", " the"}, {0.48, 0.14}, 97.5), {});
    book.tensors().add(ids.isolatedRun, readouts(false));
    book.tensors().add(ids.visibleRun, readouts(true));
    book.checks().record(ids.isolatedRun, passingChecks(false, 6));
    book.checks().record(ids.visibleRun, passingChecks(true, 7));

    auto runMetrics = [](int steps, int maxWidth, int multi, const std::vector<int>& widths, double msPerMember) {
        std::vector<MetricRecord> out{m("run.steps", steps), m("run.max_width", maxWidth), m("run.multi_member_steps", multi),
                                      m("run.total_ms", 250.0), m("parallelism.max_width", maxWidth),
                                      m("parallelism.mean_width", (widths[0] + widths[1] + widths[2]) / 3.0),
                                      m("parallelism.multi_member_steps", multi), m("parallelism.ms_per_extra_member", msPerMember),
                                      m("parallelism.intercept_ms", 47.5), m("parallelism.total_ms", 237.5),
                                      m("parallelism.non_finite_values", 0), m("parallelism.non_finite_readouts", 0),
                                      m("parallelism.max_probability_sum_error", 2.4e-7)};
        for (int s = 0; s < 3; ++s)
            out.push_back(m("parallelism.by_step.width", widths[static_cast<size_t>(s)], s));
        return out;
    };
    std::vector<MetricRecord> isolatedMetrics = runMetrics(3, 2, 1, {1, 2, 1}, 23.75);
    isolatedMetrics.push_back(m("parallelism.by_width.1.steps", 2));
    isolatedMetrics.push_back(m("parallelism.by_width.1.mean_ms", 71.25));
    isolatedMetrics.push_back(m("parallelism.by_width.2.steps", 1));
    isolatedMetrics.push_back(m("parallelism.by_width.2.mean_ms", 95.0));
    std::vector<MetricRecord> visibleMetrics = runMetrics(3, 2, 2, {1, 2, 2}, 25.0);
    visibleMetrics.push_back(m("parallelism.by_width.1.steps", 1));
    visibleMetrics.push_back(m("parallelism.by_width.1.mean_ms", 70.0));
    visibleMetrics.push_back(m("parallelism.by_width.2.steps", 2));
    visibleMetrics.push_back(m("parallelism.by_width.2.mean_ms", 96.25));
    // Cross-parallel attention of the visible run (as preset 3 stores it).
    for (const auto& [name, value] : std::vector<std::pair<std::string, double>>{
             {"multi_member_sets", 2}, {"rows", 32}, {"mean_sibling", 0.105}, {"max_sibling", 0.31}, {"min_sibling", 0.0},
             {"mean_prior", 0.5}, {"max_prior", 0.93}, {"min_prior", 0.12}, {"mean_self", 0.395}, {"ratio", 0.21}})
        visibleMetrics.push_back(m("cross_parallel." + name, value));
    const std::array<std::array<double, 2>, 2> layerMass{{{0.08, 0.55}, {0.13, 0.45}}}; // sibling, prior
    for (int layer = 0; layer < 2; ++layer) {
        visibleMetrics.push_back(m("cross_parallel.by_layer.mean_sibling", layerMass[static_cast<size_t>(layer)][0], {}, layer));
        visibleMetrics.push_back(m("cross_parallel.by_layer.mean_prior", layerMass[static_cast<size_t>(layer)][1], {}, layer));
        visibleMetrics.push_back(m("cross_parallel.by_layer.ratio",
                                   layerMass[static_cast<size_t>(layer)][0] / layerMass[static_cast<size_t>(layer)][1], {}, layer));
        for (int head = 0; head < 4; ++head)
            visibleMetrics.push_back(m("cross_parallel.by_head.mean_sibling", 0.02 + 0.03 * head + 0.05 * layer, {}, layer, head));
    }
    book.metrics().record(ids.isolatedRun, isolatedMetrics);
    book.metrics().record(ids.visibleRun, visibleMetrics);

    json pairMetrics = json::array();
    const std::array<std::array<double, 13>, 3> bySteps{{
        // entropy a, b, top a, b, kl ab, kl ba, js, cosine, max diff, top1, top5, top10, top20
        {1.2324, 1.2324, 0.62, 0.62, 0, 0, 0, 1, 0, 1, 1, 1, 1},
        {1.6163, 1.6163, 0.41, 0.41, 0, 0, 0, 1, 0, 1, 1, 1, 1},
        {1.4539, 1.5994, 0.55, 0.48, 0.0213, 0.0198, 0.0051, 0.9912, 0.07, 1, 0.8, 1, 1},
    }};
    const char* stepNames[] = {"entropy_a", "entropy_b",    "top_probability_a", "top_probability_b", "kl_ab",
                               "kl_ba",     "js",           "cosine",            "max_abs_diff",      "top1_overlap",
                               "top5_overlap", "top10_overlap", "top20_overlap"};
    for (int s = 0; s < 3; ++s)
        for (int k = 0; k < 13; ++k)
            pairMetrics.push_back(jm(std::string("distribution.by_step.") + stepNames[k], bySteps[static_cast<size_t>(s)][static_cast<size_t>(k)], s));
    for (const auto& [name, value] : std::vector<std::pair<std::string, double>>{
             {"max_abs_diff", 0.07}, {"min_top1_overlap", 1}, {"min_top5_overlap", 0.8}, {"min_top10_overlap", 1},
             {"min_top20_overlap", 1}, {"first_differing_set_step", 2}, {"first_differing_distribution_step", 2},
             {"steps_compared", 3}, {"steps_only_in_one_run", 0}, {"mean_js", 0.0017}, {"mean_kl_ab", 0.0071},
             {"mean_kl_ba", 0.0066}})
        pairMetrics.push_back(jm("distribution." + name, value));
    for (const auto& [name, value] : std::vector<std::pair<std::string, double>>{
             {"mean_abs_diff", 0.0042}, {"max_abs_diff", 0.061}, {"pearson", 0.9957}, {"elements", 1408}, {"tolerance", 1e-5},
             {"first_differing_forward", 2}, {"first_differing_step", 1}, {"forwards_only_in_one_run", 0}})
        pairMetrics.push_back(jm("attention." + name, value));
    // The prefill row is stored without a step (step -1 is "none"), the others with theirs.
    pairMetrics.push_back(jm("attention.by_step.mean_abs_diff", 0));
    pairMetrics.push_back(jm("attention.by_step.max_abs_diff", 0));
    pairMetrics.push_back(jm("attention.by_step.pearson", 1));
    const std::array<std::array<double, 3>, 3> attentionSteps{{{0, 0, 1}, {0, 0, 1}, {0.0113, 0.061, 0.9884}}};
    for (int s = 0; s < 3; ++s) {
        pairMetrics.push_back(jm("attention.by_step.mean_abs_diff", attentionSteps[static_cast<size_t>(s)][0], s));
        pairMetrics.push_back(jm("attention.by_step.max_abs_diff", attentionSteps[static_cast<size_t>(s)][1], s));
        pairMetrics.push_back(jm("attention.by_step.pearson", attentionSteps[static_cast<size_t>(s)][2], s));
    }
    for (int layer = 0; layer < 2; ++layer) {
        pairMetrics.push_back(jm("attention.by_layer.mean_abs_diff", 0.0031 + 0.0022 * layer, {}, layer));
        pairMetrics.push_back(jm("attention.by_layer.max_abs_diff", 0.044 + 0.017 * layer, {}, layer));
        pairMetrics.push_back(jm("attention.by_layer.pearson", 0.9971 - 0.0028 * layer, {}, layer));
        for (int head = 0; head < 4; ++head)
            pairMetrics.push_back(jm("attention.by_head.mean_abs_diff", 0.001 * (1 + head) * (1 + layer), {}, layer, head));
    }
    json criteria = json::array();
    auto criterion = [&](const std::string& name, const std::string& comparison, double threshold, double value, bool met,
                         const std::string& meaning) {
        criteria.push_back({{"name", name}, {"comparison", comparison}, {"threshold", threshold}, {"value", value},
                            {"met", met}, {"meaning", meaning}});
    };
    criterion("mechanism_checks_recorded", ">=", 1, 10, true, "mechanism checks ran for the runs compared");
    criterion("mechanism_checks_passed", "==", 0, 0, true, "failed mechanism checks (must be none)");
    criterion("multi_member_sets", ">=", 1, 2, true, "sets of >= 2 members occurred");
    criterion("steps_compared", ">=", 1, 3, true, "steps with a readout distribution in both runs");
    criterion("sibling_ratio_measured", "finite or +inf", 0, 0.21, true, "sibling/prior attention ratio of the visible run is defined");
    criterion("readout_difference_finite", "finite", 0, 0.07, true, "the readout difference is a finite number");
    criterion("identical", "<", 1e-6, 0.07, false, "max |p_isolated - p_visible| over steps and tokens");
    criterion("nearly_identical", "<", 0.01, 0.07, false, "max |p_isolated - p_visible| over steps and tokens");
    criterion("same_selected_sets", "==", -1, 2, false, "first step whose selected sets differ (-1: none)");
    criterion("same_top5", ">=", 1, 0.8, false, "min over steps of the top-5 overlap");
    criterion("prior_dominates", "<", 0.1, 0.21, false, "mean sibling / mean prior attention mass, visible run");
    const json comparison{{"kind", "mode-pair"},
                          {"preset", "5"},
                          {"isolated_run", ids.isolatedRun},
                          {"visible_run", ids.visibleRun},
                          {"verdict",
                           {{"scenario", "C"}, {"title", "significant interaction"}, {"inconclusive_reason", ""}, {"criteria", criteria}}},
                          {"metrics", pairMetrics}};
    ids.groupId = book.groups().create({0, "00000000-0000-4000-8000-0000000000a1", "mode-pair", readGroupComparison(comparison),
                                    {ids.isolatedRun, ids.visibleRun}, "2026-11-28T09:00:02.000Z"});
    for (std::int64_t run : {ids.isolatedRun, ids.visibleRun})
        book.tags().add(run, "verdict:C");
    book.notes().add(ids.visibleRun, notebook::NoteRecord{0, "Sets diverge at step 2; repeat on more prompts.",
                                                      "2026-11-28T09:05:00.000Z", "2026-11-28T09:05:00.000Z"});

    // ---- a run whose sibling_attention check failed (isolated mode let a member see its sibling)
    const std::string failedPrompt = hostileText.empty() ? "Hello there" : hostileText;
    ids.failedRun = book.runs().create(runRecord("000000000003", "1a", runConfig("isolated", "1a", 2, 0.1, {4, 5}, false), modelId,
                                             failedPrompt, "2026-11-28T10:00:00.000Z", "2026-11-28T10:00:00.100Z",
                                             failedPrompt + "[ a/ b] c",
                                             R"({"prefill_ms":5.0,"total_ms":40.0,"ms_per_step":17.5,"steps":2,"stop_reason":"max_steps"})"));
    book.steps().append(ids.failedRun, step(0, 2, {2, 3}, {20, 21}, {" a", hostileText.empty() ? " b" : hostileText}, {0.5, 0.3}, 18.0), {});
    book.steps().append(ids.failedRun, step(1, 3, {4}, {22}, {" c"}, {0.7}, 17.0), {});
    std::vector<CheckRecord> checks = passingChecks(false, 5);
    checks[2] = {"sibling_attention", false, 0.013, "member 1 attends to sibling 0 with weight 0.013 (expected exactly 0)"};
    book.checks().record(ids.failedRun, checks);
    book.metrics().record(ids.failedRun, {m("run.steps", 2), m("run.max_width", 2), m("run.multi_member_steps", 1), m("run.total_ms", 40.0)});
    if (!hostileText.empty()) {
        book.notes().add(ids.failedRun, notebook::NoteRecord{0, hostileText, "2026-11-28T10:01:00.000Z", "2026-11-28T10:01:00.000Z"});
        book.tags().add(ids.failedRun, "<script>tag</script>](javascript:x)"); // tags hold no spaces
    }

    // ---- a sweep of preset 5 over 3 prompts x 2 thresholds (aggregate as the sweep runner stores it)
    const json preset{{"id", "5"}, {"mode", "both"}, {"name", "High parallelism stress"}};
    const json suite = json::array({{{"category", "narrative"}, {"prompt", "The cat sat on the"}},
                                    {{"category", "narrative"}, {"prompt", "Once upon a time the"}},
                                    {{"category", "factual"}, {"prompt", "The quick brown"}}});
    const json spec{{"preset", preset}, {"model_folder", "/models/fixture-model"}, {"device", "cpu"}, {"dtype", "f32"},
                    {"suite", suite},   {"thresholds", {0.05, 0.1}}};
    ids.sweepId = book.sweeps().create({0, "00000000-0000-4000-8000-0000000000b1", "preset 5: 3 prompts x 2 thresholds",
                                    json{{"spec", spec}, {"status", "finished"}, {"aggregate", sweepAggregate()}}.dump(),
                                    "2026-11-28T11:00:00.000Z", {}});
    const json point{{"prompt_index", 2}, {"category", "factual"}, {"threshold", 0.05}, {"group_id", ids.groupId}};
    for (const auto& [runId, mode] : {std::make_pair(ids.isolatedRun, "isolated"), std::make_pair(ids.visibleRun, "visible")}) {
        json runPoint = point;
        runPoint["mode"] = mode;
        book.sweeps().addRun(ids.sweepId, runId, runPoint.dump());
    }
    return ids;
}

std::filesystem::path goldenFolder() { return std::filesystem::path(TEMPO_REPORT_TEST_DIR) / "golden"; }

std::string runCommand(const std::string& command, int* status)
{
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe)
        return output;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
        output.append(buffer, n);
    const int rc = pclose(pipe);
    if (status)
        *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    return output;
}

std::string readText(const std::filesystem::path& file)
{
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace tempo::test
