// Weights in memory the kernel can map with 2 MiB pages.
//
// A decode step reads every weight once, so it also walks every page of them: with 4 KiB pages a
// 5 GB model is 1.2 million pages, far beyond the TLB, and on a virtual machine each miss costs a
// nested page walk. Measured here (bench_forward, 1B shape, f32, 2 threads, AMD EPYC VM): weights
// read in place from the safetensors file mapping decoded at 232-245 ms per token; the same weights
// copied into anonymous memory with 2 MiB pages (madvise MADV_HUGEPAGE, which works where the
// system's transparent_hugepage setting is "madvise" or "always") at ~110 ms (see docs/performance.md).
#pragma once

#include <cstdint>

#include <ATen/ATen.h>

namespace tempo {

// Tensors at least this large go to huge pages (smaller ones gain nothing: one 2 MiB page).
constexpr uint64_t kHugePageBytes = uint64_t(2) << 20;

// A contiguous CPU copy of `source` in `dtype`, in anonymous memory advised for 2 MiB pages (Linux;
// elsewhere, or when the advice is refused, ordinary memory). Throws std::bad_alloc when the memory
// cannot be had (guardAllocation turns that into a ResourceError).
at::Tensor copyToHugePages(const at::Tensor& source, c10::ScalarType dtype);

} // namespace tempo
