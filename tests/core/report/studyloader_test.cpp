// loadStudyReportData over a notebook written record by record: the report fixture's preset-5 pair
// and sweep, linked into a study as its preset 5 sweep and (the same runs in a second sweep) its
// preset 2 sweep. Checks that the loader reads each experiment from the stores (steps, metrics,
// checks, groups, models) and that the same notebook gives the same report.
#include <gtest/gtest.h>

#include <limits>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "core/report/studyreport.h"
#include "reportfixture.h"
#include "support/testsupport.h"

namespace tempo::test {
namespace {

class StudyLoader : public ::testing::Test {
protected:
    void SetUp() override
    {
        book_ = std::make_unique<notebook::Notebook>((dir_.path() / "study.sqlite").string());
        ids_ = writeReportFixture(*book_);
        // A second sweep holding the same pair, as preset 2.
        const auto sweep = book_->sweeps().find(ids_.sweepId);
        nlohmann::json state = nlohmann::json::parse(sweep->specJson);
        state["spec"]["preset"]["id"] = "2";
        secondSweep_ = book_->sweeps().create({0, "00000000-0000-4000-8000-0000000000b2", "preset 2", state.dump(),
                                               "2026-11-28T11:00:00.000Z", {}});
        for (const auto& [runId, point] : sweep->runs)
            book_->sweeps().addRun(secondSweep_, runId, point);
        notebook::StudyRecord study;
        study.name = "fixture";
        study.modelFolder = "/models/fixture-model";
        study.spec.suiteName = "fixture.jsonl";
        study.spec.prompts = {{"narrative", "The cat sat on the", std::nullopt},
                              {"narrative", "Once upon a time the", std::nullopt},
                              {"factual", "The quick brown", std::nullopt}};
        study.spec.thresholds = {0.05, 0.1};
        study.spec.presets = {"2", "5"};
        study.status = notebook::StudyStatus::Finished;
        study.summary.wallSeconds = 12.5;
        study.summary.forwardSeconds = 11.0;
        study.createdAt = "2026-11-28T08:59:00.000Z";
        studyId_ = book_->studies().create(study);
        book_->studies().addSweep(studyId_, {secondSweep_, "2", notebook::StudySweepRole::Tempo, 0});
        book_->studies().addSweep(studyId_, {ids_.sweepId, "5", notebook::StudySweepRole::Tempo, 1});
    }

    TempDir dir_{"tempo-study-loader"};
    std::unique_ptr<notebook::Notebook> book_;
    ReportFixture ids_;
    std::int64_t secondSweep_ = 0;
    std::int64_t studyId_ = 0;
};

TEST_F(StudyLoader, readsEachExperimentFromTheStores)
{
    const report::StudyReportData data = report::loadStudyReportData(*book_, studyId_);
    EXPECT_EQ(data.name, "fixture");
    EXPECT_EQ(data.prompts(), 3);
    EXPECT_EQ(data.promptsByFamily.at("narrative"), 2);
    ASSERT_EQ(data.sweeps.size(), 2u);
    EXPECT_EQ(data.sweeps[0].presetId, "2");
    EXPECT_EQ(data.sweeps[1].presetId, "5");
    EXPECT_EQ(data.sweeps[1].runs, 2);
    EXPECT_EQ(data.sweeps[1].pointsPlanned, 6); // 3 prompts x 2 thresholds
    EXPECT_EQ(data.sweeps[1].steps, 6);         // 3 steps per run in the fixture
    EXPECT_EQ(data.sweeps[1].checksFailed, 0);
    EXPECT_GT(data.sweeps[1].checksRun, 0);

    // Experiment 2: the fixture's pair, family "factual", verdict C.
    ASSERT_TRUE(data.exp2.present);
    EXPECT_EQ(data.exp2.pairs, 1);
    ASSERT_EQ(data.exp2.families.size(), 2u);
    EXPECT_EQ(data.exp2.families[0].family, "factual");
    EXPECT_EQ(data.exp2.families[0].verdicts.at("C"), 1);
    EXPECT_EQ(data.exp2.families[1].family, "");
    EXPECT_EQ(report::supportedScenario(data.exp2.families[1]).scenario, "C");
    const auto group = book_->groups().find(ids_.groupId);
    for (const auto& m : *group->comparison.metrics) {
        if (m.name == "distribution.max_abs_diff" && m.step < 0 && m.layer < 0 && m.head < 0) {
            EXPECT_DOUBLE_EQ(data.exp2.maxAbsDiff.mean, m.value);
        }
    }
    EXPECT_EQ(data.exp2.maxAbsDiff.n, 1);

    // Experiment 5: the widths of the stored steps (both runs: widths 1, 2, 1 and 1, 2, 2).
    ASSERT_TRUE(data.exp5.present);
    ASSERT_EQ(data.exp5.widths.size(), 1u);
    std::int64_t steps = 0;
    for (const auto& [width, n] : data.exp5.widths[0].stepsByWidth)
        steps += n;
    EXPECT_EQ(steps, 6);
    EXPECT_EQ(data.exp5.maxWidth, 2);
    EXPECT_FALSE(data.exp5.msPerStepByWidth.empty());

    EXPECT_FALSE(data.exp1.present);
    EXPECT_FALSE(data.exp4.present);
    EXPECT_FALSE(data.control.present);
    EXPECT_EQ(data.provenance.weightsSha256.size(), 64u);
    EXPECT_DOUBLE_EQ(data.wallSeconds, 12.5);

    // The same notebook, the same report.
    EXPECT_EQ(report::buildStudyMarkdown(data), report::buildStudyMarkdown(report::loadStudyReportData(*book_, studyId_)));
}

// A check that did not apply is not counted among the checks that ran: the table says "(1 n/a)".
TEST_F(StudyLoader, aCheckThatDidNotApplyIsCountedApart)
{
    const report::StudyReportData before = report::loadStudyReportData(*book_, studyId_);
    ASSERT_EQ(before.sweeps[1].checksNotApplicable, 0);
    book_->checks().record(ids_.isolatedRun, {{"sibling_attention", true, std::numeric_limits<double>::quiet_NaN(),
                                               "not applicable: no forward fed 2 or more members of one set"}});
    const report::StudyReportData data = report::loadStudyReportData(*book_, studyId_);
    for (std::size_t s = 0; s < data.sweeps.size(); ++s) { // both sweeps hold the run
        EXPECT_EQ(data.sweeps[s].checksRun, before.sweeps[s].checksRun) << "sweep " << s;
        EXPECT_EQ(data.sweeps[s].checksNotApplicable, 1) << "sweep " << s;
        EXPECT_EQ(data.sweeps[s].checksFailed, 0) << "sweep " << s;
    }
    const std::string markdown = report::buildStudyMarkdown(data);
    EXPECT_NE(markdown.find("| 0 / " + std::to_string(before.sweeps[1].checksRun) + " (1 n/a) |"), std::string::npos)
        << markdown;
}

TEST_F(StudyLoader, anUnknownStudyIsRefusedByName)
{
    try {
        report::loadStudyReportData(*book_, studyId_ + 5);
        FAIL() << "no error";
    } catch (const NotebookError& error) {
        EXPECT_NE(std::string(error.what()).find("study " + std::to_string(studyId_ + 5)), std::string::npos) << error.what();
    }
}

} // namespace
} // namespace tempo::test
