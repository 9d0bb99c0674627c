#include "core/experiment/runsink.h"

namespace tempo {

int64_t MemoryRunSink::started(const RunStart& start)
{
    promptIds_ = start.promptIds;
    steps_.clear();
    checks_.clear();
    text_.clear();
    error_.clear();
    status_ = notebook::RunStatus::Running;
    return 0;
}

void MemoryRunSink::step(const StepRecord& step) { steps_.push_back(step); }

void MemoryRunSink::finished(const RunEnd& end)
{
    checks_ = end.run.checks;
    text_ = end.text;
    status_ = end.status;
}

int64_t MemoryRunSink::failedToStart(const FailedStart& attempt)
{
    promptIds_.clear();
    steps_.clear();
    checks_.clear();
    text_.clear();
    error_ = attempt.error;
    status_ = notebook::RunStatus::Failed;
    return 0;
}

void MemoryRunSink::failed(const std::string& error) noexcept
{
    try {
        error_ = error;
    } catch (...) {
        // An allocation failure while keeping the message: the caller still rethrows the error.
    }
    status_ = notebook::RunStatus::Failed;
}

} // namespace tempo
