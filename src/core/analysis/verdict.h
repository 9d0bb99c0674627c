#pragma once
// The scenario verdict of the original TEMPO experiment design (DESIGN.md section 2), decided
// from stated numeric criteria over the analyses of an isolated run (A) and a visible run (B).
//
// The original design (JoeLuker/tempo experiments/README.md) named four expected findings:
//   A  prior context dominates: identical readouts, no cross-parallel attention to speak of;
//   B  subtle cross-attention: members attend to siblings a little, readouts nearly identical;
//   C  significant interaction: members use their siblings and the readouts change;
//   D  different logits, same top-k: readouts differ although siblings get little attention,
//      yet the selection is unchanged (something else is going on: investigate).
// It assumed the selection never changes. Here a changed selection (a different set or top-5 at
// some step) is counted as C: sibling visibility is the only difference between the two runs, so
// a changed selection is the strongest form of interaction.
//
// Decision (I = identical, N = nearly identical, T = same selection, P = prior dominates):
//   A = T and I and P
//   B = T and N and not (I and P)
//   C = not T, or (not N and not P)
//   D = T and not N and P
// I implies N, so for every (I, N, T, P) exactly one of A-D holds (the test
// Verdict.RulesAreExclusiveAndCoverEveryCombination walks every reachable combination). Before
// any of this, the verdict is "inconclusive" when a precondition fails: no mechanism checks
// recorded, a check failed, no set of >= 2 members, no step with both readouts, no measured
// sibling/prior ratio (attention not captured), or a non-finite readout difference.

#include <cstdint>
#include <string>
#include <vector>

#include "core/analysis/analysismetric.h"
#include "core/analysis/distributioncomparison.h"

namespace tempo {

struct CrossParallelAttention;

// "identical": no token's probability differs by 1e-6 or more at any compared step. Float32
// softmax over the same inputs agrees to ~1e-7; anything larger is a real change.
inline constexpr double kIdenticalMaxAbsProbabilityDifference = kIdenticalDistributionTolerance;
static_assert(kIdenticalMaxAbsProbabilityDifference == 1e-6, "the verdict tests pin 1e-6");
// "nearly identical": no token's probability moves by a whole percentage point. That is below
// every preset threshold (0.03-0.10), so only a token sitting right at the threshold could change
// the selection.
inline constexpr double kNearlyIdenticalMaxAbsProbabilityDifference = 1e-2;
// "prior dominates": members send siblings less than a tenth of the attention mass they send to the
// prompt and earlier sets (mean sibling mass / mean prior mass over the visible run's multi-member
// sets, all members, layers and heads; see crossparallel.h).
inline constexpr double kPriorDominatesSiblingToPriorRatio = 0.1;
// "same top-k": the k used for the selection criterion, beside the selected sets themselves (the
// five most probable tokens, ties by id, agree at every compared step).
inline constexpr int64_t kSameSelectionTopK = 5;
// A verdict needs at least this many sets of >= 2 members: without one, isolated and visible runs
// are the same computation and no scenario can be told apart.
inline constexpr int64_t kMinimumMultiMemberSets = 1;

// Control: the runs are the artifact control (TempoConfig::mechanism = artifact_control), which
// reproduces the original method on purpose. Never a TEMPO result: not a scenario, not counted
// as one, and not "inconclusive" either (its criteria are still measured and stored, so a report
// can show that the control makes isolated and visible identical).
enum class Scenario { A, B, C, D, Inconclusive, Control };

// The verdict title of a control group or run, as every view prints it.
inline constexpr const char* kControlVerdictTitle = "control (artifact): not a TEMPO result";

std::string scenarioName(Scenario scenario);  // "A" .. "D", "inconclusive", "control"
Scenario parseScenario(const std::string& name); // scenarioName's inverse; throws InvalidArgument
std::string scenarioTitle(Scenario scenario); // "prior context dominates", ...

struct VerdictInputs {
    // Mechanism checks (core/tempo/checks.h) of both runs: how many ran, and the names that failed.
    int64_t checksRun = 0;
    std::vector<std::string> failedChecks;
    int64_t multiMemberSets = 0;               // sets of >= 2 members (the larger count of the two runs)
    int64_t stepsCompared = 0;                 // steps with a readout in both runs
    double maxAbsProbabilityDifference = 0.0;  // DistributionComparison::maxAbsDifference
    int64_t firstDifferingSetStep = -1;        // DistributionComparison::firstDifferingSetStep
    double minTopKOverlap = 1.0;               // min over steps of the top-kSameSelectionTopK overlap
    double siblingToPriorRatio = 0.0;          // CrossParallelAttention::overall.ratio of the visible run; NaN: not measured
};

struct VerdictCriterion {
    std::string name;       // "identical", "prior_dominates", ...
    std::string comparison; // how value is tested against threshold: "<", ">=", "=="
    double threshold = 0.0;
    double value = 0.0;     // NaN when it could not be measured
    bool met = false;
    std::string meaning;    // one line a report can print
};

struct Verdict {
    Scenario scenario = Scenario::Inconclusive;
    std::string inconclusiveReason; // empty unless inconclusive; every failed precondition, "; "-joined
    std::vector<VerdictCriterion> criteria; // preconditions first, then the decision criteria
    const VerdictCriterion* criterion(const std::string& name) const;
};

Verdict decideScenario(const VerdictInputs& inputs);

// The verdict of artifact-control runs: `measured` (what decideScenario gave on them) with scenario
// Control and inconclusiveReason saying why it is not a TEMPO result; the criteria are kept.
Verdict controlVerdict(const Verdict& measured);

// One plain sentence on what a criterion measured and what that means for the verdict, for
// reports and the CLI: "The selected sets first differ at step 3: sibling visibility changed what
// was selected." instead of "same_selected_sets = 3 (needs == -1)". Takes the fields a
// VerdictCriterion has and a notebook stores, so stored verdicts read the same.
std::string criterionSentence(const std::string& name, double value, double threshold, bool met);
inline std::string criterionSentence(const VerdictCriterion& c)
{
    return criterionSentence(c.name, c.value, c.threshold, c.met);
}

// Gathers the inputs from the analyses: distributions of isolated vs visible, the visible run's
// cross-parallel attention (nullptr when attention was not captured: the ratio is then NaN),
// the checks, and both runs' selected sets.
VerdictInputs verdictInputs(const DistributionComparison& distributions, const CrossParallelAttention* visibleCrossParallel,
                            int64_t checksRun, const std::vector<std::string>& failedChecks,
                            const std::vector<std::vector<int64_t>>& setsA, const std::vector<std::vector<int64_t>>& setsB);

// verdict.scenario (1-4 for A-D, 0 inconclusive, 5 control); verdict.criterion.<name>.{value, threshold, met}.
AnalysisMetrics metrics(const Verdict& verdict);

} // namespace tempo
