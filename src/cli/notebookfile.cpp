#include "cli/notebookfile.h"

#include <filesystem>

#include "core/common/errors.h"

namespace tempo::cli {

std::unique_ptr<notebook::Notebook> openNotebookForRecording(const std::optional<std::string>& path)
{
    const std::string file = path.value_or(notebook::Notebook::defaultPath());
    const auto parent = std::filesystem::path(file).parent_path();
    if (!parent.empty()) {
        std::error_code error;
        std::filesystem::create_directories(parent, error);
        if (error)
            throw NotebookError(expectedFound("folder of notebook '" + file + "'", "one that exists or can be created",
                                              error.message()));
    }
    return std::make_unique<notebook::Notebook>(file, notebook::OpenMode::ReadWrite);
}

} // namespace tempo::cli
