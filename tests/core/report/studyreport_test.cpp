// The findings report of a study built from StudyReportData: golden Markdown of a small study
// (tests/core/report/golden/study.md, reviewed by hand once), determinism, and the rules that pick
// its sentences (scenario per family, families agree or differ, recommendations) changing with
// the numbers. The data is constructed field by field (studyfixture.h): the loader from a real
// study's notebook is tested in tests/render with the study runner.
#include <cstdlib>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "core/report/studyreport.h"
#include "reportfixture.h"
#include "studyfixture.h"
#include "support/testsupport.h"

namespace tempo::test {
namespace {

using report::FamilyScenario;
using report::StudyReportData;

std::string studySection(const std::string& markdown, const std::string& heading)
{
    const auto start = markdown.find(heading + "\n");
    if (start == std::string::npos)
        return "";
    const auto end = markdown.find("\n## ", start + heading.size());
    return markdown.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

bool anyContains(const std::vector<std::string>& lines, const std::string& part)
{
    for (const auto& line : lines)
        if (contains(line, part))
            return true;
    return false;
}

TEST(StudyReport, golden)
{
    const std::string markdown = report::buildStudyMarkdown(tinyStudyReportData());
    const auto file = goldenFolder() / "study.md";
    if (std::getenv("TEMPO_UPDATE_GOLDEN")) {
        std::ofstream(file, std::ios::binary) << markdown;
        GTEST_SKIP() << "rewrote " << file << "; review it by hand";
    }
    const std::string expected = readText(file);
    ASSERT_FALSE(expected.empty()) << "missing golden file " << file;
    if (markdown != expected) {
        size_t i = 0;
        while (i < markdown.size() && i < expected.size() && markdown[i] == expected[i])
            ++i;
        const auto lineStart = markdown.rfind('\n', i);
        FAIL() << "study.md differs at byte " << i << ": built '" << markdown.substr(lineStart + 1, 160) << "'";
    }
}

TEST(StudyReport, sameDataGivesByteIdenticalMarkdown)
{
    const StudyReportData data = tinyStudyReportData();
    const StudyReportData copy = data;
    EXPECT_EQ(report::buildStudyMarkdown(data), report::buildStudyMarkdown(copy));
    EXPECT_EQ(report::buildStudyMarkdown(data), report::buildStudyMarkdown(tinyStudyReportData()));
}

TEST(StudyReport, everySectionAndEveryExperimentIsThere)
{
    const std::string md = report::buildStudyMarkdown(tinyStudyReportData());
    for (const char* heading :
         {"## Executive summary", "## Key findings", "### Experiments 1a and 1b", "### Experiment 2", "### Experiment 3",
          "### Experiment 4", "### Experiment 5", "## Scenario analysis", "## Artifact control vs real mechanism",
          "## Technical details", "## Recommendations", "## Limitations", "## Files"})
        EXPECT_TRUE(contains(md, std::string(heading))) << heading;
}

TEST(StudyReport, figuresCarryTheirNumbersAndUniqueFiles)
{
    const report::ReportDocument document = report::buildStudyReportDocument(tinyStudyReportData());
    std::set<std::string> files;
    int figures = 0;
    for (const auto& block : document.blocks) {
        if (block.kind != report::Block::Kind::Figure)
            continue;
        ++figures;
        ASSERT_TRUE(block.spec.has_value()) << block.imagePath;
        EXPECT_EQ(block.imagePath, "charts/" + block.spec->id + ".png");
        EXPECT_TRUE(files.insert(block.imagePath).second) << "two figures write " << block.imagePath;
        EXPECT_FALSE(block.spec->series.empty()) << block.imagePath;
    }
    // 1a/1b (2), 2 (1), 3 (2), 4 (1), 5 (2), scenarios (1), control (1)
    EXPECT_EQ(figures, 10);
    // The divergence chart holds the means and intervals of the data, step by step.
    const StudyReportData data = tinyStudyReportData();
    for (const auto& block : document.blocks)
        if (block.spec && block.spec->id == "exp2_divergence") {
            const auto& kl = block.spec->series.front();
            ASSERT_EQ(kl.y.size(), data.exp2.klIsolatedVisible.size());
            EXPECT_DOUBLE_EQ(kl.y[1], data.exp2.klIsolatedVisible[1].value.mean);
            EXPECT_DOUBLE_EQ(kl.low[1], data.exp2.klIsolatedVisible[1].value.ciLow);
            EXPECT_DOUBLE_EQ(kl.high[1], data.exp2.klIsolatedVisible[1].value.ciHigh);
        }
}

// A width no step had is drawn as 0, so the line does not jump from width 3 to width 5 as if
// widths in between had happened.
TEST(StudyReport, theWidthDistributionHasEveryWidthUpToTheWidest)
{
    const StudyReportData data = tinyStudyReportData();
    const report::ReportDocument document = report::buildStudyReportDocument(data);
    std::int64_t widest = 0;
    for (const auto& wd : data.exp5.widths)
        for (const auto& [width, n] : wd.stepsByWidth)
            widest = std::max<std::int64_t>(widest, width);
    ASSERT_GT(widest, 4);
    bool found = false;
    for (const auto& block : document.blocks) {
        if (!block.spec || block.spec->id != "exp5_width_distribution")
            continue;
        found = true;
        ASSERT_EQ(block.spec->series.size(), data.exp5.widths.size());
        for (size_t t = 0; t < data.exp5.widths.size(); ++t) {
            const auto& series = block.spec->series[t];
            const auto& counts = data.exp5.widths[t].stepsByWidth;
            std::int64_t steps = 0;
            for (const auto& [width, n] : counts)
                steps += n;
            ASSERT_EQ(series.x.size(), static_cast<size_t>(widest)) << series.name;
            for (std::int64_t width = 1; width <= widest; ++width) {
                EXPECT_EQ(series.x[static_cast<size_t>(width - 1)], static_cast<double>(width));
                const auto it = counts.find(width);
                const double expected = it == counts.end() ? 0.0 : static_cast<double>(it->second) / static_cast<double>(steps);
                EXPECT_DOUBLE_EQ(series.y[static_cast<size_t>(width - 1)], expected) << series.name << " width " << width;
            }
        }
    }
    EXPECT_TRUE(found);
}

// Pairs whose attention was no longer stored when they were compared are counted, not hidden.
TEST(StudyReport, attentionPairsSayHowManyWereCompared)
{
    StudyReportData data = tinyStudyReportData();
    const std::string all = report::buildStudyMarkdown(data);
    EXPECT_TRUE(contains(all, "over 6 pairs (same prompt and threshold): mean")) << studySection(all, "## Experiment 1");
    data.exp1.pairs = 9; // three more pairs, without an attention comparison
    const std::string some = report::buildStudyMarkdown(data);
    EXPECT_TRUE(contains(some, "over 9 pairs (same prompt and threshold; 6 of them compared, the others' attention was no "
                               "longer stored): mean"));
}

TEST(StudyReport, aBuildWithoutQtNamesTheChartsItCannotDraw)
{
    const auto document = report::buildStudyReportDocument(tinyStudyReportData(), report::ChartDrawing::NotDrawn);
    const std::string md = report::renderMarkdown(document);
    EXPECT_FALSE(contains(md, "](charts/"));
    EXPECT_TRUE(contains(md, "Chart not drawn (`charts/exp2_divergence.png`)"));
    EXPECT_TRUE(contains(studySection(md, "## Files"), "the 10 charts named above were not drawn"));
}

// ---- the scenario rule

TEST(StudyReport, aScenarioIsSupportedOnlyByAStrictMajorityOfDecidedPoints)
{
    FamilyScenario f;
    f.verdicts = {{"A", 3}, {"C", 1}, {"inconclusive", 5}};
    auto s = report::supportedScenario(f);
    EXPECT_EQ(s.scenario, "A");
    EXPECT_EQ(s.decided, 4);
    EXPECT_EQ(s.count, 3);
    EXPECT_DOUBLE_EQ(s.share, 0.75);

    f.verdicts = {{"A", 2}, {"C", 2}}; // exactly half: no majority
    s = report::supportedScenario(f);
    EXPECT_EQ(s.scenario, "mixed");
    EXPECT_EQ(s.leading, "A"); // ties go to the earlier letter

    f.verdicts = {{"inconclusive", 4}};
    EXPECT_EQ(report::supportedScenario(f).scenario, "inconclusive");
}

TEST(StudyReport, theFamiliesSentenceFollowsTheirVerdicts)
{
    StudyReportData data = tinyStudyReportData(); // code: C 3 of 4; narrative: B 4 of 5
    std::string md = report::buildStudyMarkdown(data);
    std::string scenarios = studySection(md, "## Scenario analysis");
    EXPECT_TRUE(report::familiesDiffer(data.exp2.families));
    EXPECT_TRUE(contains(scenarios, "code supports scenario C (significant interaction): it holds for 3 of 4 decided pairs"));
    EXPECT_TRUE(contains(scenarios, "narrative supports scenario B (subtle cross-attention): it holds for 4 of 5 decided pairs"));
    EXPECT_TRUE(contains(scenarios, "**The families differ.**"));
    EXPECT_TRUE(contains(studySection(md, "## Executive summary"), "The prompt families differ: code C, narrative B"));

    // code turns to B: now both families support B and the sentences say so.
    setFamilyVerdicts(data, "code", {{"B", 3}, {"C", 1}});
    setFamilyVerdicts(data, "", {{"B", 7}, {"C", 2}, {"inconclusive", 1}});
    md = report::buildStudyMarkdown(data);
    scenarios = studySection(md, "## Scenario analysis");
    EXPECT_FALSE(report::familiesDiffer(data.exp2.families));
    EXPECT_TRUE(contains(scenarios, "code supports scenario B (subtle cross-attention): it holds for 3 of 4 decided pairs"));
    EXPECT_TRUE(contains(scenarios, "**The families agree.**"));
    EXPECT_TRUE(contains(studySection(md, "## Executive summary"), "**Verdict: scenario B (subtle cross-attention).**"));

    // A family split 2:2 supports no scenario.
    setFamilyVerdicts(data, "code", {{"B", 2}, {"C", 2}});
    scenarios = studySection(report::buildStudyMarkdown(data), "## Scenario analysis");
    EXPECT_TRUE(contains(scenarios, "code: no scenario holds for more than 50% of the 4 decided pairs; the most frequent, "
                                    "B (subtle cross-attention), holds for 2 (50%)"));
}

TEST(StudyReport, theOverallVerdictIsTheRuleOverEveryPair)
{
    StudyReportData data = tinyStudyReportData(); // all: B 5, C 4 of 9 decided
    EXPECT_TRUE(contains(report::buildStudyMarkdown(data), "**Verdict: scenario B (subtle cross-attention).** Over the 10 pairs of "
                                                           "experiment 2, the whole suite supports scenario B"));
    setFamilyVerdicts(data, "", {{"B", 4}, {"C", 4}, {"inconclusive", 2}});
    EXPECT_TRUE(contains(report::buildStudyMarkdown(data), "**Verdict: no single scenario.**"));
    setFamilyVerdicts(data, "", {{"inconclusive", 10}});
    EXPECT_TRUE(contains(report::buildStudyMarkdown(data), "**Verdict: inconclusive.**"));
}

// ---- recommendations

TEST(StudyReport, recommendationsFollowTheNumbers)
{
    StudyReportData data = tinyStudyReportData();
    auto recommendations = report::studyRecommendations(data);
    EXPECT_TRUE(anyContains(recommendations, "Either sibling mode may be used, but say which: scenario B (5 of 9 decided pairs"));
    EXPECT_TRUE(anyContains(recommendations, "Do not pool the prompt families: they support different outcomes (code C, narrative B)"));
    EXPECT_TRUE(anyContains(recommendations, "Add prompts to the family code: it has 4 decided pairs (rule: at least 10)"));
    EXPECT_TRUE(anyContains(recommendations, "Measure wide sets without a cap: 1 run(s) had max_width lowered and 1 step(s)"));
    EXPECT_FALSE(anyContains(recommendations, "Fix the decoder"));
    EXPECT_FALSE(anyContains(recommendations, "Check the artifact control"));

    // Failed checks, a control that did not reproduce the artifact, a failed RoPE run.
    data.sweeps[2].checksFailed = 3;
    data.control.rows.back().controlIdentical = 8;
    data.exp4.runs[0].passed = false;
    data.exp4.runs[0].maxLogicalError = 0.25;
    recommendations = report::studyRecommendations(data);
    EXPECT_TRUE(anyContains(recommendations, "Fix the decoder before using these findings: 3 mechanism check(s) failed"));
    EXPECT_TRUE(anyContains(recommendations, "Check the artifact control: its isolated and visible readouts differ in 2 of 10 points"));
    EXPECT_TRUE(anyContains(recommendations, "Fix the KV cache positions: 1 of 10 runs failed the RoPE inspection (largest logical error 0.25"));
    EXPECT_TRUE(contains(studySection(report::buildStudyMarkdown(data), "## Recommendations"), "Fix the decoder"));

    // Scenario A everywhere, enough points, no caps: the verdict's recommendation changes and the others go.
    data = tinyStudyReportData();
    for (const std::string family : {"code", "narrative", ""})
        setFamilyVerdicts(data, family, {{"A", 12}});
    data.widthCaps.clear();
    data.exp5.widths[0].stepsAtCap = 0;
    recommendations = report::studyRecommendations(data);
    EXPECT_TRUE(anyContains(recommendations, "Isolated and visible decoding are interchangeable for this model and suite: scenario A (12 of 12"));
    EXPECT_FALSE(anyContains(recommendations, "Either sibling mode"));
    EXPECT_FALSE(anyContains(recommendations, "Do not pool"));
    EXPECT_FALSE(anyContains(recommendations, "Add prompts"));
    EXPECT_FALSE(anyContains(recommendations, "Measure wide sets"));
}

TEST(StudyReport, theControlSentenceSaysWhetherTheArtifactWasReproduced)
{
    StudyReportData data = tinyStudyReportData();
    std::string control = studySection(report::buildStudyMarkdown(data), "## Artifact control vs real mechanism");
    EXPECT_TRUE(contains(control, "**The control reproduces the artifact.** Isolated and visible were identical in every one of its 10 points."));
    EXPECT_TRUE(contains(control, "With the real mechanism 9 of 10 points differ"));
    data.control.rows.back().controlIdentical = 7;
    control = studySection(report::buildStudyMarkdown(data), "## Artifact control vs real mechanism");
    EXPECT_TRUE(contains(control, "**The control does not reproduce the artifact.** Identical in 7 of 10 points"));
}

TEST(StudyReport, aStudyWithoutAnExperimentSaysSo)
{
    StudyReportData data = tinyStudyReportData();
    data.presets = {"2"};
    data.exp1 = {};
    data.exp4 = {};
    const std::string md = report::buildStudyMarkdown(data);
    EXPECT_TRUE(contains(md, "Not part of this study (presets 1a and 1b were not run)."));
    EXPECT_TRUE(contains(md, "Not part of this study (preset 4 was not run)."));
    EXPECT_TRUE(contains(studySection(md, "## Limitations"), "Not measured: presets 1a, 1b, 3, 4, 5 (not in the study)"));
}

TEST(StudyReport, estimatesPrintTheirIntervalAndN)
{
    EXPECT_EQ(report::estimateText(summarizeSample({})), "n/a (n = 0)");
    EXPECT_EQ(report::estimateText(summarizeSample({0.5})), "0.5 (n = 1, no interval)");
    const auto e = summarizeSample({1.0, 2.0, 3.0});
    EXPECT_EQ(report::estimateText(e), "2 [" + report::formatNumber(e.ciLow) + ", " + report::formatNumber(e.ciHigh) + "], n = 3");
}

} // namespace
} // namespace tempo::test
