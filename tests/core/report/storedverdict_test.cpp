// A single run's verdict is decided once, when the run ends, and stored as verdict.* metrics (as a
// pair's verdict is): its report reads the stored numbers, and reads the same as deciding it again;
// a run that stored none (recorded before TEMPO Lab stored it) gets it decided for the report,
// which says so. A pair's verdict replaces the single-run verdict its runs stored when they ended.

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "core/analysis/verdict.h"
#include "core/experiment/experimentfixture.h"
#include "core/experiment/experimentrunner.h"
#include "core/experiment/notebookrunsink.h"
#include "core/experiment/presetcatalog.h"
#include "core/experiment/runwriter.h"
#include "core/experiment/storedanalyses.h"
#include "core/notebook/database.h"
#include "core/report/reportbuilder.h"
#include "core/report/reportdata.h"

namespace tempo::test {
namespace {

const char* const kDecidedForReport = "Decided for this report from the stored steps and checks";

ExperimentResult runPreset(notebook::Notebook& book, ModelCache& cache, const std::string& id)
{
    Preset preset = *shippedPreset(id);
    preset.maxSteps = 6;
    preset.stopAtEos = false;
    ExperimentRunner runner(book, cache);
    return runner.run({{preset, true}, peakedModelFolder(), ComputeOptions{}});
}

std::string runReport(notebook::Notebook& book, std::int64_t runId)
{
    return report::buildMarkdown(report::loadReportData(book, {report::SubjectKind::Run, runId}));
}

bool sameNumber(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

TEST_F(ExperimentTest, SingleRunVerdictIsStoredWhenTheRunEndsAndTheReportReadsIt)
{
    const ExperimentResult result = runPreset(book(), cache_, "3"); // visible, asks for a verdict, no partner
    ASSERT_EQ(result.runIds.size(), 1u);
    const std::int64_t runId = result.runIds.front();

    const std::optional<Verdict> stored = storedSingleRunVerdict(book(), runId);
    ASSERT_TRUE(stored.has_value());
    const Verdict decided = singleRunVerdict(book(), runId);
    EXPECT_EQ(stored->scenario, Scenario::Inconclusive);
    EXPECT_EQ(stored->inconclusiveReason, decided.inconclusiveReason);
    ASSERT_EQ(stored->criteria.size(), decided.criteria.size());
    for (size_t i = 0; i < decided.criteria.size(); ++i) {
        const VerdictCriterion& s = stored->criteria[i];
        const VerdictCriterion& d = decided.criteria[i];
        EXPECT_EQ(s.name, d.name);
        EXPECT_EQ(s.comparison, d.comparison) << d.name;
        EXPECT_EQ(s.meaning, d.meaning) << d.name;
        EXPECT_TRUE(sameNumber(s.value, d.value)) << d.name << ": stored " << s.value << ", decided " << d.value;
        EXPECT_TRUE(sameNumber(s.threshold, d.threshold)) << d.name;
        EXPECT_EQ(s.met, d.met) << d.name;
    }
    // Not measured without a second run: NaN survives the notebook.
    ASSERT_NE(stored->criterion("sibling_ratio_measured"), nullptr);
    EXPECT_TRUE(std::isnan(stored->criterion("sibling_ratio_measured")->value));
    ASSERT_TRUE(result.verdict.has_value());
    EXPECT_EQ(result.verdict->inconclusiveReason, decided.inconclusiveReason);

    const std::string fromStored = runReport(book(), runId);
    EXPECT_EQ(fromStored.find(kDecidedForReport), std::string::npos);
    EXPECT_NE(fromStored.find("no finished run of the other sibling mode"), std::string::npos);

    // The report shows the stored numbers, not numbers decided again.
    const std::string multi = "verdict.criterion.multi_member_sets.value";
    book().database().exec("UPDATE metrics SET value = 987 WHERE run_id = " + std::to_string(runId) + " AND name = '" +
                           multi + "'");
    const std::string edited = runReport(book(), runId);
    // The criterion's own table row (a bare "987" can also occur in a timing of the report).
    const std::string editedRow = "| multi\\_member\\_sets | \\>= 1 | 987 |";
    EXPECT_NE(edited.find(editedRow), std::string::npos) << edited;
    EXPECT_EQ(fromStored.find(editedRow), std::string::npos);

    // A run that stored no verdict: decided for the report, the same verdict, and the report says so.
    book().database().exec("DELETE FROM metrics WHERE run_id = " + std::to_string(runId) + " AND name LIKE 'verdict.%'");
    EXPECT_FALSE(storedSingleRunVerdict(book(), runId).has_value());
    const std::string older = runReport(book(), runId);
    const size_t note = older.find(kDecidedForReport);
    ASSERT_NE(note, std::string::npos);
    std::string withoutNote = older;
    withoutNote.erase(note, older.find("\n\n", note) + 2 - note);
    EXPECT_EQ(withoutNote, fromStored);
}

TEST_F(ExperimentTest, APlainRunStoresItsVerdictAndAPresetThatAsksForNoneDoesNot)
{
    const auto model = cache_.get(peakedModelFolder(), ComputeOptions{});
    TempoRunRequest request;
    request.prompt = "The cat sat";
    request.config.threshold = 0.1;
    request.config.maxSteps = 4;
    request.config.stopAtEos = false;
    NotebookRunSink plain(book());
    runTempo(*model, request, plain);
    EXPECT_TRUE(storedSingleRunVerdict(book(), plain.runId()).has_value());

    request.preset = *shippedPreset("4"); // rope_inspection only
    request.presetId = "4";
    NotebookRunSink rope(book());
    runTempo(*model, request, rope);
    EXPECT_FALSE(storedSingleRunVerdict(book(), rope.runId()).has_value());
    EXPECT_NE(runReport(book(), rope.runId()).find(kDecidedForReport), std::string::npos);
}

TEST_F(ExperimentTest, APairsVerdictReplacesTheSingleRunVerdictsItsRunsStored)
{
    const ExperimentResult result = runPreset(book(), cache_, "2"); // isolated + visible
    ASSERT_EQ(result.runIds.size(), 2u);
    ASSERT_TRUE(result.verdict.has_value());
    double code = -1;
    for (const auto& m : metrics(*result.verdict))
        if (m.name == "verdict.scenario")
            code = m.value;
    for (std::int64_t runId : result.runIds) {
        int scenarios = 0;
        for (const auto& m : book().metrics().withPrefix(runId, "verdict.scenario")) {
            ++scenarios;
            EXPECT_EQ(m.value, code) << "run " << runId;
        }
        EXPECT_EQ(scenarios, 1) << "run " << runId;
    }
}

} // namespace
} // namespace tempo::test
