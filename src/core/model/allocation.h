#pragma once
// Allocation failures as typed errors. LibTorch reports a failed allocation as a c10::Error whose
// what() carries a 25-frame backtrace ("DefaultCPUAllocator: can't allocate memory: you tried to
// allocate N bytes", "CUDA out of memory"); the standard library as std::bad_alloc. guardAllocation
// turns both into one ResourceError line naming what was being allocated and how many bytes;
// every other error passes through unchanged.

#include <cstdint>
#include <exception>
#include <new>
#include <string>

#include <c10/util/Exception.h>

namespace tempo {

// True when a LibTorch error is a failed allocation (CPU or CUDA), judged by its message.
bool isAllocationFailure(const c10::Error& error);

// "1.5 GiB", "512 MiB", "96 bytes".
std::string byteSizeText(uint64_t bytes);

// Throws ResourceError: "<what>: expected <bytes> of free memory, found the allocation failed
// (<first line of detail>)". `bytes` 0: size unknown, left out.
[[noreturn]] void throwAllocationFailure(const std::string& what, uint64_t bytes, const std::string& detail);

// Runs `allocate()`; a failed allocation becomes throwAllocationFailure(what, bytes, ...).
template <typename Allocate>
auto guardAllocation(const std::string& what, uint64_t bytes, Allocate&& allocate) -> decltype(allocate())
{
    try {
        return allocate();
    } catch (const std::bad_alloc&) {
        throwAllocationFailure(what, bytes, "std::bad_alloc");
    } catch (const c10::Error& error) {
        if (!isAllocationFailure(error))
            throw;
        throwAllocationFailure(what, bytes, error.what_without_backtrace());
    }
}

} // namespace tempo
