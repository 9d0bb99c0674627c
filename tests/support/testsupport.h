#pragma once
// Helpers shared by the core tests: temporary folders, whole-file byte I/O.

#include <filesystem>
#include <string>

namespace tempo::test {

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "tempo-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// Whole-file reads and writes in binary mode. Failures throw std::runtime_error naming the path.
std::string readFileBytes(const std::filesystem::path& path);
void writeFileBytes(const std::filesystem::path& path, const std::string& bytes);

// Runs `command` through the shell and returns its exit code (-1 when it did not exit normally)
// and what it wrote to standard output; the command's own redirections decide what that holds.
struct ShellResult {
    int exitCode = -1;
    std::string out;
};
ShellResult runShell(const std::string& command);

} // namespace tempo::test
