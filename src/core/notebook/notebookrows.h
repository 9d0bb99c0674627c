#pragma once
// Small conversions between notebook rows and records, shared by the notebook's source files.
// Internal to core/notebook.

#include <cstdint>
#include <string>
#include <vector>

namespace tempo::notebook {

// "[2,8,16]" -> {2, 8, 16}; throws NotebookError naming the notebook and tensor when malformed.
std::vector<std::int64_t> parseShape(const std::string& json, const std::string& notebookPath,
                                     const std::string& tensorName);

} // namespace tempo::notebook
