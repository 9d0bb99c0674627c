#include "core/analysis/tensor4.h"

#include "core/common/errors.h"

namespace tempo {

Tensor4 Tensor4::zeros(std::array<int64_t, 4> dims)
{
    Tensor4 t;
    t.shape = dims;
    t.data.assign(static_cast<size_t>(t.elementCount()), 0.0f);
    return t;
}

void Tensor4::validate(const std::string& what) const
{
    for (int64_t d : shape)
        if (d < 0)
            throw InvalidArgument(expectedFound(what + " shape", "non-negative dimensions", shapeText()));
    if (static_cast<int64_t>(data.size()) != elementCount())
        throw InvalidArgument(expectedFound(what + " data", std::to_string(elementCount()) + " values for shape " + shapeText(),
                                            std::to_string(data.size()) + " values"));
}

std::string Tensor4::shapeText() const
{
    return "[" + std::to_string(shape[0]) + ", " + std::to_string(shape[1]) + ", " + std::to_string(shape[2]) + ", "
        + std::to_string(shape[3]) + "]";
}

} // namespace tempo
