#pragma once
// Key/value cache, one tensor pair for all layers, updated in place by slot index (gpt-fast
// style). A "physical slot" is an index along the sequence axis of this cache.
//
// `capacity` is the most slots the cache may hold; memory is allocated for what is used: up to
// kInitialSlots at construction, then doubled (capped at the capacity) when a write needs more.
// So a run that may use 2e9 slots starts with a few MiB instead of asking for 256 GB at once,
// and a growth that the machine cannot serve is a one-line ResourceError. 128 initial slots: the
// shipped presets use 20-150 slots per run, and zero-filling 1024 slots at every run's start was
// ~1% of a whole run on the bundled model (a grow is one copy of the filled slots).

#include <cstdint>
#include <vector>

#include <ATen/Tensor.h>

#include "core/model/llamaconfig.h"
#include "core/model/computeoptions.h"

namespace tempo {

class KVCache {
public:
    static constexpr int64_t kInitialSlots = 128;

    KVCache(const LlamaConfig& config, int64_t capacity, const ComputeOptions& options);

    // Bytes one slot takes in every layer, keys and values: 2 * L * H_kv * D * element size.
    static uint64_t bytesPerSlot(const LlamaConfig& config, c10::ScalarType dtype);

    int64_t length() const { return length_; }     // slots filled so far
    int64_t capacity() const { return capacity_; }
    int64_t allocated() const { return keys_.size(2); } // slots with memory behind them, <= capacity
    int64_t layers() const { return keys_.size(0); }
    int64_t keyValueHeads() const { return keys_.size(1); }
    int64_t headDim() const { return keys_.size(3); }
    c10::ScalarType dtype() const { return keys_.scalar_type(); }
    c10::Device device() const { return keys_.device(); }

    // Writes keys/values of `n` new rows for `layer` at slots [length, length + n), converting to
    // the cache's dtype/device, growing the allocation when needed (views taken before are then
    // stale). keys, values: [H_kv, n, D]. Throws InvalidArgument on a shape mismatch or overflow,
    // ResourceError when the growth cannot be allocated. Does not advance length (the model
    // calls advance() once per forward).
    void write(int64_t layer, const at::Tensor& keys, const at::Tensor& values);
    void advance(int64_t n);
    // Views (no copy) of slots [0, length + n) for `layer`: [H_kv, length + n, D].
    at::Tensor keys(int64_t layer, int64_t n) const;
    at::Tensor values(int64_t layer, int64_t n) const;
    // The logical position of every slot (what sliding-window layers measure distance in):
    // writePositions records those of the n rows about to be written at [length, length + n);
    // slotPositions() returns [length + n] of them (n: rows written, not yet advanced).
    void writePositions(const std::vector<int64_t>& positions);
    std::vector<int64_t> slotPositions(int64_t n) const;
    // Rollback: forget every slot from `slot` on (0 <= slot <= length, else InvalidArgument).
    // The stale rows stay in memory and are overwritten by the next write.
    void truncate(int64_t slot);
    void clear() { truncate(0); }

private:
    // Reallocates to hold at least `slots` (<= capacity), keeping slots [0, length).
    void grow(int64_t slots);

    at::Tensor keys_;   // [L, H_kv, allocated, D]
    at::Tensor values_; // [L, H_kv, allocated, D]
    std::vector<int64_t> positions_; // [length + pending] logical positions, on the host
    int64_t capacity_ = 0;
    int64_t length_ = 0;
};

} // namespace tempo
