#include "core/notebook/database.h"

#include <sqlite3.h>

#include <cctype>
#include <chrono>
#include <limits>
#include <thread>

#include "core/common/errors.h"

namespace tempo::notebook {

namespace {

// Beyond the connection's busy timeout, a step that still meets SQLITE_BUSY (e.g. while another
// connection recovers the WAL index, where SQLite does not call the busy handler) is retried this
// many times with a short sleep before the error reaches the caller.
constexpr int kBusyRetries = 50;
constexpr auto kBusyRetrySleep = std::chrono::milliseconds(20);

bool isBusy(int rc)
{
    return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

std::string describe(int rc, const std::string& sqliteMessage)
{
    const std::string sqlite = " (SQLite: " + sqliteMessage + ")";
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return "expected room to write, found the disk or the notebook's size limit full" + sqlite +
               "; free some space and retry, the failed write left the notebook unchanged";
    case SQLITE_CORRUPT:
        return "expected an intact SQLite database, found a corrupt file" + sqlite +
               "; the file was left as it is, restore it from a backup";
    case SQLITE_NOTADB:
        return "expected a SQLite database (a TEMPO Lab notebook), found a file that is not SQLite" + sqlite +
               "; the file was left as it is";
    case SQLITE_READONLY:
        return "expected a writable notebook, found it read-only" + sqlite +
               "; check the file's permissions or open it read-only";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "expected the notebook's lock within the busy timeout, found it held by another connection" + sqlite +
               "; another program may be writing a long transaction, retry";
    case SQLITE_CANTOPEN:
        return "expected a file that can be opened (or created), found it cannot" + sqlite +
               "; check the folder exists and is writable";
    case SQLITE_IOERR:
        return "expected the file to read and write, found an I/O error" + sqlite;
    case SQLITE_CONSTRAINT:
        return "expected the write to respect the notebook's constraints, found a violation" + sqlite;
    default:
        return "expected success, found an error" + sqlite;
    }
}

// `path` for a file: URI, every byte outside [A-Za-z0-9/._~-] percent-encoded (so '?', '#', '%'
// and spaces in folder names survive).
std::string uriPath(const std::string& path)
{
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : path) {
        if (std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '~' || c == '-') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

} // namespace

// ---------------------------------------------------------------- Statement

Statement::Statement(Database& database, const std::string& sql) : database_(&database), sql_(sql)
{
    statement_ = database.takeIdle(sql);
    if (statement_)
        return;
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt <= kBusyRetries; ++attempt) {
        rc = sqlite3_prepare_v2(database.handle(), sql.c_str(), static_cast<int>(sql.size()), &statement_, nullptr);
        if (!isBusy(rc))
            break;
        std::this_thread::sleep_for(kBusyRetrySleep);
    }
    if (rc != SQLITE_OK)
        database.fail(rc, "preparing '" + sql.substr(0, 80) + "'");
}

Statement::~Statement()
{
    if (statement_)
        database_->giveBack(sql_, statement_);
}

Statement::Statement(Statement&& other) noexcept
    : database_(other.database_), statement_(other.statement_), sql_(std::move(other.sql_))
{
    other.statement_ = nullptr;
}

Statement& Statement::bind(int index, std::int64_t value)
{
    int rc = sqlite3_bind_int64(statement_, index, value);
    if (rc != SQLITE_OK)
        database_->fail(rc, "binding parameter " + std::to_string(index));
    return *this;
}

Statement& Statement::bind(int index, double value)
{
    int rc = sqlite3_bind_double(statement_, index, value);
    if (rc != SQLITE_OK)
        database_->fail(rc, "binding parameter " + std::to_string(index));
    return *this;
}

Statement& Statement::bind(int index, const std::string& value)
{
    int rc = sqlite3_bind_text64(statement_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK)
        database_->fail(rc, "binding parameter " + std::to_string(index));
    return *this;
}

Statement& Statement::bindBlob(int index, const void* data, std::size_t size)
{
    // A zero-length blob must stay a blob, not NULL: SQLite treats a null pointer as NULL.
    static const char empty = 0;
    int rc = sqlite3_bind_blob64(statement_, index, size ? data : &empty, size, SQLITE_TRANSIENT);
    if (rc != SQLITE_OK)
        database_->fail(rc, "binding parameter " + std::to_string(index));
    return *this;
}

Statement& Statement::bindNull(int index)
{
    int rc = sqlite3_bind_null(statement_, index);
    if (rc != SQLITE_OK)
        database_->fail(rc, "binding parameter " + std::to_string(index));
    return *this;
}

bool Statement::step()
{
    for (int attempt = 0;; ++attempt) {
        int rc = sqlite3_step(statement_);
        if (rc == SQLITE_ROW)
            return true;
        if (rc == SQLITE_DONE)
            return false;
        // Inside an explicit transaction a retry could not help (the lock is ours or never will
        // be); outside one, the statement is its own transaction and starting it again is safe.
        if (isBusy(rc) && attempt < kBusyRetries && sqlite3_get_autocommit(database_->handle())) {
            sqlite3_reset(statement_);
            std::this_thread::sleep_for(kBusyRetrySleep);
            continue;
        }
        sqlite3_reset(statement_);
        database_->fail(rc, "running '" + sql_.substr(0, 80) + "'");
    }
}

void Statement::run()
{
    while (step()) {
    }
}

void Statement::reset()
{
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
}

bool Statement::isNull(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(statement_, column); }

double Statement::real(int column) const { return sqlite3_column_double(statement_, column); }

double Statement::realOrNaN(int column) const
{
    return isNull(column) ? std::numeric_limits<double>::quiet_NaN() : real(column);
}

std::string Statement::text(int column) const
{
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    int size = sqlite3_column_bytes(statement_, column);
    return data ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::vector<std::uint8_t> Statement::blob(int column) const
{
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(statement_, column));
    int size = sqlite3_column_bytes(statement_, column);
    return data ? std::vector<std::uint8_t>(data, data + size) : std::vector<std::uint8_t>();
}

std::optional<std::int64_t> Statement::optionalInt64(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return int64(column);
}

// ---------------------------------------------------------------- Database

Database::Database(const std::string& path, Mode mode) : path_(path)
{
    int flags = SQLITE_OPEN_NOMUTEX; // one connection per thread; the notebook never shares one
    switch (mode) {
    case Mode::ReadWrite: flags |= SQLITE_OPEN_READWRITE; break;
    case Mode::ReadWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    case Mode::ReadOnly: flags |= SQLITE_OPEN_READONLY; break;
    case Mode::ReadOnlyImmutable: flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI; break;
    }
    // An absolute path gets an empty authority ("file:///x"), so one starting with "//" is not read as a host.
    const std::string name = mode != Mode::ReadOnlyImmutable ? path
                             : (path.rfind('/', 0) == 0 ? "file://" : "file:") + uriPath(path) + "?immutable=1";
    int rc = sqlite3_open_v2(name.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw NotebookError("notebook '" + path + "': " + expectedFound("opening", "success", "an error") + " (" +
                            describe(rc, message) + ")");
    }
    sqlite3_extended_result_codes(db_, 1);
}

Database::~Database()
{
    for (auto& [sql, statement] : idle_)
        sqlite3_finalize(statement);
    if (db_)
        sqlite3_close_v2(db_);
}

sqlite3_stmt* Database::takeIdle(const std::string& sql)
{
    const auto found = idle_.find(sql);
    if (found == idle_.end())
        return nullptr;
    sqlite3_stmt* statement = found->second;
    idle_.erase(found);
    return statement;
}

void Database::giveBack(const std::string& sql, sqlite3_stmt* statement) noexcept
{
    // reset ends the statement's read (its locks), as finalize would; a failed last step
    // reports its error again here, which the step that failed has already turned into a throw.
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    if (idle_.size() >= kMaxIdleStatements || idle_.count(sql)) {
        sqlite3_finalize(statement);
        return;
    }
    try {
        idle_.emplace(sql, statement);
    } catch (...) {
        sqlite3_finalize(statement); // no memory to keep it: prepared again next time
    }
}

bool Database::isReadOnly() const { return sqlite3_db_readonly(db_, "main") == 1; }

void Database::exec(const std::string& sql)
{
    char* message = nullptr;
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt <= kBusyRetries; ++attempt) {
        rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
        if (!isBusy(rc) || !sqlite3_get_autocommit(db_))
            break;
        sqlite3_free(message);
        message = nullptr;
        std::this_thread::sleep_for(kBusyRetrySleep);
    }
    sqlite3_free(message);
    if (rc != SQLITE_OK)
        fail(rc, "running '" + sql.substr(0, 80) + "'");
}

std::int64_t Database::queryInt(const std::string& sql)
{
    Statement statement(*this, sql);
    if (!statement.step())
        throw NotebookError("notebook '" + path_ + "': " + expectedFound("'" + sql + "'", "one row", "none"));
    return statement.int64(0);
}

std::int64_t Database::lastInsertId() const { return sqlite3_last_insert_rowid(db_); }

int Database::changes() const { return sqlite3_changes(db_); }

void Database::fail(int rc, const std::string& what) const
{
    throw NotebookError("notebook '" + path_ + "': " + what + ": " + describe(rc, sqlite3_errmsg(db_)));
}

// ---------------------------------------------------------------- Transaction

Transaction::Transaction(Database& database) : database_(database)
{
    if (!sqlite3_get_autocommit(database_.handle())) {
        joined_ = true;
        return;
    }
    Statement(database_, "BEGIN IMMEDIATE").run(); // busy: retried as Database::exec does
    open_ = true;
}

Transaction::~Transaction()
{
    if (open_)
        sqlite3_exec(database_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit()
{
    if (joined_)
        return;
    Statement(database_, "COMMIT").run();
    open_ = false;
}

} // namespace tempo::notebook
