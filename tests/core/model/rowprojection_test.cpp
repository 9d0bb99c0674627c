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

TEST(RowProjection, MatchesNaiveProductForEveryRowCountAndRemainder)
{
    at::manual_seed(7);
    double worst = 0.0;
    for (int64_t in : {1, 7, 45, 256})
        for (int64_t out : {1, 3, 4, 37, 130})
            for (int64_t n = 1; n <= kMaxKernelRows; ++n) {
                const at::Tensor x = at::randn({n, in});   // [n, in]
                const at::Tensor w = at::randn({out, in}); // [out, in]
                ASSERT_TRUE(rowProjectionApplies(x, w));
                const at::Tensor y = projectRows(x, w);    // [n, out]
                ASSERT_EQ(y.size(0), n);
                ASSERT_EQ(y.size(1), out);
                const std::vector<double> expected = naiveProduct(x, w);
                const float* yd = y.data_ptr<float>();
                for (size_t i = 0; i < expected.size(); ++i) {
                    // f32 accumulation of `in` products of N(0,1) values: error grows ~ sqrt(in).
                    const double tolerance = 1e-5 * std::sqrt(static_cast<double>(in)) * (1.0 + std::fabs(expected[i]));
                    const double diff = std::fabs(yd[i] - expected[i]);
                    worst = std::max(worst, diff);
                    ASSERT_LE(diff, tolerance) << "n=" << n << " in=" << in << " out=" << out << " element " << i;
                }
            }
    std::printf("row projection vs float64 reference: max abs diff %.3g\n", worst);
}

TEST(RowProjection, SameBitsWhateverTheThreadCount)
{
    at::manual_seed(11);
    const at::Tensor x = at::randn({8, 300});
    const at::Tensor w = at::randn({1000, 300});
    const int previous = at::get_num_threads();
    at::set_num_threads(1);
    const at::Tensor one = projectRows(x, w);
    at::set_num_threads(2);
    const at::Tensor two = projectRows(x, w);
    at::set_num_threads(previous);
    EXPECT_TRUE(at::equal(one, two));
}

TEST(RowProjection, RefusesWhatItDoesNotHandle)
{
    const at::Tensor w = at::randn({10, 6});
    EXPECT_FALSE(rowProjectionApplies(at::randn({kMaxKernelRows + 1, 6}), w)); // prefill goes to gemm
    EXPECT_FALSE(rowProjectionApplies(at::randn({2, 6}).to(at::kBFloat16), w.to(at::kBFloat16)));
    EXPECT_FALSE(rowProjectionApplies(at::randn({6, 2}).t(), w));              // not contiguous
    EXPECT_FALSE(rowProjectionApplies(at::randn({2, 5}), w));                  // inner sizes differ
    EXPECT_FALSE(rowProjectionApplies(at::randn({0, 6}), w));
}

} // namespace
} // namespace tempo
