#pragma once
// The TEMPO decode loop of DESIGN.md section 1: prefill, then per step select the parallel set,
// feed every member in one forward at one logical position with the mode's sibling mask, read
// the next distribution out, and stop on {eos} or max_steps. The mechanism checks are computed
// and recorded with every run; captures are kept only when the caller asks for them.
//
// Under Mechanism::ArtifactControl the loop reproduces the original project's method instead:
// the same selection, but only the last member of each set is fed, at its physical slot as
// position id, under a plain causal mask, and the next distribution is that token's. Step records
// still list every selected member (memberSlots -1 for the unfed ones); the checks that guard the
// real mechanism fail and say why (checks.h asArtifactControlCheck).

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/tempo/records.h"
#include "core/runrecord/tempoconfig.h"

namespace tempo {

class LlamaModel;

struct RunControl {
    // Called on the decoding thread after each step's forward with the step's complete record
    // (the same record the run's `steps` keeps).
    std::function<void(const StepRecord&)> onStep;
    // Checked before every forward; when set, the run stops and returns what it produced,
    // with stopReason Cancelled (the checks cover what was fed).
    const std::atomic<bool>* cancel = nullptr;
};

class TempoDecoder {
public:
    explicit TempoDecoder(const LlamaModel& model) : model_(model) {}

    // promptIds: the encoded prompt (with BOS if the tokenizer adds one). Throws InvalidArgument
    // on a bad config or ids outside the vocabulary.
    TempoRun run(const std::vector<int64_t>& promptIds, const TempoConfig& config,
                 const CaptureOptions& captures = {}, const RunControl& control = {}) const;

private:
    const LlamaModel& model_;
};

} // namespace tempo
