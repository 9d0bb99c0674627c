// CheckRecord::notApplicable: a check that does not apply is shown as n/a, never as a pass, and
// nothing else is mistaken for one.

#include <gtest/gtest.h>

#include <limits>

#include "core/notebook/records.h"

namespace tempo::notebook {
namespace {

TEST(CheckRecord, NotApplicableNeedsPassedNaNAndTheWordsFirst)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_TRUE((CheckRecord{"rope_rotation", true, nan, "not applicable: gpt2 has no rotary position embedding"}).notApplicable());
    EXPECT_FALSE((CheckRecord{"rope_rotation", true, 1e-7, "layer 0, 12 slots: ..."}).notApplicable());
    EXPECT_FALSE((CheckRecord{"rope_rotation", false, nan, "not applicable: ..."}).notApplicable()); // a control's failure
    EXPECT_FALSE((CheckRecord{"rope_rotation", true, nan, "keys were not applicable"}).notApplicable());
}

} // namespace
} // namespace tempo::notebook
