#pragma once
// The presets runs were made from (id, name and configuration).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class PresetStore : public Store {
public:
    explicit PresetStore(const StoreContext& context) : Store(context) {}

    // Inserts the preset, or replaces the name and configuration of the one with its id.
    void upsert(const PresetRecord& preset);
    std::optional<PresetRecord> find(const std::string& presetId) const;
    std::vector<std::string> ids() const; // sorted
};

} // namespace tempo::notebook
