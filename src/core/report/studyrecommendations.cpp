// The recommendations of a study report: each one is a rule over StudyReportData with its cut-off
// stated in the sentence, in a fixed order (mechanism problems first, then what the verdict means,
// then what would make the numbers firmer).
#include <algorithm>
#include <cmath>

#include "core/report/studyreport.h"

namespace tempo::report {

namespace {
namespace studyrules { // unity builds: names unique within tempo_report

std::string n(std::int64_t value) { return std::to_string(value); }
std::string v(double value) { return formatNumber(value); }
std::string pct(double share) { return std::isfinite(share) ? formatNumber(100.0 * share, 3) + "%" : "n/a"; }

const FamilyScenario* everyFamily(const StudyReportData& d)
{
    for (const auto& f : d.exp2.families)
        if (f.family.empty())
            return &f;
    return nullptr;
}

void mechanismRules(const StudyReportData& d, std::vector<std::string>& out)
{
    if (const std::int64_t failed = d.tempoChecksFailed(); failed > 0)
        out.push_back("Fix the decoder before using these findings: " + n(failed) +
                      " mechanism check(s) failed in the TEMPO sweeps (rule: any failed check invalidates the runs it "
                      "belongs to).");
    std::int64_t ropeFailed = 0;
    double worst = 0.0, tolerance = 0.0;
    for (const auto& r : d.exp4.runs) {
        ropeFailed += r.passed ? 0 : 1;
        if (!r.passed) {
            worst = std::max(worst, r.maxLogicalError);
            tolerance = std::max(tolerance, r.tolerance);
        }
    }
    if (ropeFailed > 0)
        out.push_back("Fix the KV cache positions: " + n(ropeFailed) + " of " + n(static_cast<std::int64_t>(d.exp4.runs.size())) +
                      " runs failed the RoPE inspection (largest logical error " + v(worst) + ", tolerance " + v(tolerance) +
                      ").");
    double leak = 0.0;
    for (const auto& p : d.exp1.sibling1a)
        if (p.value.n > 0)
            leak = std::max(leak, std::fabs(p.value.mean));
    if (leak > kIsolationLeakTolerance)
        out.push_back("Fix the isolation mask: 1a members send hidden siblings up to " + v(leak) +
                      " of their attention mass (rule: at most " + v(kIsolationLeakTolerance) + ").");
    if (d.control.present && !d.control.rows.empty()) {
        const auto& all = d.control.rows.back();
        if (all.controlIdentical < all.controlPoints)
            out.push_back("Check the artifact control: its isolated and visible readouts differ in " +
                          n(all.controlPoints - all.controlIdentical) + " of " + n(all.controlPoints) +
                          " points (rule: every control point identical, max |dp| < " + v(kControlIdenticalTolerance) +
                          "), so it does not reproduce the original method.");
    }
    if (d.exp5.present && d.exp5.nonFiniteValues > 0)
        out.push_back("Investigate numerical health under wide sets: " + n(d.exp5.nonFiniteValues) +
                      " NaN/Inf values among the readouts of preset 5 (rule: any non-finite value), widest set " +
                      n(d.exp5.maxWidth) + ".");
}

void verdictRules(const StudyReportData& d, std::vector<std::string>& out)
{
    const FamilyScenario* all = everyFamily(d);
    if (!d.exp2.present || !all)
        return;
    const ScenarioSupport s = supportedScenario(*all);
    const std::string basis = " (" + n(s.count) + " of " + n(s.decided) + " decided pairs, " + pct(s.share) +
                              "; rule: more than " + pct(kStudyMajorityShare) + ")";
    if (s.scenario == "A")
        out.push_back("Isolated and visible decoding are interchangeable for this model and suite: scenario A" + basis +
                      ", max |dp| mean " + estimateText(all->maxAbsDiff) + ".");
    else if (s.scenario == "B")
        out.push_back("Either sibling mode may be used, but say which: scenario B" + basis +
                      "; in a B pair the readouts move by less than " + v(kNearlyIdenticalMaxAbsProbabilityDifference) +
                      " and the selection does not change (max |dp| over every pair: mean " +
                      estimateText(all->maxAbsDiff) + ").");
    else if (s.scenario == "C")
        out.push_back("Treat isolated and visible as different decoders and state the sibling mode with every TEMPO result: "
                      "scenario C" + basis + ", share of pairs with a changed selection " +
                      estimateText(all->selectionChanged) + ".");
    else if (s.scenario == "D")
        out.push_back("Investigate where the readout difference comes from: scenario D" + basis + ", max |dp| mean " +
                      estimateText(all->maxAbsDiff) + " while the sibling / prior ratio is " +
                      estimateText(all->siblingRatio) + " and the selection is unchanged.");
    else if (s.scenario == "mixed")
        out.push_back("Report the findings per family and threshold rather than as one verdict: no scenario holds for more "
                      "than " + pct(kStudyMajorityShare) + " of the " + n(s.decided) + " decided pairs (the most frequent, " +
                      s.leading + ", for " + pct(s.share) + ").");
    const std::int64_t inconclusive = all->verdicts.count("inconclusive") ? all->verdicts.at("inconclusive") : 0;
    if (all->points > 0 && 2 * inconclusive > all->points)
        out.push_back("Make more pairs decidable: " + n(inconclusive) + " of " + n(all->points) +
                      " pairs are inconclusive (rule: more than half); lower the thresholds so that more steps have sets of "
                      "2 or more members, or fix the failed checks.");
    if (familiesDiffer(d.exp2.families)) {
        std::string list;
        for (const auto& f : d.exp2.families)
            if (!f.family.empty()) {
                const ScenarioSupport fs = supportedScenario(f);
                list += (list.empty() ? "" : ", ") + f.family + " " + (fs.scenario == "mixed" ? "no majority" : fs.scenario);
            }
        out.push_back("Do not pool the prompt families: they support different outcomes (" + list + ").");
    }
}

void precisionRules(const StudyReportData& d, std::vector<std::string>& out)
{
    for (const auto& f : d.exp2.families) {
        if (f.family.empty())
            continue;
        const ScenarioSupport s = supportedScenario(f);
        if (s.decided < kStudyMinimumFamilyPoints)
            out.push_back("Add prompts to the family " + f.family + ": it has " + n(s.decided) +
                          " decided pairs (rule: at least " + n(kStudyMinimumFamilyPoints) +
                          "), so its share and intervals rest on few points.");
    }
    std::int64_t atCap = 0;
    for (const auto& wd : d.exp5.widths)
        atCap += wd.stepsAtCap;
    if (!d.widthCaps.empty() || atCap > 0)
        out.push_back("Measure wide sets without a cap: " + n(static_cast<std::int64_t>(d.widthCaps.size())) +
                      " run(s) had max_width lowered and " + n(atCap) +
                      " step(s) of preset 5 reached the cap (rule: any capped run or step); use a model with more positions "
                      "or fewer steps at the lowest thresholds.");
}

} // namespace studyrules
} // namespace

std::vector<std::string> studyRecommendations(const StudyReportData& data)
{
    std::vector<std::string> out;
    studyrules::mechanismRules(data, out);
    studyrules::verdictRules(data, out);
    studyrules::precisionRules(data, out);
    return out;
}

} // namespace tempo::report
