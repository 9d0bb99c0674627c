#pragma once
// Stored reports: Markdown with its PNG images, of a run, a group or a sweep.

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
};

} // namespace tempo::notebook
