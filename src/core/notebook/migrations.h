#pragma once
// Notebook schema migrations: db/NNNN_name.sql files, embedded at build time, applied in order,
// each inside its own transaction together with the PRAGMA user_version that records it.

#include <cstddef>
#include <string>
#include <vector>

namespace tempo::notebook {

class Database;

struct Migration {
    int version = 0;       // NNNN of the file name; versions are 1, 2, 3, ... without gaps
    std::string fileName;  // "0001_initial.sql"
    std::string sql;
};

// Every embedded migration, sorted by version. Throws NotebookError if the embedded set has a
// gap or a malformed name (a build problem, caught by the tests).
const std::vector<Migration>& migrations();
int latestSchemaVersion();

// The oldest schema this build reads without migrating it, for read-only opens (a notebook in a
// folder the user cannot write). Version 4 only let a member's probability be NULL, so a
// version-3 notebook reads the same; raise this when a migration changes what readers query.
constexpr int kOldestReadableSchemaVersion = 3;

// Brings `database` from its PRAGMA user_version up to `targetVersion` (default: the latest).
// A failing migration rolls back and leaves the notebook at the version before it.
void migrate(Database& database, int targetVersion = -1);

namespace detail {
struct EmbeddedMigration {
    const char* fileName;
    const char* sql;
};
extern const EmbeddedMigration kEmbeddedMigrations[];
extern const std::size_t kEmbeddedMigrationCount;
} // namespace detail

} // namespace tempo::notebook
