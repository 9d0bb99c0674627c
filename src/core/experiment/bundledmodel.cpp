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
    std::vector<std::filesystem::path> candidates;
    if (const char* fromEnvironment = std::getenv("TEMPO_LAB_MODEL"); fromEnvironment && *fromEnvironment)
        candidates.emplace_back(fromEnvironment);
    if (const std::string sourceDir = TEMPO_SOURCE_DIR; !sourceDir.empty())
        candidates.push_back(std::filesystem::path(sourceDir) / "resources" / "models" / bundledModelName());
    if (const std::filesystem::path exe = executablePath(); !exe.empty())
        candidates.push_back(exe.parent_path().parent_path() / "share" / "tempo-lab" / "models" / bundledModelName());

    std::string lookedAt;
    for (const std::filesystem::path& folder : candidates) {
        if (holdsConfig(folder))
            return folder;
        lookedAt += (lookedAt.empty() ? "" : ", ") + folder.string();
    }
    throw ConfigError(expectedFound("bundled model " + bundledModelName(),
                                    "a folder with config.json ($TEMPO_LAB_MODEL, the source tree, or "
                                    "<exe>/../share/tempo-lab/models)",
                                    "none in: " + (lookedAt.empty() ? std::string("no candidate") : lookedAt)));
}

} // namespace tempo
