#pragma once
// Rotary position embedding internals shared by the forward pass and the public free functions
// ropeInverseFrequencies / applyRope (declared in llamamodel.h). Hugging Face conventions:
// rotate-half layout, angles and cos/sin computed in float32, then cast to the activations' dtype.

#include <ATen/Tensor.h>

namespace tempo {

// cos/sin of every (position, frequency) pair, already duplicated to the rotate-half layout.
struct RopeTables {
    at::Tensor cos; // [n, D] in the activations' dtype
    at::Tensor sin; // [n, D]
};

// positions [n] int64 (any device), inverseFrequencies [D/2] float32 or float64 on `device`-independent input.
// The angles are float32(position) * float32(inverse frequency), as transformers' LlamaRotaryEmbedding.
RopeTables ropeTables(const at::Tensor& positions, const at::Tensor& inverseFrequencies, c10::ScalarType dtype,
                      c10::Device device);

// x [.., n, D] rotated by the tables: x * cos + rotateHalf(x) * sin, in x's dtype.
at::Tensor rotateWithTables(const at::Tensor& x, const RopeTables& tables);

} // namespace tempo
