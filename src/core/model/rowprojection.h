// Projections of a few rows (batch-1 decode, one TEMPO parallel set, a short prompt) on CPU.
//
// A decode step multiplies 1..16 activation rows by every weight matrix once. That is a
// memory-bandwidth problem, not a compute one, and OpenBLAS treats it badly: a gemm with 2..16
// rows packs the whole weight and runs 3-10x slower than reading it, so a width-8 TEMPO step cost
// ~4x a greedy step. This kernel streams each weight row once from memory and multiplies it with
// all the rows while it sits in L1, splitting the output rows over the intra-op threads.
#pragma once

#include <cstdint>

#include <ATen/ATen.h>

namespace tempo {

// The most activation rows the kernel takes; more rows go to BLAS gemm, where packing pays off.
constexpr int64_t kMaxKernelRows = 16;

// True when projectRows handles x with this weight: CPU, float32, both contiguous, 1..16 rows.
bool rowProjectionApplies(const at::Tensor& x, const at::Tensor& weight);

// x [n, in] times weight [out, in]^T -> [n, out], float32. Each output element is one dot product
// summed in a fixed order by one thread, so results do not depend on the thread count.
// Precondition: rowProjectionApplies(x, weight).
at::Tensor projectRows(const at::Tensor& x, const at::Tensor& weight);

} // namespace tempo
