#include "core/experiment/sweepstatistics.h"

#include <array>
#include <cmath>
#include <limits>

#include "core/common/errors.h"

namespace tempo {

namespace {

// Two-sided 95% critical values of Student's t, df = 1 .. 30.
constexpr std::array<double, 30> kT975{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                       2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                       2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

} // namespace

double studentTQuantile975(int64_t degreesOfFreedom)
{
    if (degreesOfFreedom < 1)
        throw InvalidArgument(expectedFound("degrees of freedom of the t quantile", "at least 1",
                                            std::to_string(degreesOfFreedom)));
    if (degreesOfFreedom <= static_cast<int64_t>(kT975.size()))
        return kT975[static_cast<size_t>(degreesOfFreedom - 1)];
    // Cornish-Fisher expansion of the t quantile in powers of 1/df (Abramowitz & Stegun 26.7.5).
    const double z = 1.959963984540054;
    const double v = static_cast<double>(degreesOfFreedom);
    const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
    return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v) +
           (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v);
}

SampleSummary summarizeSample(const std::vector<double>& values)
{
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    SampleSummary s;
    double sum = 0.0;
    for (double x : values) {
        if (std::isfinite(x)) {
            ++s.n;
            sum += x;
        } else {
            ++s.nonFinite;
        }
    }
    s.mean = s.n > 0 ? sum / static_cast<double>(s.n) : kNaN;
    s.stddev = s.ciLow = s.ciHigh = s.t = kNaN;
    if (s.n < 2)
        return s;
    double squares = 0.0; // two-pass: stable when the values are close together
    for (double x : values)
        if (std::isfinite(x))
            squares += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(squares / static_cast<double>(s.n - 1));
    s.t = studentTQuantile975(s.n - 1);
    const double half = s.t * s.stddev / std::sqrt(static_cast<double>(s.n));
    s.ciLow = s.mean - half;
    s.ciHigh = s.mean + half;
    return s;
}

} // namespace tempo
