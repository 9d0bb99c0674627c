#pragma once
// Stored reports: Markdown with its PNG images, of a run, a group, a sweep or a study.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class ReportStore : public Store {
public:
    explicit ReportStore(const StoreContext& context) : Store(context) {}

    std::int64_t add(const ReportRecord& report);
    std::optional<ReportRecord> find(std::int64_t reportId) const;
    std::vector<std::int64_t> ofRun(std::int64_t runId) const;
    std::vector<std::int64_t> ofGroup(std::int64_t groupId) const;
    std::vector<std::int64_t> ofSweep(std::int64_t sweepId) const;
    // A study's reports (schema 5; none in a notebook read-only at an older schema).
    std::vector<std::int64_t> ofStudy(std::int64_t studyId) const;

private:
    bool hasStudyLinks() const; // report_studies exists (schema >= 5)
};

} // namespace tempo::notebook
