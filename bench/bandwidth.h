// What this machine's memory delivers to reads: the probe behind every decode roofline in
// docs/performance.md (issue 18 point 1).
//
// A batch-1 decode step reads every weight once, so its floor is (weight bytes) / (read bandwidth).
// The older probe (at::sum over 1 GiB, best of 4) reported 19-22 GB/s on this machine while
// llama.cpp's decode read its weights at ~50 GB/s: a probe must be at least as good at reading
// as the code it judges. This one: a buffer much larger than any cache (2 GiB by default, on 2 MiB
// pages where the system allows them), split
// into one contiguous slice per thread, each thread summing its slice with 8 independent 512-bit
// (AVX-512, else 256-bit) accumulators; every thread count from 1 to the cores, best of N passes.
// The result is reported together with the best rate a real decoder reached (llama.cpp's, in
// bench_vs_llamacpp): the roofline is the larger of the two.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
// GCC 12's _mm512_reduce_add_ps starts from _mm512_undefined_ps and trips these warnings falsely.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace tempo::bench {

struct BandwidthProbe {
    std::vector<double> gbPerSecondByThreads; // [threads - 1]: best of the passes, 1e9 bytes per second
    double best = 0;                          // the largest of them
    int bestThreads = 0;
};

namespace detail {

#if defined(__GNUC__) && defined(__x86_64__)
__attribute__((target("avx512f"))) inline float sumAvx512(const float* data, size_t count)
{
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    size_t i = 0;
    for (; i + 128 <= count; i += 128) {
        a0 = _mm512_add_ps(a0, _mm512_load_ps(data + i));
        a1 = _mm512_add_ps(a1, _mm512_load_ps(data + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_load_ps(data + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_load_ps(data + i + 48));
        a4 = _mm512_add_ps(a4, _mm512_load_ps(data + i + 64));
        a5 = _mm512_add_ps(a5, _mm512_load_ps(data + i + 80));
        a6 = _mm512_add_ps(a6, _mm512_load_ps(data + i + 96));
        a7 = _mm512_add_ps(a7, _mm512_load_ps(data + i + 112));
    }
    float rest = 0;
    for (; i < count; ++i)
        rest += data[i];
    const __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                                     _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    return _mm512_reduce_add_ps(sum) + rest;
}

__attribute__((target("avx2"))) inline float sumAvx2(const float* data, size_t count)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    size_t i = 0;
    for (; i + 64 <= count; i += 64) {
        a0 = _mm256_add_ps(a0, _mm256_load_ps(data + i));
        a1 = _mm256_add_ps(a1, _mm256_load_ps(data + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_load_ps(data + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_load_ps(data + i + 24));
        a4 = _mm256_add_ps(a4, _mm256_load_ps(data + i + 32));
        a5 = _mm256_add_ps(a5, _mm256_load_ps(data + i + 40));
        a6 = _mm256_add_ps(a6, _mm256_load_ps(data + i + 48));
        a7 = _mm256_add_ps(a7, _mm256_load_ps(data + i + 56));
    }
    float rest = 0;
    for (; i < count; ++i)
        rest += data[i];
    const __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                                     _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, sum);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7] + rest;
}
#endif

inline float sumSlice(const float* data, size_t count)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f"))
        return sumAvx512(data, count);
    if (__builtin_cpu_supports("avx2"))
        return sumAvx2(data, count);
#endif
    float sum = 0;
    for (size_t i = 0; i < count; ++i)
        sum += data[i];
    return sum;
}

} // namespace detail

// Measures 1..maxThreads threads, `passes` passes each over `bytes` (rounded down to whole 4 KiB
// pages per thread). The buffer is written once first so every page exists.
inline BandwidthProbe probeReadBandwidth(int maxThreads, int passes = 5, size_t bytes = size_t(2) << 30)
{
    BandwidthProbe probe;
    const size_t floats = bytes / sizeof(float);
    // 2 MiB-aligned and advised for 2 MiB pages, as the model's weights are (core/model/hugepages.h):
    // with 4 KiB pages the probe measured the TLB as much as the memory (43 GB/s against the 51 GB/s
    // a 1B decode then read).
    const size_t hugePage = size_t(2) << 20;
    const size_t allocated = (floats * sizeof(float) + hugePage - 1) / hugePage * hugePage;
    float* data = static_cast<float*>(std::aligned_alloc(hugePage, allocated));
    if (!data)
        return probe;
#if defined(__linux__)
    madvise(data, allocated, MADV_HUGEPAGE);
#endif
    std::memset(data, 0, floats * sizeof(float));
    volatile float sink = 0;
    for (int threads = 1; threads <= std::max(1, maxThreads); ++threads) {
        const size_t slice = floats / size_t(threads) / 1024 * 1024; // whole pages, 64-byte aligned
        double best = 0;
        for (int pass = 0; pass < passes; ++pass) {
            std::vector<float> partial(size_t(threads), 0.0f);
            const auto start = std::chrono::steady_clock::now();
            std::vector<std::thread> workers;
            for (int t = 1; t < threads; ++t)
                workers.emplace_back([&, t] { partial[size_t(t)] = detail::sumSlice(data + size_t(t) * slice, slice); });
            partial[0] = detail::sumSlice(data, slice);
            for (std::thread& worker : workers)
                worker.join();
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            for (float value : partial)
                sink = sink + value;
            best = std::max(best, double(slice * size_t(threads) * sizeof(float)) / seconds / 1e9);
        }
        probe.gbPerSecondByThreads.push_back(best);
        if (best > probe.best) {
            probe.best = best;
            probe.bestThreads = threads;
        }
    }
    std::free(data);
    return probe;
}

} // namespace tempo::bench
