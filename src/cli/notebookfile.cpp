#include "cli/notebookfile.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/common/errors.h"

namespace tempo::cli {

const char* const kReadOnlyFlagHelp =
    "  --read-only    open the notebook read-only and create nothing next to it (no -wal/-shm files);\n"
    "                 automatic when the notebook or its folder is not writable\n";

namespace {

bool writableByPermissions(const std::string& path)
{
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && (info.st_mode & 0222) != 0 && ::access(path.c_str(), W_OK) == 0;
}

} // namespace

bool notebookWritable(const std::string& path)
{
    const auto folder = std::filesystem::path(path).parent_path();
    return writableByPermissions(path) && writableByPermissions(folder.empty() ? "." : folder.string());
}

notebook::OpenMode readingMode(const std::string& path, bool readOnlyAsked)
{
    return !readOnlyAsked && notebookWritable(path) ? notebook::OpenMode::ReadWrite
                                                    : notebook::OpenMode::ReadOnlyUntouched;
}

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
