#include "core/report/studyreportdata.h"

namespace tempo::report {

std::int64_t StudyReportData::prompts() const
{
    std::int64_t total = 0;
    for (const auto& [family, n] : promptsByFamily)
        total += n;
    return total;
}

std::int64_t StudyReportData::totalRuns() const
{
    std::int64_t total = 0;
    for (const auto& s : sweeps)
        total += s.runs;
    return total;
}

std::int64_t StudyReportData::totalSteps() const
{
    std::int64_t total = 0;
    for (const auto& s : sweeps)
        total += s.steps;
    return total;
}

std::int64_t StudyReportData::totalBytes() const
{
    std::int64_t total = 0;
    for (const auto& s : sweeps)
        total += s.storedBytes;
    return total;
}

std::int64_t StudyReportData::tempoChecksFailed() const
{
    std::int64_t total = 0;
    for (const auto& s : sweeps)
        if (s.role != "control")
            total += s.checksFailed;
    return total;
}

} // namespace tempo::report
