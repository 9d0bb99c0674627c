// The shipped prompt suites (embedded at build time) and which one a study uses by default.

#include "core/experiment/shippedsuites.h"

#include "core/experiment/bundledmodel.h"

namespace tempo {

std::vector<std::string> shippedSuiteNames()
{
    std::vector<std::string> names;
    for (std::size_t i = 0; i < detail::kEmbeddedSuiteCount; ++i)
        names.push_back(detail::kEmbeddedSuites[i].fileName);
    return names;
}

std::optional<std::string> shippedSuiteText(const std::string& fileName)
{
    for (std::size_t i = 0; i < detail::kEmbeddedSuiteCount; ++i)
        if (fileName == detail::kEmbeddedSuites[i].fileName)
            return std::string(detail::kEmbeddedSuites[i].text);
    return std::nullopt;
}

std::string defaultStudySuiteName(const std::filesystem::path& modelFolder)
{
    std::error_code error;
    bool bundled = false;
    try {
        bundled = std::filesystem::equivalent(modelFolder, bundledModelFolder(), error) && !error;
    } catch (const std::exception&) {
        bundled = false; // no bundled model here: the folder is some other model
    }
    return bundled ? "default.jsonl" : "general.jsonl";
}

} // namespace tempo
