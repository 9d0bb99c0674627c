#pragma once
// Groups of runs compared together (a mode pair, ...): a kind, a comparison and the member runs in order.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class GroupStore : public Store {
public:
    explicit GroupStore(const StoreContext& context) : Store(context) {}

    // Fills in a UUID and a creation time when empty; every member run must exist.
    std::int64_t create(const RunGroupRecord& group);
    std::optional<RunGroupRecord> find(std::int64_t groupId) const;
    std::optional<std::int64_t> findByUuid(const std::string& uuid) const;
    std::vector<std::int64_t> ofRun(std::int64_t runId) const; // the groups the run is a member of
    std::vector<std::int64_t> all() const;
};

} // namespace tempo::notebook
