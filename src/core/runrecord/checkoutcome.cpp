#include "core/runrecord/checkoutcome.h"

#include <cmath>

namespace tempo {

bool isNotApplicableCheck(bool passed, double value, const std::string& detail)
{
    return passed && std::isnan(value) && detail.rfind(kNotApplicablePrefix, 0) == 0;
}

} // namespace tempo
