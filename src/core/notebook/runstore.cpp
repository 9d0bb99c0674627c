// RunStore: creating, finishing, finding, listing and removing runs.

#include "core/notebook/runstore.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/notebook/database.h"
#include "core/notebook/writeridentity.h"

namespace tempo::notebook {

std::int64_t RunStore::create(const RunRecord& run)
{
    requireWritable("creating a run");
    const WriterIdentity writer = run.status == RunStatus::Running ? WriterIdentity::current() : WriterIdentity{};
    Transaction transaction(database());
    Statement insert = database().prepare(
        "INSERT INTO runs (uuid, preset_id, config_json, model_id, status, device, dtype, threads,"
        " libtorch_version, app_version, git_commit, started_at, ended_at, prompt, generated_text, error_text,"
        " timings_json, writer_host, writer_pid, writer_token)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)");
    insert.bind(1, run.uuid.empty() ? newUuid() : run.uuid)
        .bind(2, run.presetId)
        .bind(3, runConfigJson(run.config).dump())
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
    std::int64_t id = database().lastInsertId();
    transaction.commit();
    return id;
}

void RunStore::finish(std::int64_t runId, RunStatus status, const std::string& generatedText,
                         const std::string& timingsJson, const std::string& errorText)
{
    requireWritable("finishing a run");
    if (status == RunStatus::Running)
        throw InvalidArgument(expectedFound("finishRun status", "finished, failed, cancelled or interrupted", "running"));
    Transaction transaction(database());
    requireRunExists(runId);
    Statement update = database().prepare(
        "UPDATE runs SET status = ?2, generated_text = ?3, timings_json = ?4, error_text = ?5, ended_at = ?6"
        " WHERE id = ?1");
    update.bind(1, runId).bind(2, toString(status)).bind(3, generatedText)
        .bind(4, timingsJson.empty() ? std::string("{}") : timingsJson).bind(5, errorText).bind(6, nowIso8601());
    update.run();
    transaction.commit();
}

std::optional<RunRecord> RunStore::find(std::int64_t runId) const
{
    Statement query = database().prepare(
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
    try {
        run.config = readRunConfigText(query.text(3));
    } catch (const InvalidArgument& error) {
        throw NotebookError("run " + std::to_string(run.id) + " in '" + notebookPath() +
                            "' has a configuration this version cannot read: " + error.what());
    }
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

std::optional<std::int64_t> RunStore::findByUuid(const std::string& uuid) const
{
    Statement query = database().prepare("SELECT id FROM runs WHERE uuid = ?1");
    query.bind(1, uuid);
    if (!query.step())
        return std::nullopt;
    return query.int64(0);
}

std::int64_t RunStore::resolve(const std::string& idOrUuid) const
{
    const std::string what = "run '" + idOrUuid + "' in notebook '" + notebookPath() + "'";
    bool allDigits = !idOrUuid.empty() && idOrUuid.size() < 19;
    for (char c : idOrUuid)
        allDigits = allDigits && std::isdigit(static_cast<unsigned char>(c));
    if (allDigits) {
        Statement query = database().prepare("SELECT id FROM runs WHERE id = ?1");
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
    Statement query = database().prepare("SELECT id, uuid FROM runs WHERE uuid GLOB ?1 || '*' LIMIT 3");
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
std::string runSearchFtsQuery(const std::string& text)
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

std::vector<RunSummary> RunStore::list(const RunQuery& query) const
{
    std::string sql =
        "SELECT r.id, r.uuid, r.preset_id, r.status, r.started_at, coalesce(r.ended_at, ''), coalesce(m.name, ''),"
        " r.prompt, r.generated_text,"
        " (SELECT count(*) FROM steps s WHERE s.run_id = r.id),"
        " (SELECT group_concat(name, char(31)) FROM (SELECT t.name FROM run_tags rt JOIN tags t ON t.id = rt.tag_id"
        "   WHERE rt.run_id = r.id ORDER BY t.name)),"
        // The stored shape of runconfig.h; a config that is not JSON lists as no control.
        " coalesce(CASE WHEN json_valid(r.config_json) THEN json_extract(r.config_json, '$.tempo.mechanism') END, '')"
        "   = 'artifact_control'"
        " FROM runs r LEFT JOIN models m ON m.id = r.model_id WHERE 1";
    // The unary + keeps SQLite from driving the query by the matching ids (then sorting all of
    // them, thousands of wide rows for a common word): it walks runs_by_start newest first, tests
    // each id against the match set, and stops at the limit.
    const std::string fts = runSearchFtsQuery(query.search);
    if (!fts.empty())
        sql += " AND +r.id IN (SELECT rowid FROM run_search WHERE run_search MATCH ?1)";
    if (!query.tag.empty())
        sql += " AND +r.id IN (SELECT rt.run_id FROM run_tags rt JOIN tags t ON t.id = rt.tag_id WHERE t.name = ?2)";
    if (query.status)
        sql += " AND +r.status = ?3"; // same reason: a common status must not sort every run
    sql += " ORDER BY r.started_at DESC, r.id DESC LIMIT ?4 OFFSET ?5";
    Statement statement = database().prepare(sql);
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
        row.artifactControl = statement.int64(11) != 0;
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<RunHistoryRow> RunStore::history(const RunHistoryQuery& query) const
{
    static const char* const kSortSql[] = {"r.id", "r.preset_id", "mode", "r.status", "r.started_at", "model",
                                           "steps", "r.generated_text", "tags"};
    const char* const modeSql =
        "CASE WHEN json_valid(r.config_json) THEN json_extract(r.config_json, '$.tempo.mode') END";
    std::string sql = std::string("SELECT r.id, r.preset_id, coalesce(") + modeSql + ", '') AS mode, r.status,"
        " r.started_at, coalesce(m.name, '') AS model, (SELECT count(*) FROM steps s WHERE s.run_id = r.id) AS steps,"
        " r.prompt, r.generated_text,"
        " coalesce((SELECT group_concat(name, ', ') FROM (SELECT t.name FROM run_tags rt JOIN tags t ON t.id = rt.tag_id"
        "   WHERE rt.run_id = r.id ORDER BY t.name)), '') AS tags, r.error_text,"
        " coalesce(CASE WHEN json_valid(r.config_json) THEN json_extract(r.config_json, '$.tempo.mechanism') END, '')"
        "   = 'artifact_control' AS control"
        " FROM runs r LEFT JOIN models m ON m.id = r.model_id WHERE 1";
    std::vector<std::string> values;
    auto where = [&](const std::string& clause, const std::string& value) {
        if (value.empty())
            return;
        values.push_back(value);
        sql += " AND " + clause + " ?" + std::to_string(values.size());
    };
    const std::string fts = runSearchFtsQuery(query.search);
    if (!fts.empty()) {
        where("r.id IN (SELECT rowid FROM run_search WHERE run_search MATCH", fts);
        sql += ")";
    }
    where("r.preset_id =", query.presetId);
    where(std::string(modeSql) + " =", query.mode);
    where("r.status =", query.status);
    if (!query.tag.empty()) {
        where("r.id IN (SELECT rt.run_id FROM run_tags rt JOIN tags t ON t.id = rt.tag_id WHERE t.name =", query.tag);
        sql += ")";
    }
    where("m.name =", query.model);
    where("r.started_at >=", query.startedSince);
    const char* const direction = query.descending ? " DESC" : " ASC";
    sql += std::string(" ORDER BY ") + kSortSql[static_cast<int>(query.sort)] + direction + ", r.id" + direction;
    sql += " LIMIT " + std::to_string(query.limit) + " OFFSET " + std::to_string(query.offset);

    Statement statement = database().prepare(sql);
    for (std::size_t i = 0; i < values.size(); ++i)
        statement.bind(static_cast<int>(i + 1), values[i]);
    std::vector<RunHistoryRow> rows;
    while (statement.step()) {
        RunHistoryRow row;
        row.id = statement.int64(0);
        row.presetId = statement.text(1);
        row.mode = statement.text(2);
        row.status = statement.text(3);
        row.startedAt = statement.text(4);
        row.model = statement.text(5);
        row.steps = statement.integer(6);
        row.prompt = statement.text(7);
        row.generatedText = statement.text(8);
        row.tags = statement.text(9);
        row.errorText = statement.text(10);
        row.artifactControl = statement.int64(11) != 0;
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<std::string> RunStore::presetIds() const
{
    Statement statement = database().prepare("SELECT DISTINCT preset_id FROM runs ORDER BY preset_id");
    std::vector<std::string> ids;
    while (statement.step())
        ids.push_back(statement.text(0));
    return ids;
}

std::vector<std::string> RunStore::modelNames() const
{
    Statement statement = database().prepare(
        "SELECT DISTINCT m.name FROM models m WHERE m.id IN (SELECT model_id FROM runs) ORDER BY m.name");
    std::vector<std::string> names;
    while (statement.step())
        names.push_back(statement.text(0));
    return names;
}

std::int64_t RunStore::count() const { return database().queryInt("SELECT count(*) FROM runs"); }

void RunStore::remove(std::int64_t runId)
{
    requireWritable("removing a run");
    {
        Transaction transaction(database());
        requireRunExists(runId);
        Statement remove = database().prepare("DELETE FROM runs WHERE id = ?1"); // cascades to everything of the run
        remove.bind(1, runId);
        remove.run();
        transaction.commit();
    }
    // Free pages go back to the file system: incremental_vacuum moves them to the end and truncates
    // (in the WAL), the checkpoint writes that into the file. PASSIVE never waits for readers; if
    // one is reading, the file shrinks at the next checkpoint instead.
    database().exec("PRAGMA incremental_vacuum");
    database().exec("PRAGMA wal_checkpoint(PASSIVE)");
}

} // namespace tempo::notebook
