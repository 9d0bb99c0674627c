// Weights copied into 2 MiB-aligned anonymous memory (hugepages.h): same values (converted to the
// asked dtype), contiguous, starting on a 2 MiB boundary, and alive as long as the tensor is.

#include <cstdint>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/model/hugepages.h"

namespace tempo {
namespace {

TEST(HugePages, CopyHasTheSourceValuesInTheAskedDtypeOnA2MiBBoundary)
{
    at::manual_seed(3);
    const at::Tensor source = at::randn({1024, 700}); // 2.7 MiB of float32, not a whole number of huge pages
    const at::Tensor same = copyToHugePages(source, at::kFloat);
    EXPECT_TRUE(same.is_contiguous());
    EXPECT_EQ(same.sizes(), source.sizes());
    EXPECT_TRUE(at::equal(same, source));
    EXPECT_NE(same.data_ptr(), source.data_ptr());
#if defined(__linux__)
    EXPECT_EQ(reinterpret_cast<uintptr_t>(same.data_ptr()) % kHugePageBytes, 0u);
#endif
    const at::Tensor halved = copyToHugePages(source, at::kBFloat16);
    EXPECT_EQ(halved.scalar_type(), at::kBFloat16);
    EXPECT_TRUE(at::equal(halved, source.to(at::kBFloat16)));

    // A transposed (non-contiguous) source is laid out contiguously.
    const at::Tensor transposed = copyToHugePages(source.t(), at::kFloat);
    EXPECT_TRUE(transposed.is_contiguous());
    EXPECT_TRUE(at::equal(transposed, source.t()));

    // The memory outlives the source and is released with the last reference (no crash under ASan).
    at::Tensor survivor;
    {
        const at::Tensor temporary = at::arange(1 << 20, at::kFloat);
        survivor = copyToHugePages(temporary, at::kFloat).narrow(0, 10, 5);
    }
    EXPECT_TRUE(at::equal(survivor, at::arange(10, 15, at::kFloat)));
}

} // namespace
} // namespace tempo
