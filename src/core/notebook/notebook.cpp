// Notebook: opening (checks, migration, recovery), writing and reading runs, deleting runs.
// Notes, tags, groups, reports, sweeps and models live in notebookannotations.cpp.

#include "core/notebook/notebook.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/notebook/database.h"
#include "core/notebook/migrations.h"
#include "core/notebook/notebookrows.h"
#include "core/notebook/writeridentity.h"

namespace tempo::notebook {

namespace {

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

void Notebook::requireWritable(const char* operation) const
{
    if (mode_ != OpenMode::ReadWrite)
        throw NotebookError("notebook '" + path_ + "': " + expectedFound(operation, "a notebook opened read-write",
                                                                         "one opened read-only"));
}

void Notebook::requireRunExists(std::int64_t runId) const
{
    Statement query = db_->prepare("SELECT 1 FROM runs WHERE id = ?1");
    query.bind(1, runId);
    if (!query.step())
        throw InvalidArgument("notebook '" + path_ + "': " +
                              expectedFound("run id", "an existing run", std::to_string(runId)));
}

// ---------------------------------------------------------------- writing a run

std::int64_t Notebook::createRun(const RunRecord& run)
{
    requireWritable("createRun");
    const WriterIdentity writer = run.status == RunStatus::Running ? WriterIdentity::current() : WriterIdentity{};
    Transaction transaction(*db_);
    Statement insert = db_->prepare(
        "INSERT INTO runs (uuid, preset_id, config_json, model_id, status, device, dtype, threads,"
        " libtorch_version, app_version, git_commit, started_at, ended_at, prompt, generated_text, error_text,"
        " timings_json, writer_host, writer_pid, writer_token)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)");
    insert.bind(1, run.uuid.empty() ? newUuid() : run.uuid)
        .bind(2, run.presetId)
        .bind(3, run.configJson)
        .bind(4, run.modelId)
        .bind(5, toString(run.status))
        .bind(6, run.provenance.device)
        .bind(7, run.provenance.dtype)
        .bind(8, run.provenance.threads)
        .bind(9, run.provenance.libtorchVersion)
        .bind(10, run.provenance.appVersion)
        .bind(11, run.provenance.gitCommit)
        .bind(12, run.startedAt.empty() ? nowIso8601() : run.startedAt);
    if (run.endedAt.empty())
        insert.bindNull(13);
    else
        insert.bind(13, run.endedAt);
    insert.bind(14, run.prompt)
        .bind(15, run.generatedText)
        .bind(16, run.errorText)
        .bind(17, run.timingsJson)
        .bind(18, writer.host)
        .bind(19, static_cast<std::int64_t>(writer.pid))
        .bind(20, writer.token);
    insert.run();
    std::int64_t id = db_->lastInsertId();
    transaction.commit();
    return id;
}

void Notebook::appendStep(std::int64_t runId, const StepRecord& step, const std::vector<TensorBlob>& tensors)
{
    requireWritable("appendStep");
    const std::size_t width = step.tokenIds.size();
    if (step.physicalSlots.size() != width || step.probabilities.size() != width ||
        (!step.tokens.empty() && step.tokens.size() != width))
        throw InvalidArgument(expectedFound("step " + std::to_string(step.step) + " members",
                                            "as many slots, probabilities and tokens as token ids (" +
                                                std::to_string(width) + ")",
                                            std::to_string(step.physicalSlots.size()) + " slots, " +
                                                std::to_string(step.probabilities.size()) + " probabilities, " +
                                                std::to_string(step.tokens.size()) + " tokens"));
    for (const TensorBlob& blob : tensors)
        blob.validate();
    Transaction transaction(*db_);
    requireRunExists(runId);
    Statement insertStep = db_->prepare(
        "INSERT INTO steps (run_id, step, logical_position, elapsed_ms) VALUES (?1, ?2, ?3, ?4)");
    insertStep.bind(1, runId).bind(2, step.step).bind(3, step.logicalPosition).bind(4, step.elapsedMs);
    insertStep.run();
    const std::int64_t stepId = db_->lastInsertId();
    Statement insertMember = db_->prepare(
        "INSERT INTO step_members (step_id, member, token_id, token_text, probability, physical_slot)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (std::size_t m = 0; m < width; ++m) {
        insertMember.reset();
        insertMember.bind(1, stepId)
            .bind(2, static_cast<std::int64_t>(m))
            .bind(3, step.tokenIds[m])
            .bind(4, step.tokens.empty() ? std::string() : step.tokens[m])
            .bind(5, step.probabilities[m])
            .bind(6, step.physicalSlots[m]);
        insertMember.run();
    }
    insertTensors(runId, tensors, step.step, nullptr);
    transaction.commit();
}

void Notebook::insertTensors(std::int64_t runId, const std::vector<TensorBlob>& tensors,
                             std::optional<int> defaultStep, std::vector<std::int64_t>* ids)
{
    if (tensors.empty())
        return;
    Statement insert = db_->prepare(
        "INSERT INTO tensors (run_id, name, step, dtype, shape_json, byte_order, compression, byte_size, data)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    for (const TensorBlob& blob : tensors) {
        insert.reset();
        insert.bind(1, runId)
            .bind(2, blob.name)
            .bind(3, blob.step ? blob.step : defaultStep)
            .bind(4, blob.dtype)
            .bind(5, nlohmann::json(blob.shape).dump())
            .bind(6, blob.byteOrder)
            .bind(7, blob.compression)
            .bind(8, static_cast<std::int64_t>(blob.data.size()))
            .bindBlob(9, blob.data.data(), blob.data.size());
        insert.run();
        if (ids)
            ids->push_back(db_->lastInsertId());
    }
}

void Notebook::recordChecks(std::int64_t runId, const std::vector<CheckRecord>& checks)
{
    requireWritable("recordChecks");
    Transaction transaction(*db_);
    requireRunExists(runId);
    Statement insert = db_->prepare("INSERT INTO checks (run_id, name, passed, value, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
    for (const CheckRecord& check : checks) {
        insert.reset();
        insert.bind(1, runId).bind(2, check.name).bind(3, check.passed ? 1 : 0).bind(4, check.value).bind(5, check.detail);
        insert.run();
    }
    transaction.commit();
}

void Notebook::recordMetrics(std::int64_t runId, const std::vector<MetricRecord>& metrics)
{
    requireWritable("recordMetrics");
    Transaction transaction(*db_);
    requireRunExists(runId);
    Statement insert = db_->prepare(
        "INSERT INTO metrics (run_id, name, value, step, layer, head) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (const MetricRecord& metric : metrics) {
        insert.reset();
        insert.bind(1, runId).bind(2, metric.name).bind(3, metric.value).bind(4, metric.step).bind(5, metric.layer)
            .bind(6, metric.head);
        insert.run();
    }
    transaction.commit();
}

std::vector<std::int64_t> Notebook::addTensors(std::int64_t runId, const std::vector<TensorBlob>& tensors)
{
    requireWritable("addTensors");
    for (const TensorBlob& blob : tensors)
        blob.validate();
    std::vector<std::int64_t> ids;
    Transaction transaction(*db_);
    requireRunExists(runId);
    insertTensors(runId, tensors, std::nullopt, &ids);
    transaction.commit();
    return ids;
}

void Notebook::finishRun(std::int64_t runId, RunStatus status, const std::string& generatedText,
                         const std::string& timingsJson, const std::string& errorText)
{
    requireWritable("finishRun");
    if (status == RunStatus::Running)
        throw InvalidArgument(expectedFound("finishRun status", "finished, failed, cancelled or interrupted", "running"));
    Transaction transaction(*db_);
    requireRunExists(runId);
    Statement update = db_->prepare(
        "UPDATE runs SET status = ?2, generated_text = ?3, timings_json = ?4, error_text = ?5, ended_at = ?6"
        " WHERE id = ?1");
    update.bind(1, runId).bind(2, toString(status)).bind(3, generatedText)
        .bind(4, timingsJson.empty() ? std::string("{}") : timingsJson).bind(5, errorText).bind(6, nowIso8601());
    update.run();
    transaction.commit();
}

// ---------------------------------------------------------------- reading runs

std::optional<RunRecord> Notebook::run(std::int64_t runId) const
{
    Statement query = db_->prepare(
        "SELECT id, uuid, preset_id, config_json, model_id, status, device, dtype, threads, libtorch_version,"
        " app_version, git_commit, started_at, coalesce(ended_at, ''), prompt, generated_text, error_text,"
        " timings_json FROM runs WHERE id = ?1");
    query.bind(1, runId);
    if (!query.step())
        return std::nullopt;
    RunRecord run;
    run.id = query.int64(0);
    run.uuid = query.text(1);
    run.presetId = query.text(2);
    run.configJson = query.text(3);
    run.modelId = query.optionalInt64(4);
    run.status = runStatusFromString(query.text(5));
    run.provenance.device = query.text(6);
    run.provenance.dtype = query.text(7);
    run.provenance.threads = query.integer(8);
    run.provenance.libtorchVersion = query.text(9);
    run.provenance.appVersion = query.text(10);
    run.provenance.gitCommit = query.text(11);
    run.startedAt = query.text(12);
    run.endedAt = query.text(13);
    run.prompt = query.text(14);
    run.generatedText = query.text(15);
    run.errorText = query.text(16);
    run.timingsJson = query.text(17);
    return run;
}

std::optional<std::int64_t> Notebook::findRunByUuid(const std::string& uuid) const
{
    Statement query = db_->prepare("SELECT id FROM runs WHERE uuid = ?1");
    query.bind(1, uuid);
    if (!query.step())
        return std::nullopt;
    return query.int64(0);
}

std::int64_t Notebook::resolveRun(const std::string& idOrUuid) const
{
    const std::string what = "run '" + idOrUuid + "' in notebook '" + path_ + "'";
    bool allDigits = !idOrUuid.empty() && idOrUuid.size() < 19;
    for (char c : idOrUuid)
        allDigits = allDigits && std::isdigit(static_cast<unsigned char>(c));
    if (allDigits) {
        Statement query = db_->prepare("SELECT id FROM runs WHERE id = ?1");
        query.bind(1, static_cast<std::int64_t>(std::stoll(idOrUuid)));
        if (query.step())
            return query.int64(0);
    }
    std::string prefix;
    for (char c : idOrUuid) {
        if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '-')
            throw InvalidArgument(expectedFound(what, "an integer id or a UUID (prefix)", "other characters"));
        prefix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (prefix.size() < 4)
        throw InvalidArgument(expectedFound(what, "an existing id, or a UUID prefix of at least 4 characters",
                                            "neither"));
    // GLOB is case-sensitive, so it can use the UNIQUE index on uuid; prefix holds no glob characters.
    Statement query = db_->prepare("SELECT id, uuid FROM runs WHERE uuid GLOB ?1 || '*' LIMIT 3");
    query.bind(1, prefix);
    std::vector<std::string> matches;
    std::int64_t id = 0;
    while (query.step()) {
        id = query.int64(0);
        matches.push_back(query.text(1));
    }
    if (matches.empty())
        throw InvalidArgument(expectedFound(what, "an existing run id or UUID prefix", "no such run"));
    if (matches.size() > 1)
        throw InvalidArgument(expectedFound(what, "a UUID prefix matching one run",
                                            "several (" + matches[0] + ", " + matches[1] + ", ...)") +
                              "; give more characters");
    return id;
}

namespace {

// Turns what a researcher types into an FTS5 query: every word must occur (implicit AND), a
// trailing * keeps prefix search; quotes make FTS5 operators and punctuation plain text.
std::string ftsQuery(const std::string& text)
{
    std::string query, word;
    auto flush = [&] {
        if (word.empty())
            return;
        bool prefix = word.size() > 1 && word.back() == '*';
        if (prefix)
            word.pop_back();
        std::string quoted = "\"";
        for (char c : word)
            quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        query += (query.empty() ? "" : " ") + quoted + "\"" + (prefix ? "*" : "");
        word.clear();
    };
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c)))
            flush();
        else
            word += c;
    }
    flush();
    return query;
}

} // namespace

std::vector<RunSummary> Notebook::listRuns(const RunQuery& query) const
{
    std::string sql =
        "SELECT r.id, r.uuid, r.preset_id, r.status, r.started_at, coalesce(r.ended_at, ''), coalesce(m.name, ''),"
        " r.prompt, r.generated_text,"
        " (SELECT count(*) FROM steps s WHERE s.run_id = r.id),"
        " (SELECT group_concat(name, char(31)) FROM (SELECT t.name FROM run_tags rt JOIN tags t ON t.id = rt.tag_id"
        "   WHERE rt.run_id = r.id ORDER BY t.name))"
        " FROM runs r LEFT JOIN models m ON m.id = r.model_id WHERE 1";
    // The unary + keeps SQLite from driving the query by the matching ids (then sorting all of
    // them, thousands of wide rows for a common word): it walks runs_by_start newest first, tests
    // each id against the match set, and stops at the limit.
    const std::string fts = ftsQuery(query.search);
    if (!fts.empty())
        sql += " AND +r.id IN (SELECT rowid FROM run_search WHERE run_search MATCH ?1)";
    if (!query.tag.empty())
        sql += " AND +r.id IN (SELECT rt.run_id FROM run_tags rt JOIN tags t ON t.id = rt.tag_id WHERE t.name = ?2)";
    if (query.status)
        sql += " AND +r.status = ?3"; // same reason: a common status must not sort every run
    sql += " ORDER BY r.started_at DESC, r.id DESC LIMIT ?4 OFFSET ?5";
    Statement statement = db_->prepare(sql);
    if (!fts.empty())
        statement.bind(1, fts);
    if (!query.tag.empty())
        statement.bind(2, query.tag);
    if (query.status)
        statement.bind(3, toString(*query.status));
    statement.bind(4, static_cast<std::int64_t>(query.limit < 0 ? -1 : query.limit)).bind(5, query.offset);
    std::vector<RunSummary> rows;
    while (statement.step()) {
        RunSummary row;
        row.id = statement.int64(0);
        row.uuid = statement.text(1);
        row.presetId = statement.text(2);
        row.status = runStatusFromString(statement.text(3));
        row.startedAt = statement.text(4);
        row.endedAt = statement.text(5);
        row.modelName = statement.text(6);
        row.prompt = statement.text(7);
        row.generatedText = statement.text(8);
        row.stepCount = statement.integer(9);
        std::string tags = statement.text(10);
        for (std::size_t start = 0; !tags.empty() && start <= tags.size();) {
            std::size_t end = tags.find('\x1f', start);
            if (end == std::string::npos)
                end = tags.size();
            row.tags.push_back(tags.substr(start, end - start));
            start = end + 1;
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::int64_t Notebook::runCount() const { return db_->queryInt("SELECT count(*) FROM runs"); }

std::vector<StepRecord> Notebook::steps(std::int64_t runId) const
{
    Statement query = db_->prepare(
        "SELECT s.step, s.logical_position, s.elapsed_ms, m.token_id, m.token_text, m.probability, m.physical_slot"
        " FROM steps s LEFT JOIN step_members m ON m.step_id = s.id WHERE s.run_id = ?1 ORDER BY s.step, m.member");
    query.bind(1, runId);
    std::vector<StepRecord> steps;
    while (query.step()) {
        int index = query.integer(0);
        if (steps.empty() || steps.back().step != index) {
            StepRecord step;
            step.step = index;
            step.logicalPosition = query.integer(1);
            step.elapsedMs = query.real(2);
            steps.push_back(std::move(step));
        }
        if (query.isNull(3))
            continue; // a step without members
        StepRecord& step = steps.back();
        step.tokenIds.push_back(query.int64(3));
        step.tokens.push_back(query.text(4));
        // NULL: a NaN probability (SQLite stores a bound NaN as NULL; db/0004).
        step.probabilities.push_back(query.isNull(5) ? std::numeric_limits<double>::quiet_NaN() : query.real(5));
        step.physicalSlots.push_back(query.int64(6));
    }
    return steps;
}

std::vector<CheckRecord> Notebook::checks(std::int64_t runId) const
{
    Statement query = db_->prepare("SELECT name, passed, coalesce(value, 0), detail FROM checks WHERE run_id = ?1 ORDER BY id");
    query.bind(1, runId);
    std::vector<CheckRecord> checks;
    while (query.step())
        checks.push_back({query.text(0), query.int64(1) != 0, query.real(2), query.text(3)});
    return checks;
}

std::vector<MetricRecord> Notebook::metrics(std::int64_t runId) const
{
    Statement query = db_->prepare(
        "SELECT name, coalesce(value, 0), step, layer, head FROM metrics WHERE run_id = ?1 ORDER BY id");
    query.bind(1, runId);
    std::vector<MetricRecord> metrics;
    auto optionalInt = [&](int column) -> std::optional<int> {
        if (query.isNull(column))
            return std::nullopt;
        return query.integer(column);
    };
    while (query.step())
        metrics.push_back({query.text(0), query.real(1), optionalInt(2), optionalInt(3), optionalInt(4)});
    return metrics;
}

std::vector<TensorInfo> Notebook::tensorInfos(std::int64_t runId) const
{
    Statement query = db_->prepare(
        "SELECT id, name, step, dtype, shape_json, byte_size FROM tensors WHERE run_id = ?1 ORDER BY id");
    query.bind(1, runId);
    std::vector<TensorInfo> infos;
    while (query.step()) {
        TensorInfo info;
        info.id = query.int64(0);
        info.name = query.text(1);
        if (!query.isNull(2))
            info.step = query.integer(2);
        info.dtype = query.text(3);
        info.shape = parseShape(query.text(4), path_, info.name);
        info.byteSize = query.int64(5);
        infos.push_back(std::move(info));
    }
    return infos;
}

TensorBlob Notebook::tensor(std::int64_t tensorId) const
{
    Statement query = db_->prepare(
        "SELECT id, name, step, dtype, shape_json, byte_order, compression, data FROM tensors WHERE id = ?1");
    query.bind(1, tensorId);
    if (!query.step())
        throw InvalidArgument("notebook '" + path_ + "': " +
                              expectedFound("tensor id", "an existing tensor", std::to_string(tensorId)));
    TensorBlob blob;
    blob.id = query.int64(0);
    blob.name = query.text(1);
    if (!query.isNull(2))
        blob.step = query.integer(2);
    blob.dtype = query.text(3);
    blob.shape = parseShape(query.text(4), path_, blob.name);
    blob.byteOrder = query.text(5);
    blob.compression = query.text(6);
    blob.data = query.blob(7);
    try {
        blob.validate();
    } catch (const InvalidArgument& e) {
        throw NotebookError("notebook '" + path_ + "': stored " + e.what());
    }
    return blob;
}

// ---------------------------------------------------------------- deleting

void Notebook::deleteRun(std::int64_t runId)
{
    requireWritable("deleteRun");
    {
        Transaction transaction(*db_);
        requireRunExists(runId);
        Statement remove = db_->prepare("DELETE FROM runs WHERE id = ?1"); // cascades to everything of the run
        remove.bind(1, runId);
        remove.run();
        transaction.commit();
    }
    // Free pages go back to the file system: incremental_vacuum moves them to the end and truncates
    // (in the WAL), the checkpoint writes that into the file. PASSIVE never waits for readers; if
    // one is reading, the file shrinks at the next checkpoint instead.
    db_->exec("PRAGMA incremental_vacuum");
    db_->exec("PRAGMA wal_checkpoint(PASSIVE)");
}

} // namespace tempo::notebook
