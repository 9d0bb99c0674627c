#pragma once
// The settings of one TEMPO run (DESIGN.md section 1). validate() refuses out-of-range values
// with a message naming the field, the value and the accepted range, before any forward runs.
//
// Part of the run record (runconfig.h): the notebook stores and reads these settings without
// LibTorch. The two members that need a model's config (validate(model, promptLength),
// resolvedKeysLayer) are defined beside the rule they apply, in core/tempo/runlimits.cpp
// (tempo_decode): call them from code that links the decoder.

#include <cstdint>
#include <string>

namespace tempo {

struct LlamaConfig;

// How members of one parallel set see each other.
enum class SiblingMode {
    Isolated, // a member attends to itself only among its siblings
    Visible,  // a member attends to itself and the siblings before it (causal order)
};

// How the next distribution is read from the outputs of a set.
enum class Readout {
    Mean, // mean of the members' softmax distributions
    Last, // softmax at the last member
};

// What reaches the model for a selected set.
enum class Mechanism {
    // TEMPO as designed: every member is fed at its step's one logical position, with the mode's
    // sibling mask, and the next distribution is read from the members (readout).
    Tempo,
    // The artifact control: the original Python project's method, reproduced on purpose and
    // labelled. Selection as usual, but only the last member of each set is fed, its position id
    // is its physical slot (positions advance per fed token), the mask is plain causal (no sibling
    // block) and the next distribution is that one token's. Isolated and visible are therefore the
    // same computation. Its runs are a control, never a TEMPO result (checks fail and say why).
    ArtifactControl,
};

std::string siblingModeName(SiblingMode mode); // "isolated" | "visible"
std::string readoutName(Readout readout);      // "mean" | "last"
SiblingMode parseSiblingMode(const std::string& text); // throws InvalidArgument
Readout parseReadout(const std::string& text);         // throws InvalidArgument
std::string mechanismName(Mechanism mechanism);        // "tempo" | "artifact_control"
// throws InvalidArgument naming the accepted words ("tempo" or "artifact_control")
Mechanism parseMechanism(const std::string& text);
// "artifact_control" is stored (JSON key "mechanism") only when it is not the default "tempo".
inline constexpr const char* kMechanismKey = "mechanism";
// The one label every view shows for a control run (CLI, window, reports).
inline constexpr const char* kArtifactControlLabel = "CONTROL: artifact (original method)";
// What the label means, in one line (printed after it where there is room).
inline constexpr const char* kArtifactControlMeaning =
    "only the last member of each set reached the model, positions advanced per fed token, no sibling mask; "
    "isolated and visible are the same computation; not a TEMPO result";

// Deliberate faults for tests only: each breaks one property a mechanism check guards, so the
// tests can show that every check is able to fail. Never set outside tests.
struct TempoFaultInjection {
    // The original Python bug: only the last member of each set reaches the model.
    bool feedOnlyLastMember = false;
    // Member i of a set gets position id logical + i instead of one shared id.
    bool spreadSiblingPositions = false;
    // Every fed token gets its physical slot as position id (RoPE by slot, not by step).
    bool rotateByPhysicalSlot = false;
    // Build the sibling block of each set's mask for the other mode.
    bool swapSiblingMask = false;
    // Overwrite one logit of the forward that feeds this step's set with NaN (-1: never).
    int64_t nanLogitsAtStep = -1;

    bool any() const
    {
        return feedOnlyLastMember || spreadSiblingPositions || rotateByPhysicalSlot || swapSiblingMask
            || nanLogitsAtStep >= 0;
    }
};

struct TempoConfig {
    double threshold = 0.1;      // 0 < t <= 1: members are the tokens with p >= threshold
    int64_t maxWidth = 32;       // >= 1: cap on the size of a parallel set
    SiblingMode mode = SiblingMode::Isolated;
    Readout readout = Readout::Mean;
    int64_t maxSteps = 10;       // >= 1
    bool stopAtEos = true;       // stop when a set is exactly {eos}
    // Added to every logical position (prompt and steps). RoPE is relative, so a run must not
    // depend on it; the position-shift control sets it. >= 0.
    int64_t positionOffset = 0;
    // The layer whose keys are captured (kv capture) and checked by rope_rotation. -1: last layer.
    int64_t keysLayer = 0;
    // Tempo, or the labelled artifact control (which needs positionOffset 0: the original method
    // passed no position ids, so positions are physical slots).
    Mechanism mechanism = Mechanism::Tempo;

    bool isArtifactControl() const { return mechanism == Mechanism::ArtifactControl; }

    TempoFaultInjection faultsForTesting;

    // Ranges that need no model: threshold, maxWidth, maxSteps, positionOffset.
    void validate() const;
    // Everything, including that the run fits the model: validateRunFits (runlimits.h).
    void validate(const LlamaConfig& model, int64_t promptLength) const;

    // The widest set this config can select: at most floor(1 / threshold) tokens can each have
    // p >= threshold (probabilities sum to 1), and never more than maxWidth.
    int64_t widestSet() const;
    // KV cache slots a run over `promptLength` prompt tokens can fill.
    int64_t cacheSlotsNeeded(int64_t promptLength) const { return promptLength + maxSteps * widestSet(); }

    int64_t resolvedKeysLayer(const LlamaConfig& model) const;
};

} // namespace tempo
