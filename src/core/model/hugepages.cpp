#include "core/model/hugepages.h"

#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tempo {

namespace {

#if defined(__linux__)
// A source in a file mapping (a safetensors checkpoint) faults in 4 KiB at a time when copied; on a
// virtual machine each fault is expensive (a 5 GB copy took 12-22 s). One MADV_POPULATE_READ
// (Linux 5.14) maps the whole range first; older kernels refuse it and the copy faults as before.
void prefaultSource(const at::Tensor& source)
{
#ifndef MADV_POPULATE_READ
    constexpr int MADV_POPULATE_READ = 22;
#endif
    if (!source.is_contiguous() || !source.device().is_cpu())
        return;
    const uintptr_t page = 4096;
    const uintptr_t begin = reinterpret_cast<uintptr_t>(source.data_ptr()) / page * page;
    const uintptr_t end = reinterpret_cast<uintptr_t>(source.data_ptr()) + static_cast<uintptr_t>(source.nbytes());
    madvise(reinterpret_cast<void*>(begin), static_cast<size_t>(end - begin), MADV_POPULATE_READ);
}
#endif

} // namespace

at::Tensor copyToHugePages(const at::Tensor& source, c10::ScalarType dtype)
{
#if defined(__linux__)
    const uint64_t bytes = static_cast<uint64_t>(source.numel()) * c10::elementSize(dtype);
    if (bytes > 0) {
        // Over-allocate by one huge page so the data can start on a 2 MiB boundary: the kernel only
        // backs whole aligned 2 MiB ranges with huge pages.
        const uint64_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
        const size_t mapped = static_cast<size_t>(rounded + kHugePageBytes);
        void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED)
            throw std::bad_alloc();
        const uintptr_t start = (reinterpret_cast<uintptr_t>(base) + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
        void* data = reinterpret_cast<void*>(start);
        madvise(data, static_cast<size_t>(rounded), MADV_HUGEPAGE); // advice only: refused means 4 KiB pages
        prefaultSource(source);
        at::Tensor out = at::from_blob(
            data, source.sizes(), [base, mapped](void*) { munmap(base, mapped); },
            at::TensorOptions().dtype(dtype).device(at::kCPU));
        out.copy_(source);
        return out;
    }
#endif
    return source.to(at::kCPU, dtype).contiguous().clone();
}

} // namespace tempo
