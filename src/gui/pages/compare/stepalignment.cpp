#include "gui/pages/compare/stepalignment.h"

#include <algorithm>
#include <map>

namespace tempo::gui {

namespace {
std::vector<std::int64_t> sortedIds(const notebook::StepRecord& step)
{
    std::vector<std::int64_t> ids = step.tokenIds;
    std::sort(ids.begin(), ids.end());
    return ids;
}
} // namespace

StepAlignment alignSteps(const std::vector<notebook::StepRecord>& a, const std::vector<notebook::StepRecord>& b)
{
    std::map<int, AlignedStep> byStep;
    for (const auto& step : a) {
        byStep[step.step].step = step.step;
        byStep[step.step].a = step;
    }
    for (const auto& step : b) {
        byStep[step.step].step = step.step;
        byStep[step.step].b = step;
    }
    StepAlignment alignment;
    for (auto& [index, row] : byStep) {
        row.sameSet = row.a && row.b && sortedIds(*row.a) == sortedIds(*row.b);
        if (!row.sameSet && alignment.firstDivergence < 0)
            alignment.firstDivergence = index;
        alignment.rows.push_back(std::move(row));
    }
    return alignment;
}

} // namespace tempo::gui
