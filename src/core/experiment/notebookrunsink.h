#pragma once
// The sink that records a run in a notebook (issue 4): the run row with its provenance and config
// before the first forward, the steps as the decoder emits them (slots as the decoder assigned
// them, -1 for a member that was not fed), then the captured tensors, the mechanism checks, the
// analyses every run gets (analyseRecordedRun), the text and the final status (finished,
// cancelled, or failed with the error text kept).
//
// When steps are committed (StepCommits):
// - Paced (the default: runs started from the window or the CLI): whenever kPacedCommitSeconds
//   have passed since the last commit, whenever the caller asks (commitSteps(): the window's run
//   worker does so right before it reports steps, so its live run page reads back every step it is
//   told about), and at the end. A process killed mid-run keeps every step the window showed and
//   all but the last kPacedCommitSeconds of the others.
// - EachStep: each step before the next forward (one transaction per step).
// - Batched (sweeps and studies, which nobody watches step by step): every kStepBatch steps or
//   kStepFlushSeconds, whichever comes first, and at the end.
// No tensors survive a killed process (the decoder hands captures over at the end). Why not
// EachStep by default: one transaction per step was 7-8% of a whole run on the bundled model, whose
// steps take about a millisecond (docs/performance.md, "The whole TEMPO run").

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/experiment/capturestore.h"
#include "core/experiment/runsink.h"

namespace tempo {

namespace notebook {
class Notebook;
}
class Tokenizer;

enum class StepCommits { Paced, EachStep, Batched };

class NotebookRunSink : public RunSink {
public:
    // `pacedCommitSeconds`: the pace of StepCommits::Paced (tests set it to hours or zero).
    explicit NotebookRunSink(notebook::Notebook& notebook, StepCommits commits = StepCommits::Paced,
                             double pacedCommitSeconds = kPacedCommitSeconds)
        : notebook_(notebook), commits_(commits), pacedCommitSeconds_(pacedCommitSeconds)
    {
    }

    int64_t started(const RunStart& start) override;
    void step(const StepRecord& step) override;
    void finished(const RunEnd& end) override;
    void failed(const std::string& error) noexcept override;
    int64_t failedToStart(const FailedStart& attempt) override;

    // Commits the steps received and not yet committed (none: nothing happens).
    void commitSteps();

    int64_t runId() const { return runId_; }

    static constexpr std::size_t kStepBatch = 64;
    static constexpr double kStepFlushSeconds = 1.0;
    static constexpr double kPacedCommitSeconds = 0.1;

private:
    void flushSteps();

    notebook::Notebook& notebook_;
    StepCommits commits_;
    double pacedCommitSeconds_;
    const LoadedModel* model_ = nullptr;
    StoredCaptureSelection stored_;
    notebook::RunRecord record_; // as created (id, config): the end-of-run analyses read it
    bool storesVerdict_ = false; // a plain run, or its preset asks for a verdict; and it has a prompt
    int64_t runId_ = 0;
    double previousElapsedMs_ = 0.0;
    std::vector<notebook::StepRecord> pendingSteps_; // emitted, not yet committed
    std::chrono::steady_clock::time_point lastFlush_;
};

// The notebook's record of one decoder step: token texts from `tokenizer`, slots as the decoder
// assigned them, `stepMs` as the step's elapsed time.
notebook::StepRecord notebookStep(const StepRecord& step, const Tokenizer& tokenizer, double stepMs);

} // namespace tempo
