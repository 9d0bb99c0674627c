// GroupStore: groups of runs compared together (a mode pair, ...), with their members in order.

#include "core/notebook/groupstore.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/notebook/database.h"

namespace tempo::notebook {

std::int64_t GroupStore::create(const RunGroupRecord& group)
{
    requireWritable("creating a group");
    Transaction transaction(database());
    Statement insert = database().prepare("INSERT INTO run_groups (uuid, kind, comparison_json, created_at) VALUES (?1, ?2, ?3, ?4)");
    insert.bind(1, group.uuid.empty() ? newUuid() : group.uuid).bind(2, group.kind).bind(3, groupComparisonJson(group.comparison).dump())
        .bind(4, group.createdAt.empty() ? nowIso8601() : group.createdAt);
    insert.run();
    const std::int64_t id = database().lastInsertId();
    Statement member = database().prepare("INSERT INTO run_group_members (group_id, run_id, position) VALUES (?1, ?2, ?3)");
    for (std::size_t i = 0; i < group.runIds.size(); ++i) {
        requireRunExists(group.runIds[i]);
        member.reset();
        member.bind(1, id).bind(2, group.runIds[i]).bind(3, static_cast<std::int64_t>(i));
        member.run();
    }
    transaction.commit();
    return id;
}

std::optional<RunGroupRecord> GroupStore::find(std::int64_t groupId) const
{
    Statement query = database().prepare("SELECT id, uuid, kind, comparison_json, created_at FROM run_groups WHERE id = ?1");
    query.bind(1, groupId);
    if (!query.step())
        return std::nullopt;
    RunGroupRecord group;
    group.id = query.int64(0);
    group.uuid = query.text(1);
    group.kind = query.text(2);
    try {
        group.comparison = readGroupComparisonText(query.text(3));
    } catch (const InvalidArgument& error) {
        throw NotebookError("group " + std::to_string(group.id) + " in '" + notebookPath() +
                            "' has a comparison this version cannot read: " + error.what());
    }
    group.createdAt = query.text(4);
    Statement members = database().prepare("SELECT run_id FROM run_group_members WHERE group_id = ?1 ORDER BY position");
    members.bind(1, groupId);
    while (members.step())
        group.runIds.push_back(members.int64(0));
    return group;
}

std::optional<std::int64_t> GroupStore::findByUuid(const std::string& uuid) const
{
    Statement query = database().prepare("SELECT id FROM run_groups WHERE uuid = ?1");
    query.bind(1, uuid);
    if (!query.step())
        return std::nullopt;
    return query.int64(0);
}

std::vector<std::int64_t> GroupStore::ofRun(std::int64_t runId) const
{
    Statement query = database().prepare("SELECT group_id FROM run_group_members WHERE run_id = ?1 ORDER BY group_id");
    query.bind(1, runId);
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

std::vector<std::int64_t> GroupStore::all() const
{
    Statement query = database().prepare("SELECT id FROM run_groups ORDER BY id");
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

} // namespace tempo::notebook
