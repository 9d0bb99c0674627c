// The few-row attention kernel against attention written out here in float64, one loop per index
// (grouped heads, scaling, soft-cap, mask, softmax, weighted values), for f32 and bf16, rows 1..16,
// group sizes 1, 2 and 4, masked slots, and queries given as a transposed view (as the forward
// hands them over).

#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "core/model/fewrowattention.h"

namespace tempo {
namespace {

struct AttentionReference {
    std::vector<double> context;       // [n, Hq*D]
    std::vector<double> probabilities; // [Hq, n, T]
};

AttentionReference attentionInFloat64(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed,
                             double scaling, double softcap)
{
    const at::Tensor q64 = q.to(at::kDouble).contiguous(), k64 = k.to(at::kDouble).contiguous(),
                     v64 = v.to(at::kDouble).contiguous(), mask = allowed.contiguous();
    const int64_t H = q.size(0), n = q.size(1), D = q.size(2), Hkv = k.size(0), T = k.size(1), group = H / Hkv;
    const double* qd = q64.data_ptr<double>();
    const double* kd = k64.data_ptr<double>();
    const double* vd = v64.data_ptr<double>();
    const bool* md = mask.data_ptr<bool>();
    AttentionReference r{std::vector<double>(size_t(n * H * D), 0.0), std::vector<double>(size_t(H * n * T), 0.0)};
    for (int64_t h = 0; h < H; ++h)
        for (int64_t i = 0; i < n; ++i) {
            std::vector<double> scores(size_t(T), -std::numeric_limits<double>::infinity());
            double highest = -std::numeric_limits<double>::infinity();
            for (int64_t t = 0; t < T; ++t) {
                if (!md[i * T + t])
                    continue;
                double dot = 0;
                for (int64_t d = 0; d < D; ++d)
                    dot += qd[(h * n + i) * D + d] * kd[((h / group) * T + t) * D + d];
                double score = dot * scaling;
                if (softcap > 0)
                    score = softcap * std::tanh(score / softcap);
                scores[size_t(t)] = score;
                highest = std::max(highest, score);
            }
            double total = 0;
            for (double& s : scores)
                total += (s = std::exp(s - highest));
            for (int64_t t = 0; t < T; ++t) {
                const double p = scores[size_t(t)] / total;
                r.probabilities[size_t((h * n + i) * T + t)] = p;
                for (int64_t d = 0; d < D; ++d)
                    r.context[size_t(i * H * D + h * D + d)] += p * vd[((h / group) * T + t) * D + d];
            }
        }
    return r;
}

TEST(FewRowAttention, MatchesAttentionWrittenOutInFloat64)
{
    at::manual_seed(11);
    for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16})
        for (const int64_t group : {1, 2, 4})
            for (const int64_t n : {1, 3, 8, 16})
                for (const double softcap : {0.0, 20.0}) {
                    const int64_t Hkv = 2, H = Hkv * group, D = 32, T = 40 + n;
                    // The forward's queries: [n, H, D] projected rows seen as [H, n, D] (a transposed view).
                    const at::Tensor q = at::randn({n, H, D}).to(dtype).transpose(0, 1);
                    // The cache's keys: a [Hkv, allocated, D] buffer narrowed to T slots.
                    const at::Tensor k = at::randn({Hkv, T + 7, D}).to(dtype).narrow(1, 0, T);
                    const at::Tensor v = at::randn({Hkv, T + 7, D}).to(dtype).narrow(1, 0, T);
                    at::Tensor allowed = at::rand({n, T}) > 0.3; // [n, T], some slots masked
                    allowed.select(1, T - 1).fill_(true);        // every row sees at least one slot
                    ASSERT_TRUE(fewRowAttentionApplies(q, k, v));
                    const double scaling = 1.0 / std::sqrt(double(D));
                    const FewRowAttention got = fewRowAttention(q, k, v, allowed, scaling, softcap, true);
                    const AttentionReference want = attentionInFloat64(q, k, v, allowed, scaling, softcap);
                    ASSERT_EQ(got.context.scalar_type(), dtype);
                    ASSERT_EQ(got.context.sizes(), (std::vector<int64_t>{n, H * D}));
                    const at::Tensor context = got.context.to(at::kFloat).contiguous();
                    const at::Tensor probabilities = got.probabilities.contiguous();
                    // f32: summation noise; bf16: one rounding of the result (2^-8 relative) on top.
                    const double relative = dtype == at::kFloat ? 1e-5 : std::ldexp(1.0, -8);
                    for (size_t i = 0; i < want.context.size(); ++i)
                        ASSERT_NEAR(context.data_ptr<float>()[i], want.context[i], 1e-5 + relative * std::fabs(want.context[i]))
                            << "dtype " << dtype << " group " << group << " n " << n << " softcap " << softcap << " element " << i;
                    for (size_t i = 0; i < want.probabilities.size(); ++i)
                        ASSERT_NEAR(probabilities.data_ptr<float>()[i], want.probabilities[i], 1e-5)
                            << "dtype " << dtype << " probability " << i;
                    // Masked slots get exactly zero.
                    const at::Tensor masked = probabilities.masked_select(allowed.logical_not().unsqueeze(0).expand({H, n, T}));
                    EXPECT_TRUE(masked.numel() == 0 || masked.abs().max().item<float>() == 0.0f);
                }
}

TEST(FewRowAttention, SameBitsWhateverTheThreadCount)
{
    at::manual_seed(12);
    const at::Tensor q = at::randn({32, 4, 64}), k = at::randn({8, 900, 64}), v = at::randn({8, 900, 64});
    const at::Tensor allowed = at::ones({4, 900}, at::kBool);
    const int previous = at::get_num_threads();
    at::set_num_threads(1);
    const at::Tensor one = fewRowAttention(q, k, v, allowed, 0.125, 0.0, false).context;
    at::set_num_threads(3);
    const at::Tensor three = fewRowAttention(q, k, v, allowed, 0.125, 0.0, false).context;
    at::set_num_threads(previous);
    EXPECT_TRUE(at::equal(one, three));
}

TEST(FewRowAttention, RefusesWhatItDoesNotHandle)
{
    const at::Tensor k = at::randn({2, 10, 16}), v = at::randn({2, 10, 16});
    EXPECT_TRUE(fewRowAttentionApplies(at::randn({4, 1, 16}), k, v));
    EXPECT_FALSE(fewRowAttentionApplies(at::randn({4, kMaxFewRowAttentionRows + 1, 16}), k, v)); // prefill
    EXPECT_FALSE(fewRowAttentionApplies(at::randn({3, 1, 16}), k, v));                           // 3 heads over 2
    EXPECT_FALSE(fewRowAttentionApplies(at::randn({4, 1, 16}).to(at::kDouble), k, v));           // dtype
    EXPECT_FALSE(fewRowAttentionApplies(at::randn({4, 1, 16}), k.to(at::kBFloat16), v));        // mixed dtypes
    EXPECT_FALSE(fewRowAttentionApplies(at::randn({4, 1, 16}), at::randn({2, 16, 10}).transpose(1, 2), v)); // strides
    EXPECT_FALSE(fewRowAttentionApplies(at::randn({4, 1, 8}), k, v));                            // head dims differ
}

} // namespace
} // namespace tempo
