#pragma once
// The models runs were made with: one row per model folder and weights/tokenizer hashes.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class ModelStore : public Store {
public:
    explicit ModelStore(const StoreContext& context) : Store(context) {}

    // Returns the id of the model with the same folder and hashes, inserting it if new.
    std::int64_t upsert(const ModelRecord& model);
    std::optional<ModelRecord> find(std::int64_t modelId) const;
};

} // namespace tempo::notebook
