#include "core/experiment/sweepstatistics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "core/common/errors.h"

namespace tempo {

double sortedQuantile(const std::vector<double>& sorted, double q)
{
    if (sorted.empty() || !(q >= 0.0 && q <= 1.0))
        throw InvalidArgument(expectedFound("quantile", "q in [0, 1] of at least one value",
                                            "q = " + std::to_string(q) + " of " + std::to_string(sorted.size()) + " values"));
    const double h = (static_cast<double>(sorted.size()) - 1.0) * q;
    const auto below = static_cast<std::size_t>(std::floor(h));
    if (below + 1 >= sorted.size())
        return sorted.back();
    return sorted[below] + (h - static_cast<double>(below)) * (sorted[below + 1] - sorted[below]);
}

SampleSummary summarizeSample(const std::vector<double>& values)
{
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    SampleSummary s;
    std::vector<double> finite;
    for (double x : values) {
        if (std::isfinite(x))
            finite.push_back(x);
        else
            ++s.nonFinite;
    }
    s.n = static_cast<int64_t>(finite.size());
    double sum = 0.0;
    for (double x : finite)
        sum += x;
    s.mean = s.n > 0 ? sum / static_cast<double>(s.n) : kNaN;
    s.stddev = s.ciLow = s.ciHigh = kNaN;
    if (s.n < 2)
        return s;
    double squares = 0.0; // two-pass: stable when the values are close together
    for (double x : finite)
        squares += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(squares / static_cast<double>(s.n - 1));

    // Percentile bootstrap. mt19937_64's output is fixed by the standard; the index is taken
    // modulo n (the bias, n / 2^64, is far below the resampling noise).
    std::mt19937_64 random(kBootstrapSeed);
    std::vector<double> means(kBootstrapResamples);
    const auto n = static_cast<std::uint64_t>(s.n);
    for (double& mean : means) {
        double resampled = 0.0;
        for (std::uint64_t i = 0; i < n; ++i)
            resampled += finite[static_cast<std::size_t>(random() % n)];
        mean = resampled / static_cast<double>(n);
    }
    std::sort(means.begin(), means.end());
    // Summation order can put a mean of equal values one ulp outside them: clamp to the data.
    const auto [smallest, largest] = std::minmax_element(finite.begin(), finite.end());
    s.ciLow = std::clamp(sortedQuantile(means, 0.025), *smallest, *largest);
    s.ciHigh = std::clamp(sortedQuantile(means, 0.975), *smallest, *largest);
    return s;
}

std::string displayNumber(double value)
{
    if (std::isnan(value))
        return "n/a";
    if (std::isinf(value))
        return value > 0 ? "inf" : "-inf";
    char buffer[32];
    const double magnitude = std::fabs(value);
    if (value == 0.0 || (magnitude >= 1e-4 && magnitude < 1e6)) {
        // 4 significant digits without an exponent, trailing zeros dropped.
        const int decimals = std::max(0, 3 - static_cast<int>(std::floor(std::log10(magnitude == 0.0 ? 1.0 : magnitude))));
        std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
        std::string text = buffer;
        if (text.find('.') != std::string::npos) {
            while (text.back() == '0')
                text.pop_back();
            if (text.back() == '.')
                text.pop_back();
        }
        return text == "-0" ? "0" : text;
    }
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
}

} // namespace tempo
