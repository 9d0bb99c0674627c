#pragma once
// What a run group stores about its runs (run_groups.comparison_json): for a mode pair, the preset,
// which run is isolated and which visible, the scenario verdict and the pair metrics
// (attention.*, distribution.*). One reader (readGroupComparison) and one writer
// (groupComparisonJson) here; the report, the window, sweeps and transfers use the typed record.
//
// Stored shapes:
//   {"kind": "mode-pair", "preset": "2", "isolated_run": 7, "visible_run": 8,
//    "verdict": {"scenario", "title", "inconclusive_reason",
//                "criteria": [{"name", "comparison", "threshold", "value" (null: not measured), "met",
//                              "meaning"}]},
//    "metrics": [{"name", "value" (null: undefined), "step"?, "layer"?, "head"?}]}
//   {"status": "cancelled"}   a pair stopped before both runs finished: nothing was compared
// The writer writes the keys whose field is set; the reader takes any subset (unknown keys are
// ignored) and refuses a present key of the wrong type with InvalidArgument naming it.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/analysis/analysismetric.h"
#include "core/analysis/verdict.h"

namespace tempo {

struct GroupComparison {
    std::string kind;     // "mode-pair" ("" when not stored)
    std::string status;   // "cancelled", or "" for a finished comparison
    std::string presetId; // the preset both runs ran ("" when not stored)
    std::optional<std::int64_t> isolatedRunId;
    std::optional<std::int64_t> visibleRunId;
    std::optional<Verdict> verdict;         // nullopt: none stored
    std::optional<AnalysisMetrics> metrics; // nullopt: none stored (a cancelled pair)

    bool operator==(const GroupComparison& other) const;
};

nlohmann::json groupComparisonJson(const GroupComparison& comparison);
GroupComparison readGroupComparison(const nlohmann::json& json);
GroupComparison readGroupComparisonText(const std::string& text);

// The pieces, also used where a verdict or metrics are printed on their own (`preset run --json`).
// Non-finite values are written as null and read back as NaN.
nlohmann::json verdictToJson(const Verdict& verdict);
nlohmann::json metricsToJson(const AnalysisMetrics& metrics);

bool operator==(const Verdict& a, const Verdict& b);     // NaN values compare equal to NaN
bool operator==(const AnalysisMetric& a, const AnalysisMetric& b);

} // namespace tempo
