#pragma once
// Two runs' stored steps side by side, aligned by step index (= logical step), and the first step
// where they diverge: the first step whose parallel sets differ as sets of token ids (order
// ignored), or that only one run reached. Same rule as the distribution comparison's
// first_differing_set_step, computed here from the steps alone so it works for any two runs.

#include <optional>
#include <vector>

#include "core/notebook/records.h"

namespace tempo::gui {

struct AlignedStep {
    int step = 0;
    std::optional<notebook::StepRecord> a; // absent: run A stopped before this step
    std::optional<notebook::StepRecord> b;
    bool sameSet = false;
};

struct StepAlignment {
    std::vector<AlignedStep> rows; // ascending step
    int firstDivergence = -1;      // step index, -1: same sets throughout
};

StepAlignment alignSteps(const std::vector<notebook::StepRecord>& a, const std::vector<notebook::StepRecord>& b);

} // namespace tempo::gui
