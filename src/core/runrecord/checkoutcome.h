#pragma once
// How a mechanism check that does not apply to a run is written down, wherever checks live (the
// decoder's CheckResult, the notebook's CheckRecord): passed (vacuously), value NaN, and a detail
// that starts with "not applicable" and says why (e.g. "not applicable: no forward fed 2 or more
// members of one set"). Counting such a check among the passed ones would overstate what a run
// proved, so every summary counts it apart.

#include <string>

namespace tempo {

inline constexpr const char* kNotApplicablePrefix = "not applicable";

// True for a check written as above: passed, value NaN, detail starting with kNotApplicablePrefix.
// A failed check is never "not applicable", whatever its detail says.
bool isNotApplicableCheck(bool passed, double value, const std::string& detail);

} // namespace tempo
