#include "core/model/kvcache.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/model/allocation.h"
#include "core/model/shapetext.h"

namespace tempo {

namespace {

// [L, H_kv, slots, D] zeros for keys and values; zero-filled so a view past a truncation never
// shows garbage. A failed allocation is a ResourceError naming the slots and bytes.
std::pair<at::Tensor, at::Tensor> allocateKeyValues(int64_t layers, int64_t heads, int64_t slots, int64_t headDim,
                                                    const at::TensorOptions& options, uint64_t bytes)
{
    return guardAllocation("KV cache of " + std::to_string(slots) + " slots", bytes, [&] {
        at::Tensor keys = at::zeros({layers, heads, slots, headDim}, options);
        at::Tensor values = at::zeros_like(keys);
        return std::make_pair(std::move(keys), std::move(values));
    });
}

} // namespace

uint64_t KVCache::bytesPerSlot(const LlamaConfig& config, c10::ScalarType dtype)
{
    return 2ull * static_cast<uint64_t>(config.numHiddenLayers) * static_cast<uint64_t>(config.numKeyValueHeads) *
           static_cast<uint64_t>(config.headDim) * c10::elementSize(dtype);
}

KVCache::KVCache(const LlamaConfig& config, int64_t capacity, const ComputeOptions& options)
    : capacity_(capacity)
{
    if (capacity <= 0)
        throw InvalidArgument(expectedFound("KV cache capacity", "a positive number of slots", std::to_string(capacity)));
    options.validate();
    const auto tensorOptions = at::TensorOptions().dtype(options.dtype).device(options.device);
    const int64_t slots = std::min(capacity, kInitialSlots);
    std::tie(keys_, values_) = allocateKeyValues(config.numHiddenLayers, config.numKeyValueHeads, slots, config.headDim,
                                                 tensorOptions, bytesPerSlot(config, options.dtype) * slots);
}

void KVCache::grow(int64_t slots)
{
    const int64_t target = std::min(capacity_, std::max(slots, 2 * allocated()));
    const uint64_t bytes = 2ull * static_cast<uint64_t>(keys_.numel() / allocated()) * static_cast<uint64_t>(target) *
                           keys_.element_size();
    auto [keys, values] = allocateKeyValues(layers(), keyValueHeads(), target, headDim(), keys_.options(), bytes);
    keys.narrow(2, 0, length_).copy_(keys_.narrow(2, 0, length_));       // [L, H_kv, length, D]
    values.narrow(2, 0, length_).copy_(values_.narrow(2, 0, length_));   // [L, H_kv, length, D]
    keys_ = std::move(keys);
    values_ = std::move(values);
}

void KVCache::write(int64_t layer, const at::Tensor& keys, const at::Tensor& values)
{
    if (layer < 0 || layer >= layers())
        throw InvalidArgument(expectedFound("KV cache layer", "0.." + std::to_string(layers() - 1), std::to_string(layer)));
    if (keys.dim() != 3 || keys.size(0) != keyValueHeads() || keys.size(2) != headDim() || !values.sizes().equals(keys.sizes()))
        throw InvalidArgument(expectedFound("KV cache write keys/values",
                                            "both [" + std::to_string(keyValueHeads()) + ", n, " + std::to_string(headDim()) + "]",
                                            shapeText(keys.sizes()) + " and " + shapeText(values.sizes())));
    const int64_t n = keys.size(1);
    if (length_ + n > capacity_)
        throw InvalidArgument(expectedFound("KV cache write of " + std::to_string(n) + " rows after " +
                                                std::to_string(length_) + " filled slots",
                                            "at most " + std::to_string(capacity_) + " slots (the capacity)",
                                            std::to_string(length_ + n) + " slots"));
    if (length_ + n > allocated())
        grow(length_ + n);
    keys_[layer].narrow(1, length_, n).copy_(keys);     // [H_kv, n, D]
    values_[layer].narrow(1, length_, n).copy_(values); // [H_kv, n, D]
}

void KVCache::advance(int64_t n)
{
    if (n < 0 || length_ + n > capacity_)
        throw InvalidArgument(expectedFound("KV cache advance by " + std::to_string(n) + " after " + std::to_string(length_),
                                            "a total within 0.." + std::to_string(capacity_), std::to_string(length_ + n)));
    if (length_ + n > allocated())
        grow(length_ + n);
    length_ += n;
}

at::Tensor KVCache::keys(int64_t layer, int64_t n) const
{
    if (layer < 0 || layer >= layers() || n < 0 || length_ + n > allocated())
        throw InvalidArgument(expectedFound("KV cache keys(layer " + std::to_string(layer) + ", n " + std::to_string(n) + ")",
                                            "layer < " + std::to_string(layers()) + " and length + n <= " + std::to_string(allocated()),
                                            "length " + std::to_string(length_)));
    return keys_[layer].narrow(1, 0, length_ + n); // [H_kv, length + n, D]
}

at::Tensor KVCache::values(int64_t layer, int64_t n) const
{
    if (layer < 0 || layer >= layers() || n < 0 || length_ + n > allocated())
        throw InvalidArgument(expectedFound("KV cache values(layer " + std::to_string(layer) + ", n " + std::to_string(n) + ")",
                                            "layer < " + std::to_string(layers()) + " and length + n <= " + std::to_string(allocated()),
                                            "length " + std::to_string(length_)));
    return values_[layer].narrow(1, 0, length_ + n); // [H_kv, length + n, D]
}

void KVCache::writePositions(const std::vector<int64_t>& positions)
{
    const int64_t n = static_cast<int64_t>(positions.size());
    if (length_ + n > capacity_)
        throw InvalidArgument(expectedFound("KV cache positions of " + std::to_string(n) + " rows after " +
                                                std::to_string(length_) + " filled slots",
                                            "at most " + std::to_string(capacity_) + " slots (the capacity)",
                                            std::to_string(length_ + n) + " slots"));
    positions_.resize(static_cast<size_t>(length_));
    positions_.insert(positions_.end(), positions.begin(), positions.end());
}

std::vector<int64_t> KVCache::slotPositions(int64_t n) const
{
    if (n < 0 || static_cast<int64_t>(positions_.size()) < length_ + n)
        throw InvalidArgument(expectedFound("KV cache slot positions of " + std::to_string(length_) + " + " +
                                                std::to_string(n) + " slots",
                                            "positions written for each of them (writePositions)",
                                            std::to_string(positions_.size()) + " written"));
    return std::vector<int64_t>(positions_.begin(), positions_.begin() + (length_ + n));
}

void KVCache::truncate(int64_t slot)
{
    if (slot < 0 || slot > length_)
        throw InvalidArgument(expectedFound("KV cache truncate slot", "0.." + std::to_string(length_) + " (the filled length)",
                                            std::to_string(slot)));
    length_ = slot;
}

} // namespace tempo
