#pragma once
// A run's metrics: named values, each optionally tied to a step, a layer and a head.

#include <cstdint>
#include <string>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class MetricStore : public Store {
public:
    explicit MetricStore(const StoreContext& context) : Store(context) {}

    void record(std::int64_t runId, const std::vector<MetricRecord>& metrics); // one transaction
    std::vector<MetricRecord> ofRun(std::int64_t runId) const;                 // in recording order
    // The run's metrics whose names start with `prefix`, in recording order. Here as in ofRun, a
    // value recorded as NaN (SQLite keeps it as NULL) reads back as NaN.
    std::vector<MetricRecord> withPrefix(std::int64_t runId, const std::string& prefix) const;
    // Whether the run has a metric whose name starts with `prefix` (reads no values).
    bool hasPrefix(std::int64_t runId, const std::string& prefix) const;
    // Removes the run's metrics whose names start with `prefix` and records `metrics` instead, in
    // one transaction (a pair's verdict replaces the single-run verdict stored when the run ended).
    void replacePrefix(std::int64_t runId, const std::string& prefix, const std::vector<MetricRecord>& metrics);
};

} // namespace tempo::notebook
