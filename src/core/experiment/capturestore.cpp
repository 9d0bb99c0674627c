#include "core/experiment/capturestore.h"

#include <algorithm>
#include <cstring>
#include <map>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/notebook/notebook.h"

namespace tempo {

namespace {

using notebook::TensorBlob;

TensorBlob floatBlob(const std::string& name, std::optional<int> step, const at::Tensor& tensor)
{
    const at::Tensor values = tensor.detach().to(at::kCPU).to(at::kFloat).contiguous();
    std::vector<int64_t> shape(values.sizes().begin(), values.sizes().end());
    std::vector<float> data(values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
    return TensorBlob::fromF32(name, step, shape, data);
}

TensorBlob int64Blob(const std::string& name, std::optional<int> step, const std::vector<int64_t>& values,
                     std::vector<int64_t> shape = {})
{
    TensorBlob blob;
    blob.name = name;
    blob.step = step;
    blob.dtype = "i64";
    blob.shape = shape.empty() ? std::vector<int64_t>{static_cast<int64_t>(values.size())} : std::move(shape);
    blob.data.resize(values.size() * sizeof(int64_t));
    if (!values.empty())
        std::memcpy(blob.data.data(), values.data(), blob.data.size());
    return blob;
}

int stepOfForward(int64_t forward) { return static_cast<int>(forward - 1); }

void addReadouts(const TempoRun& run, std::vector<TensorBlob>& blobs)
{
    for (const ReadoutRecord& readout : run.captures.readouts) {
        const int step = stepOfForward(readout.forward);
        blobs.push_back(floatBlob(tensorname::kReadoutDistribution, step, readout.distribution));
        if (readout.rowTop.empty())
            continue;
        size_t k = readout.rowTop.front().size();
        for (const auto& row : readout.rowTop)
            k = std::min(k, row.size());
        std::vector<int64_t> ids;
        std::vector<float> probabilities;
        for (const auto& row : readout.rowTop)
            for (size_t i = 0; i < k; ++i) {
                ids.push_back(row[i].tokenId);
                probabilities.push_back(static_cast<float>(row[i].probability));
            }
        const std::vector<int64_t> shape{static_cast<int64_t>(readout.rowTop.size()), static_cast<int64_t>(k)};
        blobs.push_back(int64Blob(tensorname::kReadoutRowTopIds, step, ids, shape));
        blobs.push_back(TensorBlob::fromF32(tensorname::kReadoutRowTopProbabilities, step, shape, probabilities));
    }
}

std::vector<float> blobFloats(const TensorBlob& blob) { return blob.toF32(); }

} // namespace

CaptureOptions captureOptionsFor(const StoredCaptureSelection& selection)
{
    CaptureOptions options;
    options.attention = selection.attention;
    options.logits = selection.logits;
    options.kv = selection.kv || selection.positions;
    return options;
}

std::vector<TensorBlob> captureBlobs(const TempoRun& run, const StoredCaptureSelection& selection)
{
    std::vector<TensorBlob> blobs;
    if (selection.attention)
        for (const ForwardAttention& forward : run.captures.attention)
            blobs.push_back(floatBlob(tensorname::kAttention, stepOfForward(forward.forward), forward.probabilities));
    if (selection.logits)
        addReadouts(run, blobs);
    if (run.captures.hasKv) {
        const KvRecord& kv = run.captures.kv;
        if (selection.positions) {
            for (size_t f = 0; f < kv.positionIdsUsed.size(); ++f)
                blobs.push_back(int64Blob(tensorname::kPositionIdsUsed, stepOfForward(static_cast<int64_t>(f)),
                                          kv.positionIdsUsed[f]));
            blobs.push_back(int64Blob(tensorname::kSlotLogicalPositions, std::nullopt, kv.slotLogicalPositions));
            blobs.push_back(int64Blob(tensorname::kSlotSteps, std::nullopt, kv.slotSteps));
            blobs.push_back(int64Blob(tensorname::kCacheLengths, std::nullopt, kv.cacheLengths));
        }
        if (selection.kv) {
            blobs.push_back(int64Blob(tensorname::kKvLayer, std::nullopt, {kv.layer}));
            if (kv.keysBeforeRope.defined())
                blobs.push_back(floatBlob(tensorname::kKeysBeforeRope, std::nullopt, kv.keysBeforeRope));
            if (kv.keysAfterRope.defined())
                blobs.push_back(floatBlob(tensorname::kKeysAfterRope, std::nullopt, kv.keysAfterRope));
        }
    }
    return blobs;
}

std::vector<int64_t> StoredRun::slotSteps() const
{
    std::vector<int64_t> slots(static_cast<size_t>(promptLength), -1);
    for (const auto& step : steps)
        for (int64_t slot : step.physicalSlots) {
            if (slot < 0)
                continue; // a member that was not fed has no slot
            if (slot >= static_cast<int64_t>(slots.size()))
                slots.resize(static_cast<size_t>(slot) + 1, -1);
            slots[static_cast<size_t>(slot)] = step.step;
        }
    return slots;
}

std::vector<std::vector<int64_t>> StoredRun::sets() const
{
    std::vector<std::vector<int64_t>> sets;
    for (const auto& step : steps)
        sets.push_back(step.tokenIds);
    return sets;
}

bool StoredRun::allChecksPassed() const
{
    if (checks.empty())
        return false;
    for (const auto& check : checks)
        if (!check.passed)
            return false;
    return true;
}

bool holdsTensor(const std::vector<notebook::TensorBlob>& blobs, const std::string& name)
{
    return std::any_of(blobs.begin(), blobs.end(), [&](const notebook::TensorBlob& blob) { return blob.name == name; });
}

namespace {

void requireDecodedConfig(const notebook::RunRecord& record, const std::string& notebookPath)
{
    if (!record.config.decoded())
        throw NotebookError(expectedFound("config of run " + std::to_string(record.id) + " in '" + notebookPath + "'",
                                          "the TEMPO settings and prompt ids of a decoded run",
                                          "a run refused before decoding (no \"tempo\", no \"prompt_token_ids\")"));
}

} // namespace

StoredRun readStoredRun(notebook::Notebook& notebook, int64_t runId)
{
    auto record = notebook.runs().find(runId);
    if (!record)
        throw NotebookError(expectedFound("run " + std::to_string(runId) + " in '" + notebook.path() + "'",
                                          "a stored run", "no such run"));
    requireDecodedConfig(*record, notebook.path());
    StoredRun run;
    run.record = *record;
    run.promptLength = static_cast<int64_t>(record->config.promptTokenIds.size());
    run.steps = notebook.steps().ofRun(runId);
    run.checks = notebook.checks().ofRun(runId);
    return run;
}

std::vector<notebook::CheckRecord> checkRecordsOf(const TempoRun& run)
{
    std::vector<notebook::CheckRecord> checks;
    checks.reserve(run.checks.size());
    for (const CheckResult& check : run.checks)
        checks.push_back({check.name, check.passed, check.value, check.detail});
    return checks;
}

notebook::StepRecord notebookStepRow(const StepRecord& step)
{
    notebook::StepRecord row;
    row.step = static_cast<int>(step.step);
    row.logicalPosition = static_cast<int>(step.logicalPosition);
    row.tokenIds = step.tokenIds;
    row.probabilities = step.probabilities;
    row.physicalSlots = step.memberSlots;
    return row;
}

StoredRun recordedStoredRun(const notebook::RunRecord& record, const TempoRun& run, const std::string& notebookPath)
{
    requireDecodedConfig(record, notebookPath);
    StoredRun stored;
    stored.record = record;
    stored.promptLength = static_cast<int64_t>(record.config.promptTokenIds.size());
    stored.steps.reserve(run.steps.size());
    for (const StepRecord& step : run.steps)
        stored.steps.push_back(notebookStepRow(step));
    stored.checks = checkRecordsOf(run);
    return stored;
}

std::optional<TensorBlob> readTensor(notebook::Notebook& notebook, int64_t runId, const std::string& name,
                                     std::optional<int> step)
{
    for (const auto& info : notebook.tensors().infosOfRun(runId))
        if (info.name == name && info.step == step)
            return notebook.tensors().load(info.id);
    return std::nullopt;
}

std::vector<int64_t> blobInt64(const TensorBlob& blob)
{
    if (blob.dtype != "i64")
        throw InvalidArgument(expectedFound("tensor '" + blob.name + "'", "dtype i64", blob.dtype));
    std::vector<int64_t> values(blob.data.size() / sizeof(int64_t));
    if (!values.empty())
        std::memcpy(values.data(), blob.data.data(), values.size() * sizeof(int64_t));
    return values;
}

namespace {

// Step -> the step's first fed row: its lowest slot (-1: not fed); the prefill starts at slot 0.
std::map<int, int64_t> firstSlotOfSteps(const StoredRun& run)
{
    std::map<int, int64_t> firstSlotOfStep{{-1, 0}};
    for (const auto& step : run.steps)
        for (int64_t slot : step.physicalSlots) {
            if (slot < 0)
                continue;
            auto known = firstSlotOfStep.find(step.step);
            if (known == firstSlotOfStep.end() || slot < known->second)
                firstSlotOfStep[step.step] = slot;
        }
    return firstSlotOfStep;
}

// One "attention" blob (with a step) as an analysis reads it.
AttentionForward attentionForwardOf(const TensorBlob& blob, const std::map<int, int64_t>& firstSlotOfStep, int64_t runId)
{
    if (blob.shape.size() != 4)
        throw NotebookError(expectedFound("stored attention of run " + std::to_string(runId) + " step " +
                                              std::to_string(*blob.step),
                                          "4 dimensions", std::to_string(blob.shape.size())));
    AttentionForward forward;
    forward.step = *blob.step;
    forward.forward = forward.step + 1;
    auto slot = firstSlotOfStep.find(*blob.step);
    forward.firstSlot = slot == firstSlotOfStep.end() ? 0 : slot->second;
    forward.probabilities = Tensor4({blob.shape[0], blob.shape[1], blob.shape[2], blob.shape[3]}, blobFloats(blob));
    return forward;
}

void sortByForward(RunAttention& attention)
{
    std::sort(attention.forwards.begin(), attention.forwards.end(),
              [](const AttentionForward& a, const AttentionForward& b) { return a.forward < b.forward; });
}

} // namespace

RunAttention readRunAttention(notebook::Notebook& notebook, const StoredRun& run)
{
    RunAttention attention;
    attention.slotSteps = run.slotSteps();
    const std::map<int, int64_t> firstSlotOfStep = firstSlotOfSteps(run);
    for (const auto& info : notebook.tensors().infosOfRun(run.record.id))
        if (info.name == tensorname::kAttention && info.step) // one blob in memory at a time
            attention.forwards.push_back(attentionForwardOf(notebook.tensors().load(info.id), firstSlotOfStep, run.record.id));
    sortByForward(attention);
    return attention;
}

RunAttention runAttentionOfBlobs(const StoredRun& run, const std::vector<TensorBlob>& blobs)
{
    RunAttention attention;
    attention.slotSteps = run.slotSteps();
    const std::map<int, int64_t> firstSlotOfStep = firstSlotOfSteps(run);
    for (const TensorBlob& blob : blobs)
        if (blob.name == tensorname::kAttention && blob.step)
            attention.forwards.push_back(attentionForwardOf(blob, firstSlotOfStep, run.record.id));
    sortByForward(attention);
    return attention;
}

RunDistributions readRunDistributions(notebook::Notebook& notebook, const StoredRun& run)
{
    RunDistributions distributions;
    distributions.sets = run.sets();
    for (const auto& info : notebook.tensors().infosOfRun(run.record.id)) {
        if (info.name != tensorname::kReadoutDistribution || !info.step)
            continue;
        distributions.readouts.push_back({*info.step + 1, blobFloats(notebook.tensors().load(info.id))});
    }
    std::sort(distributions.readouts.begin(), distributions.readouts.end(),
              [](const ReadoutDistribution& a, const ReadoutDistribution& b) { return a.forward < b.forward; });
    return distributions;
}

} // namespace tempo
