#pragma once
// The statistics a sweep reports for every metric: mean, sample standard deviation and a 95%
// confidence interval for the mean by the percentile bootstrap: kBootstrapResamples resamples of
// the n values (drawn with replacement by a Mersenne Twister with a fixed seed, so the same values
// always give the same interval), the interval is the 2.5% and 97.5% quantiles of their means.
// Every resampled mean lies between the smallest and the largest value, so the interval respects
// the quantity's range: never below zero for times, counts and widths, inside [0, 1] for
// proportions (a t-interval gave total_ms [-308, 814]). For small n it is narrower than a
// t-interval would be (n = 2 gives about [min, max]): the n printed with it says how much it rests on.

#include <cstdint>
#include <string>
#include <vector>

namespace tempo {

inline constexpr const char* kConfidenceIntervalMethod =
    "95% percentile bootstrap of the mean (2000 resamples, fixed seed); inside the observed range, so it respects "
    "the quantity's range (never below zero for times and counts); none when n < 2";
inline constexpr int kBootstrapResamples = 2000;
inline constexpr std::uint64_t kBootstrapSeed = 0x54454D504FULL; // "TEMPO"

struct SampleSummary {
    int64_t n = 0;          // finite values used
    int64_t nonFinite = 0;  // NaN/Inf values left out
    double mean = 0.0;      // NaN when n == 0
    double stddev = 0.0;    // sample (n - 1); NaN when n < 2
    double ciLow = 0.0;     // NaN when n < 2
    double ciHigh = 0.0;
};

SampleSummary summarizeSample(const std::vector<double>& values);

// The `q` quantile (0..1) of sorted `values`, linear between neighbours (Hyndman & Fan type 7,
// numpy's default). Throws InvalidArgument on an empty vector or q outside [0, 1].
double sortedQuantile(const std::vector<double>& sorted, double q);

// A statistic rounded for people: 4 significant digits, no exponent between 1e-4 and 1e6
// ("0.0123", "812.3", "1.2e-07"); "n/a" for NaN or a missing value.
std::string displayNumber(double value);

} // namespace tempo
