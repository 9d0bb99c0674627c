#pragma once
// A thin RAII wrapper over the SQLite C API: Database owns a connection, Statement a prepared
// statement, Transaction a BEGIN IMMEDIATE ... COMMIT that rolls back unless committed.
// Prepared statements are reused: a Statement takes an idle one with the same SQL from its
// Database when there is one and hands it back (reset, bindings cleared) when it is destroyed, so
// the SQL the stores run over and over (a step's inserts, a transaction's BEGIN and COMMIT) is
// parsed once per connection. Parsing was a third of a step's commit on the bundled model
// (docs/performance.md, issue 18 point 4). A Statement must not outlive its Database.
// Every SQLite failure becomes a NotebookError naming the file, what was being done and what
// SQLite reported, with a hint for the cases a researcher can act on (full disk, corrupt file,
// read-only file, another program holding the lock).

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace tempo::notebook {

class Database;

class Statement {
public:
    Statement(Database& database, const std::string& sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are 1-based, as in SQLite. Each bind returns *this so binds chain.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, const std::string& value);
    Statement& bind(int index, const char* value) { return bind(index, std::string(value)); }
    Statement& bindBlob(int index, const void* data, std::size_t size);
    Statement& bindNull(int index);
    template <typename T>
    Statement& bind(int index, const std::optional<T>& value)
    {
        return value ? bind(index, *value) : bindNull(index);
    }

    // true: a row is ready to read; false: the statement is done. SQLITE_BUSY is retried for a
    // bounded time on top of the connection's busy timeout before it becomes an error.
    bool step();
    // step() for statements that return no rows.
    void run();
    void reset();

    bool isNull(int column) const;
    std::int64_t int64(int column) const;
    int integer(int column) const { return static_cast<int>(int64(column)); }
    double real(int column) const;
    // A REAL column that may hold a NaN: SQLite stores a bound NaN as NULL, so NULL reads as NaN
    // (never as the 0 that real() would give).
    double realOrNaN(int column) const;
    std::string text(int column) const;
    std::vector<std::uint8_t> blob(int column) const;
    std::optional<std::int64_t> optionalInt64(int column) const;

private:
    Database* database_;
    sqlite3_stmt* statement_ = nullptr;
    std::string sql_;
};

class Database {
public:
    // ReadOnlyImmutable: SQLite's `immutable=1` URI, read-only with no locks, no -wal and no -shm;
    // only for a file nobody writes while it is open.
    enum class Mode { ReadWrite, ReadWriteCreate, ReadOnly, ReadOnlyImmutable };

    Database(const std::string& path, Mode mode);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    const std::string& path() const { return path_; }
    sqlite3* handle() const { return db_; }
    // True when SQLite opened the file read-only (asked to, or the file could not be opened for writing).
    bool isReadOnly() const;

    // Runs one or more statements that return nothing (schema, pragmas).
    void exec(const std::string& sql);
    Statement prepare(const std::string& sql) { return Statement(*this, sql); }
    // The single integer a query like "PRAGMA user_version" returns.
    std::int64_t queryInt(const std::string& sql);
    std::int64_t lastInsertId() const;
    int changes() const;

    // Throws NotebookError for a failed SQLite result code `rc` while doing `what`.
    [[noreturn]] void fail(int rc, const std::string& what) const;

    // How many idle prepared statements the connection keeps for reuse (tests).
    std::size_t idleStatements() const { return idle_.size(); }

private:
    friend class Statement;
    // An idle prepared statement for `sql` (nullptr: none; the caller prepares one). Taken out of
    // the pool while in use, so a second Statement with the same SQL alive at once gets its own.
    sqlite3_stmt* takeIdle(const std::string& sql);
    // Back from a Statement: reset, bindings cleared, kept for the next Statement with this SQL
    // (finalized instead when one is already kept or the pool is full).
    void giveBack(const std::string& sql, sqlite3_stmt* statement) noexcept;

    // SQL built with values in its text would otherwise grow the pool without bound.
    static constexpr std::size_t kMaxIdleStatements = 64;

    std::string path_;
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> idle_;
};

// BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails half-way with
// SQLITE_BUSY when it upgrades from reading to writing (the busy handler is not called then).
// Inside an enclosing transaction it joins it: commit() does nothing and the outer one decides
// (so a caller can group several notebook writes, e.g. one imported run, into one atomic unit).
class Transaction {
public:
    explicit Transaction(Database& database);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& database_;
    bool open_ = false;
    bool joined_ = false;
};

} // namespace tempo::notebook
