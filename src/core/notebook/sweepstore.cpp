// SweepStore: sweeps (a specification and the runs made for its points).

#include "core/notebook/sweepstore.h"

#include "core/common/errors.h"
#include "core/notebook/database.h"

namespace tempo::notebook {

std::int64_t SweepStore::create(const SweepRecord& sweep)
{
    requireWritable("creating a sweep");
    Transaction transaction(database());
    Statement insert = database().prepare("INSERT INTO sweeps (uuid, name, spec_json, created_at) VALUES (?1, ?2, ?3, ?4)");
    insert.bind(1, sweep.uuid.empty() ? newUuid() : sweep.uuid).bind(2, sweep.name).bind(3, sweep.specJson)
        .bind(4, sweep.createdAt.empty() ? nowIso8601() : sweep.createdAt);
    insert.run();
    const std::int64_t id = database().lastInsertId();
    for (const auto& [runId, point] : sweep.runs)
        addRun(id, runId, point);
    transaction.commit();
    return id;
}

std::optional<SweepRecord> SweepStore::find(std::int64_t sweepId) const
{
    Statement query = database().prepare("SELECT id, uuid, name, spec_json, created_at FROM sweeps WHERE id = ?1");
    query.bind(1, sweepId);
    if (!query.step())
        return std::nullopt;
    SweepRecord sweep;
    sweep.id = query.int64(0);
    sweep.uuid = query.text(1);
    sweep.name = query.text(2);
    sweep.specJson = query.text(3);
    sweep.createdAt = query.text(4);
    Statement runs = database().prepare("SELECT run_id, point_json FROM sweep_runs WHERE sweep_id = ?1 ORDER BY run_id");
    runs.bind(1, sweepId);
    while (runs.step())
        sweep.runs.emplace_back(runs.int64(0), runs.text(1));
    return sweep;
}

std::optional<std::int64_t> SweepStore::findByUuid(const std::string& uuid) const
{
    Statement query = database().prepare("SELECT id FROM sweeps WHERE uuid = ?1");
    query.bind(1, uuid);
    if (!query.step())
        return std::nullopt;
    return query.int64(0);
}

std::vector<std::int64_t> SweepStore::all() const
{
    Statement query = database().prepare("SELECT id FROM sweeps ORDER BY id");
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

void SweepStore::addRun(std::int64_t sweepId, std::int64_t runId, const std::string& pointJson)
{
    requireWritable("adding a run to a sweep");
    Transaction transaction(database());
    requireRunExists(runId);
    Statement insert = database().prepare(
        "INSERT INTO sweep_runs (sweep_id, run_id, point_json) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (sweep_id, run_id) DO UPDATE SET point_json = excluded.point_json");
    insert.bind(1, sweepId).bind(2, runId).bind(3, pointJson);
    insert.run();
    transaction.commit();
}

void SweepStore::updateSpec(std::int64_t sweepId, const std::string& specJson)
{
    requireWritable("updating a sweep");
    Statement update = database().prepare("UPDATE sweeps SET spec_json = ?1 WHERE id = ?2");
    update.bind(1, specJson).bind(2, sweepId);
    update.run();
    if (database().changes() == 0)
        throw InvalidArgument("notebook '" + notebookPath() + "': " +
                              expectedFound("sweep id", "an existing sweep", std::to_string(sweepId)));
}

} // namespace tempo::notebook
