#include "core/tempo/readout.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/model/shapetext.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define TEMPO_READOUT_AVX512 1
#endif

namespace tempo {

namespace {

void requireReadoutLogits(const at::Tensor& rowLogits)
{
    if (!rowLogits.defined() || rowLogits.dim() != 2 || rowLogits.size(0) < 1 || rowLogits.size(1) < 1)
        throw InvalidArgument(expectedFound("readout logits", "a [rows >= 1, vocab >= 1] tensor",
                                            rowLogits.defined() ? shapeText(rowLogits.sizes()) : "an undefined tensor"));
}

#ifdef TEMPO_READOUT_AVX512
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_pd and trip this warning falsely.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// The row's largest logit, NaN when any logit is NaN (at::softmax's max propagates NaN).
double readoutRowMaximum(const float* logits, int64_t vocab)
{
    float highest = -std::numeric_limits<float>::infinity();
    bool sawNaN = false;
    for (int64_t v = 0; v < vocab; ++v) {
        const float x = logits[v];
        sawNaN |= x != x;
        highest = x > highest ? x : highest;
    }
    return sawNaN ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(highest);
}

// exp(x) = 2^n exp(r): n = round(x log2 e), r = x - n ln 2 in [-ln2/2, ln2/2] with ln 2 in two
// parts (n * kLn2High is exact), exp(r) by its Taylor series to r^13 (truncation < 5e-18
// relative), Horner with fused multiply-adds: ~1 ulp. 2^n is applied in two halves so that
// subnormal results come out right; x is clamped to [-746, 710], where exp is already 0 and +inf.
constexpr double kLog2e = 1.4426950408889634074;
constexpr double kLn2High = 6.93147180369123816490e-01; // low 21 bits of the significand zero
constexpr double kLn2Low = 1.90821492927058770002e-10;
constexpr double kRoundShift = 6755399441055744.0; // 1.5 * 2^52: y + shift holds round(y) in its low bits
constexpr double kExpLowest = -746.0;
constexpr double kExpHighest = 710.0;
constexpr double kInverseFactorials[14] = {1.0,
                                           1.0,
                                           1.0 / 2.0,
                                           1.0 / 6.0,
                                           1.0 / 24.0,
                                           1.0 / 120.0,
                                           1.0 / 720.0,
                                           1.0 / 5040.0,
                                           1.0 / 40320.0,
                                           1.0 / 362880.0,
                                           1.0 / 3628800.0,
                                           1.0 / 39916800.0,
                                           1.0 / 479001600.0,
                                           1.0 / 6227020800.0};

__attribute__((target("avx512f,fma"), always_inline)) inline __m512d expAvx512(__m512d x)
{
    const __mmask8 nan = _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q);
    const __m512d clamped = _mm512_min_pd(_mm512_max_pd(x, _mm512_set1_pd(kExpLowest)), _mm512_set1_pd(kExpHighest));
    const __m512d shift = _mm512_set1_pd(kRoundShift);
    const __m512d shifted = _mm512_fmadd_pd(clamped, _mm512_set1_pd(kLog2e), shift);
    const __m512d n = _mm512_sub_pd(shifted, shift); // round(x log2 e), in [-1077, 1025]
    __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(kLn2High), clamped);
    r = _mm512_fnmadd_pd(n, _mm512_set1_pd(kLn2Low), r);
    __m512d p = _mm512_set1_pd(kInverseFactorials[13]);
    for (int k = 12; k >= 0; --k)
        p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(kInverseFactorials[k]));
    // n as an integer from the shifted value's low bits, split n = n1 + n2 with |n1|, |n2| <= 539.
    const __m512i ni = _mm512_sub_epi64(_mm512_castpd_si512(shifted), _mm512_castpd_si512(shift));
    const __m512i n1 = _mm512_srai_epi64(ni, 1);
    const __m512i n2 = _mm512_sub_epi64(ni, n1);
    const __m512i bias = _mm512_set1_epi64(1023);
    const __m512d scale1 = _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(n1, bias), 52));
    const __m512d scale2 = _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(n2, bias), 52));
    const __m512d result = _mm512_mul_pd(_mm512_mul_pd(p, scale1), scale2);
    return _mm512_mask_blend_pd(nan, result, x);
}

// The row's largest logit as readoutRowMaximum, 16 at a time.
__attribute__((target("avx512f"))) double readoutRowMaximumAvx512(const float* logits, int64_t vocab)
{
    __m512 highest = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    __mmask16 nan = 0;
    int64_t v = 0;
    for (; v + 16 <= vocab; v += 16) {
        const __m512 x = _mm512_loadu_ps(logits + v);
        nan |= _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        highest = _mm512_max_ps(highest, x);
    }
    if (nan)
        return std::numeric_limits<double>::quiet_NaN();
    const double rest = readoutRowMaximum(logits + v, vocab - v); // -inf when no entry is left
    if (rest != rest)
        return rest;
    return std::max(static_cast<double>(_mm512_reduce_max_ps(highest)), rest);
}

// softmaxRowFloat64 with AVX-512: max, then exp(x - max) in 8 lanes with 8 partial sums, then
// one scaling pass that also adds the row into `addTo` [V] and writes it rounded to float32
// into `rounded` [V] (either may be null): the readout's other passes over the row, fused.
__attribute__((target("avx512f,fma"))) void softmaxRowAvx512(const float* logits, int64_t vocab, double* probabilities,
                                                              double* addTo, float* rounded)
{
    const double highest = readoutRowMaximumAvx512(logits, vocab);
    const __m512d shiftBy = _mm512_set1_pd(highest);
    __m512d sums = _mm512_setzero_pd();
    int64_t v = 0;
    for (; v + 8 <= vocab; v += 8) {
        const __m512d x = _mm512_cvtps_pd(_mm256_loadu_ps(logits + v));
        const __m512d e = expAvx512(_mm512_sub_pd(x, shiftBy));
        _mm512_storeu_pd(probabilities + v, e);
        sums = _mm512_add_pd(sums, e);
    }
    if (v < vocab) {
        const __mmask8 tail = static_cast<__mmask8>((1u << (vocab - v)) - 1u);
        alignas(32) float rest[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int64_t i = v; i < vocab; ++i)
            rest[i - v] = logits[i];
        const __m512d e = expAvx512(_mm512_sub_pd(_mm512_cvtps_pd(_mm256_load_ps(rest)), shiftBy));
        _mm512_mask_storeu_pd(probabilities + v, tail, e);
        sums = _mm512_mask_add_pd(sums, tail, sums, e);
    }
    alignas(64) double lanes[8];
    _mm512_store_pd(lanes, sums);
    const double sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    const double inverse = 1.0 / sum;
    v = 0;
    for (; v + 8 <= vocab; v += 8) {
        const __m512d p = _mm512_mul_pd(_mm512_loadu_pd(probabilities + v), _mm512_set1_pd(inverse));
        _mm512_storeu_pd(probabilities + v, p);
        if (addTo)
            _mm512_storeu_pd(addTo + v, _mm512_add_pd(_mm512_loadu_pd(addTo + v), p));
        if (rounded)
            _mm256_storeu_ps(rounded + v, _mm512_cvtpd_ps(p));
    }
    for (; v < vocab; ++v) {
        const double p = probabilities[v] * inverse;
        probabilities[v] = p;
        if (addTo)
            addTo[v] += p;
        if (rounded)
            rounded[v] = static_cast<float>(p);
    }
}

// values[v] / divisor rounded to float32 into `rounded` [V]; returns the float64 sum of the
// quotients in readoutSum's order.
__attribute__((target("avx512f"))) double divideRoundAndSumAvx512(const double* values, int64_t count, double divisor,
                                                                   float* rounded)
{
    __m512d sums = _mm512_setzero_pd();
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m512d q = _mm512_div_pd(_mm512_loadu_pd(values + i), _mm512_set1_pd(divisor));
        sums = _mm512_add_pd(sums, q);
        _mm256_storeu_ps(rounded + i, _mm512_cvtpd_ps(q));
    }
    alignas(64) double lanes[8];
    _mm512_store_pd(lanes, sums);
    for (int l = 0; i < count; ++i, ++l) {
        const double q = values[i] / divisor;
        lanes[l] += q;
        rounded[i] = static_cast<float>(q);
    }
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

#pragma GCC diagnostic pop

bool hasAvx512Softmax()
{
    static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    return has;
}

#else

bool hasAvx512Softmax()
{
    return false;
}

#endif

// values[v] / divisor rounded to float32 into `rounded` [V]; returns the float64 sum of the
// quotients in 8 interleaved partial sums (a fixed order, the same in divideRoundAndSumAvx512, so
// both give the same bits; a single running sum would also wait on each addition's latency).
double divideRoundAndSum(const double* values, int64_t count, double divisor, float* rounded, bool avx512)
{
#ifdef TEMPO_READOUT_AVX512
    if (avx512)
        return divideRoundAndSumAvx512(values, count, divisor, rounded);
#endif
    double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t i = 0; i < count; ++i) {
        const double q = values[i] / divisor;
        lanes[i % 8] += q;
        rounded[i] = static_cast<float>(q);
    }
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

// readOutStep on any device or dtype: readOutDistribution's operators.
StepReadout readOutStepWithOperators(const at::Tensor& rowLogits, Readout readout, int64_t rowTopK)
{
    const ReadoutDistributions read = readOutDistribution(rowLogits, readout);
    StepReadout out;
    out.distributionSum = read.distribution.sum().item<double>();
    out.distribution = read.distribution.to(at::kFloat).contiguous(); // [V]
    if (rowTopK > 0) {
        const at::Tensor rowProbabilities = read.rows.to(at::kFloat); // [r, V]
        for (int64_t r = 0; r < rowProbabilities.size(0); ++r)
            out.rowTop.push_back(topCandidates(rowProbabilities[r], rowTopK));
    }
    return out;
}

} // namespace

ReadoutDistributions readOutDistribution(const at::Tensor& rowLogits, Readout readout)
{
    requireReadoutLogits(rowLogits);
    ReadoutDistributions out;
    // softmax subtracts the row maximum, exponentiates and normalises, all in float64 here.
    out.rows = at::softmax(rowLogits.to(at::kDouble), -1); // [r, V]
    out.distribution = readout == Readout::Mean ? out.rows.mean(0) : out.rows[out.rows.size(0) - 1]; // [V]
    return out;
}

void softmaxRowFloat64(const float* logits, int64_t vocab, double* probabilities, SoftmaxKernel kernel)
{
    if (vocab < 1)
        throw InvalidArgument(expectedFound("softmax row", "at least 1 logit", std::to_string(vocab)));
#ifdef TEMPO_READOUT_AVX512
    if (kernel == SoftmaxKernel::Fastest && hasAvx512Softmax()) {
        softmaxRowAvx512(logits, vocab, probabilities, nullptr, nullptr);
        return;
    }
#endif
    (void)kernel;
    // Without AVX-512: LibTorch's vectorised softmax (a scalar std::exp loop is slower than it).
    const at::Tensor row = at::from_blob(const_cast<float*>(logits), {vocab}, at::kFloat); // [V], not owned
    at::from_blob(probabilities, {vocab}, at::kDouble).copy_(at::softmax(row.to(at::kDouble), -1));
}

StepReadout readOutStep(const at::Tensor& rowLogits, Readout readout, int64_t rowTopK, SoftmaxKernel kernel)
{
    requireReadoutLogits(rowLogits);
    if (!rowLogits.device().is_cpu() || rowLogits.scalar_type() != at::kFloat || !rowLogits.is_contiguous())
        return readOutStepWithOperators(rowLogits, readout, rowTopK);

    const int64_t rows = rowLogits.size(0);
    const int64_t vocab = rowLogits.size(1);
    const size_t v = static_cast<size_t>(vocab);
    const float* logits = rowLogits.data_ptr<float>(); // [r, V]
    const bool mean = readout == Readout::Mean;
    // Without AVX-512 every row's softmax in one LibTorch call; with it, row by row below.
    const bool ownKernel = kernel == SoftmaxKernel::Fastest && hasAvx512Softmax();
    const at::Tensor allRows = ownKernel ? at::Tensor() : at::softmax(rowLogits.to(at::kDouble), -1).contiguous(); // [r, V]
    // Scratch rows left uninitialised (every entry is written before it is read).
    const std::unique_ptr<double[]> row(new double[ownKernel ? v : 0]);  // [V] one row's probabilities
    std::vector<double> rowSum(mean ? v : 0, 0.0);       // [V] sum of the rows' probabilities, rows in order
    const std::unique_ptr<float[]> rounded(new float[rowTopK > 0 ? v : 0]); // [V] one row's probabilities in float32

    StepReadout out;
    const double* last = nullptr; // [V] the last row's probabilities
    for (int64_t r = 0; r < rows; ++r) {
        if (ownKernel) {
#ifdef TEMPO_READOUT_AVX512
            softmaxRowAvx512(logits + r * vocab, vocab, row.get(), mean ? rowSum.data() : nullptr,
                             rowTopK > 0 ? rounded.get() : nullptr);
#endif
            last = row.get();
        } else {
            last = allRows.data_ptr<double>() + r * vocab;
            for (size_t i = 0; mean && i < v; ++i)
                rowSum[i] += last[i];
            for (size_t i = 0; rowTopK > 0 && i < v; ++i)
                rounded[i] = static_cast<float>(last[i]);
        }
        if (rowTopK > 0)
            out.rowTop.push_back(topCandidates(rounded.get(), vocab, rowTopK));
    }
    // Mean: the rows' sum over their count, as mean(0); Last: the last row itself.
    out.distribution = at::empty({vocab}, at::kFloat); // [V]
    out.distributionSum = divideRoundAndSum(mean ? rowSum.data() : last, vocab, mean ? static_cast<double>(rows) : 1.0,
                                            out.distribution.data_ptr<float>(), ownKernel);
    return out;
}

} // namespace tempo
