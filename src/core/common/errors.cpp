#include "core/common/errors.h"

namespace tempo {

std::string expectedFound(const std::string& what, const std::string& expected, const std::string& found)
{
    return what + ": expected " + expected + ", found " + found;
}

std::string shapeText(const std::vector<int64_t>& shape)
{
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

} // namespace tempo
