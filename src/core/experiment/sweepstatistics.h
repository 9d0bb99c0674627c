#pragma once
// The statistics a sweep reports for every metric: mean, sample standard deviation and a 95%
// confidence interval for the mean, mean +- t * s / sqrt(n), with t the 0.975 quantile of
// Student's t with n - 1 degrees of freedom. t is tabulated (3 decimals, standard tables) for
// 1 <= df <= 30 and computed above that by the Cornish-Fisher expansion around the normal
// quantile 1.959964 (error < 1e-4 for df > 30). Small-n intervals are wide on purpose.

#include <cstdint>
#include <string>
#include <vector>

namespace tempo {

inline constexpr const char* kConfidenceIntervalMethod =
    "95% t-interval mean +- t(0.975, n-1) * s / sqrt(n); t tabulated for df <= 30, Cornish-Fisher expansion above";

// 0.975 quantile of Student's t with `degreesOfFreedom` >= 1. Throws InvalidArgument for < 1.
double studentTQuantile975(int64_t degreesOfFreedom);

struct SampleSummary {
    int64_t n = 0;          // finite values used
    int64_t nonFinite = 0;  // NaN/Inf values left out
    double mean = 0.0;      // NaN when n == 0
    double stddev = 0.0;    // sample (n - 1); NaN when n < 2
    double ciLow = 0.0;     // NaN when n < 2
    double ciHigh = 0.0;
    double t = 0.0;         // the quantile used; NaN when n < 2
};

SampleSummary summarizeSample(const std::vector<double>& values);

} // namespace tempo
