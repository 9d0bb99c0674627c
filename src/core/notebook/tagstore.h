#pragma once
// A run's tags: words without spaces, shared between runs.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class TagStore : public Store {
public:
    explicit TagStore(const StoreContext& context) : Store(context) {}

    // Throws InvalidArgument for an empty tag or one with white space.
    void add(std::int64_t runId, const std::string& tag);
    void remove(std::int64_t runId, const std::string& tag);
    std::vector<std::string> ofRun(std::int64_t runId) const; // sorted
    std::vector<std::string> inUse() const;                   // tags some run carries, sorted
};

} // namespace tempo::notebook
