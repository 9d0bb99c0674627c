#pragma once
// The sink that records a run in a notebook (issue 4): the run row with its provenance and config
// before the first forward, each step in its own transaction as the decoder emits it (slots as
// the decoder assigned them, -1 for a member that was not fed), then the captured tensors, the
// mechanism checks, the analyses every run gets (analyseRecordedRun), the text and the final
// status (finished, cancelled, or failed with the error text kept). A process killed mid-run
// keeps its committed steps but no tensors (the decoder hands captures over at the end).

#include <cstdint>
#include <string>

#include "core/experiment/capturestore.h"
#include "core/experiment/runsink.h"

namespace tempo {

namespace notebook {
class Notebook;
}
class Tokenizer;

class NotebookRunSink : public RunSink {
public:
    explicit NotebookRunSink(notebook::Notebook& notebook) : notebook_(notebook) {}

    int64_t started(const RunStart& start) override;
    void step(const StepRecord& step) override;
    void finished(const RunEnd& end) override;
    void failed(const std::string& error) noexcept override;
    int64_t failedToStart(const FailedStart& attempt) override;

    int64_t runId() const { return runId_; }

private:
    notebook::Notebook& notebook_;
    const LoadedModel* model_ = nullptr;
    StoredCaptureSelection stored_;
    bool storesVerdict_ = false; // a plain run, or its preset asks for a verdict; and it has a prompt
    int64_t runId_ = 0;
    double previousElapsedMs_ = 0.0;
};

// The notebook's record of one decoder step: token texts from `tokenizer`, slots as the decoder
// assigned them, `stepMs` as the step's elapsed time.
notebook::StepRecord notebookStep(const StepRecord& step, const Tokenizer& tokenizer, double stepMs);

} // namespace tempo
