#include "core/analysis/verdict.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/analysis/crossparallel.h"
#include "core/analysis/distributioncomparison.h"
#include "core/common/errors.h"

namespace tempo {

namespace {

VerdictCriterion lessThan(const std::string& name, double value, double threshold, const std::string& meaning)
{
    return {name, "<", threshold, value, value < threshold, meaning}; // NaN: not met
}

VerdictCriterion atLeast(const std::string& name, double value, double threshold, const std::string& meaning)
{
    return {name, ">=", threshold, value, value >= threshold, meaning};
}

VerdictCriterion equalTo(const std::string& name, double value, double threshold, const std::string& meaning)
{
    return {name, "==", threshold, value, value == threshold, meaning};
}

size_t topKIndex()
{
    for (size_t k = 0; k < kTopKOverlapSizes.size(); ++k)
        if (kTopKOverlapSizes[k] == kSameSelectionTopK)
            return k;
    throw InvalidArgument(expectedFound("kSameSelectionTopK", "one of the reported top-k sizes", std::to_string(kSameSelectionTopK)));
}

int64_t countMultiMemberSets(const std::vector<std::vector<int64_t>>& sets)
{
    return std::count_if(sets.begin(), sets.end(), [](const std::vector<int64_t>& s) { return s.size() >= 2; });
}

} // namespace

std::string scenarioName(Scenario scenario)
{
    switch (scenario) {
    case Scenario::A: return "A";
    case Scenario::B: return "B";
    case Scenario::C: return "C";
    case Scenario::D: return "D";
    case Scenario::Inconclusive: return "inconclusive";
    case Scenario::Control: return "control";
    }
    return "inconclusive";
}

Scenario parseScenario(const std::string& name)
{
    for (Scenario scenario : {Scenario::A, Scenario::B, Scenario::C, Scenario::D, Scenario::Inconclusive, Scenario::Control})
        if (scenarioName(scenario) == name)
            return scenario;
    throw InvalidArgument(expectedFound("scenario", "A, B, C, D, inconclusive or control", "'" + name + "'"));
}

std::string scenarioTitle(Scenario scenario)
{
    switch (scenario) {
    case Scenario::A: return "prior context dominates";
    case Scenario::B: return "subtle cross-attention";
    case Scenario::C: return "significant interaction";
    case Scenario::D: return "different logits, same top-k";
    case Scenario::Inconclusive: return "inconclusive";
    case Scenario::Control: return kControlVerdictTitle;
    }
    return "inconclusive";
}

Verdict controlVerdict(const Verdict& measured)
{
    Verdict v = measured;
    v.scenario = Scenario::Control;
    v.inconclusiveReason = std::string(kControlVerdictTitle)
        + ": the artifact control reproduces the original method (only the last member of each set reached the "
          "model, positions advanced per fed token, no sibling mask), so isolated and visible are the same "
          "computation and no scenario can be decided; the criteria below are measured on the control";
    return v;
}

const VerdictCriterion* Verdict::criterion(const std::string& name) const
{
    for (const auto& c : criteria)
        if (c.name == name)
            return &c;
    return nullptr;
}

Verdict decideScenario(const VerdictInputs& in)
{
    Verdict v;
    // Preconditions.
    const auto checksRecorded = atLeast("mechanism_checks_recorded", static_cast<double>(in.checksRun), 1.0,
                                        "mechanism checks ran for the runs compared");
    const auto checksPassed = equalTo("mechanism_checks_passed", static_cast<double>(in.failedChecks.size()), 0.0,
                                      "failed mechanism checks (must be none)");
    const auto multiMember = atLeast("multi_member_sets", static_cast<double>(in.multiMemberSets),
                                     static_cast<double>(kMinimumMultiMemberSets), "sets of >= 2 members occurred");
    const auto compared = atLeast("steps_compared", static_cast<double>(in.stepsCompared), 1.0,
                                  "steps with a readout distribution in both runs");
    const auto ratioMeasured = VerdictCriterion{"sibling_ratio_measured", "finite or +inf", 0.0, in.siblingToPriorRatio,
                                                !std::isnan(in.siblingToPriorRatio),
                                                "sibling/prior attention ratio of the visible run is defined"};
    const auto readoutsFinite = VerdictCriterion{"readout_difference_finite", "finite", 0.0, in.maxAbsProbabilityDifference,
                                                 std::isfinite(in.maxAbsProbabilityDifference),
                                                 "the readout difference is a finite number"};
    // Decision criteria.
    const auto identical = lessThan("identical", in.maxAbsProbabilityDifference, kIdenticalMaxAbsProbabilityDifference,
                                    "max |p_isolated - p_visible| over steps and tokens");
    const auto nearly = lessThan("nearly_identical", in.maxAbsProbabilityDifference,
                                 kNearlyIdenticalMaxAbsProbabilityDifference, "max |p_isolated - p_visible| over steps and tokens");
    const auto sameSets = equalTo("same_selected_sets", static_cast<double>(in.firstDifferingSetStep), -1.0,
                                  "first step whose selected sets differ (-1: none)");
    const auto sameTopK = atLeast("same_top" + std::to_string(kSameSelectionTopK), in.minTopKOverlap, 1.0,
                                  "min over steps of the top-" + std::to_string(kSameSelectionTopK) + " overlap");
    const auto prior = lessThan("prior_dominates", in.siblingToPriorRatio, kPriorDominatesSiblingToPriorRatio,
                                "mean sibling / mean prior attention mass, visible run");
    v.criteria = {checksRecorded, checksPassed, multiMember, compared, ratioMeasured, readoutsFinite,
                  identical,      nearly,       sameSets,    sameTopK, prior};

    std::vector<std::string> reasons;
    if (!checksRecorded.met)
        reasons.push_back("no mechanism checks were recorded");
    if (!checksPassed.met) {
        std::string names;
        for (const auto& n : in.failedChecks)
            names += (names.empty() ? "" : ", ") + n;
        reasons.push_back("mechanism checks failed: " + names);
    }
    if (!multiMember.met)
        reasons.push_back("no set of 2 or more members occurred, so isolated and visible runs did the same computation");
    if (!compared.met)
        reasons.push_back("no step has a readout distribution in both runs (capture logits)");
    if (!ratioMeasured.met)
        reasons.push_back("no cross-parallel attention was measured in the visible run (capture attention)");
    if (compared.met && !readoutsFinite.met)
        reasons.push_back("the readout distributions hold non-finite values");
    if (!reasons.empty()) {
        for (const auto& r : reasons)
            v.inconclusiveReason += (v.inconclusiveReason.empty() ? "" : "; ") + r;
        v.scenario = Scenario::Inconclusive;
        return v;
    }

    const bool I = identical.met;
    const bool N = nearly.met;
    const bool T = sameSets.met && sameTopK.met;
    const bool P = prior.met;
    if (!T || (!N && !P))
        v.scenario = Scenario::C;
    else if (I && P)
        v.scenario = Scenario::A;
    else if (N)
        v.scenario = Scenario::B;
    else
        v.scenario = Scenario::D; // T, not N, P
    return v;
}

VerdictInputs verdictInputs(const DistributionComparison& distributions, const CrossParallelAttention* visibleCrossParallel,
                            int64_t checksRun, const std::vector<std::string>& failedChecks,
                            const std::vector<std::vector<int64_t>>& setsA, const std::vector<std::vector<int64_t>>& setsB)
{
    VerdictInputs in;
    in.checksRun = checksRun;
    in.failedChecks = failedChecks;
    in.multiMemberSets = std::max(countMultiMemberSets(setsA), countMultiMemberSets(setsB));
    in.stepsCompared = static_cast<int64_t>(distributions.steps.size());
    in.maxAbsProbabilityDifference = distributions.maxAbsDifference;
    in.firstDifferingSetStep = distributions.firstDifferingSetStep;
    in.minTopKOverlap = distributions.minTopKOverlap[topKIndex()];
    in.siblingToPriorRatio = visibleCrossParallel && visibleCrossParallel->overall.rows > 0 ? visibleCrossParallel->overall.ratio
                                                                                            : kUndefined;
    return in;
}

namespace {

// 3 significant digits ("0.0421", "1e-06"); "n/a" when not measured.
std::string readable(double value)
{
    if (std::isnan(value))
        return "n/a";
    if (std::isinf(value))
        return value > 0 ? "infinite" : "-infinite";
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
}

std::string count(double value, const std::string& one, const std::string& many)
{
    const auto n = static_cast<int64_t>(value);
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

} // namespace

std::string criterionSentence(const std::string& name, double value, double threshold, bool met)
{
    const std::string v = readable(value), t = readable(threshold);
    if (name == "mechanism_checks_recorded")
        return met ? count(value, "mechanism check was", "mechanism checks were") + " recorded."
                   : "No mechanism checks were recorded, so nothing shows the decoding ran as designed.";
    if (name == "mechanism_checks_passed")
        return met ? "No mechanism check failed."
                   : count(value, "mechanism check", "mechanism checks") + " failed, so the runs do not measure TEMPO as designed.";
    if (name == "multi_member_sets")
        return met ? count(value, "set", "sets") + " of 2 or more members occurred."
                   : "No set of 2 or more members occurred, so the isolated and visible runs did the same computation.";
    if (name == "steps_compared")
        return met ? count(value, "step has", "steps have") + " a readout in both runs to compare."
                   : "No step has a readout in both runs (capture logits to compare them).";
    if (name == "sibling_ratio_measured")
        return met ? "Attention to siblings was measured in the visible run."
                   : "Attention to siblings could not be measured (capture attention in the visible run).";
    if (name == "readout_difference_finite")
        return met ? "The readouts of both runs are finite numbers."
                   : "The readouts hold non-finite values (NaN or infinity), so they cannot be compared.";
    if (name == "identical")
        return met ? "The readouts are identical: no token's probability differs by " + t + " or more (largest difference " +
                         v + ")."
                   : "The readouts are not identical: a token's probability differs by " + v + " between the runs (identical "
                     "means below " + t + ").";
    if (name == "nearly_identical")
        return met ? "The readouts are nearly identical: no token's probability moves by " + t + " or more."
                   : "The readouts differ noticeably: a token's probability moves by " + v + ", more than the " + t +
                         " that nearly identical allows.";
    if (name == "same_selected_sets")
        return met ? "Both runs selected the same parallel sets at every step."
                   : "The selected sets first differ at step " + v + ": seeing siblings changed what was selected.";
    if (name.rfind("same_top", 0) == 0) {
        const std::string k = name.substr(8);
        return met ? "The top " + k + " tokens agree at every compared step."
                   : "The top " + k + " tokens differ at some step (the smallest overlap is " + readable(value * 100.0) + "%).";
    }
    if (name == "prior_dominates") {
        if (std::isnan(value))
            return "Whether the prompt dominates attention is unknown: sibling attention was not measured.";
        return met ? "The prompt and earlier sets dominate attention: siblings receive " + v +
                         " times the attention the prior context gets (below " + t + ")."
                   : "Siblings receive " + v + " times the attention the prior context gets, " + t +
                         " or more, so the prior context does not dominate.";
    }
    return name + " is " + v + (met ? " (met)." : " (not met).");
}

AnalysisMetrics metrics(const Verdict& v)
{
    AnalysisMetrics out;
    double code = 0.0;
    switch (v.scenario) {
    case Scenario::A: code = 1.0; break;
    case Scenario::B: code = 2.0; break;
    case Scenario::C: code = 3.0; break;
    case Scenario::D: code = 4.0; break;
    case Scenario::Inconclusive: code = 0.0; break;
    case Scenario::Control: code = 5.0; break;
    }
    out.push_back({"verdict.scenario", code});
    for (const auto& c : v.criteria) {
        const std::string prefix = "verdict.criterion." + c.name + ".";
        out.push_back({prefix + "value", c.value});
        out.push_back({prefix + "threshold", c.threshold});
        out.push_back({prefix + "met", c.met ? 1.0 : 0.0});
    }
    return out;
}

} // namespace tempo
