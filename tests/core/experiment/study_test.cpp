// Studies on the tiny peaked model: stored end to end, cancelled mid-study, marked interrupted as
// after a kill, resumed reusing every finished run; tensors pruned to the first prompt of each
// family; the width cap recorded; a point that cannot fit refused before anything runs.

#include <atomic>
#include <cmath>
#include <optional>
#include <map>
#include <set>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/experiment/study.h"
#include "core/notebook/database.h"
#include "core/experiment/experimentfixture.h"

namespace tempo::test {
namespace {

using notebook::StudyStatus;
using notebook::StudySweepRole;

// Two families; the second narrative prompt is the one whose tensors a study removes.
StudyRequest tinyStudy()
{
    StudyRequest request;
    request.modelFolder = peakedModelFolder();
    request.spec.suiteName = "test suite";
    request.spec.prompts = {{"narrative", "The cat sat on the", std::nullopt},
                            {"narrative", "Once upon a time", std::nullopt},
                            {"code", "def add(a, b):", std::nullopt}};
    request.spec.thresholds = {0.05, 0.1};
    request.spec.presets = {"1a", "2"};
    request.spec.stepsOverride = 3;
    request.spec.control = false;
    request.spec.compute.threads = 1;
    return request;
}

// Finished runs of every sweep of the study, keyed by (sweep, prompt, threshold, mode).
std::map<std::tuple<int64_t, int64_t, double, std::string>, std::vector<int64_t>>
finishedRunsByPoint(notebook::Notebook& book, int64_t studyId)
{
    std::map<std::tuple<int64_t, int64_t, double, std::string>, std::vector<int64_t>> runs;
    for (const auto& link : book.studies().sweepsOf(studyId)) {
        const auto sweep = book.sweeps().find(link.sweepId);
        for (const auto& [runId, pointText] : sweep->runs) {
            if (book.runs().find(runId)->status != notebook::RunStatus::Finished)
                continue;
            const auto point = nlohmann::json::parse(pointText);
            runs[{link.sweepId, point["prompt_index"].get<int64_t>(), point["threshold"].get<double>(),
                  point["mode"].get<std::string>()}]
                .push_back(runId);
        }
    }
    return runs;
}

TEST_F(ExperimentTest, StudyCancelledKilledAndResumedReusesEveryFinishedRun)
{
    // 2 presets x 3 prompts x 2 thresholds = 12 points; preset 2 runs both modes: 18 runs.
    std::atomic<bool> cancel{false};
    StudyCallbacks callbacks;
    callbacks.cancel = &cancel;
    int64_t createdId = 0;
    callbacks.onStudyCreated = [&](int64_t id) { createdId = id; };
    std::vector<StudyProgress> seen;
    callbacks.onProgress = [&](const StudyProgress& progress) {
        seen.push_back(progress);
        if (progress.pointsDone == 4 && progress.run.total == 0)
            cancel = true; // after the fourth point: the study stops in the first sweep
    };
    StudyRunner runner(book(), cache_);
    const StudyResult first = runner.run(tinyStudy(), callbacks);
    EXPECT_EQ(first.studyId, createdId);
    EXPECT_EQ(first.status, StudyStatus::Cancelled);
    EXPECT_EQ(first.summary.points, 12);
    EXPECT_EQ(first.summary.pointsDone, 4);
    EXPECT_EQ(first.pointsRun, 4);
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back().points, 12);
    EXPECT_GE(seen.back().etaSeconds, 0.0) << "an ETA once points have run";
    bool sawRunProgress = false;
    for (const auto& p : seen)
        sawRunProgress = sawRunProgress || (p.run.total > 0 && p.run.done > 0);
    EXPECT_TRUE(sawRunProgress) << "per-run progress reaches the caller";

    const auto beforeResume = finishedRunsByPoint(book(), first.studyId);
    ASSERT_EQ(beforeResume.size(), 4u);
    const int64_t runsBefore = book().runs().count();

    // A killed process leaves the study 'running' with a writer that is gone: running as written
    // by this process, then its pid made one no process has.
    book().studies().setStatus(first.studyId, StudyStatus::Running);
    book().database().exec("UPDATE studies SET writer_pid = 2147483000 WHERE id = " + std::to_string(first.studyId));
    const std::string path = book().path();
    {
        notebook::Notebook reopened(path);
        EXPECT_EQ(reopened.studies().find(first.studyId)->status, StudyStatus::Interrupted);
    }
    EXPECT_EQ(book().studies().find(first.studyId)->status, StudyStatus::Interrupted);

    cancel = false;
    StudyCallbacks quiet;
    const StudyResult resumed = runner.resume(first.studyId, quiet);
    EXPECT_TRUE(resumed.resumed);
    EXPECT_EQ(resumed.status, StudyStatus::Finished);
    EXPECT_EQ(resumed.pointsReused, 4) << "the finished points are counted as reused";
    EXPECT_EQ(resumed.pointsRun, 8);
    EXPECT_EQ(resumed.summary.pointsDone, 12);
    EXPECT_EQ(book().runs().count(), runsBefore + 14) << "8 points: 1a's last 2 (one run each), 2's 6 (two runs each)";

    const auto after = finishedRunsByPoint(book(), first.studyId);
    EXPECT_EQ(after.size(), 3u * 2u + 3u * 2u * 2u) << "every point of 1a once, both modes of 2";
    for (const auto& [key, runIds] : after)
        EXPECT_EQ(runIds.size(), 1u) << "a point was run twice";
    for (const auto& [key, runIds] : beforeResume)
        EXPECT_EQ(after.at(key), runIds) << "a finished run was rerun instead of reused";

    const auto stored = book().studies().find(first.studyId);
    EXPECT_EQ(stored->status, StudyStatus::Finished);
    EXPECT_FALSE(stored->finishedAt.empty());
    EXPECT_EQ(stored->summary.runsMade, book().runs().count()) << "every run of the notebook is the study's";
    EXPECT_GT(stored->summary.forwardSeconds, 0.0);
    EXPECT_LT(stored->summary.forwardSeconds, stored->summary.wallSeconds);
    const auto sweeps = book().studies().sweepsOf(first.studyId);
    ASSERT_EQ(sweeps.size(), 2u);
    EXPECT_EQ(sweeps[0].presetId, "1a");
    EXPECT_EQ(sweeps[1].presetId, "2");
    EXPECT_EQ(sweeps[1].role, StudySweepRole::Tempo);

    // Tensors: kept for prompts 0 (first narrative) and 2 (first code), gone for prompt 1.
    for (const auto& [key, runIds] : after) {
        const int64_t prompt = std::get<1>(key);
        EXPECT_EQ(tensorNames(runIds.front()).empty(), prompt == 1) << "prompt " << prompt << " run " << runIds.front();
        EXPECT_FALSE(book().steps().ofRun(runIds.front()).empty()) << "steps stay";
    }
    EXPECT_THROW(runner.resume(first.studyId, quiet), InvalidArgument) << "a finished study is not resumed";
}

TEST_F(ExperimentTest, StudyCapsWidthToFitTheModelAndRecordsIt)
{
    StudyRequest request = tinyStudy();
    request.spec.prompts = {{"narrative", "The cat sat on the", 100}};
    request.spec.stepsOverride.reset();
    request.spec.thresholds = {0.01}; // widest set min(32, 100) = 32
    request.spec.presets = {"4"};     // isolated; keys and positions only (small captures)
    StudyRunner runner(book(), cache_);
    const StudyResult result = runner.run(request);
    ASSERT_EQ(result.status, StudyStatus::Finished);

    const auto model = cache_.get(peakedModelFolder(), ComputeOptions{});
    const int64_t promptTokens = static_cast<int64_t>(model->tokenizer->encode("The cat sat on the", true).size());
    const int64_t expectedCap = (model->model->config().maxPositionEmbeddings - promptTokens) / 100;
    ASSERT_LT(expectedCap, 32) << "the test needs a cap";
    ASSERT_EQ(result.summary.widthCaps.size(), 1u);
    const StudyWidthCap& cap = result.summary.widthCaps.front();
    EXPECT_EQ(cap.presetId, "4");
    EXPECT_EQ(cap.steps, 100);
    EXPECT_EQ(cap.presetMaxWidth, 32);
    EXPECT_EQ(cap.cappedMaxWidth, expectedCap);
    EXPECT_EQ(book().studies().find(result.studyId)->summary.widthCaps, result.summary.widthCaps);

    const auto runs = book().runs().list({});
    ASSERT_EQ(runs.size(), 1u);
    const auto run = book().runs().find(runs[0].id);
    ASSERT_TRUE(run->config.sweep);
    EXPECT_EQ(run->config.sweep->maxWidthCap, expectedCap);
    EXPECT_EQ(run->config.sweep->presetMaxWidth, 32);
    EXPECT_EQ(run->config.sweep->steps, 100);
    EXPECT_EQ(run->config.tempo->maxWidth, expectedCap) << "the run used the cap";
    EXPECT_EQ(run->config.tempo->maxSteps, 100);
}

TEST_F(ExperimentTest, StudyRefusesAPointThatCannotFitBeforeAnythingRuns)
{
    StudyRequest request = tinyStudy();
    request.spec.stepsOverride = 5000; // more steps than the model's 2048 positions
    StudyRunner runner(book(), cache_);
    try {
        runner.run(request);
        FAIL() << "a study that cannot fit ran";
    } catch (const InvalidArgument& error) {
        EXPECT_NE(std::string(error.what()).find("does not fit the model"), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("nothing was run"), std::string::npos) << error.what();
    }
    EXPECT_EQ(book().runs().count(), 0);
    const auto studies = book().studies().list();
    ASSERT_EQ(studies.size(), 1u);
    EXPECT_EQ(studies[0].status, StudyStatus::Failed);
    EXPECT_NE(studies[0].summary.error.find("does not fit"), std::string::npos);
}

TEST_F(ExperimentTest, StudyRefusesABadSpecBeforeStoringIt)
{
    StudyRunner runner(book(), cache_);
    StudyRequest noPrompts = tinyStudy();
    noPrompts.spec.prompts.clear();
    EXPECT_THROW(runner.run(noPrompts), InvalidArgument);
    StudyRequest unknownPreset = tinyStudy();
    unknownPreset.spec.presets = {"1a", "nine"};
    EXPECT_THROW(runner.run(unknownPreset), InvalidArgument);
    StudyRequest badThreshold = tinyStudy();
    badThreshold.spec.thresholds = {0.1, 1.5};
    EXPECT_THROW(runner.run(badThreshold), InvalidArgument);
    EXPECT_TRUE(book().studies().list().empty());
    EXPECT_THROW(runner.resume(42), InvalidArgument);
}

TEST_F(ExperimentTest, StudyControlSweepRunsPresetTwoWithTheArtifactControl)
{
    StudyRequest request = tinyStudy();
    request.spec.prompts.resize(1);
    request.spec.thresholds = {0.05};
    request.spec.presets = {"1a"};
    request.spec.control = true;
    StudyRunner runner(book(), cache_);
    const StudyResult result = runner.run(request);
    ASSERT_EQ(result.status, StudyStatus::Finished);
    EXPECT_EQ(result.summary.points, 2);
    const auto sweeps = book().studies().sweepsOf(result.studyId);
    ASSERT_EQ(sweeps.size(), 2u);
    EXPECT_EQ(sweeps[0].role, StudySweepRole::Tempo);
    EXPECT_EQ(sweeps[1].role, StudySweepRole::Control);
    EXPECT_EQ(sweeps[1].presetId, "2");
    const auto tempoSweep = book().sweeps().find(sweeps[0].sweepId);
    const auto controlSweep = book().sweeps().find(sweeps[1].sweepId);
    ASSERT_EQ(tempoSweep->runs.size(), 1u);
    ASSERT_EQ(controlSweep->runs.size(), 2u) << "preset 2 runs both modes";
    EXPECT_FALSE(book().runs().find(tempoSweep->runs[0].first)->config.tempo->isArtifactControl());
    for (const auto& [runId, point] : controlSweep->runs)
        EXPECT_TRUE(book().runs().find(runId)->config.tempo->isArtifactControl()) << "run " << runId;
}

// 1b finds its 1a partner (same prompt and threshold) and compares their attention: 1a's tensors
// must still be there then, for every prompt, not only the first of each family; afterwards the
// pruning happens all the same.
TEST_F(ExperimentTest, StudyKeepsTheFirstSweepsTensorsUntilItsPartnerSweepComparedThem)
{
    StudyRequest request = tinyStudy();
    request.spec.thresholds = {0.05};
    request.spec.presets = {"1a", "1b"};
    StudyRunner runner(book(), cache_);
    const StudyResult result = runner.run(request);
    ASSERT_EQ(result.status, StudyStatus::Finished);
    const auto sweeps = book().studies().sweepsOf(result.studyId);
    ASSERT_EQ(sweeps.size(), 2u);
    const auto visibleSweep = book().sweeps().find(sweeps[1].sweepId);
    ASSERT_EQ(visibleSweep->runs.size(), 3u);
    for (const auto& [runId, pointText] : visibleSweep->runs) {
        const int64_t prompt = nlohmann::json::parse(pointText)["prompt_index"].get<int64_t>();
        const auto groups = book().groups().ofRun(runId);
        ASSERT_EQ(groups.size(), 1u) << "prompt " << prompt << ": 1b's run is paired with 1a's";
        const auto group = book().groups().find(groups.front());
        ASSERT_TRUE(group->comparison.metrics) << "prompt " << prompt;
        std::optional<double> meanAbsDiff;
        for (const auto& metric : *group->comparison.metrics)
            if (metric.name == "attention.mean_abs_diff" && metric.step < 0 && metric.layer < 0 && metric.head < 0)
                meanAbsDiff = metric.value;
        ASSERT_TRUE(meanAbsDiff) << "prompt " << prompt << ": no attention comparison";
        EXPECT_TRUE(std::isfinite(*meanAbsDiff)) << "prompt " << prompt << ": the 1a run's attention was pruned first";
        for (int64_t member : group->runIds)
            EXPECT_EQ(tensorNames(member).empty(), prompt == 1) << "prompt " << prompt << " run " << member;
    }
}

TEST(StudyPlan, PresetsThenTheArtifactControl)
{
    StudySpec spec;
    const auto planned = plannedStudySweeps(spec);
    ASSERT_EQ(planned.size(), 7u);
    EXPECT_EQ(planned[0].presetId, "1a");
    EXPECT_EQ(planned[5].presetId, "5");
    EXPECT_EQ(planned[6].presetId, "2");
    EXPECT_EQ(planned[6].role, StudySweepRole::Control);
    spec.control = false;
    EXPECT_EQ(plannedStudySweeps(spec).size(), 6u);
}

} // namespace
} // namespace tempo::test
