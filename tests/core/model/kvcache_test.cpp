// KVCache: [L, H_kv, allocated, D] growing up to the capacity, rows written by slot, views,
// truncate rollback, allocation failures as one-line ResourceErrors.

#include <gtest/gtest.h>

#include <cstdio>

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

TEST(KVCacheTest, AllocatesWhatIsUsedAndGrowsUpToTheCapacity)
{
    // A run that may use 2e9 slots (issue 14 asked LibTorch for 256 GB up front) starts small.
    KVCache cache(cacheConfig(), 2000000000, ComputeOptions{});
    EXPECT_EQ(cache.capacity(), 2000000000);
    EXPECT_EQ(cache.allocated(), KVCache::kInitialSlots);
    // Fill past the first allocation; every row must survive each growth.
    const int64_t rowsToWrite = KVCache::kInitialSlots + 5;
    for (int64_t slot = 0; slot < rowsToWrite; ++slot) {
        for (int64_t layer = 0; layer < 2; ++layer)
            cache.write(layer, rows(1, static_cast<double>(slot * 10 + layer)), rows(1, static_cast<double>(-slot)));
        cache.advance(1);
    }
    EXPECT_EQ(cache.allocated(), 2 * KVCache::kInitialSlots); // doubled once
    EXPECT_EQ(cache.length(), rowsToWrite);
    for (int64_t slot : {int64_t{0}, KVCache::kInitialSlots - 1, KVCache::kInitialSlots, rowsToWrite - 1}) {
        EXPECT_TRUE(at::equal(cache.keys(1, 0).narrow(1, slot, 1), rows(1, static_cast<double>(slot * 10 + 1)))) << slot;
        EXPECT_TRUE(at::equal(cache.values(0, 0).narrow(1, slot, 1), rows(1, static_cast<double>(-slot)))) << slot;
    }
    // A small capacity is allocated whole and never grows past it.
    KVCache small(cacheConfig(), 6, ComputeOptions{});
    EXPECT_EQ(small.allocated(), 6);
    EXPECT_EQ(KVCache::bytesPerSlot(cacheConfig(), at::kFloat), 2u * 2 * 3 * 4 * 4);
}

TEST(KVCacheTest, AnAllocationTheMachineCannotServeIsAOneLineResourceError)
{
    // Keys and values of 4096 layers x 4096 heads x 128 initial slots x 65536 dims x 4 bytes = 1 PiB:
    // past any x86-64 or arm64 user address space, so it fails whatever the overcommit setting.
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "AddressSanitizer aborts on a request this size instead of failing it (allocator_may_return_null=0)";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    GTEST_SKIP() << "AddressSanitizer aborts on a request this size instead of failing it (allocator_may_return_null=0)";
#endif
#endif
    LlamaConfig huge;
    huge.numHiddenLayers = 4096;
    huge.numKeyValueHeads = 4096;
    huge.headDim = 65536;
    static_assert(KVCache::kInitialSlots == 128, "the sizes below assume 128 initial slots");
    try {
        KVCache cache(huge, 1000000, ComputeOptions{});
        FAIL() << "a 1 PiB cache was allocated";
    } catch (const ResourceError& error) {
        const std::string message = error.what();
        std::printf("message: %s\n", message.c_str());
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        EXPECT_NE(message.find("KV cache of 128 slots"), std::string::npos) << message;
        EXPECT_NE(message.find("1048576.0 GiB"), std::string::npos) << message; // 2 x 4096 x 4096 x 128 x 65536 x 4 bytes
        EXPECT_NE(message.find("the allocation failed"), std::string::npos) << message;
    }
}

} // namespace
} // namespace tempo
