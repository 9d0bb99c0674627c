// RoPE free functions (ropeInverseFrequencies, applyRope) against hand-computed numbers and the
// rotate-half definition written out element by element.

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/model/llamamodel.h"

namespace tempo {
namespace {

LlamaConfig ropeConfig(int64_t headDim, double theta)
{
    LlamaConfig config;
    config.headDim = headDim;
    config.ropeTheta = theta;
    return config;
}

TEST(RopeTest, DefaultInverseFrequenciesByHand)
{
    // head_dim 4, theta 10000: inv_j = 10000^(-2j/4) = 10000^0, 10000^-0.5 = 1, 0.01.
    const at::Tensor inv = ropeInverseFrequencies(ropeConfig(4, 10000.0));
    ASSERT_EQ(inv.sizes(), (std::vector<int64_t>{2}));
    EXPECT_EQ(inv.scalar_type(), at::kDouble);
    EXPECT_DOUBLE_EQ(inv[0].item<double>(), 1.0);
    EXPECT_NEAR(inv[1].item<double>(), 0.01, 0.01 * 1e-6); // float32 arithmetic: relative 1e-6
}

TEST(RopeTest, Llama3ScalingWorkedExample)
{
    // head_dim 8, theta 500000, factor 8, low_freq_factor 1, high_freq_factor 4, original 8192.
    // Unscaled inv_j = 500000^(-j/4), j = 0..3:
    //   j=0: 1
    //   j=1: 500000^-0.25 = 1 / 26.591479 = 0.037606031
    //   j=2: 500000^-0.5  = 1 / 707.10678 = 0.0014142136
    //   j=3: 500000^-0.75 = 1 / 18803.015 = 5.3182959e-5
    // Wavelengths 2*pi/inv: 6.2832, 167.079, 4442.883, 118142.83.
    // Thresholds: high_freq_wavelen = 8192/4 = 2048, low_freq_wavelen = 8192/1 = 8192.
    //   j=0, j=1: wavelength < 2048 -> unchanged.
    //   j=3: 118142.83 > 8192 -> inv / 8 = 6.6478699e-6.
    //   j=2: in [2048, 8192] -> smooth = (8192/4442.883 - 1) / (4 - 1) = (1.8438478 - 1)/3 = 0.28128261,
    //        inv' = (1 - s) * inv / 8 + s * inv = 0.0014142136 * (0.71871739/8 + 0.28128261)
    //             = 0.0014142136 * 0.37112228 = 5.2484616e-4.
    LlamaConfig config = ropeConfig(8, 500000.0);
    config.ropeScaling.type = RopeScaling::Type::Llama3;
    config.ropeScaling.factor = 8.0;
    config.ropeScaling.lowFreqFactor = 1.0;
    config.ropeScaling.highFreqFactor = 4.0;
    config.ropeScaling.originalMaxPositionEmbeddings = 8192;
    const at::Tensor inv = ropeInverseFrequencies(config);
    const double expected[4] = {1.0, 0.037606031, 5.2484616e-4, 6.6478699e-6};
    for (int j = 0; j < 4; ++j) {
        const double found = inv[j].item<double>();
        std::cout << "inv_freq[" << j << "] = " << found << " (hand: " << expected[j] << ")\n";
        EXPECT_NEAR(found, expected[j], expected[j] * 2e-6) << "j = " << j; // 8-digit hand values, float32
    }
    // Without scaling the same config gives the unscaled values (the scaling really applied).
    config.ropeScaling.type = RopeScaling::Type::None;
    EXPECT_NEAR(ropeInverseFrequencies(config)[3].item<double>(), 5.3182959e-5, 5.3182959e-5 * 2e-6);
}

TEST(RopeTest, ApplyRopeMatchesRotateHalfDefinition)
{
    const at::Tensor inv = ropeInverseFrequencies(ropeConfig(6, 100.0)); // [3]
    const at::Tensor x = at::randn({2, 3, 6}, at::kFloat);                 // [H, n, D]
    const at::Tensor positions = at::tensor(std::vector<int64_t>{0, 5, 5}, at::kLong);
    const at::Tensor rotated = applyRope(x, positions, inv);
    ASSERT_EQ(rotated.sizes(), x.sizes());
    double worst = 0;
    for (int64_t h = 0; h < 2; ++h)
        for (int64_t i = 0; i < 3; ++i)
            for (int64_t j = 0; j < 3; ++j) {
                const double angle = double(positions[i].item<int64_t>()) * std::pow(100.0, -2.0 * j / 6.0);
                const double a = x[h][i][j].item<double>(), b = x[h][i][j + 3].item<double>();
                worst = std::max(worst, std::abs(rotated[h][i][j].item<double>() - (a * std::cos(angle) - b * std::sin(angle))));
                worst = std::max(worst, std::abs(rotated[h][i][j + 3].item<double>() - (b * std::cos(angle) + a * std::sin(angle))));
            }
    std::cout << "applyRope vs element-wise rotate-half: max diff " << worst << " (tolerance 1e-5)\n";
    EXPECT_LT(worst, 1e-5);
    EXPECT_TRUE(at::allclose(rotated[0][0], x[0][0])); // position 0 is the identity
    // Same vector at the same position: the same rotation, bit for bit.
    at::Tensor twin = x.clone();
    twin.select(1, 2).copy_(twin.select(1, 1));
    const at::Tensor twinRotated = applyRope(twin, positions, inv);
    EXPECT_TRUE(at::equal(twinRotated.select(1, 1), twinRotated.select(1, 2)));
}

TEST(RopeTest, ScoresDependOnlyOnRelativePosition)
{
    const at::Tensor inv = ropeInverseFrequencies(ropeConfig(8, 10000.0));
    const at::Tensor q = at::randn({1, 1, 8}, at::kDouble), k = at::randn({1, 1, 8}, at::kDouble);
    const auto score = [&](int64_t m, int64_t n) {
        const at::Tensor qm = applyRope(q, at::tensor(std::vector<int64_t>{m}, at::kLong), inv);
        const at::Tensor kn = applyRope(k, at::tensor(std::vector<int64_t>{n}, at::kLong), inv);
        return (qm * kn).sum().item<double>();
    };
    const double base = score(7, 3), shifted = score(107, 103), other = score(7, 4);
    std::cout << "q.k at (7,3) " << base << ", at (107,103) " << shifted << ", at (7,4) " << other << "\n";
    EXPECT_NEAR(base, shifted, 1e-4); // float32 angles
    EXPECT_GT(std::abs(base - other), 1e-3);
}

TEST(RopeTest, KeepsDtypeAndRefusesBadShapes)
{
    const at::Tensor inv = ropeInverseFrequencies(ropeConfig(4, 10000.0));
    const at::Tensor x = at::randn({2, 4}, at::kFloat).to(at::kBFloat16);
    EXPECT_EQ(applyRope(x, at::tensor(std::vector<int64_t>{1, 2}, at::kLong), inv).scalar_type(), at::kBFloat16);
    EXPECT_THROW(applyRope(x, at::tensor(std::vector<int64_t>{1}, at::kLong), inv), InvalidArgument);
    EXPECT_THROW(applyRope(at::randn({2, 6}), at::tensor(std::vector<int64_t>{1, 2}, at::kLong), inv), InvalidArgument);
    EXPECT_THROW(ropeInverseFrequencies(ropeConfig(5, 10000.0)), InvalidArgument);
}

} // namespace
} // namespace tempo
