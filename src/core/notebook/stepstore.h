#pragma once
// A run's steps: per step its logical position, elapsed time and parallel set (token ids, texts,
// probabilities and physical slots of its members), with the tensors captured at it.

#include <cstdint>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class StepStore : public Store {
public:
    explicit StepStore(const StoreContext& context) : Store(context) {}

    // Commits one step (its parallel set and the tensors captured at it) in one short transaction.
    // Tensors without a step get this step's index.
    void append(std::int64_t runId, const StepRecord& step, const std::vector<TensorBlob>& tensors = {});
    // Commits several steps of one run (no tensors) in one transaction: all or none.
    void appendMany(std::int64_t runId, const std::vector<StepRecord>& steps);
    std::vector<StepRecord> ofRun(std::int64_t runId) const; // in step order
};

} // namespace tempo::notebook
