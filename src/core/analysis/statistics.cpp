#include "core/analysis/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/analysis/analysismetric.h"
#include "core/common/errors.h"

namespace tempo {

void RunningSummary::add(double x)
{
    if (count_ == 0) {
        max_ = x;
        min_ = x;
    } else {
        max_ = std::max(max_, x);
        min_ = std::min(min_, x);
    }
    ++count_;
    sum_ += x;
}

double RunningSummary::mean() const { return count_ ? sum_ / static_cast<double>(count_) : kUndefined; }
double RunningSummary::max() const { return count_ ? max_ : kUndefined; }
double RunningSummary::min() const { return count_ ? min_ : kUndefined; }

void PearsonAccumulator::add(double x, double y)
{
    ++count_;
    const double n = static_cast<double>(count_);
    const double dx = x - meanX_;
    const double dy = y - meanY_;
    meanX_ += dx / n;
    meanY_ += dy / n;
    m2x_ += dx * (x - meanX_);
    m2y_ += dy * (y - meanY_);
    cxy_ += dx * (y - meanY_);
}

double PearsonAccumulator::correlation() const
{
    if (count_ < 2 || !(m2x_ > 0.0) || !(m2y_ > 0.0))
        return kUndefined;
    // Rounding can push |r| a hair above 1 for perfectly correlated series.
    return std::clamp(cxy_ / std::sqrt(m2x_ * m2y_), -1.0, 1.0);
}

double pearsonCorrelation(const std::vector<double>& x, const std::vector<double>& y)
{
    if (x.size() != y.size())
        throw InvalidArgument(expectedFound("Pearson correlation inputs", "two series of equal length",
                                            std::to_string(x.size()) + " and " + std::to_string(y.size()) + " values"));
    PearsonAccumulator acc;
    for (size_t i = 0; i < x.size(); ++i)
        acc.add(x[i], y[i]);
    return acc.correlation();
}

LinearFit leastSquares(const std::vector<double>& x, const std::vector<double>& y)
{
    if (x.size() != y.size())
        throw InvalidArgument(expectedFound("least-squares inputs", "x and y of equal length",
                                            std::to_string(x.size()) + " and " + std::to_string(y.size()) + " values"));
    LinearFit fit{kUndefined, kUndefined, static_cast<int64_t>(x.size())};
    if (x.size() < 2)
        return fit;
    double meanX = 0.0;
    double meanY = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
        meanX += x[i];
        meanY += y[i];
    }
    meanX /= static_cast<double>(x.size());
    meanY /= static_cast<double>(y.size());
    double sxx = 0.0;
    double sxy = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
        sxx += (x[i] - meanX) * (x[i] - meanX);
        sxy += (x[i] - meanX) * (y[i] - meanY);
    }
    if (!(sxx > 0.0))
        return fit;
    fit.slope = sxy / sxx;
    fit.intercept = meanY - fit.slope * meanX;
    return fit;
}

} // namespace tempo
