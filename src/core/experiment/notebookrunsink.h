#pragma once
// The sink that records a run in a notebook (issue 4): the run row with its provenance and config
// before the first forward, the steps as the decoder emits them (slots as the decoder assigned
// them, -1 for a member that was not fed), each committed before the next forward (StepCommits::
// EachStep: the window's live run page reads them back as they come) or in batches (Batched:
// every kStepBatch steps or kStepFlushSeconds, whichever comes first, and at the end; sweeps and
// studies, which nobody watches step by step), then the captured tensors, the
// mechanism checks, the analyses every run gets (analyseRecordedRun), the text and the final
// status (finished, cancelled, or failed with the error text kept). A process killed mid-run
// keeps its committed steps (batched: all but at most the last batch) but no tensors (the decoder
// hands captures over at the end). Batching: one transaction per step cost a study on the
// bundled model several percent of its wall time (docs/performance.md).

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

enum class StepCommits { EachStep, Batched };

class NotebookRunSink : public RunSink {
public:
    explicit NotebookRunSink(notebook::Notebook& notebook, StepCommits commits = StepCommits::EachStep)
        : notebook_(notebook), commits_(commits)
    {
    }

    int64_t started(const RunStart& start) override;
    void step(const StepRecord& step) override;
    void finished(const RunEnd& end) override;
    void failed(const std::string& error) noexcept override;
    int64_t failedToStart(const FailedStart& attempt) override;

    int64_t runId() const { return runId_; }

    static constexpr std::size_t kStepBatch = 64;
    static constexpr double kStepFlushSeconds = 1.0;

private:
    void flushSteps();

    notebook::Notebook& notebook_;
    StepCommits commits_;
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
