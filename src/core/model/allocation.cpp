#include "core/model/allocation.h"

#include <cstdio>

#include "core/common/errors.h"

namespace tempo {

bool isAllocationFailure(const c10::Error& error)
{
    const std::string message = error.what_without_backtrace();
    for (const char* marker : {"can't allocate memory", "not enough memory", "out of memory"})
        if (message.find(marker) != std::string::npos)
            return true;
    return false;
}

std::string byteSizeText(uint64_t bytes)
{
    const double value = static_cast<double>(bytes);
    char text[64];
    if (value >= 1024.0 * 1024.0 * 1024.0)
        std::snprintf(text, sizeof text, "%.1f GiB", value / (1024.0 * 1024.0 * 1024.0));
    else if (value >= 1024.0 * 1024.0)
        std::snprintf(text, sizeof text, "%.1f MiB", value / (1024.0 * 1024.0));
    else
        std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
    return text;
}

void throwAllocationFailure(const std::string& what, uint64_t bytes, const std::string& detail)
{
    // LibTorch's message can span lines (and ends with a newline): keep the first one.
    std::string firstLine = detail.substr(0, detail.find('\n'));
    throw ResourceError(expectedFound(what, (bytes > 0 ? byteSizeText(bytes) + " of " : std::string()) + "free memory",
                                      "the allocation failed (" + firstLine + ")"));
}

} // namespace tempo
