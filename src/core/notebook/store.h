#pragma once
// What every store of the notebook shares: the one database connection the Notebook owns, the
// notebook's path (for messages) and whether it was opened read-write. A store reads and writes
// one kind of record (runs, steps, checks, ...); the Notebook owns one of each (notebook.h).

#include <cstdint>
#include <string>

namespace tempo::notebook {

class Database;

struct StoreContext {
    Database& database;
    std::string path; // the notebook file, named in every error
    bool writable = false;
};

class Store {
public:
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    const std::string& notebookPath() const { return context_.path; }

protected:
    explicit Store(const StoreContext& context) : context_(context) {}
    ~Store() = default;

    // Store methods are const when they only read; reading still prepares statements.
    Database& database() const { return context_.database; }
    // Throws NotebookError naming `operation` when the notebook was opened read-only.
    void requireWritable(const char* operation) const;
    // Throws InvalidArgument naming the notebook when no run has id `runId`.
    void requireRunExists(std::int64_t runId) const;

private:
    StoreContext context_;
};

} // namespace tempo::notebook
