#include "core/analysis/parallelism.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "core/analysis/statistics.h"
#include "core/common/errors.h"

namespace tempo {

ParallelismSummary summariseParallelism(const ParallelismInput& in)
{
    if (!in.stepMilliseconds.empty() && in.stepMilliseconds.size() != in.widths.size())
        throw InvalidArgument(expectedFound("step timings", "none or one per step (" + std::to_string(in.widths.size()) + ")",
                                            std::to_string(in.stepMilliseconds.size()) + " timings"));
    ParallelismSummary out;
    out.widths = in.widths;
    RunningSummary width;
    for (int64_t w : in.widths) {
        width.add(static_cast<double>(w));
        out.maxWidth = std::max(out.maxWidth, w);
        out.multiMemberSteps += w >= 2 ? 1 : 0;
    }
    out.meanWidth = width.mean();

    std::map<int64_t, RunningSummary> byWidth;
    std::vector<double> x;
    std::vector<double> y;
    for (size_t s = 0; s < in.stepMilliseconds.size(); ++s) {
        byWidth[in.widths[s]].add(in.stepMilliseconds[s]);
        x.push_back(static_cast<double>(in.widths[s]));
        y.push_back(in.stepMilliseconds[s]);
        out.totalMilliseconds += in.stepMilliseconds[s];
    }
    for (const auto& [w, ms] : byWidth)
        out.timeByWidth.push_back({w, ms.count(), ms.mean()});
    const LinearFit fit = leastSquares(x, y);
    out.msPerExtraMember = fit.slope;
    out.interceptMs = fit.intercept;

    out.maxProbabilitySumError = kUndefined;
    for (const auto& p : in.readouts) {
        int64_t bad = 0;
        double sum = 0.0;
        for (float v : p) {
            if (!std::isfinite(v))
                ++bad;
            else
                sum += v;
        }
        out.nonFiniteValues += bad;
        if (bad) {
            ++out.nonFiniteReadouts;
            continue;
        }
        const double error = std::abs(sum - 1.0);
        out.maxProbabilitySumError = std::isnan(out.maxProbabilitySumError) ? error : std::max(out.maxProbabilitySumError, error);
    }
    for (float v : in.logits)
        out.nonFiniteValues += std::isfinite(v) ? 0 : 1;
    return out;
}

AnalysisMetrics metrics(const ParallelismSummary& s)
{
    AnalysisMetrics out;
    for (size_t step = 0; step < s.widths.size(); ++step)
        out.push_back({"parallelism.by_step.width", static_cast<double>(s.widths[step]), static_cast<int64_t>(step)});
    for (const auto& w : s.timeByWidth) {
        const std::string prefix = "parallelism.by_width." + std::to_string(w.width) + ".";
        out.push_back({prefix + "steps", static_cast<double>(w.steps)});
        out.push_back({prefix + "mean_ms", w.meanMilliseconds});
    }
    out.push_back({"parallelism.max_width", static_cast<double>(s.maxWidth)});
    out.push_back({"parallelism.mean_width", s.meanWidth});
    out.push_back({"parallelism.multi_member_steps", static_cast<double>(s.multiMemberSteps)});
    out.push_back({"parallelism.ms_per_extra_member", s.msPerExtraMember});
    out.push_back({"parallelism.intercept_ms", s.interceptMs});
    out.push_back({"parallelism.total_ms", s.totalMilliseconds});
    out.push_back({"parallelism.non_finite_values", static_cast<double>(s.nonFiniteValues)});
    out.push_back({"parallelism.non_finite_readouts", static_cast<double>(s.nonFiniteReadouts)});
    out.push_back({"parallelism.max_probability_sum_error", s.maxProbabilitySumError});
    return out;
}

} // namespace tempo
