#include "core/model/rowprojection.h"

#include <ATen/Parallel.h>

namespace tempo {

namespace {

// One build for every x86-64 level: the loader picks AVX-512, AVX2+FMA or SSE2 at run time.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define TEMPO_CPU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TEMPO_CPU_CLONES
#endif

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

} // namespace

bool rowProjectionApplies(const at::Tensor& x, const at::Tensor& weight)
{
    return x.dim() == 2 && weight.dim() == 2 && x.size(0) >= 1 && x.size(0) <= kMaxKernelRows &&
           x.size(1) == weight.size(1) && x.device().is_cpu() && weight.device().is_cpu() &&
           x.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat && x.is_contiguous() &&
           weight.is_contiguous();
}

at::Tensor projectRows(const at::Tensor& x, const at::Tensor& weight)
{
    const int64_t n = x.size(0), in = x.size(1), out = weight.size(0);
    at::Tensor y = at::empty({n, out}, x.options()); // [n, out]
    const float* xData = x.data_ptr<float>();
    const float* wData = weight.data_ptr<float>();
    float* yData = y.data_ptr<float>();
    // 64 weight rows per task: large enough to amortise scheduling, small enough to balance 2..16 threads.
    at::parallel_for(0, out, 64, [&](int64_t begin, int64_t end) {
        projectRowRange(xData, n, in, wData, begin, end, yData, out);
    });
    return y;
}

} // namespace tempo
