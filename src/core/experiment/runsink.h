#pragma once
// Where one run goes. runTempo() (runwriter.h) drives the decoder and hands every front end's run
// to one RunSink in the same order: started (before the first forward), each step's complete
// StepRecord as the decoder emits it, then finished (checks, captures, text, stop reason) or
// failed (the decoder's or the notebook's error). An attempt that fails before it can start (the
// model does not load) goes to the sink too, as failedToStart. NotebookRunSink (notebookrunsink.h) records the
// run in a notebook; MemoryRunSink keeps it in memory, for a plain `tempo-lab-cli run` without
// --notebook and for tests.

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/computeoptions.h"
#include "core/notebook/records.h"
#include "core/tempo/records.h"

namespace tempo {

struct LoadedModel;
struct TempoRunRequest;

// What a sink learns before the first forward.
struct RunStart {
    const LoadedModel& model;
    const TempoRunRequest& request;
    ComputeOptions options;         // as applied to this run (threads resolved)
    std::vector<int64_t> promptIds; // the encoded prompt the decoder is given
};

// An attempt that failed before its run could start (the model did not load): what was tried
// and why it failed. Nothing was decoded, so the configuration has no TEMPO settings.
struct FailedStart {
    std::string presetId;
    const RunConfig& config; // preset, prompt, model folder, compute options, sweep point
    std::string error;       // the loader's message
};

// How a run ended, as a sink receives it.
struct RunEnd {
    const TempoRun& run;   // steps, checks, captures, timing, stop reason
    std::string text;      // runText() of the run: what the CLI prints and the notebook stores
    notebook::RunStatus status = notebook::RunStatus::Finished; // Finished or Cancelled
};

class RunSink {
public:
    virtual ~RunSink() = default;
    // The run is about to start; returns its id (0 where the sink has no ids).
    virtual int64_t started(const RunStart& start) = 0;
    // One step, in step order, right after its forward (the decoding thread).
    virtual void step(const StepRecord& step) = 0;
    virtual void finished(const RunEnd& end) = 0;
    // The run stopped on an error after started(); must not throw (the error itself is rethrown).
    virtual void failed(const std::string& error) noexcept = 0;
    // The attempt failed before started() could be called; recorded as a failed run with no
    // steps. Returns its id (0 where the sink has no ids). May throw (the sink's own failure).
    virtual int64_t failedToStart(const FailedStart& attempt) = 0;
};

// Keeps the run in memory: the steps as they came, then the end.
class MemoryRunSink : public RunSink {
public:
    int64_t started(const RunStart& start) override;
    void step(const StepRecord& step) override;
    void finished(const RunEnd& end) override;
    void failed(const std::string& error) noexcept override;
    int64_t failedToStart(const FailedStart& attempt) override;

    const std::vector<int64_t>& promptIds() const { return promptIds_; }
    const std::vector<StepRecord>& steps() const { return steps_; }
    const std::vector<CheckResult>& checks() const { return checks_; }
    const std::string& text() const { return text_; }
    notebook::RunStatus status() const { return status_; }
    const std::string& error() const { return error_; }

private:
    std::vector<int64_t> promptIds_;
    std::vector<StepRecord> steps_;
    std::vector<CheckResult> checks_;
    std::string text_;
    notebook::RunStatus status_ = notebook::RunStatus::Running;
    std::string error_;
};

} // namespace tempo
