#include "core/model/kvcache.h"

#include <string>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/model/shapetext.h"

namespace tempo {

namespace {

} // namespace

KVCache::KVCache(const LlamaConfig& config, int64_t capacity, const ComputeOptions& options)
    : capacity_(capacity)
{
    if (capacity <= 0)
        throw InvalidArgument(expectedFound("KV cache capacity", "a positive number of slots", std::to_string(capacity)));
    options.validate();
    const auto tensorOptions = at::TensorOptions().dtype(options.dtype).device(options.device);
    // [L, H_kv, capacity, D]; zero-filled so a view past a truncation never shows garbage.
    keys_ = at::zeros({config.numHiddenLayers, config.numKeyValueHeads, capacity, config.headDim}, tensorOptions);
    values_ = at::zeros_like(keys_);
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
    keys_[layer].narrow(1, length_, n).copy_(keys);     // [H_kv, n, D]
    values_[layer].narrow(1, length_, n).copy_(values); // [H_kv, n, D]
}

void KVCache::advance(int64_t n)
{
    if (n < 0 || length_ + n > capacity_)
        throw InvalidArgument(expectedFound("KV cache advance by " + std::to_string(n) + " after " + std::to_string(length_),
                                            "a total within 0.." + std::to_string(capacity_), std::to_string(length_ + n)));
    length_ += n;
}

at::Tensor KVCache::keys(int64_t layer, int64_t n) const
{
    if (layer < 0 || layer >= layers() || n < 0 || length_ + n > capacity_)
        throw InvalidArgument(expectedFound("KV cache keys(layer " + std::to_string(layer) + ", n " + std::to_string(n) + ")",
                                            "layer < " + std::to_string(layers()) + " and length + n <= " + std::to_string(capacity_),
                                            "length " + std::to_string(length_)));
    return keys_[layer].narrow(1, 0, length_ + n); // [H_kv, length + n, D]
}

at::Tensor KVCache::values(int64_t layer, int64_t n) const
{
    if (layer < 0 || layer >= layers() || n < 0 || length_ + n > capacity_)
        throw InvalidArgument(expectedFound("KV cache values(layer " + std::to_string(layer) + ", n " + std::to_string(n) + ")",
                                            "layer < " + std::to_string(layers()) + " and length + n <= " + std::to_string(capacity_),
                                            "length " + std::to_string(length_)));
    return values_[layer].narrow(1, 0, length_ + n); // [H_kv, length + n, D]
}

void KVCache::truncate(int64_t slot)
{
    if (slot < 0 || slot > length_)
        throw InvalidArgument(expectedFound("KV cache truncate slot", "0.." + std::to_string(length_) + " (the filled length)",
                                            std::to_string(slot)));
    length_ = slot;
}

} // namespace tempo
