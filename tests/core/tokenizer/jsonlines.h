// The tokenizer tests' case files are JSON lines (one object per line, blank lines skipped):
// forEachJsonLine hands each object to `read` with its 1-based line number.
#pragma once

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace tempo::testing {

template <typename Read>
void forEachJsonLine(const std::filesystem::path& file, Read&& read)
{
    std::ifstream stream(file);
    if (!stream)
        throw std::runtime_error("cannot open " + file.string());
    std::string line;
    int lineNumber = 0;
    while (std::getline(stream, line)) {
        ++lineNumber;
        if (!line.empty())
            read(nlohmann::json::parse(line), lineNumber);
    }
}

} // namespace tempo::testing
