#include "core/experiment/storedanalyses.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/analysis/attentioncomparison.h"
#include "core/analysis/crossparallel.h"
#include "core/analysis/distributioncomparison.h"
#include "core/analysis/parallelism.h"
#include "core/analysis/ropeinspection.h"
#include "core/common/errors.h"
#include "core/experiment/capturestore.h"
#include "core/model/llamaconfig.h"
#include "core/model/llamamodel.h"
#include "core/notebook/notebook.h"
#include "core/tempo/checks.h"

namespace tempo {

namespace {

using nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void append(AnalysisMetrics& to, const AnalysisMetrics& from) { to.insert(to.end(), from.begin(), from.end()); }

at::Tensor floatTensor(const notebook::TensorBlob& blob)
{
    std::vector<float> values = blob.toF32();
    return at::tensor(values, at::kFloat).reshape(blob.shape);
}

std::vector<int64_t> int64Of(notebook::Notebook& notebook, int64_t runId, const char* name)
{
    auto blob = readTensor(notebook, runId, name);
    return blob ? blobInt64(*blob) : std::vector<int64_t>{};
}

// The rope_rotation check's numbers recomputed from the stored keys of the captured layer.
std::vector<RopeLayerCheck> ropeLayerChecks(notebook::Notebook& notebook, const StoredRun& run)
{
    const int64_t runId = run.record.id;
    auto before = readTensor(notebook, runId, tensorname::kKeysBeforeRope);
    auto after = readTensor(notebook, runId, tensorname::kKeysAfterRope);
    const std::vector<int64_t> layer = int64Of(notebook, runId, tensorname::kKvLayer);
    const std::vector<int64_t> positions = int64Of(notebook, runId, tensorname::kSlotLogicalPositions);
    if (!before || !after || layer.empty() || positions.empty() || !run.record.modelId)
        return {};
    auto model = notebook.models().find(*run.record.modelId);
    if (!model)
        return {};
    const LlamaConfig config = LlamaConfig::fromJson(json::parse(model->configJson), "config of model " + model->name);
    if (!config.usesRope())
        return {}; // a learned position table (gpt2): no rotation to inspect
    const at::Tensor inverse = ropeInverseFrequencies(config);
    const at::Tensor keysBefore = floatTensor(*before); // [H_kv, S, D]
    const at::Tensor cached = floatTensor(*after).to(at::kDouble);
    const int64_t slots = cached.size(1);

    RopeLayerCheck check;
    check.layer = layer.front();
    check.slots = slots;
    check.logicalMaxError = (cached - referenceRope(keysBefore, positions, inverse)).abs().max().item<double>();
    std::vector<int64_t> physical(static_cast<size_t>(slots));
    std::vector<int64_t> differing;
    for (int64_t i = 0; i < slots; ++i) {
        physical[static_cast<size_t>(i)] = i;
        if (positions[static_cast<size_t>(i)] != i)
            differing.push_back(i);
    }
    check.physicalMinError = kNaN;
    if (!differing.empty()) {
        const at::Tensor perSlot = (cached - referenceRope(keysBefore, physical, inverse)).abs().amax({0, 2}); // [S]
        check.physicalMinError = perSlot.index_select(0, at::tensor(differing, at::kLong)).min().item<double>();
    }
    const bool reduced = run.record.provenance.dtype != "f32";
    const double maxAbsKey = keysBefore.numel() ? keysBefore.abs().max().item<double>() : 0.0;
    check.tolerance = ropeTolerance(reduced, maxAbsKey, *std::max_element(positions.begin(), positions.end()));
    return {check};
}

SlotMapInput slotMapInput(notebook::Notebook& notebook, const StoredRun& run)
{
    SlotMapInput input;
    std::vector<std::pair<int, std::vector<int64_t>>> perForward;
    for (const auto& info : notebook.tensors().infosOfRun(run.record.id))
        if (info.name == tensorname::kPositionIdsUsed && info.step)
            perForward.push_back({*info.step, blobInt64(notebook.tensors().load(info.id))});
    std::sort(perForward.begin(), perForward.end());
    for (auto& forward : perForward)
        input.positionIdsUsed.push_back(std::move(forward.second));
    input.cacheLengths = int64Of(notebook, run.record.id, tensorname::kCacheLengths);
    input.slotLogicalPositions = int64Of(notebook, run.record.id, tensorname::kSlotLogicalPositions);
    input.slotSteps = int64Of(notebook, run.record.id, tensorname::kSlotSteps);
    return input;
}

AnalysisMetrics basicRunMetrics(const StoredRun& run)
{
    int64_t maxWidth = 0, multi = 0;
    for (const auto& step : run.steps) {
        maxWidth = std::max<int64_t>(maxWidth, static_cast<int64_t>(step.tokenIds.size()));
        multi += step.tokenIds.size() >= 2 ? 1 : 0;
    }
    const json timings = json::parse(run.record.timingsJson, nullptr, false);
    const double totalMs = timings.is_object() && timings.contains("total_ms") ? timings["total_ms"].get<double>() : kNaN;
    return {{"run.steps", static_cast<double>(run.steps.size())},
            {"run.max_width", static_cast<double>(maxWidth)},
            {"run.multi_member_steps", static_cast<double>(multi)},
            {"run.total_ms", totalMs}};
}

std::vector<std::string> failedChecks(const StoredRun& run)
{
    std::vector<std::string> failed;
    for (const auto& check : run.checks)
        if (!check.passed)
            failed.push_back("run " + std::to_string(run.record.id) + " " + check.name);
    return failed;
}

bool hasStoredTensor(notebook::Notebook& notebook, int64_t runId, const char* name)
{
    for (const auto& info : notebook.tensors().infosOfRun(runId))
        if (info.name == name)
            return true;
    return false;
}

bool hasMultiMemberStep(const StoredRun& run)
{
    return std::any_of(run.steps.begin(), run.steps.end(), [](const auto& step) { return step.tokenIds.size() >= 2; });
}

// The TEMPO settings with the sibling mode left out: a partner run differs in the mode only.
std::optional<TempoConfig> tempoWithoutMode(const RunConfig& config)
{
    std::optional<TempoConfig> tempo = config.tempo;
    if (tempo)
        tempo->mode = SiblingMode::Isolated;
    return tempo;
}

} // namespace

std::vector<notebook::MetricRecord> toMetricRecords(const AnalysisMetrics& metrics)
{
    std::vector<notebook::MetricRecord> records;
    records.reserve(metrics.size());
    auto optional = [](int64_t v) { return v < 0 ? std::nullopt : std::optional<int>(static_cast<int>(v)); };
    for (const auto& m : metrics)
        records.push_back({m.name, m.value, optional(m.step), optional(m.layer), optional(m.head)});
    return records;
}

AnalysisMetrics analyseRecordedRun(notebook::Notebook& notebook, int64_t runId)
{
    if (!hasStoredTensor(notebook, runId, tensorname::kAttention))
        return {};
    const StoredRun run = readStoredRun(notebook, runId);
    if (!hasMultiMemberStep(run))
        return {};
    return metrics(analyseCrossParallelAttention(readRunAttention(notebook, run)));
}

AnalysisMetrics analyseRecordedRun(const StoredRun& run, const std::vector<notebook::TensorBlob>& storedBlobs)
{
    if (!holdsTensor(storedBlobs, tensorname::kAttention) || !hasMultiMemberStep(run))
        return {};
    return metrics(analyseCrossParallelAttention(runAttentionOfBlobs(run, storedBlobs)));
}

AnalysisMetrics analyseStoredRun(notebook::Notebook& notebook, int64_t runId, const Preset& preset)
{
    const StoredRun run = readStoredRun(notebook, runId);
    AnalysisMetrics out = basicRunMetrics(run);
    if (preset.hasAnalysis(analysisname::kCrossParallel) && !notebook.metrics().hasPrefix(runId, "cross_parallel."))
        append(out, metrics(analyseCrossParallelAttention(readRunAttention(notebook, run))));
    if (preset.hasAnalysis(analysisname::kRopeInspection))
        append(out, metrics(inspectRope(ropeLayerChecks(notebook, run), slotMapInput(notebook, run))));
    if (preset.hasAnalysis(analysisname::kParallelism)) {
        ParallelismInput input;
        for (const auto& step : run.steps) {
            input.widths.push_back(static_cast<int64_t>(step.tokenIds.size()));
            input.stepMilliseconds.push_back(step.elapsedMs);
        }
        for (auto& readout : readRunDistributions(notebook, run).readouts)
            input.readouts.push_back(std::move(readout.probabilities));
        append(out, metrics(summariseParallelism(input)));
    }
    return out;
}

PairAnalysis analyseStoredPair(notebook::Notebook& notebook, int64_t isolatedRunId, int64_t visibleRunId,
                               const Preset& preset)
{
    const StoredRun isolated = readStoredRun(notebook, isolatedRunId);
    const StoredRun visible = readStoredRun(notebook, visibleRunId);
    PairAnalysis pair;
    // The visible run's attention serves the comparison and the verdict: read once.
    std::optional<RunAttention> visibleAttention;
    auto visibleRunAttention = [&]() -> const RunAttention& {
        if (!visibleAttention)
            visibleAttention = readRunAttention(notebook, visible);
        return *visibleAttention;
    };
    if (preset.hasAnalysis(analysisname::kAttentionComparison))
        append(pair.metrics, metrics(compareAttention(readRunAttention(notebook, isolated), visibleRunAttention())));
    const RunDistributions isolatedReadouts = readRunDistributions(notebook, isolated);
    const RunDistributions visibleReadouts = readRunDistributions(notebook, visible);
    DistributionComparison distributions;
    if (!isolatedReadouts.readouts.empty() && !visibleReadouts.readouts.empty())
        distributions = compareDistributions(isolatedReadouts, visibleReadouts);
    if (preset.hasAnalysis(analysisname::kDistributionComparison))
        append(pair.metrics, metrics(distributions));

    if (preset.hasAnalysis(analysisname::kVerdict)) {
        std::optional<CrossParallelAttention> crossParallel;
        if (!visibleRunAttention().forwards.empty())
            crossParallel = analyseCrossParallelAttention(visibleRunAttention());
        std::vector<std::string> failed = failedChecks(isolated);
        for (auto& name : failedChecks(visible))
            failed.push_back(name);
        const int64_t checksRun = static_cast<int64_t>(isolated.checks.size() + visible.checks.size());
        pair.verdict = decideScenario(verdictInputs(distributions, crossParallel ? &*crossParallel : nullptr, checksRun,
                                                    failed, isolated.sets(), visible.sets()));
    } else {
        pair.verdict.inconclusiveReason = "verdict not requested by preset " + preset.id;
    }
    // A pair of artifact-control runs is a control, never a TEMPO result, whatever was measured.
    if (isolated.record.config.isArtifactControl() || visible.record.config.isArtifactControl())
        pair.verdict = controlVerdict(pair.verdict);
    pair.comparison.kind = "mode-pair";
    pair.comparison.presetId = preset.id;
    pair.comparison.isolatedRunId = isolatedRunId;
    pair.comparison.visibleRunId = visibleRunId;
    pair.comparison.verdict = pair.verdict;
    pair.comparison.metrics = pair.metrics;
    return pair;
}

namespace {

// Why a single run's verdict is inconclusive: the missing comparison, then the run's own failed
// preconditions. `failed` as failedChecks names them ("run 5 finite").
std::string singleRunReason(const std::vector<std::string>& failed, bool checksRecorded, bool multiMember)
{
    std::string reason = "no finished run of the other sibling mode with the same model, prompt and settings to "
                         "compare with (run the partner preset, or this preset with mode=both)";
    for (const auto& name : failed)
        reason += "; mechanism check failed: " + name;
    if (!checksRecorded)
        reason += "; no mechanism checks recorded";
    if (!multiMember)
        reason += "; no set of 2 or more members";
    return reason;
}

} // namespace

Verdict singleRunVerdict(notebook::Notebook& notebook, int64_t runId)
{
    return singleRunVerdict(readStoredRun(notebook, runId));
}

Verdict singleRunVerdict(const StoredRun& run)
{
    // The criteria (all unmeasured without a second run) come from the one decision procedure; the
    // reason names what is missing here, plus the run's own failed preconditions.
    Verdict verdict = decideScenario(verdictInputs(DistributionComparison{}, nullptr, static_cast<int64_t>(run.checks.size()),
                                                   failedChecks(run), run.sets(), run.sets()));
    verdict.scenario = Scenario::Inconclusive;
    verdict.inconclusiveReason = singleRunReason(failedChecks(run), !run.checks.empty(), hasMultiMemberStep(run));
    if (run.record.config.isArtifactControl())
        return controlVerdict(verdict);
    return verdict;
}

std::optional<Verdict> storedSingleRunVerdict(notebook::Notebook& notebook, int64_t runId)
{
    std::map<std::string, double> stored;
    for (const auto& m : notebook.metrics().withPrefix(runId, "verdict."))
        if (!m.step && !m.layer && !m.head)
            stored[m.name] = m.value;
    const auto scenario = stored.find("verdict.scenario");
    if (scenario == stored.end())
        return std::nullopt;
    static const Scenario kByCode[] = {Scenario::Inconclusive, Scenario::A, Scenario::B, Scenario::C, Scenario::D,
                                       Scenario::Control}; // metrics(Verdict)'s codes
    if (!(scenario->second >= 0 && scenario->second <= 5) || scenario->second != std::floor(scenario->second))
        return std::nullopt;
    Verdict verdict;
    verdict.scenario = kByCode[static_cast<int>(scenario->second)];
    // The criteria's names, order, tests and meanings are the decision procedure's; the numbers
    // are the stored ones.
    verdict.criteria = decideScenario(VerdictInputs{}).criteria;
    for (VerdictCriterion& c : verdict.criteria) {
        const std::string prefix = "verdict.criterion." + c.name + ".";
        const auto value = stored.find(prefix + "value");
        const auto threshold = stored.find(prefix + "threshold");
        const auto met = stored.find(prefix + "met");
        if (value == stored.end() || threshold == stored.end() || met == stored.end())
            return std::nullopt;
        c.value = value->second;
        c.threshold = threshold->second;
        c.met = met->second == 1.0;
    }
    if (verdict.scenario == Scenario::Inconclusive) {
        std::vector<std::string> failed;
        for (const auto& check : notebook.checks().ofRun(runId))
            if (!check.passed)
                failed.push_back("run " + std::to_string(runId) + " " + check.name);
        const VerdictCriterion* recorded = verdict.criterion("mechanism_checks_recorded");
        const VerdictCriterion* multiMember = verdict.criterion("multi_member_sets");
        verdict.inconclusiveReason = singleRunReason(failed, recorded && recorded->met, multiMember && multiMember->met);
    }
    if (verdict.scenario == Scenario::Control)
        return controlVerdict(verdict); // its reason is the control's, whatever was measured
    return verdict;
}

void recordVerdict(notebook::Notebook& notebook, int64_t runId, const Verdict& verdict)
{
    notebook.metrics().replacePrefix(runId, "verdict.", toMetricRecords(metrics(verdict)));
    notebook.tags().add(runId, "verdict:" + scenarioName(verdict.scenario));
}

std::optional<int64_t> findPartnerRun(notebook::Notebook& notebook, int64_t runId, const Preset& preset)
{
    const StoredRun run = readStoredRun(notebook, runId);
    const RunConfig& config = run.record.config;
    const std::optional<TempoConfig> tempo = tempoWithoutMode(config);
    notebook::RunQuery query;
    query.status = notebook::RunStatus::Finished;
    query.limit = 500;
    for (const auto& summary : notebook.runs().list(query)) {
        if (summary.id == runId || summary.prompt != run.record.prompt)
            continue;
        std::optional<notebook::RunRecord> candidate;
        try {
            candidate = notebook.runs().find(summary.id);
        } catch (const NotebookError&) {
            continue; // a run whose stored configuration cannot be read is nobody's partner
        }
        if (!candidate || candidate->modelId != run.record.modelId)
            continue;
        const RunConfig& other = candidate->config;
        if (!other.tempo || tempoWithoutMode(other) != tempo || other.tempo->mode == config.tempo->mode)
            continue;
        if (preset.hasAnalysis(analysisname::kAttentionComparison) && !other.captures.attention)
            continue;
        if ((preset.hasAnalysis(analysisname::kDistributionComparison) || preset.hasAnalysis(analysisname::kVerdict)) &&
            !other.captures.logits)
            continue;
        return summary.id;
    }
    return std::nullopt;
}

} // namespace tempo
