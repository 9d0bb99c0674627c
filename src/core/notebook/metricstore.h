#pragma once
// A run's metrics: named values, each optionally tied to a step, a layer and a head.

#include <cstdint>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class MetricStore : public Store {
public:
    explicit MetricStore(const StoreContext& context) : Store(context) {}

    void record(std::int64_t runId, const std::vector<MetricRecord>& metrics); // one transaction
    std::vector<MetricRecord> ofRun(std::int64_t runId) const;                 // in recording order
};

} // namespace tempo::notebook
