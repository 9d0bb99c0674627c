// StudyStore: studies, their sweeps and their status (schema 5).

#include "core/notebook/studystore.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/notebook/database.h"
#include "core/notebook/writeridentity.h"

namespace tempo::notebook {

namespace {

constexpr const char* kStudyColumns =
    "id, uuid, name, model_folder, spec_json, status, summary_json, created_at, coalesce(finished_at, '')";

StudyRecord readStudyRow(const Statement& row)
{
    StudyRecord study;
    study.id = row.int64(0);
    study.uuid = row.text(1);
    study.name = row.text(2);
    study.modelFolder = row.text(3);
    study.spec = readStudySpecText(row.text(4));
    study.status = studyStatusFromString(row.text(5));
    study.summary = readStudySummaryText(row.text(6));
    study.createdAt = row.text(7);
    study.finishedAt = row.text(8);
    return study;
}

} // namespace

bool StudyStore::tablesExist() const
{
    Statement query = database().prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'studies'");
    return query.step();
}

void StudyStore::requireStudyExists(std::int64_t studyId) const
{
    Statement query = database().prepare("SELECT 1 FROM studies WHERE id = ?1");
    query.bind(1, studyId);
    if (!query.step())
        throw InvalidArgument("notebook '" + notebookPath() + "': " +
                              expectedFound("study id", "an existing study", std::to_string(studyId)));
}

std::int64_t StudyStore::create(const StudyRecord& study)
{
    requireWritable("creating a study");
    const WriterIdentity writer = study.status == StudyStatus::Running ? WriterIdentity::current() : WriterIdentity{};
    Statement insert = database().prepare(
        "INSERT INTO studies (uuid, name, model_folder, spec_json, status, summary_json, created_at, finished_at,"
        " writer_host, writer_pid, writer_token) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    insert.bind(1, study.uuid.empty() ? newUuid() : study.uuid)
        .bind(2, study.name)
        .bind(3, study.modelFolder)
        .bind(4, studySpecJson(study.spec).dump())
        .bind(5, toString(study.status))
        .bind(6, studySummaryJson(study.summary).dump())
        .bind(7, study.createdAt.empty() ? nowIso8601() : study.createdAt)
        .bind(8, study.finishedAt.empty() ? std::nullopt : std::optional<std::string>(study.finishedAt))
        .bind(9, writer.host)
        .bind(10, static_cast<std::int64_t>(writer.pid))
        .bind(11, writer.token);
    insert.run();
    return database().lastInsertId();
}

std::optional<StudyRecord> StudyStore::find(std::int64_t studyId) const
{
    if (!tablesExist())
        return std::nullopt;
    Statement query = database().prepare(std::string("SELECT ") + kStudyColumns + " FROM studies WHERE id = ?1");
    query.bind(1, studyId);
    if (!query.step())
        return std::nullopt;
    return readStudyRow(query);
}

std::optional<std::int64_t> StudyStore::findByUuid(const std::string& uuid) const
{
    if (!tablesExist())
        return std::nullopt;
    Statement query = database().prepare("SELECT id FROM studies WHERE uuid = ?1");
    query.bind(1, uuid);
    if (!query.step())
        return std::nullopt;
    return query.int64(0);
}

std::vector<StudyRecord> StudyStore::list() const
{
    std::vector<StudyRecord> studies;
    if (!tablesExist())
        return studies;
    Statement query = database().prepare(std::string("SELECT ") + kStudyColumns + " FROM studies ORDER BY id");
    while (query.step())
        studies.push_back(readStudyRow(query));
    return studies;
}

std::vector<std::int64_t> StudyStore::all() const
{
    std::vector<std::int64_t> ids;
    if (!tablesExist())
        return ids;
    Statement query = database().prepare("SELECT id FROM studies ORDER BY id");
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

void StudyStore::setStatus(std::int64_t studyId, StudyStatus status)
{
    requireWritable("setting a study's status");
    const bool running = status == StudyStatus::Running;
    const WriterIdentity writer = running ? WriterIdentity::current() : WriterIdentity{};
    Statement update = database().prepare(
        "UPDATE studies SET status = ?1, finished_at = ?2, writer_host = ?3, writer_pid = ?4, writer_token = ?5"
        " WHERE id = ?6");
    update.bind(1, toString(status))
        .bind(2, running ? std::nullopt : std::optional<std::string>(nowIso8601()))
        .bind(3, writer.host)
        .bind(4, static_cast<std::int64_t>(writer.pid))
        .bind(5, writer.token)
        .bind(6, studyId);
    update.run();
    if (database().changes() == 0)
        throw InvalidArgument("notebook '" + notebookPath() + "': " +
                              expectedFound("study id", "an existing study", std::to_string(studyId)));
}

void StudyStore::setSummary(std::int64_t studyId, const StudySummary& summary)
{
    requireWritable("storing a study's summary");
    Statement update = database().prepare("UPDATE studies SET summary_json = ?1 WHERE id = ?2");
    update.bind(1, studySummaryJson(summary).dump()).bind(2, studyId);
    update.run();
    if (database().changes() == 0)
        throw InvalidArgument("notebook '" + notebookPath() + "': " +
                              expectedFound("study id", "an existing study", std::to_string(studyId)));
}

void StudyStore::addSweep(std::int64_t studyId, const StudySweep& sweep)
{
    requireWritable("adding a sweep to a study");
    Transaction transaction(database());
    requireStudyExists(studyId);
    Statement sweepExists = database().prepare("SELECT 1 FROM sweeps WHERE id = ?1");
    sweepExists.bind(1, sweep.sweepId);
    if (!sweepExists.step())
        throw InvalidArgument("notebook '" + notebookPath() + "': " +
                              expectedFound("sweep id", "an existing sweep", std::to_string(sweep.sweepId)));
    Statement insert = database().prepare(
        "INSERT INTO study_sweeps (study_id, sweep_id, preset_id, role, position) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT (study_id, sweep_id) DO UPDATE SET preset_id = excluded.preset_id, role = excluded.role,"
        " position = excluded.position");
    insert.bind(1, studyId).bind(2, sweep.sweepId).bind(3, sweep.presetId).bind(4, toString(sweep.role))
        .bind(5, sweep.position);
    insert.run();
    transaction.commit();
}

std::vector<StudySweep> StudyStore::sweepsOf(std::int64_t studyId) const
{
    std::vector<StudySweep> sweeps;
    if (!tablesExist())
        return sweeps;
    Statement query = database().prepare(
        "SELECT sweep_id, preset_id, role, position FROM study_sweeps WHERE study_id = ?1 ORDER BY position, sweep_id");
    query.bind(1, studyId);
    while (query.step())
        sweeps.push_back({query.int64(0), query.text(1), studySweepRoleFromString(query.text(2)), query.int64(3)});
    return sweeps;
}

std::vector<std::int64_t> StudyStore::ofSweep(std::int64_t sweepId) const
{
    std::vector<std::int64_t> ids;
    if (!tablesExist())
        return ids;
    Statement query = database().prepare("SELECT study_id FROM study_sweeps WHERE sweep_id = ?1 ORDER BY study_id");
    query.bind(1, sweepId);
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

std::vector<std::int64_t> StudyStore::markDeadWritersInterrupted()
{
    std::vector<std::int64_t> interrupted;
    if (!tablesExist())
        return interrupted;
    requireWritable("marking interrupted studies");
    std::vector<std::pair<std::int64_t, WriterIdentity>> running;
    {
        Statement query = database().prepare(
            "SELECT id, writer_host, writer_pid, writer_token FROM studies WHERE status = 'running'");
        while (query.step())
            running.push_back({query.int64(0), WriterIdentity{query.text(1), query.int64(2), query.text(3)}});
    }
    if (running.empty())
        return interrupted;
    Transaction transaction(database());
    Statement update = database().prepare("UPDATE studies SET status = 'interrupted' WHERE id = ?1 AND status = 'running'");
    for (const auto& [studyId, writer] : running) {
        if (!writer.isKnownDead())
            continue;
        update.reset();
        update.bind(1, studyId);
        update.run();
        if (database().changes() > 0)
            interrupted.push_back(studyId);
    }
    transaction.commit();
    return interrupted;
}

} // namespace tempo::notebook
