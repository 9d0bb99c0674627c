#pragma once
// A run's captured tensors: raw bytes with name, step, dtype and shape. Tensors captured at a step
// are written with the step (StepStore::append); this store adds the others and reads them all.

#include <cstdint>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class TensorStore : public Store {
public:
    explicit TensorStore(const StoreContext& context) : Store(context) {}

    // Tensors not tied to one step (or added after the run); returns their ids.
    std::vector<std::int64_t> add(std::int64_t runId, const std::vector<TensorBlob>& tensors);
    // What the run's tensors are, without their bytes (for listings), in insertion order.
    std::vector<TensorInfo> infosOfRun(std::int64_t runId) const;
    // One tensor with its bytes; throws InvalidArgument for an unknown id, NotebookError for
    // stored bytes that disagree with their dtype and shape.
    TensorBlob load(std::int64_t tensorId) const;
    // Deletes every captured tensor of the run (its steps, checks and metrics stay): what a study
    // does to keep its notebook small. Returns the bytes of tensor data removed. The file shrinks
    // at the next `PRAGMA incremental_vacuum` (releaseFreePages).
    std::int64_t removeOfRun(std::int64_t runId);
    // Gives freed pages back to the file system (incremental vacuum and a passive checkpoint).
    void releaseFreePages();
};

} // namespace tempo::notebook
