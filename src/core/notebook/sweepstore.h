#pragma once
// Sweeps: a specification and the runs made for its points (each with its point as JSON).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class SweepStore : public Store {
public:
    explicit SweepStore(const StoreContext& context) : Store(context) {}

    // Fills in a UUID and a creation time when empty; adds the sweep's runs in the same transaction.
    std::int64_t create(const SweepRecord& sweep);
    std::optional<SweepRecord> find(std::int64_t sweepId) const;
    std::optional<std::int64_t> findByUuid(const std::string& uuid) const;
    std::vector<std::int64_t> all() const;
    // Replaces the sweep's specification (a running sweep keeps its state and aggregate there).
    // Throws InvalidArgument for an unknown sweep id.
    void updateSpec(std::int64_t sweepId, const std::string& specJson);
    // Adds the run to the sweep, or replaces its point when it is there already.
    void addRun(std::int64_t sweepId, std::int64_t runId, const std::string& pointJson);
};

} // namespace tempo::notebook
