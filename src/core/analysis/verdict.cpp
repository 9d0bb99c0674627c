#include "core/analysis/verdict.h"

#include <algorithm>
#include <cmath>
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
    }
    return "inconclusive";
}

std::string scenarioTitle(Scenario scenario)
{
    switch (scenario) {
    case Scenario::A: return "prior context dominates";
    case Scenario::B: return "subtle cross-attention";
    case Scenario::C: return "significant interaction";
    case Scenario::D: return "different logits, same top-k";
    case Scenario::Inconclusive: return "inconclusive";
    }
    return "inconclusive";
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
