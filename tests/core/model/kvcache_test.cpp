// KVCache: preallocated [L, H_kv, capacity, D], rows written by slot, views, truncate rollback.

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/model/kvcache.h"

namespace tempo {
namespace {

LlamaConfig cacheConfig()
{
    LlamaConfig config;
    config.numHiddenLayers = 2;
    config.numKeyValueHeads = 3;
    config.headDim = 4;
    return config;
}

at::Tensor rows(int64_t n, double base) // [H_kv=3, n, D=4] with distinct values
{
    return at::arange(3 * n * 4, at::kFloat).view({3, n, 4}) + base;
}

TEST(KVCacheTest, WritesRowsAtTheNextSlotsAndViewsCoverFilledPlusNew)
{
    KVCache cache(cacheConfig(), 6, ComputeOptions{});
    EXPECT_EQ(cache.capacity(), 6);
    EXPECT_EQ(cache.length(), 0);
    EXPECT_EQ(cache.layers(), 2);
    cache.write(0, rows(2, 0), rows(2, 100));
    cache.write(1, rows(2, 1000), rows(2, 1100));
    // Before advance, keys(layer, 2) already shows the two new rows.
    EXPECT_TRUE(at::equal(cache.keys(0, 2), rows(2, 0)));
    cache.advance(2);
    EXPECT_EQ(cache.length(), 2);
    cache.write(0, rows(1, 50), rows(1, 150));
    const at::Tensor keys = cache.keys(0, 1); // [3, 3, 4]
    ASSERT_EQ(keys.sizes(), (std::vector<int64_t>{3, 3, 4}));
    EXPECT_TRUE(at::equal(keys.narrow(1, 0, 2), rows(2, 0)));
    EXPECT_TRUE(at::equal(keys.narrow(1, 2, 1), rows(1, 50)));
    EXPECT_TRUE(at::equal(cache.values(0, 1).narrow(1, 2, 1), rows(1, 150)));
    EXPECT_TRUE(at::equal(cache.values(1, 0), rows(2, 1100))); // layers are separate
}

TEST(KVCacheTest, TruncateRollsBackAndTheNextWriteOverwrites)
{
    KVCache cache(cacheConfig(), 4, ComputeOptions{});
    cache.write(0, rows(3, 0), rows(3, 0));
    cache.advance(3);
    cache.truncate(1);
    EXPECT_EQ(cache.length(), 1);
    EXPECT_EQ(cache.keys(0, 0).size(1), 1);
    cache.write(0, rows(2, 500), rows(2, 600));
    cache.advance(2);
    EXPECT_TRUE(at::equal(cache.keys(0, 0).narrow(1, 1, 2), rows(2, 500)));
    EXPECT_TRUE(at::equal(cache.keys(0, 0).narrow(1, 0, 1), rows(3, 0).narrow(1, 0, 1)));
    cache.clear();
    EXPECT_EQ(cache.length(), 0);
}

TEST(KVCacheTest, RefusesOverflowBadShapesAndBadSlots)
{
    KVCache cache(cacheConfig(), 2, ComputeOptions{});
    try {
        cache.write(0, rows(3, 0), rows(3, 0));
        FAIL() << "overflow accepted";
    } catch (const InvalidArgument& error) {
        EXPECT_NE(std::string(error.what()).find("capacity"), std::string::npos) << error.what();
    }
    EXPECT_THROW(cache.write(2, rows(1, 0), rows(1, 0)), InvalidArgument);                  // layer
    EXPECT_THROW(cache.write(0, at::zeros({2, 1, 4}), at::zeros({2, 1, 4})), InvalidArgument); // heads
    EXPECT_THROW(cache.write(0, rows(1, 0), rows(2, 0)), InvalidArgument);                  // k/v mismatch
    EXPECT_THROW(cache.truncate(1), InvalidArgument);                                        // beyond length
    EXPECT_THROW(cache.truncate(-1), InvalidArgument);
    EXPECT_THROW(cache.advance(3), InvalidArgument);
    EXPECT_THROW(KVCache(cacheConfig(), 0, ComputeOptions{}), InvalidArgument);
}

TEST(KVCacheTest, StoresInTheRequestedDtype)
{
    ComputeOptions options;
    options.dtype = at::kBFloat16;
    KVCache cache(cacheConfig(), 3, options);
    EXPECT_EQ(cache.dtype(), at::kBFloat16);
    cache.write(0, rows(1, 0), rows(1, 0)); // float32 input converted on write
    EXPECT_TRUE(at::equal(cache.keys(0, 1).to(at::kFloat), rows(1, 0))); // small integers are exact in bf16
}

} // namespace
} // namespace tempo
