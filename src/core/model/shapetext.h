// shapeText for LibTorch sizes, next to core/common's version for plain vectors (which has no LibTorch).
#pragma once

#include <string>

#include <ATen/ATen.h>

#include "core/common/errors.h"

namespace tempo {

inline std::string shapeText(at::IntArrayRef sizes)
{
    return shapeText(sizes.vec());
}

} // namespace tempo
