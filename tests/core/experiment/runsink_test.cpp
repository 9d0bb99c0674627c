// One path for one run: runTempo hands the decoder's step records to a sink. The notebook sink
// stores what the memory sink keeps (steps with the decoder's slots, checks, text, status); a run
// that feeds fewer tokens than it selects is stored with the slots it really used; and the text
// `tempo-lab-cli run --notebook` prints is the text the notebook stores.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/experiment/experimentfixture.h"
#include "core/experiment/experimentrunner.h"
#include "core/experiment/notebookrunsink.h"
#include "core/experiment/presetcatalog.h"
#include "core/experiment/runsink.h"
#include "core/experiment/runwriter.h"
#include "core/experiment/storedanalyses.h"
#include "core/tempo/render.h"
#include "support/testsupport.h"

namespace tempo::test {
namespace {

TempoRunRequest peakedRequest()
{
    TempoRunRequest request;
    request.prompt = "The cat sat";
    request.config.threshold = 0.1;
    request.config.maxSteps = 8;
    request.config.stopAtEos = false;
    return request;
}

// A probability as stored (SQLite keeps doubles exactly; NaN comes back as NaN).
bool sameProbability(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

TEST_F(ExperimentTest, NotebookSinkStoresWhatTheMemorySinkKeeps)
{
    const auto model = cache_.get(peakedModelFolder(), ComputeOptions{});
    const TempoRunRequest request = peakedRequest();

    MemoryRunSink memory;
    const RecordedRun inMemory = runTempo(*model, request, memory);
    NotebookRunSink notebookSink(book());
    const RecordedRun stored = runTempo(*model, request, notebookSink);
    EXPECT_EQ(inMemory.runId, 0);
    ASSERT_GT(stored.runId, 0);
    EXPECT_EQ(notebookSink.runId(), stored.runId);

    // The two runs decode the same steps (same model, same request); each sink holds them.
    ASSERT_EQ(memory.steps().size(), inMemory.run.steps.size());
    const std::vector<notebook::StepRecord> steps = book().steps().ofRun(stored.runId);
    ASSERT_EQ(steps.size(), memory.steps().size());
    bool sawMultiMember = false;
    for (size_t s = 0; s < steps.size(); ++s) {
        const StepRecord& kept = memory.steps()[s];
        const notebook::StepRecord& row = steps[s];
        sawMultiMember = sawMultiMember || kept.tokenIds.size() >= 2;
        EXPECT_EQ(row.step, kept.step);
        EXPECT_EQ(row.logicalPosition, kept.logicalPosition);
        EXPECT_EQ(row.tokenIds, kept.tokenIds) << "step " << s;
        EXPECT_EQ(row.physicalSlots, kept.memberSlots) << "step " << s;
        ASSERT_EQ(row.probabilities.size(), kept.probabilities.size());
        for (size_t m = 0; m < kept.probabilities.size(); ++m)
            EXPECT_TRUE(sameProbability(row.probabilities[m], kept.probabilities[m])) << "step " << s << " member " << m;
        ASSERT_EQ(row.tokens.size(), kept.tokenIds.size());
        for (size_t m = 0; m < kept.tokenIds.size(); ++m)
            EXPECT_EQ(row.tokens[m], model->tokenizer->tokenText(kept.tokenIds[m]));
    }
    EXPECT_TRUE(sawMultiMember) << "the run should have a set of 2+ for the slots to matter";

    const auto run = book().runs().find(stored.runId);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, notebook::RunStatus::Finished);
    EXPECT_EQ(memory.status(), notebook::RunStatus::Finished);
    EXPECT_EQ(run->generatedText, memory.text());
    EXPECT_EQ(memory.text(), runText(request.prompt, inMemory.run.sets(), *model->tokenizer));
    const std::vector<notebook::CheckRecord> checks = book().checks().ofRun(stored.runId);
    ASSERT_EQ(checks.size(), memory.checks().size());
    for (size_t c = 0; c < checks.size(); ++c) {
        EXPECT_EQ(checks[c].name, memory.checks()[c].name);
        EXPECT_EQ(checks[c].passed, memory.checks()[c].passed);
    }
}

// StepCommits::EachStep commits every step before it is reported. A sweep's batched commits store
// the same steps.
TEST_F(ExperimentTest, EachStepIsCommittedBeforeItIsReportedUnlessBatched)
{
    const auto model = cache_.get(peakedModelFolder(), ComputeOptions{});
    const TempoRunRequest request = peakedRequest();
    std::vector<size_t> storedWhenReported;
    RunCallbacks callbacks;
    callbacks.onStep = [&](int64_t runId, const StepRecord&) {
        storedWhenReported.push_back(book().steps().ofRun(runId).size());
    };
    NotebookRunSink eachStep(book(), StepCommits::EachStep);
    const RecordedRun live = runTempo(*model, request, eachStep, callbacks);
    ASSERT_EQ(storedWhenReported.size(), live.run.steps.size());
    for (size_t s = 0; s < storedWhenReported.size(); ++s)
        EXPECT_EQ(storedWhenReported[s], s + 1) << "step " << s << " was reported before it was committed";

    NotebookRunSink batched(book(), StepCommits::Batched);
    const RecordedRun swept = runTempo(*model, request, batched);
    const auto liveSteps = book().steps().ofRun(live.runId);
    const auto sweptSteps = book().steps().ofRun(swept.runId);
    ASSERT_EQ(sweptSteps.size(), liveSteps.size());
    for (size_t s = 0; s < liveSteps.size(); ++s) {
        EXPECT_EQ(sweptSteps[s].tokenIds, liveSteps[s].tokenIds) << "step " << s;
        EXPECT_EQ(sweptSteps[s].physicalSlots, liveSteps[s].physicalSlots) << "step " << s;
        EXPECT_EQ(sweptSteps[s].logicalPosition, liveSteps[s].logicalPosition) << "step " << s;
    }
}

// Paced commits (the default) wait for their pace or for the caller: with a pace of an hour no
// step is in the notebook when it is reported, every step is there once the caller commits, and
// the run ends with all of them; with a pace of zero every step is committed before it is reported.
TEST_F(ExperimentTest, PacedStepsAreCommittedWhenTheirPaceComesOrTheCallerAsksAndAllAtTheEnd)
{
    const auto model = cache_.get(peakedModelFolder(), ComputeOptions{});
    const TempoRunRequest request = peakedRequest();

    NotebookRunSink hourly(book(), StepCommits::Paced, 3600.0);
    std::vector<size_t> storedWhenReported;
    RunCallbacks callbacks;
    callbacks.onStep = [&](int64_t runId, const StepRecord& step) {
        storedWhenReported.push_back(book().steps().ofRun(runId).size());
        if (step.step == 2) { // as the run worker does before it shows steps
            hourly.commitSteps();
            EXPECT_EQ(book().steps().ofRun(runId).size(), 3u) << "commitSteps left steps uncommitted";
            hourly.commitSteps(); // nothing pending: nothing happens
            EXPECT_EQ(book().steps().ofRun(runId).size(), 3u);
        }
    };
    const RecordedRun paced = runTempo(*model, request, hourly, callbacks);
    ASSERT_GE(paced.run.steps.size(), 5u);
    ASSERT_EQ(storedWhenReported.size(), paced.run.steps.size());
    for (size_t s = 0; s < storedWhenReported.size(); ++s)
        EXPECT_EQ(storedWhenReported[s], s < 3 ? 0u : 3u) << "step " << s << ": committed before its pace came";
    EXPECT_EQ(book().steps().ofRun(paced.runId).size(), paced.run.steps.size());

    NotebookRunSink atOnce(book(), StepCommits::Paced, 0.0);
    storedWhenReported.clear();
    callbacks.onStep = [&](int64_t runId, const StepRecord&) {
        storedWhenReported.push_back(book().steps().ofRun(runId).size());
    };
    const RecordedRun eager = runTempo(*model, request, atOnce, callbacks);
    ASSERT_EQ(storedWhenReported.size(), eager.run.steps.size());
    for (size_t s = 0; s < storedWhenReported.size(); ++s)
        EXPECT_EQ(storedWhenReported[s], s + 1) << "step " << s << " was reported before its pace committed it";
}

// The experiment runner commits the running run's steps when its caller asks (the window's run
// worker, before it shows them); outside a run the call does nothing.
TEST_F(ExperimentTest, TheRunnerCommitsTheRunningRunsStepsWhenAsked)
{
    const CatalogEntry entry{*shippedPreset("2"), true}; // both modes: two runs, two sinks
    ExperimentRunner runner(book(), cache_);
    runner.commitSteps();
    int reports = 0;
    RunCallbacks callbacks;
    callbacks.onStep = [&](int64_t runId, const StepRecord& step) {
        runner.commitSteps();
        EXPECT_EQ(book().steps().ofRun(runId).size(), static_cast<size_t>(step.step + 1))
            << "run " << runId << " step " << step.step;
        ++reports;
    };
    const ExperimentResult result = runner.run({entry, peakedModelFolder(), ComputeOptions{}}, callbacks);
    ASSERT_EQ(result.runIds.size(), 2u);
    EXPECT_GT(reports, 2);
    runner.commitSteps();
}

TEST_F(ExperimentTest, ARunThatFeedsFewerTokensThanItSelectsIsStoredWithTheSlotsItUsed)
{
    // Only the last member of each set reaches the model: one slot per step. The stored slots
    // are the decoder's; deriving them from set sizes (consecutive slots for every member) would
    // name slots past the cache and give every member a slot.
    const auto model = cache_.get(peakedModelFolder(), ComputeOptions{});
    TempoRunRequest request = peakedRequest();
    request.config.faultsForTesting.feedOnlyLastMember = true;
    request.stored.positions = true; // the decoder's slot map, stored
    NotebookRunSink sink(book());
    const RecordedRun recorded = runTempo(*model, request, sink);

    const std::vector<notebook::StepRecord> steps = book().steps().ofRun(recorded.runId);
    ASSERT_EQ(steps.size(), recorded.run.steps.size());
    const int64_t promptLength = static_cast<int64_t>(recorded.run.promptIds.size());
    int64_t nextSlot = promptLength;
    bool sawMultiMember = false;
    for (const notebook::StepRecord& step : steps) {
        sawMultiMember = sawMultiMember || step.tokenIds.size() >= 2;
        std::vector<int64_t> expected(step.tokenIds.size(), -1);
        expected.back() = nextSlot++;
        EXPECT_EQ(step.physicalSlots, expected) << "step " << step.step;
    }
    EXPECT_TRUE(sawMultiMember) << "the run should select a set of 2+ for fewer tokens to be fed";
    EXPECT_EQ(nextSlot, recorded.run.cacheLength);

    // What the analyses read back: slot -> step from the stored steps equals the decoder's map.
    const StoredRun storedRun = readStoredRun(book(), recorded.runId);
    EXPECT_EQ(storedRun.slotSteps(), recorded.run.slotSteps);
    const auto slotMap = readTensor(book(), recorded.runId, tensorname::kSlotSteps);
    ASSERT_TRUE(slotMap);
    EXPECT_EQ(blobInt64(*slotMap), recorded.run.slotSteps);
}

// A metric as stored: the same value (NaN is kept as NULL and read back as NaN by withPrefix).
bool sameMetric(const notebook::MetricRecord& a, const notebook::MetricRecord& b)
{
    return a.name == b.name && (a.value == b.value || (std::isnan(a.value) && std::isnan(b.value))) && a.step == b.step &&
           a.layer == b.layer && a.head == b.head;
}

// The sink analyses a run's end (cross_parallel.*, the single-run verdict) from the records it has
// just stored, in memory; re-analysing the stored records must give the very same metrics. Two
// runs: a plain one, and one that feeds only the last member of each set (failed checks, slots
// of -1), both with attention stored and sets of 2+.
TEST_F(ExperimentTest, EndOfRunAnalysesFromMemoryEqualTheStoredRecordsAnalyses)
{
    const auto model = cache_.get(peakedModelFolder(), ComputeOptions{});
    for (const bool feedOnlyLast : {false, true}) {
        TempoRunRequest request = peakedRequest();
        request.stored.attention = true;
        request.config.faultsForTesting.feedOnlyLastMember = feedOnlyLast;
        NotebookRunSink sink(book());
        const RecordedRun recorded = runTempo(*model, request, sink);
        const int64_t runId = recorded.runId;
        const StoredRun stored = readStoredRun(book(), runId);
        ASSERT_TRUE(std::any_of(stored.steps.begin(), stored.steps.end(),
                                [](const notebook::StepRecord& step) { return step.tokenIds.size() >= 2; }))
            << "precondition: a set of 2+ (cross_parallel.* needs one)";

        // The run as the sink saw it equals the run read back, in what the analyses read.
        const StoredRun fromMemory = recordedStoredRun(*book().runs().find(runId), recorded.run, book().path());
        EXPECT_EQ(fromMemory.promptLength, stored.promptLength);
        EXPECT_EQ(fromMemory.slotSteps(), stored.slotSteps());
        EXPECT_EQ(fromMemory.sets(), stored.sets());
        ASSERT_EQ(fromMemory.steps.size(), stored.steps.size());
        for (size_t s = 0; s < stored.steps.size(); ++s) {
            EXPECT_EQ(fromMemory.steps[s].step, stored.steps[s].step);
            EXPECT_EQ(fromMemory.steps[s].physicalSlots, stored.steps[s].physicalSlots) << "step " << s;
        }
        ASSERT_EQ(fromMemory.checks.size(), stored.checks.size());
        for (size_t c = 0; c < stored.checks.size(); ++c) {
            EXPECT_EQ(fromMemory.checks[c].name, stored.checks[c].name);
            EXPECT_EQ(fromMemory.checks[c].passed, stored.checks[c].passed) << stored.checks[c].name;
        }
        if (feedOnlyLast) {
            EXPECT_FALSE(stored.allChecksPassed()) << "precondition: a failed check for the verdict to name";
        }

        const auto expectedCross = toMetricRecords(analyseRecordedRun(book(), runId));
        const auto expectedVerdict = toMetricRecords(metrics(singleRunVerdict(book(), runId)));
        const auto cross = book().metrics().withPrefix(runId, "cross_parallel.");
        const auto verdict = book().metrics().withPrefix(runId, "verdict.");
        ASSERT_FALSE(expectedCross.empty());
        ASSERT_EQ(cross.size(), expectedCross.size());
        for (size_t m = 0; m < cross.size(); ++m)
            EXPECT_TRUE(sameMetric(cross[m], expectedCross[m]))
                << cross[m].name << " " << cross[m].value << " vs " << expectedCross[m].name << " " << expectedCross[m].value;
        ASSERT_EQ(verdict.size(), expectedVerdict.size());
        for (size_t m = 0; m < verdict.size(); ++m)
            EXPECT_TRUE(sameMetric(verdict[m], expectedVerdict[m]))
                << verdict[m].name << " " << verdict[m].value << " vs " << expectedVerdict[m].value;
    }
}

TEST_F(ExperimentTest, AnAttemptThatFailsBeforeItStartsGoesToEitherSink)
{
    RunConfig config; // what ExperimentRunner knows when the model does not load
    config.prompt = "The cat sat";
    config.model.folder = "/nowhere/model";
    const std::string error = "model folder '/nowhere/model': expected config.json, found no such file";

    MemoryRunSink memory;
    EXPECT_EQ(memory.failedToStart({"1a", config, error}), 0);
    EXPECT_EQ(memory.status(), notebook::RunStatus::Failed);
    EXPECT_EQ(memory.error(), error);
    EXPECT_TRUE(memory.steps().empty());

    NotebookRunSink sink(book());
    const int64_t id = sink.failedToStart({"1a", config, error});
    ASSERT_GT(id, 0);
    EXPECT_EQ(sink.runId(), id);
    const auto run = book().runs().find(id);
    ASSERT_TRUE(run.has_value());
    EXPECT_EQ(run->status, notebook::RunStatus::Failed);
    EXPECT_EQ(run->errorText, error);
    EXPECT_EQ(run->presetId, "1a");
    EXPECT_EQ(run->prompt, "The cat sat");
    EXPECT_EQ(run->config.model.folder, "/nowhere/model");
    EXPECT_FALSE(run->config.tempo.has_value()); // nothing was decoded
    EXPECT_TRUE(book().steps().ofRun(id).empty());
}

TEST_F(ExperimentTest, PrintedTextIsTheStoredText)
{
    // A first set wide enough to hold the tokenizer's <|end_of_text|>: the CLI used to print it
    // while the notebook stored the text without special tokens.
    const std::string book = (dir() / "cli.sqlite").string();
    const std::string command = std::string("'") + TEMPO_CLI_PATH + "' run --model '" + peakedModelFolder().string() +
                                "' --prompt 'The cat' --threshold 1e-30 --max-width 512 --max-steps 1 --no-stop-at-eos" +
                                " --notebook '" + book + "' 2>/dev/null";
    const ShellResult printed = runShell(command);
    ASSERT_TRUE(printed.exitCode == 0 || printed.exitCode == 1) << printed.out; // 1: a check failed
    // stdout: the text (tokens may hold newlines), then the check summary line, then the run id.
    const size_t summary = printed.out.rfind("\nchecks: ");
    ASSERT_NE(summary, std::string::npos) << printed.out.substr(0, 200);
    const std::string text = printed.out.substr(0, summary);

    notebook::Notebook stored(book);
    const auto runs = stored.runs().list();
    ASSERT_EQ(runs.size(), 1u);
    const auto steps = stored.steps().ofRun(runs.front().id);
    ASSERT_FALSE(steps.empty());
    bool endOfTextInASet = false;
    for (int64_t id : steps.front().tokenIds)
        endOfTextInASet = endOfTextInASet || id == kTestEndOfTextId;
    ASSERT_TRUE(endOfTextInASet) << "precondition: the first set holds <|end_of_text|>";
    EXPECT_NE(text.find("<|end_of_text|>"), std::string::npos) << text.substr(0, 200);
    EXPECT_EQ(text, stored.runs().find(runs.front().id)->generatedText);
}

} // namespace
} // namespace tempo::test
