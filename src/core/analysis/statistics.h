#pragma once
// Small streaming statistics the analyses share. All accumulate in double precision.

#include <cstdint>
#include <vector>

namespace tempo {

// Count, mean, max and min of a stream. mean/max/min are NaN while empty.
class RunningSummary {
public:
    void add(double x);
    int64_t count() const { return count_; }
    double mean() const;
    double max() const;
    double min() const;
    double sum() const { return sum_; }

private:
    int64_t count_ = 0;
    double sum_ = 0.0;
    double max_ = 0.0;
    double min_ = 0.0;
};

// Pearson correlation of paired samples, with Welford's co-moment updates (stable when the two
// series are nearly equal, which is the interesting case here). correlation() is NaN when fewer
// than 2 pairs were added or either series is constant (the correlation is undefined then).
class PearsonAccumulator {
public:
    void add(double x, double y);
    int64_t count() const { return count_; }
    double correlation() const;

private:
    int64_t count_ = 0;
    double meanX_ = 0.0;
    double meanY_ = 0.0;
    double m2x_ = 0.0; // sum of squared deviations of x
    double m2y_ = 0.0;
    double cxy_ = 0.0; // sum of products of deviations
};

double pearsonCorrelation(const std::vector<double>& x, const std::vector<double>& y); // NaN as above

// Ordinary least squares y = intercept + slope * x. slope and intercept are NaN when fewer than 2
// points are given or every x is the same (no slope can be fitted).
struct LinearFit {
    double slope = 0.0;
    double intercept = 0.0;
    int64_t points = 0;
};
LinearFit leastSquares(const std::vector<double>& x, const std::vector<double>& y);

} // namespace tempo
