// RoPE with Hugging Face conventions (transformers' LlamaRotaryEmbedding, apply_rotary_pos_emb and
// _compute_llama3_parameters): inverse frequencies in float32, llama3 frequency scaling, angles
// float32(position) * inverse frequency, rotate-half layout.

#include "core/model/rope.h"

#include <cmath>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/model/llamamodel.h"

namespace tempo {

namespace {

// transformers' _compute_default_rope_parameters: 1 / theta^(2i / D) for i in [0, D/2), float32.
at::Tensor defaultInverseFrequencies(int64_t headDim, double theta) // [D/2] float32
{
    const at::Tensor exponents = at::arange(0, headDim, 2, at::kLong).to(at::kFloat) / static_cast<double>(headDim);
    return at::reciprocal(at::pow(at::Scalar(theta), exponents));
}

// transformers' _compute_llama3_parameters: keep high frequencies (wavelength below
// original / high_freq_factor), divide low frequencies (wavelength above original / low_freq_factor)
// by `factor`, and interpolate smoothly in between. Same float32 arithmetic as the reference.
at::Tensor llama3Scaled(const at::Tensor& inverseFrequencies, const RopeScaling& scaling) // [D/2] float32
{
    const double factor = scaling.factor;
    const double lowFreqFactor = scaling.lowFreqFactor;
    const double highFreqFactor = scaling.highFreqFactor;
    const double originalContext = static_cast<double>(scaling.originalMaxPositionEmbeddings);
    const double lowFreqWavelength = originalContext / lowFreqFactor;
    const double highFreqWavelength = originalContext / highFreqFactor;

    const at::Tensor wavelength = at::reciprocal(inverseFrequencies) * (2.0 * M_PI);
    at::Tensor scaled = at::where(wavelength > lowFreqWavelength, inverseFrequencies / factor, inverseFrequencies);
    const at::Tensor smooth = (at::reciprocal(wavelength) * originalContext - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    const at::Tensor smoothed = (1.0 - smooth) * scaled / factor + smooth * scaled;
    const at::Tensor isMedium = at::logical_and(at::logical_not(wavelength < highFreqWavelength),
                                                at::logical_not(wavelength > lowFreqWavelength));
    return at::where(isMedium, smoothed, scaled);
}

} // namespace

at::Tensor ropeInverseFrequencies(const LlamaConfig& config)
{
    if (config.headDim <= 0 || config.headDim % 2 != 0)
        throw InvalidArgument(expectedFound("RoPE head_dim", "a positive even number", std::to_string(config.headDim)));
    if (!config.usesRope())
        throw InvalidArgument(expectedFound("RoPE inverse frequencies", "a family with rotary position embeddings",
                                            familyName(config.family) + " (learned position embeddings)"));
    at::Tensor inverseFrequencies = defaultInverseFrequencies(config.headDim, config.ropeTheta);
    if (config.ropeScaling.type == RopeScaling::Type::Linear)
        inverseFrequencies = inverseFrequencies / config.ropeScaling.factor; // transformers' _compute_linear_scaling_rope_parameters
    if (config.ropeScaling.type == RopeScaling::Type::Llama3)
        inverseFrequencies = llama3Scaled(inverseFrequencies, config.ropeScaling);
    // float32 values (what the reference uses), widened exactly to float64.
    return inverseFrequencies.to(at::kDouble); // [D/2]
}

RopeTables ropeTables(const at::Tensor& positions, const at::Tensor& inverseFrequencies, c10::ScalarType dtype,
                      c10::Device device)
{
    const at::Tensor positionsFloat = positions.to(device, at::kFloat);                 // [n]
    const at::Tensor frequencies = inverseFrequencies.to(device, at::kFloat);           // [D/2]
    const at::Tensor angles = positionsFloat.unsqueeze(1) * frequencies.unsqueeze(0);    // [n, D/2]
    const at::Tensor doubled = at::cat({angles, angles}, -1);                            // [n, D]
    return {doubled.cos().to(dtype), doubled.sin().to(dtype)};
}

at::Tensor rotateWithTables(const at::Tensor& x, const RopeTables& tables)
{
    const int64_t half = x.size(-1) / 2;
    const at::Tensor rotatedHalf = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1); // [.., n, D]
    return x * tables.cos + rotatedHalf * tables.sin;
}

at::Tensor applyRope(const at::Tensor& x, const at::Tensor& positions, const at::Tensor& inverseFrequencies)
{
    if (x.dim() < 2 || positions.dim() != 1 || x.size(-2) != positions.size(0) || inverseFrequencies.dim() != 1 ||
        x.size(-1) != 2 * inverseFrequencies.size(0))
        throw InvalidArgument(expectedFound("applyRope shapes", "x [.., n, D], positions [n], inverse frequencies [D/2]",
                                            "x with " + std::to_string(x.dim()) + " dims, last " +
                                                (x.dim() ? std::to_string(x.size(-1)) : std::string("-")) + ", positions " +
                                                std::to_string(positions.numel()) + ", frequencies " +
                                                std::to_string(inverseFrequencies.numel())));
    return rotateWithTables(x, ropeTables(positions, inverseFrequencies, x.scalar_type(), x.device()));
}

} // namespace tempo
