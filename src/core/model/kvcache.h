#pragma once
// Preallocated key/value cache, one tensor pair for all layers, updated in place by slot index
// (gpt-fast style). A "physical slot" is an index along the sequence axis of this cache.

#include <cstdint>

#include <ATen/Tensor.h>

#include "core/model/llamaconfig.h"
#include "core/model/computeoptions.h"

namespace tempo {

class KVCache {
public:
    KVCache(const LlamaConfig& config, int64_t capacity, const ComputeOptions& options);

    int64_t length() const { return length_; }     // slots filled so far
    int64_t capacity() const { return capacity_; }
    int64_t layers() const { return keys_.size(0); }
    int64_t keyValueHeads() const { return keys_.size(1); }
    int64_t headDim() const { return keys_.size(3); }
    c10::ScalarType dtype() const { return keys_.scalar_type(); }
    c10::Device device() const { return keys_.device(); }

    // Writes keys/values of `n` new rows for `layer` at slots [length, length + n), converting to
    // the cache's dtype/device. keys, values: [H_kv, n, D]. Throws InvalidArgument on a shape
    // mismatch or overflow. Does not advance length (the model calls advance() once per forward).
    void write(int64_t layer, const at::Tensor& keys, const at::Tensor& values);
    void advance(int64_t n);
    // Views (no copy) of slots [0, length + n) for `layer`: [H_kv, length + n, D].
    at::Tensor keys(int64_t layer, int64_t n) const;
    at::Tensor values(int64_t layer, int64_t n) const;
    // Rollback: forget every slot from `slot` on (0 <= slot <= length, else InvalidArgument).
    // The stale rows stay in memory and are overwritten by the next write.
    void truncate(int64_t slot);
    void clear() { truncate(0); }

private:
    at::Tensor keys_;   // [L, H_kv, capacity, D]
    at::Tensor values_; // [L, H_kv, capacity, D]
    int64_t capacity_ = 0;
    int64_t length_ = 0;
};

} // namespace tempo
