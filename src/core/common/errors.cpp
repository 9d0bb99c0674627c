#include "core/common/errors.h"

namespace tempo {

std::string expectedFound(const std::string& what, const std::string& expected, const std::string& found)
{
    return what + ": expected " + expected + ", found " + found;
}

} // namespace tempo
