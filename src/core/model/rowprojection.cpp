#include "core/model/rowprojection.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
// One build for every x86-64 level: the loader picks AVX-512, AVX2+FMA or SSE2 at run time.
#define TEMPO_CPU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define TEMPO_HAS_AVX512_KERNEL 1
// GCC 12's _mm512_reduce_add_ps starts from _mm512_undefined_ps and trips this warning falsely.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#if __GNUC__ >= 12 && defined(__linux__) // AMX names in __builtin_cpu_supports
#include <sys/syscall.h>
#include <unistd.h>
#define TEMPO_HAS_AMX_KERNEL 1
#endif
#else
#define TEMPO_CPU_CLONES
#endif

namespace tempo {

namespace {

// y[j, o] = sum_k w[o, k] * x[j, k] for output rows [rowBegin, rowEnd).
// Blocks of 4 weight rows x 2 activation rows: 8 independent accumulators keep the FMA units busy
// and each loaded element serves several products. Row-major x [n, in], w [out, in], y [n, out].
TEMPO_CPU_CLONES
void projectRowRange(const float* x, int64_t n, int64_t in, const float* w, int64_t rowBegin, int64_t rowEnd,
                     float* y, int64_t out)
{
    int64_t o = rowBegin;
    for (; o + 4 <= rowEnd; o += 4) {
        const float* w0 = w + o * in;
        const float* w1 = w0 + in;
        const float* w2 = w1 + in;
        const float* w3 = w2 + in;
        int64_t j = 0;
        for (; j + 2 <= n; j += 2) {
            const float* xa = x + j * in;
            const float* xb = xa + in;
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
#pragma omp simd reduction(+ : a0, a1, a2, a3, b0, b1, b2, b3)
            for (int64_t k = 0; k < in; ++k) {
                const float u = xa[k], v = xb[k];
                a0 += w0[k] * u; a1 += w1[k] * u; a2 += w2[k] * u; a3 += w3[k] * u;
                b0 += w0[k] * v; b1 += w1[k] * v; b2 += w2[k] * v; b3 += w3[k] * v;
            }
            float* ya = y + j * out + o;
            float* yb = ya + out;
            ya[0] = a0; ya[1] = a1; ya[2] = a2; ya[3] = a3;
            yb[0] = b0; yb[1] = b1; yb[2] = b2; yb[3] = b3;
        }
        for (; j < n; ++j) {
            const float* xr = x + j * in;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
            for (int64_t k = 0; k < in; ++k) {
                const float u = xr[k];
                s0 += w0[k] * u; s1 += w1[k] * u; s2 += w2[k] * u; s3 += w3[k] * u;
            }
            float* yr = y + j * out + o;
            yr[0] = s0; yr[1] = s1; yr[2] = s2; yr[3] = s3;
        }
    }
    for (; o < rowEnd; ++o) { // the last out % 4 rows of this range
        const float* wr = w + o * in;
        for (int64_t j = 0; j < n; ++j) {
            const float* xr = x + j * in;
            float s = 0;
#pragma omp simd reduction(+ : s)
            for (int64_t k = 0; k < in; ++k)
                s += wr[k] * xr[k];
            y[j * out + o] = s;
        }
    }
}

#ifdef TEMPO_HAS_AVX512_KERNEL
// AVX-512 register blocking: R weight rows x C activation rows = R*C accumulators of 16 lanes.
// Per 16 inputs it loads R + C vectors for R * C fused multiply-adds; 6 x 4 (24 accumulators plus
// 6 weight vectors and 1 activation vector, 31 of the 32 registers) measured fastest for 4..16
// rows on this project's Xeon (8 rows x 8192 x 2048 with weights in DRAM: 4.1 ms vs 4.9 ms for
// the portable 4x2 blocking). Each accumulator is one dot product summed in the same order
// whatever R and C are, so results do not depend on the blocking or on how rows are split.
template <int R, int C>
__attribute__((target("avx512f,fma"), always_inline)) inline void
dotBlockAvx512(const float* x, int64_t in, const float* w, float* y, int64_t out)
{
    __m512 acc[R][C];
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c)
            acc[r][c] = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k + 16 <= in; k += 16) {
        __m512 weights[R];
        for (int r = 0; r < R; ++r)
            weights[r] = _mm512_loadu_ps(w + r * in + k);
        for (int c = 0; c < C; ++c) {
            const __m512 activations = _mm512_loadu_ps(x + c * in + k);
            for (int r = 0; r < R; ++r)
                acc[r][c] = _mm512_fmadd_ps(weights[r], activations, acc[r][c]);
        }
    }
    if (k < in) { // the last in % 16 inputs, masked: lanes past the end load as zero
        const __mmask16 mask = static_cast<__mmask16>((1u << (in - k)) - 1u);
        __m512 weights[R];
        for (int r = 0; r < R; ++r)
            weights[r] = _mm512_maskz_loadu_ps(mask, w + r * in + k);
        for (int c = 0; c < C; ++c) {
            const __m512 activations = _mm512_maskz_loadu_ps(mask, x + c * in + k);
            for (int r = 0; r < R; ++r)
                acc[r][c] = _mm512_fmadd_ps(weights[r], activations, acc[r][c]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c)
            y[c * out + r] = _mm512_reduce_add_ps(acc[r][c]);
}

// All n activation rows against weight rows o..o+R-1: blocks of 4 activation rows, then the rest.
template <int R>
__attribute__((target("avx512f,fma"))) void dotRowsAvx512(const float* x, int64_t n, int64_t in, const float* w,
                                                         int64_t o, float* y, int64_t out)
{
    const float* wo = w + o * in;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4)
        dotBlockAvx512<R, 4>(x + j * in, in, wo, y + j * out + o, out);
    switch (n - j) {
    case 3: dotBlockAvx512<R, 3>(x + j * in, in, wo, y + j * out + o, out); break;
    case 2: dotBlockAvx512<R, 2>(x + j * in, in, wo, y + j * out + o, out); break;
    case 1: dotBlockAvx512<R, 1>(x + j * in, in, wo, y + j * out + o, out); break;
    default: break;
    }
}

__attribute__((target("avx512f,fma"))) void projectRowRangeAvx512(const float* x, int64_t n, int64_t in, const float* w,
                                                                 int64_t rowBegin, int64_t rowEnd, float* y, int64_t out)
{
    int64_t o = rowBegin;
    for (; o + 6 <= rowEnd; o += 6)
        dotRowsAvx512<6>(x, n, in, w, o, y, out);
    for (; o < rowEnd; ++o) // the last (rowEnd - rowBegin) % 6 weight rows
        dotRowsAvx512<1>(x, n, in, w, o, y, out);
}
#endif

#ifdef TEMPO_HAS_AVX512_KERNEL
// bf16 with AVX512_BF16 (AMD Zen 4 and later, Intel Cooper Lake and Sapphire Rapids): one
// VDPBF16PS multiplies 32 bf16 weights by 32 bf16 activations in pairs and adds each pair's two
// products into one of 16 f32 lanes. Weights and activations are both contiguous along the inner
// dimension, so both load straight from memory (no repacking). Same R x C register blocking as the
// f32 kernel (6 x 4: 24 accumulators); each output is one f32 sum in a fixed order, rounded to bf16
// once. Inner sizes are whole 32-input chunks (rowProjectionApplies checks).
template <int R, int C>
__attribute__((target("avx512f,avx512bf16"), always_inline)) inline void
dotBlockBf16(const at::BFloat16* x, int64_t in, const at::BFloat16* w, at::BFloat16* y, int64_t out)
{
    __m512 acc[R][C];
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c)
            acc[r][c] = _mm512_setzero_ps();
    for (int64_t k = 0; k < in; k += 32) {
        __m512bh weights[R];
        for (int r = 0; r < R; ++r)
            weights[r] = (__m512bh)_mm512_loadu_si512(w + r * in + k);
        for (int c = 0; c < C; ++c) {
            const __m512bh activations = (__m512bh)_mm512_loadu_si512(x + c * in + k);
            for (int r = 0; r < R; ++r)
                acc[r][c] = _mm512_dpbf16_ps(acc[r][c], weights[r], activations);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c)
            y[c * out + r] = at::BFloat16(_mm512_reduce_add_ps(acc[r][c])); // rounded to nearest even
}

template <int R>
__attribute__((target("avx512f,avx512bf16"))) void dotRowsBf16(const at::BFloat16* x, int64_t n, int64_t in,
                                                              const at::BFloat16* w, int64_t o, at::BFloat16* y,
                                                              int64_t out)
{
    const at::BFloat16* wo = w + o * in;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4)
        dotBlockBf16<R, 4>(x + j * in, in, wo, y + j * out + o, out);
    switch (n - j) {
    case 3: dotBlockBf16<R, 3>(x + j * in, in, wo, y + j * out + o, out); break;
    case 2: dotBlockBf16<R, 2>(x + j * in, in, wo, y + j * out + o, out); break;
    case 1: dotBlockBf16<R, 1>(x + j * in, in, wo, y + j * out + o, out); break;
    default: break;
    }
}

__attribute__((target("avx512f,avx512bf16"))) void projectRowRangeBf16(const at::BFloat16* x, int64_t n, int64_t in,
                                                                      const at::BFloat16* w, int64_t rowBegin,
                                                                      int64_t rowEnd, at::BFloat16* y, int64_t out)
{
    int64_t o = rowBegin;
    for (; o + 6 <= rowEnd; o += 6)
        dotRowsBf16<6>(x, n, in, w, o, y, out);
    for (; o < rowEnd; ++o)
        dotRowsBf16<1>(x, n, in, w, o, y, out);
}
#endif

bool cpuHasAvx512Bf16()
{
#ifdef TEMPO_HAS_AVX512_KERNEL
    static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
    return has;
#else
    return false;
#endif
}

bool cpuHasAvx512()
{
#ifdef TEMPO_HAS_AVX512_KERNEL
    static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    return has;
#else
    return false;
#endif
}

#ifdef TEMPO_HAS_AMX_KERNEL
// bf16 on Intel AMX (Sapphire Rapids and later). One tile multiply-add does 16 x 16 x 32
// bf16 products, so the arithmetic of 1..16 rows costs nothing next to reading the weights: a
// width-8 TEMPO step takes as long as a greedy one. The roles are swapped so the weights need no
// repacking: A = 16 weight rows x 32 inputs straight from W [out, in] (row stride `in`), B = the
// activations transposed into AMX's pair layout, C = y^T for those 16 outputs x 16 rows, in f32.

// Layout of the tile configuration that _tile_loadconfig reads (palette 1).
struct AmxTileConfig {
    uint8_t palette = 1;
    uint8_t startRow = 0;
    uint8_t reserved[14] = {};
    uint16_t bytesPerRow[16] = {};
    uint8_t rows[16] = {};
};

// Activations in AMX's pair layout [in / 32][16 pairs][16 rows][2]: for inputs 32c..32c+31 one
// 1 KB block holding, for pair p and row j, inputs 32c+2p and 32c+2p+1 of row j.
size_t pairIndex(int64_t row, int64_t input)
{
    return static_cast<size_t>((input / 32) * 512 + ((input % 32) / 2) * 32 + row * 2 + (input % 2));
}

// x [n, in] -> the pair layout; rows n..15 are zero.
std::vector<at::BFloat16> activationPairs(const at::BFloat16* x, int64_t n, int64_t in)
{
    std::vector<at::BFloat16> pairs(static_cast<size_t>(in / 32) * 512, at::BFloat16(0.0f));
    for (int64_t j = 0; j < n; ++j)
        for (int64_t k = 0; k < in; ++k)
            pairs[pairIndex(j, k)] = x[j * in + k];
    return pairs;
}

// y[j, o] for o in [rowBegin, rowEnd): 32 weight rows per pass (two C tiles sharing one B tile),
// then 16, then the last rows one by one in f32. Sums are f32 in a fixed order, rounded to bf16.
__attribute__((target("amx-tile,amx-bf16"))) void projectRowRangeAmx(const at::BFloat16* pairs, int64_t n,
                                                                    int64_t in, const at::BFloat16* w,
                                                                    int64_t rowBegin, int64_t rowEnd,
                                                                    at::BFloat16* y, int64_t out)
{
    AmxTileConfig config;
    for (int tile = 0; tile < 5; ++tile) {
        config.rows[tile] = 16;
        config.bytesPerRow[tile] = 64;
    }
    _tile_loadconfig(&config); // per thread: tiles 0, 1 = C; 2, 3 = weights; 4 = activation pairs
    alignas(64) float sums[2][16][16]; // [tile][output][row]
    const int64_t stride = in * static_cast<int64_t>(sizeof(at::BFloat16));
    const int64_t chunks = in / 32;
    auto writeRows = [&](int tile, int64_t o, int64_t count) {
        for (int64_t r = 0; r < count; ++r)
            for (int64_t j = 0; j < n; ++j)
                y[j * out + o + r] = at::BFloat16(sums[tile][r][j]); // rounded to nearest even
    };
    int64_t o = rowBegin;
    for (; o + 32 <= rowEnd; o += 32) {
        const at::BFloat16* w0 = w + o * in;
        const at::BFloat16* w1 = w0 + 16 * in;
        _tile_zero(0);
        _tile_zero(1);
        for (int64_t c = 0; c < chunks; ++c) {
            _tile_loadd(4, pairs + c * 512, 64);
            _tile_loadd(2, w0 + c * 32, stride);
            _tile_dpbf16ps(0, 2, 4);
            _tile_loadd(3, w1 + c * 32, stride);
            _tile_dpbf16ps(1, 3, 4);
        }
        _tile_stored(0, sums[0], 64);
        _tile_stored(1, sums[1], 64);
        writeRows(0, o, 16);
        writeRows(1, o + 16, 16);
    }
    if (o + 16 <= rowEnd) {
        _tile_zero(0);
        for (int64_t c = 0; c < chunks; ++c) {
            _tile_loadd(4, pairs + c * 512, 64);
            _tile_loadd(2, w + o * in + c * 32, stride);
            _tile_dpbf16ps(0, 2, 4);
        }
        _tile_stored(0, sums[0], 64);
        writeRows(0, o, 16);
        o += 16;
    }
    _tile_release();
    for (; o < rowEnd; ++o) // fewer than 16 rows left: a tile load would read past the weight
        for (int64_t j = 0; j < n; ++j) {
            float sum = 0.0f;
            for (int64_t k = 0; k < in; ++k)
                sum += static_cast<float>(w[o * in + k]) * static_cast<float>(pairs[pairIndex(j, k)]);
            y[j * out + o] = at::BFloat16(sum);
        }
}
#endif

// AMX needs the CPU flags and, on Linux, the kernel's permission to use the tile state (asked once
// per process; refused by kernels older than 5.16).
bool cpuHasAmxBf16()
{
#ifdef TEMPO_HAS_AMX_KERNEL
    static const bool has = [] {
        if (!__builtin_cpu_supports("amx-tile") || !__builtin_cpu_supports("amx-bf16"))
            return false;
        constexpr long kRequestPermission = 0x1023; // ARCH_REQ_XCOMP_PERM
        constexpr long kTileData = 18;              // XFEATURE_XTILEDATA
        return syscall(SYS_arch_prctl, kRequestPermission, kTileData) == 0;
    }();
    return has;
#else
    return false;
#endif
}

} // namespace

bool rowProjectionApplies(const at::Tensor& x, const at::Tensor& weight)
{
    const int64_t maxRows = x.scalar_type() == at::kFloat ? kMaxKernelRowsFloat : kMaxKernelRows;
    const bool shapes = x.dim() == 2 && weight.dim() == 2 && x.size(0) >= 1 && x.size(0) <= maxRows &&
                        x.size(1) == weight.size(1) && x.device().is_cpu() && weight.device().is_cpu() &&
                        x.is_contiguous() && weight.is_contiguous();
    if (!shapes || x.scalar_type() != weight.scalar_type())
        return false;
    if (x.scalar_type() == at::kFloat)
        return true;
    // bf16 only where AMX or AVX512_BF16 runs it, and for inner sizes in whole 32-input chunks
    // (every Llama size).
    return x.scalar_type() == at::kBFloat16 && x.size(1) % 32 == 0 && (cpuHasAmxBf16() || cpuHasAvx512Bf16());
}

bool rowKernelAvailable(RowKernel kernel)
{
    switch (kernel) {
    case RowKernel::Avx512: return cpuHasAvx512();
    case RowKernel::AmxBf16: return cpuHasAmxBf16();
    case RowKernel::Avx512Bf16: return cpuHasAvx512Bf16();
    default: return true;
    }
}

at::Tensor projectRows(const at::Tensor& x, const at::Tensor& weight, RowKernel kernel)
{
    if (x.scalar_type() == at::kBFloat16) {
        if (kernel == RowKernel::Best)
            kernel = cpuHasAmxBf16() ? RowKernel::AmxBf16 : RowKernel::Avx512Bf16;
        if (kernel != RowKernel::AmxBf16 && kernel != RowKernel::Avx512Bf16)
            throw std::logic_error("projectRows: bf16 rows go through the AMX or AVX512_BF16 kernel only");
        if (!rowKernelAvailable(kernel))
            throw std::logic_error("projectRows: a bf16 kernel was asked for on a CPU without it");
    }
#ifdef TEMPO_HAS_AVX512_KERNEL
    if (kernel == RowKernel::Avx512Bf16) {
        const int64_t n = x.size(0), in = x.size(1), out = weight.size(0);
        at::Tensor y = at::empty({n, out}, x.options()); // [n, out] bf16
        const at::BFloat16* xData = x.data_ptr<at::BFloat16>();
        const at::BFloat16* wData = weight.data_ptr<at::BFloat16>();
        at::BFloat16* yData = y.data_ptr<at::BFloat16>();
        at::parallel_for(0, out, 64, [&](int64_t begin, int64_t end) {
            projectRowRangeBf16(xData, n, in, wData, begin, end, yData, out);
        });
        return y;
    }
#endif
#ifdef TEMPO_HAS_AMX_KERNEL
    if (kernel == RowKernel::AmxBf16) {
        const int64_t n = x.size(0), in = x.size(1), out = weight.size(0);
        const std::vector<at::BFloat16> pairs = activationPairs(x.data_ptr<at::BFloat16>(), n, in);
        at::Tensor y = at::empty({n, out}, x.options()); // [n, out] bf16
        const at::BFloat16* wData = weight.data_ptr<at::BFloat16>();
        at::BFloat16* yData = y.data_ptr<at::BFloat16>();
        // Tasks of whole 32-row passes (at least 8 of them); the last task also takes the out % 32
        // rows, so which rows go through the f32 tail loop does not depend on the thread count.
        const int64_t passes = std::max<int64_t>(out / 32, 1);
        at::parallel_for(0, passes, 8, [&](int64_t begin, int64_t end) {
            projectRowRangeAmx(pairs.data(), n, in, wData, begin * 32, end == passes ? out : end * 32, yData, out);
        });
        return y;
    }
#endif
    if (kernel == RowKernel::AmxBf16 || kernel == RowKernel::Avx512Bf16)
        throw std::logic_error("projectRows: the bf16 kernels take bf16 rows and weights");
    if (kernel == RowKernel::Best)
        kernel = cpuHasAvx512() ? RowKernel::Avx512 : RowKernel::Portable;
    if (!rowKernelAvailable(kernel))
        throw std::logic_error("projectRows: the AVX-512 kernel was asked for on a CPU without AVX-512");
    const int64_t n = x.size(0), in = x.size(1), out = weight.size(0);
    at::Tensor y = at::empty({n, out}, x.options()); // [n, out]
    const float* xData = x.data_ptr<float>();
    const float* wData = weight.data_ptr<float>();
    float* yData = y.data_ptr<float>();
    // 64 weight rows per task: large enough to amortise scheduling, small enough to balance 2..16 threads.
    at::parallel_for(0, out, 64, [&](int64_t begin, int64_t end) {
#ifdef TEMPO_HAS_AVX512_KERNEL
        if (kernel == RowKernel::Avx512) {
            projectRowRangeAvx512(xData, n, in, wData, begin, end, yData, out);
            return;
        }
#endif
        projectRowRange(xData, n, in, wData, begin, end, yData, out);
    });
    return y;
}

} // namespace tempo
