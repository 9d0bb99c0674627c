// Scenario verdict, table-driven: the four scenarios, every inconclusive precondition, and both
// sides of each criterion's threshold.
#include <cctype>
#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "core/analysis/crossparallel.h"
#include "core/analysis/distributioncomparison.h"
#include "core/analysis/verdict.h"
#include "core/common/errors.h"

namespace tempo {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Case {
    const char* name;
    int64_t checksRun;
    std::vector<std::string> failedChecks;
    int64_t multiMemberSets;
    int64_t stepsCompared;
    double maxAbsDp;
    int64_t firstDifferingSetStep;
    double minTop5Overlap;
    double ratio; // sibling / prior
    Scenario expected;
};

VerdictInputs inputsOf(const Case& c)
{
    VerdictInputs in;
    in.checksRun = c.checksRun;
    in.failedChecks = c.failedChecks;
    in.multiMemberSets = c.multiMemberSets;
    in.stepsCompared = c.stepsCompared;
    in.maxAbsProbabilityDifference = c.maxAbsDp;
    in.firstDifferingSetStep = c.firstDifferingSetStep;
    in.minTopKOverlap = c.minTop5Overlap;
    in.siblingToPriorRatio = c.ratio;
    return in;
}

const Scenario A = Scenario::A;
const Scenario B = Scenario::B;
const Scenario C = Scenario::C;
const Scenario D = Scenario::D;
const Scenario X = Scenario::Inconclusive;

// Thresholds under test: identical max|dp| < 1e-6, nearly identical < 1e-2, prior dominates ratio
// < 0.1, same selection = no differing set step and top-5 overlap >= 1, >= 1 multi-member set.
const Case kCases[] = {
    // name                               checks failed        multi steps  max|dp|   diffSet top5  ratio  expected
    {"A identical, prior dominates",      5, {},                2,   10,    0.0,      -1,     1.0,  0.05,  A},
    {"B small dp, prior dominates",       5, {},                2,   10,    1e-3,     -1,     1.0,  0.05,  B},
    {"B identical, siblings attended",    5, {},                2,   10,    0.0,      -1,     1.0,  0.5,   B},
    {"B small dp, siblings attended",     5, {},                2,   10,    1e-3,     -1,     1.0,  0.5,   B},
    {"C large dp, siblings attended",     5, {},                2,   10,    0.05,     -1,     1.0,  0.5,   C},
    {"C selected set changed",            5, {},                2,   10,    1e-3,     3,      1.0,  0.05,  C},
    {"C top-5 changed",                   5, {},                2,   10,    0.05,     -1,     0.8,  0.05,  C},
    {"C set changed with identical-ish",  5, {},                2,   10,    0.0,      0,      1.0,  0.05,  C},
    {"D large dp, prior dominates",       5, {},                2,   10,    0.05,     -1,     1.0,  0.05,  D},
    // Inconclusive preconditions.
    {"X a mechanism check failed",        5, {"sibling_attention"}, 2, 10,  0.0,      -1,     1.0,  0.05,  X},
    {"X no checks recorded",              0, {},                2,   10,    0.0,      -1,     1.0,  0.05,  X},
    {"X no multi-member set",             5, {},                0,   10,    0.0,      -1,     1.0,  kNaN,  X},
    {"X no compared steps",               5, {},                2,   0,     kNaN,     -1,     kNaN, 0.05,  X},
    {"X ratio not measured",              5, {},                2,   10,    0.0,      -1,     1.0,  kNaN,  X},
    {"X non-finite readouts",             5, {},                2,   10,    kNaN,     -1,     1.0,  0.05,  X},
    // Boundaries of each criterion.
    {"identical: dp == 1e-6 is not",      5, {},                2,   10,    1e-6,     -1,     1.0,  0.05,  B},
    {"identical: dp just below 1e-6",     5, {},                2,   10,    0.999e-6, -1,     1.0,  0.05,  A},
    {"nearly: dp == 1e-2 is not",         5, {},                2,   10,    1e-2,     -1,     1.0,  0.05,  D},
    {"nearly: dp just below 1e-2",        5, {},                2,   10,    0.00999,  -1,     1.0,  0.05,  B},
    {"prior: ratio == 0.1 is not",        5, {},                2,   10,    0.0,      -1,     1.0,  0.1,   B},
    {"prior: ratio just below 0.1",       5, {},                2,   10,    0.0,      -1,     1.0,  0.0999, A},
    {"prior: ratio == 0.1, large dp",     5, {},                2,   10,    0.05,     -1,     1.0,  0.1,   C},
    {"prior: ratio +inf (prior 0)",       5, {},                2,   10,    0.05,     -1,     1.0,  kInf,  C},
    {"top5: overlap just below 1",        5, {},                2,   10,    0.0,      -1,     0.999, 0.05, C},
    {"multi: exactly 1 set suffices",     1, {},                1,   1,     0.0,      -1,     1.0,  0.0,   A},
    {"sets: first step 0 differs",        5, {},                2,   10,    0.05,     0,      1.0,  0.5,   C},
};

TEST(Verdict, Table)
{
    for (const Case& c : kCases) {
        const Verdict v = decideScenario(inputsOf(c));
        EXPECT_EQ(scenarioName(v.scenario), scenarioName(c.expected)) << c.name << " (reason: " << v.inconclusiveReason << ")";
        EXPECT_EQ(v.inconclusiveReason.empty(), c.expected != Scenario::Inconclusive) << c.name;
    }
}

TEST(Verdict, CriteriaCarryNumbers)
{
    const Verdict v = decideScenario(inputsOf(kCases[1])); // B: max|dp| = 1e-3, ratio 0.05
    const VerdictCriterion* identical = v.criterion("identical");
    const VerdictCriterion* nearly = v.criterion("nearly_identical");
    const VerdictCriterion* prior = v.criterion("prior_dominates");
    const VerdictCriterion* top5 = v.criterion("same_top5");
    ASSERT_TRUE(identical && nearly && prior && top5 && v.criterion("same_selected_sets"));
    EXPECT_DOUBLE_EQ(identical->threshold, 1e-6);
    EXPECT_DOUBLE_EQ(identical->value, 1e-3);
    EXPECT_FALSE(identical->met);
    EXPECT_DOUBLE_EQ(nearly->threshold, 1e-2);
    EXPECT_TRUE(nearly->met);
    EXPECT_DOUBLE_EQ(prior->threshold, 0.1);
    EXPECT_DOUBLE_EQ(prior->value, 0.05);
    EXPECT_TRUE(prior->met);
    EXPECT_EQ(prior->comparison, "<");
    EXPECT_TRUE(top5->met);
}

TEST(Verdict, InconclusiveReasonNamesEveryFailedPrecondition)
{
    VerdictInputs in = inputsOf(kCases[0]);
    in.failedChecks = {"shared_positions", "rope_rotation"};
    in.multiMemberSets = 0;
    const Verdict v = decideScenario(in);
    EXPECT_EQ(v.scenario, Scenario::Inconclusive);
    EXPECT_NE(v.inconclusiveReason.find("shared_positions, rope_rotation"), std::string::npos) << v.inconclusiveReason;
    EXPECT_NE(v.inconclusiveReason.find("no set of 2 or more members"), std::string::npos) << v.inconclusiveReason;
    EXPECT_FALSE(v.criterion("mechanism_checks_passed")->met);
    EXPECT_DOUBLE_EQ(v.criterion("mechanism_checks_passed")->value, 2.0);
}

// Every reachable combination of (identical, nearly identical, same selection, prior dominates)
// lands in exactly one scenario, the one the rules in verdict.h give (evaluated here on the four
// booleans independently of decideScenario).
TEST(Verdict, RulesAreExclusiveAndCoverEveryCombination)
{
    for (int dpLevel = 0; dpLevel < 3; ++dpLevel)         // identical, nearly, different
        for (int same = 0; same < 2; ++same)
            for (int prior = 0; prior < 2; ++prior) {
                const bool I = dpLevel == 0;
                const bool N = dpLevel <= 1;
                const bool T = same == 1;
                const bool P = prior == 1;
                const bool a = T && I && P;
                const bool b = T && N && !(I && P);
                const bool c = !T || (!N && !P);
                const bool d = T && !N && P;
                ASSERT_EQ(int(a) + int(b) + int(c) + int(d), 1) << dpLevel << same << prior;
                const Scenario expected = a ? Scenario::A : b ? Scenario::B : c ? Scenario::C : Scenario::D;

                VerdictInputs in = inputsOf(kCases[0]);
                in.maxAbsProbabilityDifference = dpLevel == 0 ? 0.0 : dpLevel == 1 ? 1e-3 : 0.2;
                in.firstDifferingSetStep = T ? -1 : 4;
                in.siblingToPriorRatio = P ? 0.01 : 0.9;
                EXPECT_EQ(decideScenario(in).scenario, expected) << "dp level " << dpLevel << ", same " << same << ", prior " << prior;
            }
}

TEST(Verdict, InputsGatheredFromTheAnalyses)
{
    DistributionComparison d;
    d.steps.resize(3);
    d.maxAbsDifference = 0.004;
    d.minTopKOverlap = {1.0, 0.8, 0.9, 0.95}; // k = 1, 5, 10, 20: the verdict reads k = 5
    d.firstDifferingSetStep = -1;
    CrossParallelAttention cp;
    cp.sets.resize(1);
    cp.overall.rows = 8;
    cp.overall.ratio = 0.3;
    const VerdictInputs in = verdictInputs(d, &cp, 10, {}, {{1}, {2, 3}}, {{1}, {2, 3}, {4, 5}});
    EXPECT_EQ(in.stepsCompared, 3);
    EXPECT_DOUBLE_EQ(in.minTopKOverlap, 0.8);
    EXPECT_DOUBLE_EQ(in.siblingToPriorRatio, 0.3);
    EXPECT_EQ(in.multiMemberSets, 2); // the larger count of the two runs
    EXPECT_DOUBLE_EQ(in.maxAbsProbabilityDifference, 0.004);
    EXPECT_TRUE(std::isnan(verdictInputs(d, nullptr, 10, {}, {}, {}).siblingToPriorRatio));
}

TEST(Verdict, NamesAndMetrics)
{
    EXPECT_EQ(scenarioTitle(Scenario::A), "prior context dominates");
    EXPECT_EQ(scenarioTitle(Scenario::D), "different logits, same top-k");
    const AnalysisMetrics m = metrics(decideScenario(inputsOf(kCases[8]))); // D
    ASSERT_FALSE(m.empty());
    EXPECT_EQ(m[0].name, "verdict.scenario");
    EXPECT_DOUBLE_EQ(m[0].value, 4.0);
    bool found = false;
    for (const auto& x : m)
        if (x.name == "verdict.criterion.prior_dominates.met") {
            found = true;
            EXPECT_DOUBLE_EQ(x.value, 1.0);
        }
    EXPECT_TRUE(found);
}

TEST(Verdict, ArtifactControlIsNeitherAScenarioNorInconclusiveAndKeepsItsCriteria)
{
    // Whatever the measurement decided (here A), the control's verdict is Control.
    const Verdict measured = decideScenario(inputsOf(kCases[0]));
    ASSERT_EQ(measured.scenario, Scenario::A);
    const Verdict control = controlVerdict(measured);
    EXPECT_EQ(control.scenario, Scenario::Control);
    EXPECT_EQ(scenarioName(control.scenario), "control");
    EXPECT_EQ(parseScenario("control"), Scenario::Control);
    EXPECT_EQ(scenarioTitle(Scenario::Control), "control (artifact): not a TEMPO result");
    EXPECT_EQ(control.inconclusiveReason.rfind("control (artifact): not a TEMPO result: ", 0), 0u) << control.inconclusiveReason;
    EXPECT_NE(control.inconclusiveReason.find("only the last member of each set reached the model"), std::string::npos);
    ASSERT_EQ(control.criteria.size(), measured.criteria.size());
    for (size_t i = 0; i < control.criteria.size(); ++i) {
        EXPECT_EQ(control.criteria[i].name, measured.criteria[i].name);
        EXPECT_EQ(control.criteria[i].met, measured.criteria[i].met);
    }
    const AnalysisMetrics m = metrics(control);
    ASSERT_FALSE(m.empty());
    EXPECT_EQ(m[0].name, "verdict.scenario");
    EXPECT_DOUBLE_EQ(m[0].value, 5.0);
    // An inconclusive measurement becomes Control too (a control is never "inconclusive TEMPO").
    EXPECT_EQ(controlVerdict(decideScenario(VerdictInputs{})).scenario, Scenario::Control);
    try {
        parseScenario("E");
        FAIL() << "accepted scenario E";
    } catch (const InvalidArgument& error) {
        EXPECT_NE(std::string(error.what()).find("A, B, C, D, inconclusive or control"), std::string::npos) << error.what();
    }
}

TEST(Verdict, CriteriaReadAsPlainSentences)
{
    // Every criterion of a decided and of an inconclusive verdict, met or not: a sentence that
    // starts with a capital (or a count) and ends with a full stop, with no identifier, operator or "needs".
    VerdictInputs changed = inputsOf(kCases[0]);
    changed.firstDifferingSetStep = 3;
    changed.maxAbsProbabilityDifference = 0.042;
    changed.minTopKOverlap = 0.6;
    changed.siblingToPriorRatio = 0.42;
    VerdictInputs empty;
    empty.siblingToPriorRatio = std::nan("");
    empty.failedChecks = {"finite"};
    for (const VerdictInputs& in : {inputsOf(kCases[0]), changed, empty}) {
        for (const auto& c : decideScenario(in).criteria) {
            const std::string text = criterionSentence(c);
            SCOPED_TRACE(c.name + ": " + text);
            ASSERT_FALSE(text.empty());
            const auto first = static_cast<unsigned char>(text.front());
            EXPECT_TRUE(std::isupper(first) || std::isdigit(first)) << "a capital or a count first";
            EXPECT_EQ(text.back(), '.');
            EXPECT_EQ(text.find('_'), std::string::npos);
            EXPECT_EQ(text.find("=="), std::string::npos);
            EXPECT_EQ(text.find("needs"), std::string::npos);
        }
    }
    const Verdict v = decideScenario(changed);
    EXPECT_EQ(criterionSentence(*v.criterion("same_selected_sets")),
              "The selected sets first differ at step 3: seeing siblings changed what was selected.");
    EXPECT_EQ(criterionSentence(*v.criterion("same_top5")), "The top 5 tokens differ at some step (the smallest overlap is 60%).");
    EXPECT_NE(criterionSentence(*v.criterion("prior_dominates")).find("0.42 times"), std::string::npos);
}

} // namespace
} // namespace tempo
