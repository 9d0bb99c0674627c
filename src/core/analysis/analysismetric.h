#pragma once
// One analysis number in the shape the notebook stores: a name and a value, optionally tied to a
// step, a layer and a head. Every analysis flattens its result into a list of these
// (`metrics(result)`), so the notebook and the report read them without knowing the analysis.
//
// -1 means "not tied to one" (the notebook maps it to NULL). A value of NaN means "undefined"
// (e.g. a Pearson correlation of a constant series); each analysis says where that happens.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace tempo {

struct AnalysisMetric {
    std::string name;   // dotted, lower case: "attention.pearson", "distribution.kl_ab"
    double value = 0.0;
    int64_t step = -1;  // logical step (-1: none; the prefill forward is reported as step -1 too)
    int64_t layer = -1;
    int64_t head = -1;
};

using AnalysisMetrics = std::vector<AnalysisMetric>;

// The value of a metric that is undefined (see above).
inline constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

} // namespace tempo
