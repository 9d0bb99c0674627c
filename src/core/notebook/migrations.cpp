#include "core/notebook/migrations.h"

#include <algorithm>
#include <cctype>

#include "core/common/errors.h"
#include "core/notebook/database.h"

namespace tempo::notebook {

namespace {

std::vector<Migration> loadMigrations()
{
    std::vector<Migration> list;
    for (std::size_t i = 0; i < detail::kEmbeddedMigrationCount; ++i) {
        const auto& embedded = detail::kEmbeddedMigrations[i];
        std::string name = embedded.fileName;
        std::size_t digits = 0;
        while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits])))
            ++digits;
        if (digits == 0 || digits >= name.size() || name[digits] != '_')
            throw NotebookError(expectedFound("migration file name '" + name + "'", "NNNN_name.sql", "no number prefix"));
        list.push_back({std::stoi(name.substr(0, digits)), name, embedded.sql});
    }
    std::sort(list.begin(), list.end(), [](const Migration& a, const Migration& b) { return a.version < b.version; });
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i].version != static_cast<int>(i) + 1)
            throw NotebookError(expectedFound("migration '" + list[i].fileName + "'", "version " + std::to_string(i + 1),
                                              "version " + std::to_string(list[i].version)));
    }
    return list;
}

} // namespace

const std::vector<Migration>& migrations()
{
    static const std::vector<Migration> list = loadMigrations();
    return list;
}

int latestSchemaVersion() { return static_cast<int>(migrations().size()); }

void migrate(Database& database, int targetVersion)
{
    if (targetVersion < 0)
        targetVersion = latestSchemaVersion();
    if (targetVersion > latestSchemaVersion())
        throw NotebookError(expectedFound("target schema version", "at most " + std::to_string(latestSchemaVersion()),
                                          std::to_string(targetVersion)));
    for (const Migration& migration : migrations()) {
        if (migration.version > targetVersion)
            break;
        Transaction transaction(database);
        // Read inside the write transaction: two programs opening a new notebook at once must
        // not both apply the same migration.
        if (database.queryInt("PRAGMA user_version") >= migration.version)
            continue;
        try {
            database.exec(migration.sql);
        } catch (const NotebookError& e) {
            throw NotebookError("applying schema migration " + migration.fileName + ": " + e.what());
        }
        database.exec("PRAGMA user_version = " + std::to_string(migration.version));
        transaction.commit();
    }
}

} // namespace tempo::notebook
