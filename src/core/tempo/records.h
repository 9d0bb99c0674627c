#pragma once
// What one TEMPO run produces, as plain records (structs of vectors and CPU tensors), so the
// notebook, the analyses and the CLI read them without knowing the decoder.
//
// Forward numbering: forward 0 is the prefill; forward s + 1 feeds the set of step s. The
// distribution p_s that selects the set of step s is the readout of forward s.

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

#include "core/tempo/selection.h"
#include "core/runrecord/tempoconfig.h"

namespace tempo {

// Which captures the caller wants stored (the mechanism checks always capture what they need).
struct CaptureOptions {
    bool attention = false; // every forward, every layer: [L, H, rows fed, slots]
    bool logits = false;    // readout distributions [V] and each fed row's top-20
    bool kv = false;        // position ids used, slot map, cache lengths, keys of keysLayer
    bool rowLogits = false; // raw logits [rows fed, V] of every forward (tests, analyses)
    int64_t topK = 20;
};

// One step: the set selected from p_s and fed in forward s + 1. Complete as the decoder knows it,
// so a sink (notebook, CLI, window) stores or shows it without re-deriving slots or positions.
struct StepRecord {
    int64_t step = 0;
    int64_t logicalPosition = 0;     // RoPE position id of every member
    int64_t firstSlot = 0;           // the fed rows occupy slots [firstSlot, firstSlot + fed)
    std::vector<int64_t> tokenIds;   // the selected set, most probable first
    std::vector<double> probabilities; // p_s of each member
    std::vector<int64_t> fedTokenIds;  // what reached the model (== tokenIds unless a fault is injected)
    // Per member of tokenIds: the physical KV slot it was fed into, -1 when it was not fed (a run
    // that feeds fewer tokens than it selects, TempoFaultInjection::feedOnlyLastMember).
    std::vector<int64_t> memberSlots;
    double milliseconds = 0.0;       // selection + forward + readout
    double elapsedMs = 0.0;          // since the run started, when this step was complete
};

struct ForwardAttention {
    int64_t forward = 0;
    int64_t step = -1;      // -1: prefill
    int64_t firstSlot = 0;  // slot of row 0
    at::Tensor probabilities; // [L, H, rows fed, slots so far] float32
};

struct ReadoutRecord {
    int64_t forward = 0;     // the readout of this forward is p_{forward}
    at::Tensor distribution; // [V] float32, p_{forward}
    // Top-k of each row that contributed (prefill: the last prompt row; a set: every member).
    std::vector<std::vector<Candidate>> rowTop;
};

struct ForwardLogits {
    int64_t forward = 0;
    int64_t firstSlot = 0;
    at::Tensor logits; // [rows fed, V] float32
};

struct KvRecord {
    int64_t layer = 0;
    std::vector<std::vector<int64_t>> positionIdsUsed; // per forward: the tensor handed to RoPE
    std::vector<int64_t> slotLogicalPositions;         // slot -> logical position (bookkeeping)
    std::vector<int64_t> slotSteps;                    // slot -> step (-1: prompt)
    std::vector<int64_t> cacheLengths;                 // per forward: cache slots after it
    at::Tensor keysBeforeRope; // [H_kv, slots, D] float32, from the forward's capture
    at::Tensor keysAfterRope;  // [H_kv, slots, D] float32, read back from the KV cache
};

struct Captures {
    std::vector<ForwardAttention> attention; // when CaptureOptions::attention
    std::vector<ReadoutRecord> readouts;     // when CaptureOptions::logits
    std::vector<ForwardLogits> rowLogits;    // when CaptureOptions::rowLogits
    KvRecord kv;                             // filled when CaptureOptions::kv
    bool hasKv = false;
};

// One mechanism check (DESIGN.md section 1). `value` is NaN when the check does not apply.
struct CheckResult {
    std::string name;
    bool passed = false;
    double value = 0.0;
    std::string detail;

    // Passed vacuously: the run gave it nothing to check (core/runrecord/checkoutcome.h).
    bool notApplicable() const;
};

enum class StopReason { MaxSteps, EndOfSequence, Cancelled };
std::string stopReasonName(StopReason reason); // "max_steps" | "eos" | "cancelled"

struct TempoTiming {
    double prefillMs = 0.0;
    double totalMs = 0.0;
    // Time inside the model's forward passes (prefill and every step), the rest of totalMs being
    // selection, readout and captures: what a study's benchmark reports as overhead.
    double forwardMs = 0.0;
    double msPerStep() const;
    std::vector<double> stepMs;
};

struct TempoRun {
    TempoConfig config;
    CaptureOptions captureOptions;
    std::vector<int64_t> promptIds;
    std::vector<StepRecord> steps;
    std::vector<int64_t> slotLogicalPositions; // slot -> logical position
    std::vector<int64_t> slotSteps;            // slot -> step (-1: prompt)
    int64_t cacheLength = 0;                   // slots in the KV cache at the end (read from the cache)
    std::vector<CheckResult> checks;
    Captures captures;
    TempoTiming timing;
    StopReason stopReason = StopReason::MaxSteps;
    bool cancelled() const { return stopReason == StopReason::Cancelled; }
    bool allChecksPassed() const;
    const CheckResult* check(const std::string& name) const;
    // The token sets in step order (what render and the analyses read).
    std::vector<std::vector<int64_t>> sets() const;
};

} // namespace tempo
