#include "core/tempo/tempodecoder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/model/allocation.h"
#include "core/model/llamamodel.h"
#include "core/tempo/checks.h"
#include "core/tempo/readout.h"
#include "core/tempo/runlimits.h"
#include "core/tempo/selection.h"
#include "core/tempo/slotlayout.h"

namespace tempo {

namespace {

using Clock = std::chrono::steady_clock;

double millisecondsSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::vector<int64_t> toIds(const at::Tensor& t)
{
    if (!t.defined())
        return {};
    at::Tensor c = t.to(at::kCPU, at::kLong).contiguous();
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

at::Tensor idTensor(const std::vector<int64_t>& ids)
{
    return at::tensor(ids, at::kLong); // [n]
}

// first, first + 1, ..., first + n - 1: [n] int64, written directly (at::arange is an operator call).
at::Tensor consecutiveIds(int64_t first, int64_t n)
{
    at::Tensor ids = at::empty({n}, at::kLong); // [n]
    int64_t* out = ids.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i)
        out[i] = first + i;
    return ids;
}

// The slot of each selected member: fed row r sits in slot firstSlot + r; a member that was not
// fed gets -1. Members are matched to fed rows by id, each row used once (a set has no repeats).
std::vector<int64_t> memberSlotsOf(const std::vector<int64_t>& members, const std::vector<int64_t>& fed, int64_t firstSlot)
{
    std::vector<int64_t> slots(members.size(), -1);
    std::vector<bool> rowUsed(fed.size(), false);
    for (size_t m = 0; m < members.size(); ++m)
        for (size_t r = 0; r < fed.size(); ++r)
            if (!rowUsed[r] && fed[r] == members[m]) {
                slots[m] = firstSlot + static_cast<int64_t>(r);
                rowUsed[r] = true;
                break;
            }
    return slots;
}

// How many entries of `logits` are NaN or infinite. A plain loop over CPU float32 logits (the
// tensor expression below costs four operator calls and two temporaries per forward, which on
// the bundled model is several percent of a run); any other dtype or device goes through it.
int64_t countNonFinite(const at::Tensor& logits)
{
    if (logits.device().is_cpu() && logits.scalar_type() == at::kFloat && logits.is_contiguous()) {
        const float* data = logits.data_ptr<float>();
        const int64_t count = logits.numel();
        int64_t nonFinite = 0;
        for (int64_t i = 0; i < count; ++i)
            nonFinite += std::isfinite(data[i]) ? 0 : 1;
        return nonFinite;
    }
    return (~at::isfinite(logits)).sum().item<int64_t>();
}

// Everything the loop accumulates for the checks and the captures, one forward at a time.
class RunRecorder {
public:
    RunRecorder(TempoRun& run, const TempoConfig& config, const CaptureOptions& captures, int64_t keysLayer,
                const LlamaModel& model)
        : run_(run), config_(config), captures_(captures), keysLayer_(keysLayer), model_(model) {}

    // Records forward `forward` (step -1: prefill) that fed `fed` rows from `firstSlot`, and
    // returns the readout distribution p_{forward} [V] float32.
    at::Tensor record(int64_t forward, int64_t step, int64_t firstSlot, const std::vector<int64_t>& expectedPositions,
                      ForwardOutputs& out, int64_t cacheLength)
    {
        const int64_t rows = out.logits.size(0);
        if (config_.faultsForTesting.nanLogitsAtStep == step && step >= 0) {
            out.logits = out.logits.clone();
            out.logits[0][0] = std::numeric_limits<float>::quiet_NaN();
        }
        fedPositions_.push_back({forward, step, expectedPositions, toIds(out.positionIdsUsed)});
        if (out.positionEmbeddings.defined()) // learned position table (gpt2): the rows each member received
            fedEmbeddings_.push_back({forward, step, out.positionEmbeddings, model_.positionEmbeddingRows(expectedPositions)});
        if (out.keysBeforeRope.defined())
            keysBeforeRope_.push_back(out.keysBeforeRope.size(0) == 1 ? out.keysBeforeRope[0] : out.keysBeforeRope[keysLayer_]); // [H_kv, n, D]
        if (step >= 0 && rows >= 2 && out.attention.defined())
            siblingAttention_.push_back({step, out.attention.narrow(3, firstSlot, rows).contiguous()}); // [L, H, w, w]
        if (captures_.attention && out.attention.defined())
            run_.captures.attention.push_back({forward, step, firstSlot, out.attention});

        nonFiniteLogits_ += countNonFinite(out.logits);
        logitsChecked_ += out.logits.numel();

        // The prefill's distribution comes from the last prompt row; a set's from its members.
        // Softmax and mean in float64 (readout.h); the sum the finite check sees is the float64 one.
        const at::Tensor readRows = step < 0 ? out.logits.narrow(0, rows - 1, 1) : out.logits; // [r, V]
        StepReadout read = readOutStep(readRows, step < 0 ? Readout::Mean : config_.readout,
                                       captures_.logits ? captures_.topK : 0);
        readoutSums_.push_back(read.distributionSum);
        if (captures_.logits)
            run_.captures.readouts.push_back({forward, read.distribution, std::move(read.rowTop)});
        if (captures_.rowLogits)
            run_.captures.rowLogits.push_back({forward, firstSlot, out.logits});
        if (captures_.kv) {
            run_.captures.kv.positionIdsUsed.push_back(fedPositions_.back().used);
            run_.captures.kv.cacheLengths.push_back(cacheLength);
        }
        return read.distribution; // [V] float32
    }

    void finish(const LlamaModel& model, const KVCache& cache, const SlotLayout& layout)
    {
        const LlamaConfig& mc = model.config();
        run_.cacheLength = cache.length();
        run_.slotLogicalPositions = layout.logicalPositions();
        run_.slotSteps = layout.slotSteps();

        std::vector<int64_t> setSizes;
        for (const auto& s : run_.steps)
            setSizes.push_back(static_cast<int64_t>(s.tokenIds.size()));

        // Keys as cached (after RoPE), read back from the cache itself.
        const at::Tensor cachedKeys = cache.keys(keysLayer_, 0).to(at::kCPU, at::kFloat, false, true); // [H_kv, S, D]
        const at::Tensor keysBefore = keysBeforeRope_.empty() ? at::Tensor()
                                                              : at::cat(keysBeforeRope_, 1).to(at::kFloat); // [H_kv, S, D]
        const bool reducedPrecision = model.options().dtype != at::kFloat;
        const double maxAbsKey = keysBefore.defined() && keysBefore.numel() ? keysBefore.abs().max().item<double>() : 0.0;
        const int64_t maxPosition = run_.slotLogicalPositions.empty()
            ? 0
            : *std::max_element(run_.slotLogicalPositions.begin(), run_.slotLogicalPositions.end());

        run_.checks.push_back(checkAllMembersCached(cache.length(), layout.promptLength(), setSizes));
        run_.checks.push_back(checkSharedPositions(fedPositions_, fedEmbeddings_));
        run_.checks.push_back(checkSiblingAttention(config_.mode, siblingAttention_));
        if (mc.usesRope())
            run_.checks.push_back(checkRopeRotation(keysBefore, cachedKeys, run_.slotLogicalPositions,
                                                    ropeInverseFrequencies(mc),
                                                    ropeTolerance(reducedPrecision, maxAbsKey, maxPosition), keysLayer_));
        else
            run_.checks.push_back(ropeRotationNotApplicable(familyName(mc.family)));
        run_.checks.push_back(checkFinite(nonFiniteLogits_, logitsChecked_, readoutSums_));
        // A control run reproduces the artifact on purpose: every check that guards the real
        // mechanism fails and says why, measured value and detail kept after the reason.
        if (config_.isArtifactControl())
            for (CheckResult& check : run_.checks)
                check = asArtifactControlCheck(check);

        if (captures_.kv) {
            KvRecord& kv = run_.captures.kv;
            kv.layer = keysLayer_;
            kv.slotLogicalPositions = run_.slotLogicalPositions;
            kv.slotSteps = run_.slotSteps;
            kv.keysBeforeRope = keysBefore;
            kv.keysAfterRope = cachedKeys;
            run_.captures.hasKv = true;
        }
    }

private:
    TempoRun& run_;
    const TempoConfig& config_;
    const CaptureOptions& captures_;
    int64_t keysLayer_;
    const LlamaModel& model_;
    std::vector<FedPositions> fedPositions_;
    std::vector<FedPositionEmbeddings> fedEmbeddings_;
    std::vector<SiblingAttention> siblingAttention_;
    std::vector<at::Tensor> keysBeforeRope_; // per forward [H_kv, n, D]
    int64_t nonFiniteLogits_ = 0;
    int64_t logitsChecked_ = 0;
    std::vector<double> readoutSums_;
};

} // namespace

TempoRun TempoDecoder::run(const std::vector<int64_t>& promptIds, const TempoConfig& config,
                           const CaptureOptions& captures, const RunControl& control) const
{
    const LlamaConfig& mc = model_.config();
    const int64_t promptLength = static_cast<int64_t>(promptIds.size());
    config.validate(mc, promptLength);
    validateRunMemory(config, promptLength, mc, model_.options());
    for (size_t i = 0; i < promptIds.size(); ++i)
        if (promptIds[i] < 0 || promptIds[i] >= mc.vocabSize)
            throw InvalidArgument(expectedFound("prompt token " + std::to_string(i),
                                                "an id in [0, " + std::to_string(mc.vocabSize) + ")",
                                                std::to_string(promptIds[i])));
    if (captures.topK < 1)
        throw InvalidArgument(expectedFound("capture top-k", "at least 1", std::to_string(captures.topK)));

    const TempoFaultInjection& faults = config.faultsForTesting;
    const bool artifactControl = config.isArtifactControl();
    const int64_t keysLayer = config.resolvedKeysLayer(mc);
    auto cancelled = [&] { return control.cancel && control.cancel->load(); };

    TempoRun run;
    run.config = config;
    run.captureOptions = captures;
    run.promptIds = promptIds;
    RunRecorder recorder(run, config, captures, keysLayer, model_);
    KVCache cache = model_.makeCache(config.cacheSlotsNeeded(promptLength));
    SlotLayout layout(config.positionOffset);
    layout.appendPrompt(promptLength);
    const auto runStart = Clock::now();

    if (cancelled()) {
        run.stopReason = StopReason::Cancelled;
        recorder.finish(model_, cache, layout);
        return run;
    }

    // 1. Prefill: positions offset .. offset + P - 1, causal.
    ForwardCapture capture;
    capture.attention = captures.attention;
    capture.keys = true; // rope_rotation needs the pre-RoPE keys of one layer
    capture.keysLayer = keysLayer;
    at::Tensor prefillPositions = layout.positionIds(0, promptLength); // [P]
    if (faults.rotateByPhysicalSlot || artifactControl)
        prefillPositions = at::arange(promptLength, at::kLong); // the control: physical slots, as the original
    const auto prefillStart = Clock::now();
    ForwardOutputs prefill = guardAllocation("prefill forward of " + std::to_string(promptLength) + " tokens", 0, [&] {
        return model_.forward({idTensor(promptIds), prefillPositions, causalMask(promptLength)}, cache, capture);
    });
    run.timing.forwardMs += millisecondsSince(prefillStart);
    at::Tensor distribution = recorder.record(0, -1, 0, toIds(layout.positionIds(0, promptLength)), prefill, cache.length()); // [V]
    run.timing.prefillMs = millisecondsSince(runStart);

    for (int64_t step = 0; step < config.maxSteps; ++step) {
        if (cancelled()) {
            run.stopReason = StopReason::Cancelled;
            break;
        }
        const auto stepStart = Clock::now();

        // 2. Select.
        const std::vector<Candidate> set = selectParallelSet(distribution, config.threshold, config.maxWidth);
        std::vector<int64_t> ids;
        std::vector<double> probabilities;
        for (const auto& c : set) {
            ids.push_back(c.tokenId);
            probabilities.push_back(c.probability);
        }
        // The artifact control (and the fault that breaks the same property) feeds the last member only.
        const bool lastMemberOnly = artifactControl || faults.feedOnlyLastMember;
        const std::vector<int64_t> fed = lastMemberOnly ? std::vector<int64_t>{ids.back()} : ids;
        const int64_t width = static_cast<int64_t>(fed.size());

        // 3. TEMPO: feed the whole set in one forward at one logical position, with the mode's
        //    sibling mask. The artifact control: the one fed token at its physical slot (positions
        //    advance per fed token) under a plain causal mask, whatever the mode.
        const int64_t cachedSlots = layout.slotCount();
        const int64_t firstSlot = layout.appendSet(step, width);
        const at::Tensor physicalIds = consecutiveIds(firstSlot, width); // [w]
        const at::Tensor logicalIds = artifactControl ? physicalIds : layout.positionIds(firstSlot, width); // [w]
        at::Tensor positionIds = logicalIds;
        if (faults.spreadSiblingPositions)
            positionIds = logicalIds + at::arange(width, at::kLong);
        if (faults.rotateByPhysicalSlot)
            positionIds = physicalIds;
        SiblingMode maskMode = config.mode;
        if (faults.swapSiblingMask)
            maskMode = maskMode == SiblingMode::Isolated ? SiblingMode::Visible : SiblingMode::Isolated;
        const at::Tensor mask = artifactControl ? appendedCausalMask(cachedSlots, width)
                                         : parallelSetMask(cachedSlots, width, maskMode); // [w, cached + w]
        ForwardCapture stepCapture = capture;
        stepCapture.attention = captures.attention || width >= 2; // sibling_attention needs the set's rows
        const auto forwardStart = Clock::now();
        ForwardOutputs out = guardAllocation("forward of step " + std::to_string(step), 0, [&] {
            return model_.forward({idTensor(fed), positionIds, mask}, cache, stepCapture);
        });
        // On CPU the forward has finished when it returns; on CUDA kernels may still run and
        // their time shows in the readout below instead.
        run.timing.forwardMs += millisecondsSince(forwardStart);

        // 4. Read out p_{step + 1} (the control: from its one fed token).
        distribution = recorder.record(step + 1, step, firstSlot, toIds(logicalIds), out, cache.length());

        StepRecord record;
        record.step = step;
        record.logicalPosition = layout.logicalPositionOfStep(step);
        record.firstSlot = firstSlot;
        record.tokenIds = ids;
        record.probabilities = probabilities;
        record.fedTokenIds = fed;
        record.memberSlots = memberSlotsOf(ids, fed, firstSlot);
        record.milliseconds = millisecondsSince(stepStart);
        record.elapsedMs = millisecondsSince(runStart);
        run.timing.stepMs.push_back(record.milliseconds);
        run.steps.push_back(std::move(record));
        if (control.onStep)
            control.onStep(run.steps.back());

        // 5. Stop on {eos}.
        if (config.stopAtEos && ids.size() == 1 && mc.isEos(ids.front())) {
            run.stopReason = StopReason::EndOfSequence;
            break;
        }
    }

    recorder.finish(model_, cache, layout);
    run.timing.totalMs = millisecondsSince(runStart);
    return run;
}

} // namespace tempo
