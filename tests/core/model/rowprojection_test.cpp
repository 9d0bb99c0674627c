// The few-row projection kernel against a naive float64 product (independent of BLAS and of the
// kernel's blocking), over the shapes that exercise every remainder path: rows 1..16 (pairs and a
// lone row), output sizes not divisible by 4 (the tail loop), odd inner sizes (vector tails).

#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "core/model/rowprojection.h"

namespace tempo {
namespace {

// y[j][o] = sum_k x[j][k] * w[o][k], in double, one loop per index.
std::vector<double> naiveProduct(const at::Tensor& x, const at::Tensor& w)
{
    const int64_t n = x.size(0), in = x.size(1), out = w.size(0);
    const float* xd = x.data_ptr<float>();
    const float* wd = w.data_ptr<float>();
    std::vector<double> y(static_cast<size_t>(n * out), 0.0);
    for (int64_t j = 0; j < n; ++j)
        for (int64_t o = 0; o < out; ++o) {
            double sum = 0.0;
            for (int64_t k = 0; k < in; ++k)
                sum += static_cast<double>(xd[j * in + k]) * static_cast<double>(wd[o * in + k]);
            y[static_cast<size_t>(j * out + o)] = sum;
        }
    return y;
}

// The kernels this CPU can run; the AVX-512 one is left out (and said so) where the CPU lacks it.
std::vector<RowKernel> kernelsHere()
{
    std::vector<RowKernel> kernels{RowKernel::Portable};
    if (rowKernelAvailable(RowKernel::Avx512))
        kernels.push_back(RowKernel::Avx512);
    else
        std::printf("this CPU has no AVX-512: only the portable row kernel is tested\n");
    return kernels;
}

const char* kernelName(RowKernel kernel)
{
    switch (kernel) {
    case RowKernel::Avx512: return "avx512";
    case RowKernel::Portable: return "portable";
    case RowKernel::AmxBf16: return "amx-bf16";
    case RowKernel::Avx512Bf16: return "avx512-bf16";
    default: return "best";
    }
}

TEST(RowProjection, MatchesNaiveProductForEveryRowCountAndRemainder)
{
    for (RowKernel kernel : kernelsHere()) {
        at::manual_seed(7);
        double worst = 0.0;
        // Inner sizes around the 16-lane vector (15, 16, 17, 33) exercise the masked tail; output
        // sizes not divisible by 4 or 6 exercise the leftover weight rows of both blockings.
        // Rows 1..16 (decode steps and parallel sets) and a few prefill lengths up to the f32 limit.
        std::vector<int64_t> rowCounts;
        for (int64_t n = 1; n <= kMaxKernelRows; ++n)
            rowCounts.push_back(n);
        for (int64_t n : {int64_t(17), int64_t(63), kMaxKernelRowsFloat})
            rowCounts.push_back(n);
        for (int64_t in : {1, 7, 15, 16, 17, 33, 45, 256})
            for (int64_t out : {1, 3, 4, 6, 37, 130})
                for (int64_t n : rowCounts) {
                    const at::Tensor x = at::randn({n, in});        // [n, in]
                    const at::Tensor w = at::randn({out, in});      // [out, in]
                    ASSERT_TRUE(rowProjectionApplies(x, w));
                    const at::Tensor y = projectRows(x, w, kernel); // [n, out]
                    ASSERT_EQ(y.size(0), n);
                    ASSERT_EQ(y.size(1), out);
                    const std::vector<double> expected = naiveProduct(x, w);
                    const float* yd = y.data_ptr<float>();
                    for (size_t i = 0; i < expected.size(); ++i) {
                        // f32 accumulation of `in` products of N(0,1) values: error grows ~ sqrt(in).
                        const double tolerance =
                            1e-5 * std::sqrt(static_cast<double>(in)) * (1.0 + std::fabs(expected[i]));
                        const double diff = std::fabs(yd[i] - expected[i]);
                        worst = std::max(worst, diff);
                        ASSERT_LE(diff, tolerance) << kernelName(kernel) << " n=" << n << " in=" << in
                                                   << " out=" << out << " element " << i;
                    }
                }
        std::printf("%s row projection vs float64 reference: max abs diff %.3g\n", kernelName(kernel), worst);
    }
}

TEST(RowProjection, SameBitsWhateverTheThreadCount)
{
    at::manual_seed(11);
    const at::Tensor x = at::randn({8, 300});
    const at::Tensor w = at::randn({1000, 300});
    const int previous = at::get_num_threads();
    for (RowKernel kernel : kernelsHere()) {
        at::set_num_threads(1);
        const at::Tensor one = projectRows(x, w, kernel);
        at::set_num_threads(2);
        const at::Tensor two = projectRows(x, w, kernel);
        at::set_num_threads(3); // splits the 1000 rows off the 6-row blocks of the AVX-512 kernel
        const at::Tensor three = projectRows(x, w, kernel);
        EXPECT_TRUE(at::equal(one, two)) << kernelName(kernel);
        EXPECT_TRUE(at::equal(one, three)) << kernelName(kernel);
    }
    at::set_num_threads(previous);
}

// bf16 kernels (AMX tiles, AVX512_BF16) against the float64 product of the same bf16 values: f32
// sums, one rounding to bf16 at the end. Output sizes around the 16- and 32-row passes exercise
// AMX's f32 tail loop and the 6-row blocks' remainders.
TEST(RowProjection, Bf16KernelsMatchNaiveProductOfTheRoundedValues)
{
    std::vector<RowKernel> kernels;
    for (RowKernel kernel : {RowKernel::AmxBf16, RowKernel::Avx512Bf16})
        if (rowKernelAvailable(kernel))
            kernels.push_back(kernel);
    if (kernels.empty()) {
        std::printf("this CPU (or kernel) has neither AMX nor AVX512_BF16: bf16 rows go to LibTorch, nothing to compare\n");
        EXPECT_FALSE(rowProjectionApplies(at::randn({2, 64}).to(at::kBFloat16), at::randn({10, 64}).to(at::kBFloat16)));
        return;
    }
    for (RowKernel kernel : kernels) {
        at::manual_seed(5);
        double worst = 0.0;
        for (int64_t in : {32, 64, 320})
            for (int64_t out : {1, 5, 6, 7, 15, 16, 17, 31, 32, 33, 100, 130})
                for (int64_t n = 1; n <= kMaxKernelRows; ++n) {
                    const at::Tensor x = at::randn({n, in}).to(at::kBFloat16);   // [n, in]
                    const at::Tensor w = at::randn({out, in}).to(at::kBFloat16); // [out, in]
                    ASSERT_TRUE(rowProjectionApplies(x, w));
                    const at::Tensor y = projectRows(x, w, kernel); // [n, out] bf16
                    ASSERT_EQ(y.scalar_type(), at::kBFloat16);
                    const std::vector<double> expected = naiveProduct(x.to(at::kFloat), w.to(at::kFloat));
                    const at::Tensor y32 = y.to(at::kFloat).contiguous();
                    const float* yd = y32.data_ptr<float>();
                    for (size_t i = 0; i < expected.size(); ++i) {
                        // Rounding to bf16 (8 significant bits) is off by at most 2^-8 of the value.
                        const double tolerance = std::ldexp(std::fabs(expected[i]), -8) +
                                                 1e-5 * std::sqrt(static_cast<double>(in)) * (1.0 + std::fabs(expected[i]));
                        const double diff = std::fabs(yd[i] - expected[i]);
                        worst = std::max(worst, diff);
                        ASSERT_LE(diff, tolerance) << kernelName(kernel) << " n=" << n << " in=" << in << " out=" << out
                                                   << " element " << i;
                    }
                }
        std::printf("%s row projection vs float64 reference: max abs diff %.3g\n", kernelName(kernel), worst);

        const int previous = at::get_num_threads(); // the same bits whatever the split
        const at::Tensor x = at::randn({8, 256}).to(at::kBFloat16);
        const at::Tensor w = at::randn({1000, 256}).to(at::kBFloat16);
        at::set_num_threads(1);
        const at::Tensor one = projectRows(x, w, kernel);
        at::set_num_threads(3);
        const at::Tensor three = projectRows(x, w, kernel);
        at::set_num_threads(previous);
        EXPECT_TRUE(at::equal(one, three)) << kernelName(kernel);
    }
}

TEST(RowProjection, RefusesWhatItDoesNotHandle)
{
    const at::Tensor w = at::randn({10, 6});
    EXPECT_FALSE(rowProjectionApplies(at::randn({kMaxKernelRowsFloat + 1, 6}), w)); // long prefills go to gemm
    EXPECT_TRUE(rowProjectionApplies(at::randn({kMaxKernelRowsFloat, 6}), w));
    EXPECT_FALSE(rowProjectionApplies(at::randn({kMaxKernelRows + 1, 64}).to(at::kBFloat16), at::randn({10, 64}).to(at::kBFloat16)));
    // bf16 with an inner size that is not whole 32-input chunks (and on CPUs without AMX or AVX512_BF16, any bf16)
    EXPECT_FALSE(rowProjectionApplies(at::randn({2, 6}).to(at::kBFloat16), w.to(at::kBFloat16)));
    EXPECT_FALSE(rowProjectionApplies(at::randn({2, 64}), at::randn({10, 64}).to(at::kBFloat16))); // mixed dtypes
    EXPECT_FALSE(rowProjectionApplies(at::randn({6, 2}).t(), w));              // not contiguous
    EXPECT_FALSE(rowProjectionApplies(at::randn({2, 5}), w));                  // inner sizes differ
    EXPECT_FALSE(rowProjectionApplies(at::randn({0, 6}), w));
}

} // namespace
} // namespace tempo
