#include "core/experiment/bundledmodel.h"

#include <cstdlib>
#include <system_error>
#include <vector>

#include "core/common/errors.h"

#ifndef TEMPO_SOURCE_DIR
#define TEMPO_SOURCE_DIR ""
#endif

namespace tempo {

namespace {

// The running executable (Linux: /proc/self/exe); empty when it cannot be read.
std::filesystem::path executablePath()
{
    std::error_code error;
    std::filesystem::path path = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::filesystem::path() : path;
}

bool holdsConfig(const std::filesystem::path& folder)
{
    std::error_code error;
    return std::filesystem::is_regular_file(folder / "config.json", error);
}

} // namespace

std::string bundledModelName()
{
    return "tempo-kjv-small";
}

std::filesystem::path bundledModelFolder()
{
    return bundledModelFolderFor(executablePath(), std::filesystem::path(TEMPO_SOURCE_DIR));
}

std::filesystem::path bundledModelFolderFor(const std::filesystem::path& executable,
                                            const std::filesystem::path& sourceTree)
{
    std::vector<std::filesystem::path> candidates;
    if (const char* fromEnvironment = std::getenv("TEMPO_LAB_MODEL"); fromEnvironment && *fromEnvironment)
        candidates.emplace_back(fromEnvironment);
    // Installed (<prefix>/bin/<exe> next to <prefix>/share) before the compiled-in source tree, so
    // an installed binary never silently runs on the checkout it was built from.
    if (!executable.empty())
        candidates.push_back(executable.parent_path().parent_path() / "share" / "tempo-lab" / "models" /
                             bundledModelName());
    if (!sourceTree.empty())
        candidates.push_back(sourceTree / "resources" / "models" / bundledModelName());

    std::string lookedAt;
    for (const std::filesystem::path& folder : candidates) {
        if (holdsConfig(folder))
            return folder;
        lookedAt += (lookedAt.empty() ? "" : ", ") + folder.string();
    }
    throw ConfigError(expectedFound("bundled model " + bundledModelName(),
                                    "a folder with config.json ($TEMPO_LAB_MODEL, "
                                    "<exe>/../share/tempo-lab/models, or the source tree)",
                                    "none in: " + (lookedAt.empty() ? std::string("no candidate") : lookedAt)));
}

} // namespace tempo
