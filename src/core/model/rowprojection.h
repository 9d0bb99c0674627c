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

// The most activation rows the kernel takes: 16 in bf16 (longer bf16 prefills go to oneDNN's
// AVX512_BF16 gemm, which is faster); 256 in f32, where Debian's OpenBLAS sgemm ran a 64-token prefill
// at 36-42 tokens/s on a 0.5B shape against the kernel's 86-116 (llama.cpp: 87-115). Longer inputs
// go to BLAS gemm.
constexpr int64_t kMaxKernelRows = 16;
constexpr int64_t kMaxKernelRowsFloat = 256;

// True when projectRows handles x with this weight: CPU, both contiguous, the same dtype, and either
// 1..256 rows of float32, or 1..16 rows of bfloat16 with an inner size divisible by 32 on a CPU with
// AMX or AVX512_BF16.
bool rowProjectionApplies(const at::Tensor& x, const at::Tensor& weight);

// Which code computes the product. For float32, Best picks Avx512 when the CPU has it, else
// Portable (4x2 blocking vectorised by the compiler for AVX-512, AVX2 or SSE2). bfloat16 runs on
// AmxBf16 (Intel AMX tiles) where the CPU has it, else on Avx512Bf16 (VDPBF16PS: AMD Zen 4, Intel
// Cooper Lake); both sum in f32 and round to bf16 once. Elsewhere bf16 goes to LibTorch.
// Tests run every kernel the CPU has.
enum class RowKernel { Best, Portable, Avx512, AmxBf16, Avx512Bf16 };

// False for Avx512 / AmxBf16 / Avx512Bf16 on a CPU (or a build, or a Linux kernel for AMX) without them.
bool rowKernelAvailable(RowKernel kernel);

// x [n, in] times weight [out, in]^T -> [n, out], in x's dtype. Each output element is one dot product
// summed in a fixed order by one thread, so results do not depend on the thread count.
// Precondition: rowProjectionApplies(x, weight).
at::Tensor projectRows(const at::Tensor& x, const at::Tensor& weight, RowKernel kernel = RowKernel::Best);

} // namespace tempo
