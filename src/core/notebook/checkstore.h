#pragma once
// A run's checks: named pass/fail results with a value and a detail.

#include <cstdint>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class CheckStore : public Store {
public:
    explicit CheckStore(const StoreContext& context) : Store(context) {}

    void record(std::int64_t runId, const std::vector<CheckRecord>& checks); // one transaction
    std::vector<CheckRecord> ofRun(std::int64_t runId) const;                // in recording order
};

} // namespace tempo::notebook
