// Notebook: opening (checks, migration, recovery) and the stores over its connection. What each
// kind of record is and how it is written lives in its store (runstore.cpp, stepstore.cpp, ...).

#include "core/notebook/notebook.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "core/common/errors.h"
#include "core/notebook/database.h"
#include "core/notebook/migrations.h"
#include "core/notebook/writeridentity.h"

namespace tempo::notebook {

namespace {

// WAL checkpoints: every 8192 pages (32 MB at 4 KiB pages), the WAL file trimmed back to 8 MiB after.
constexpr int kWalCheckpointPages = 8192;
constexpr long long kWalSizeLimitBytes = 8LL * 1024 * 1024;

// PRAGMA application_id of every TEMPO Lab notebook ("TPLB"): tells our files from other SQLite files.
constexpr std::int64_t kApplicationId = 0x54504C42;
constexpr int kBusyTimeoutMs = 5000;
constexpr char kSqliteMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};

std::string printable(const char* bytes, std::size_t size)
{
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        unsigned char c = static_cast<unsigned char>(bytes[i]);
        if (std::isprint(c)) {
            out += static_cast<char>(c);
        } else {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    return out;
}

} // namespace

// One of each store, over the connection the Notebook owns.
struct Notebook::Stores {
    explicit Stores(const StoreContext& context)
        : runs(context), steps(context), checks(context), metrics(context), tensors(context), models(context),
          presets(context), notes(context), tags(context), groups(context), reports(context), sweeps(context),
          studies(context)
    {
    }
    RunStore runs;
    StepStore steps;
    CheckStore checks;
    MetricStore metrics;
    TensorStore tensors;
    ModelStore models;
    PresetStore presets;
    NoteStore notes;
    TagStore tags;
    GroupStore groups;
    ReportStore reports;
    SweepStore sweeps;
    StudyStore studies;
};

Notebook::Notebook(const std::string& path, OpenMode mode) : path_(path), mode_(mode)
{
    checkFileBeforeOpening();
    struct stat wal {};
    if (mode_ == OpenMode::ReadOnlyUntouched && ::stat((path + "-wal").c_str(), &wal) == 0)
        mode_ = OpenMode::ReadOnly; // a WAL to read: immutable would ignore its commits
    const Database::Mode databaseMode = mode_ == OpenMode::ReadWrite           ? Database::Mode::ReadWriteCreate
                                        : mode_ == OpenMode::ReadOnlyUntouched ? Database::Mode::ReadOnlyImmutable
                                                                               : Database::Mode::ReadOnly;
    db_ = std::make_unique<Database>(path, databaseMode);
    db_->exec("PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs));
    db_->exec("PRAGMA foreign_keys = ON");
    if (mode == OpenMode::ReadWrite && db_->isReadOnly())
        throw NotebookError("notebook '" + path + "': " +
                            expectedFound("the file", "writable", "SQLite could only open it read-only") +
                            "; check its permissions, or open it read-only");
    verifyAndMigrate();
    if (mode == OpenMode::ReadWrite)
        markDeadWritersInterrupted();
    stores_ = std::make_unique<Stores>(StoreContext{*db_, path_, mode_ == OpenMode::ReadWrite});
    if (mode == OpenMode::ReadWrite)
        studiesInterruptedOnOpen_ = stores_->studies.markDeadWritersInterrupted();
}

Notebook::~Notebook() = default;

std::string Notebook::defaultPath()
{
    const char* xdg = std::getenv("XDG_DATA_HOME");
    std::string base;
    if (xdg && *xdg) {
        base = xdg;
    } else {
        const char* home = std::getenv("HOME");
        base = std::string(home && *home ? home : ".") + "/.local/share";
    }
    return base + "/tempo-lab/notebook.sqlite";
}

int Notebook::latestSchemaVersion() { return notebook::latestSchemaVersion(); }

const std::string& Notebook::path() const { return path_; }

int Notebook::schemaVersion() const { return static_cast<int>(db_->queryInt("PRAGMA user_version")); }

// Decides from the file itself, before SQLite touches it, whether it may be opened: SQLite would
// happily open a text file and only fail at the first query, and in read-write mode it would create
// -wal and -shm files next to it first.
void Notebook::checkFileBeforeOpening() const
{
    struct stat info {};
    if (::stat(path_.c_str(), &info) != 0) {
        if (mode_ != OpenMode::ReadWrite)
            throw NotebookError("notebook '" + path_ + "': " + expectedFound("the file", "an existing notebook", "no file"));
        return; // a new notebook
    }
    if (!S_ISREG(info.st_mode))
        throw NotebookError("notebook '" + path_ + "': " + expectedFound("the path", "a regular file", "a folder or device"));
    if (info.st_size > 0) {
        char header[16] = {};
        std::ifstream in(path_, std::ios::binary);
        in.read(header, sizeof header);
        if (in.gcount() != static_cast<std::streamsize>(sizeof header) || std::memcmp(header, kSqliteMagic, 16) != 0)
            throw NotebookError("notebook '" + path_ + "': " +
                                expectedFound("the file header", "a SQLite database (\"SQLite format 3\")",
                                              "'" + printable(header, static_cast<std::size_t>(in.gcount())) + "'") +
                                "; the file is not SQLite, so not a notebook; it was left as it is");
    }
    // Root may write to any file, so SQLite would not notice: honour the file's permission bits.
    if (mode_ == OpenMode::ReadWrite && ((info.st_mode & 0222) == 0 || ::access(path_.c_str(), W_OK) != 0))
        throw NotebookError("notebook '" + path_ + "': " +
                            expectedFound("the file", "writable", "a read-only file (permissions " +
                                                                      std::to_string((info.st_mode >> 6) & 7) +
                                                                      std::to_string((info.st_mode >> 3) & 7) +
                                                                      std::to_string(info.st_mode & 7) + ")") +
                            "; make it writable, or open it read-only to browse it");
}

void Notebook::verifyAndMigrate()
{
    const std::string where = "notebook '" + path_ + "': ";
    std::int64_t version = 0, applicationId = 0, objectCount = 0;
    try {
        // These reads touch page 1 and the schema: a garbage or truncated file fails here,
        // before anything is written.
        version = db_->queryInt("PRAGMA user_version");
        applicationId = db_->queryInt("PRAGMA application_id");
        objectCount = db_->queryInt("SELECT count(*) FROM sqlite_master");
    } catch (const NotebookError& e) {
        throw NotebookError(std::string(e.what()) + " (while reading the notebook's schema)");
    }
    const int latest = notebook::latestSchemaVersion();
    if (applicationId != 0 && applicationId != kApplicationId)
        throw NotebookError(where + expectedFound("PRAGMA application_id", "0x54504C42 (a TEMPO Lab notebook)",
                                                  std::to_string(applicationId)) +
                            "; this SQLite file belongs to another program, it was left as it is");
    if (version == 0 && objectCount > 0)
        throw NotebookError(where + expectedFound("the file", "an empty file or a TEMPO Lab notebook",
                                                  "a SQLite database of another program (" +
                                                      std::to_string(objectCount) + " schema objects, no notebook version)") +
                            "; it was left as it is");
    if (version > latest)
        throw NotebookError(where + expectedFound("schema version", "at most " + std::to_string(latest) +
                                                                        " (what this build of TEMPO Lab knows)",
                                                  std::to_string(version)) +
                            "; the notebook was written by a newer TEMPO Lab, update to open it (it was left as it is)");
    if (mode_ != OpenMode::ReadWrite) {
        if (version < notebook::kOldestReadableSchemaVersion)
            throw NotebookError(where + expectedFound("schema version",
                                                      std::to_string(notebook::kOldestReadableSchemaVersion) + " to " +
                                                          std::to_string(latest),
                                                      std::to_string(version)) +
                                (version == 0 ? "; the file is empty, not a notebook yet"
                                              : "; open it once read-write to upgrade it"));
        return;
    }
    if (version == 0) {
        // Only possible on an empty database: auto_vacuum must be chosen before the first table.
        // INCREMENTAL lets deleteRun give freed tensor pages back to the file system.
        db_->exec("PRAGMA auto_vacuum = INCREMENTAL");
        db_->exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    }
    // WAL: readers never block the writer and the writer never blocks readers. NORMAL sync in
    // WAL keeps every committed transaction across a process crash (a power cut may lose the last
    // few, never the file's consistency), at a fraction of FULL's cost per step.
    db_->exec("PRAGMA journal_mode = WAL");
    db_->exec("PRAGMA synchronous = NORMAL");
    // Copy the WAL into the file every kWalCheckpointPages pages (SQLite's default is 1000, 4 MB):
    // a run rewrites the same hot pages (index tails, pointer maps) in each of its commits, and a
    // checkpoint copies only each page's last version, with two fsyncs. At 1000 pages a run of the
    // bundled model set one off every other run, ~10% of its wall time (docs/performance.md, "The
    // whole TEMPO run"). The WAL file grows to ~32 MB before it is reused (kWalSizeLimitBytes
    // trims it back after a checkpoint); crash safety is the same.
    db_->exec("PRAGMA wal_autocheckpoint = " + std::to_string(kWalCheckpointPages));
    db_->exec("PRAGMA journal_size_limit = " + std::to_string(kWalSizeLimitBytes));
    migrate(*db_);
}

void Notebook::markDeadWritersInterrupted()
{
    std::vector<std::pair<std::int64_t, WriterIdentity>> running;
    {
        Statement query = db_->prepare(
            "SELECT id, writer_host, writer_pid, writer_token FROM runs WHERE status = 'running'");
        while (query.step())
            running.push_back({query.int64(0), WriterIdentity{query.text(1), query.int64(2), query.text(3)}});
    }
    if (running.empty())
        return;
    Transaction transaction(*db_);
    Statement update = db_->prepare(
        "UPDATE runs SET status = 'interrupted', ended_at = coalesce(ended_at, ?2),"
        " error_text = CASE WHEN error_text = '' THEN ?3 ELSE error_text END"
        " WHERE id = ?1 AND status = 'running'");
    for (const auto& [runId, writer] : running) {
        if (!writer.isKnownDead())
            continue;
        update.reset();
        update.bind(1, runId).bind(2, nowIso8601())
            .bind(3, "interrupted: the process writing this run (pid " + std::to_string(writer.pid) + " on " +
                         writer.host + ") stopped before it finished; its committed steps are kept");
        update.run();
        if (db_->changes() > 0)
            interruptedOnOpen_.push_back(runId);
    }
    transaction.commit();
}

// ---------------------------------------------------------------- stores

RunStore& Notebook::runs() { return stores_->runs; }
const RunStore& Notebook::runs() const { return stores_->runs; }
StepStore& Notebook::steps() { return stores_->steps; }
const StepStore& Notebook::steps() const { return stores_->steps; }
CheckStore& Notebook::checks() { return stores_->checks; }
const CheckStore& Notebook::checks() const { return stores_->checks; }
MetricStore& Notebook::metrics() { return stores_->metrics; }
const MetricStore& Notebook::metrics() const { return stores_->metrics; }
TensorStore& Notebook::tensors() { return stores_->tensors; }
const TensorStore& Notebook::tensors() const { return stores_->tensors; }
ModelStore& Notebook::models() { return stores_->models; }
const ModelStore& Notebook::models() const { return stores_->models; }
PresetStore& Notebook::presets() { return stores_->presets; }
const PresetStore& Notebook::presets() const { return stores_->presets; }
NoteStore& Notebook::notes() { return stores_->notes; }
const NoteStore& Notebook::notes() const { return stores_->notes; }
TagStore& Notebook::tags() { return stores_->tags; }
const TagStore& Notebook::tags() const { return stores_->tags; }
GroupStore& Notebook::groups() { return stores_->groups; }
const GroupStore& Notebook::groups() const { return stores_->groups; }
ReportStore& Notebook::reports() { return stores_->reports; }
const ReportStore& Notebook::reports() const { return stores_->reports; }
SweepStore& Notebook::sweeps() { return stores_->sweeps; }
const SweepStore& Notebook::sweeps() const { return stores_->sweeps; }
StudyStore& Notebook::studies() { return stores_->studies; }
const StudyStore& Notebook::studies() const { return stores_->studies; }

} // namespace tempo::notebook
