#pragma once
// Small conversions between notebook rows and records, shared by the stores' source files.
// Internal to core/notebook.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/notebook/records.h"

namespace tempo::notebook {

class Database;

// "[2,8,16]" -> {2, 8, 16}; throws NotebookError naming the notebook and tensor when malformed.
std::vector<std::int64_t> parseShape(const std::string& json, const std::string& notebookPath,
                                     const std::string& tensorName);

// Inserts tensor rows of `runId` inside the caller's transaction; tensors without a step get
// `defaultStep`. Appends the new ids to `ids` when given. The blobs must be validated already.
void insertTensorRows(Database& database, std::int64_t runId, const std::vector<TensorBlob>& tensors,
                      std::optional<int> defaultStep, std::vector<std::int64_t>* ids);

} // namespace tempo::notebook
