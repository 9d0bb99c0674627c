#include "core/tempo/records.h"

#include <algorithm>
#include <numeric>

#include "core/runrecord/checkoutcome.h"

namespace tempo {

std::string stopReasonName(StopReason reason)
{
    switch (reason) {
    case StopReason::MaxSteps: return "max_steps";
    case StopReason::EndOfSequence: return "eos";
    case StopReason::Cancelled: return "cancelled";
    }
    return "unknown";
}

double TempoTiming::msPerStep() const
{
    if (stepMs.empty())
        return 0.0;
    return std::accumulate(stepMs.begin(), stepMs.end(), 0.0) / static_cast<double>(stepMs.size());
}

bool CheckResult::notApplicable() const { return isNotApplicableCheck(passed, value, detail); }

bool TempoRun::allChecksPassed() const
{
    return !checks.empty() && std::all_of(checks.begin(), checks.end(), [](const CheckResult& c) { return c.passed; });
}

const CheckResult* TempoRun::check(const std::string& name) const
{
    for (const auto& c : checks)
        if (c.name == name)
            return &c;
    return nullptr;
}

std::vector<std::vector<int64_t>> TempoRun::sets() const
{
    std::vector<std::vector<int64_t>> out;
    out.reserve(steps.size());
    for (const auto& s : steps)
        out.push_back(s.tokenIds);
    return out;
}

} // namespace tempo
