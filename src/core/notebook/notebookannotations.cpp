// Notebook: what surrounds runs — models, presets, notes, tags, groups, reports, sweeps.
// Runs themselves live in notebook.cpp.

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/notebook/database.h"
#include "core/notebook/notebook.h"
#include "core/notebook/notebookrows.h"

namespace tempo::notebook {

std::vector<std::int64_t> parseShape(const std::string& json, const std::string& notebookPath,
                                     const std::string& tensorName)
{
    try {
        auto parsed = nlohmann::json::parse(json);
        std::vector<std::int64_t> shape;
        for (const auto& d : parsed)
            shape.push_back(d.get<std::int64_t>());
        return shape;
    } catch (const nlohmann::json::exception&) {
        throw NotebookError("notebook '" + notebookPath + "': " +
                            expectedFound("tensor '" + tensorName + "' shape", "a JSON array of sizes", "'" + json + "'"));
    }
}

// ---------------------------------------------------------------- models and presets

std::int64_t Notebook::upsertModel(const ModelRecord& model)
{
    requireWritable("upsertModel");
    Transaction transaction(*db_);
    Statement insert = db_->prepare(
        "INSERT INTO models (folder, name, weights_sha256, tokenizer_sha256, config_json) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT (folder, weights_sha256, tokenizer_sha256) DO NOTHING");
    insert.bind(1, model.folder).bind(2, model.name).bind(3, model.weightsSha256).bind(4, model.tokenizerSha256)
        .bind(5, model.configJson);
    insert.run();
    Statement query = db_->prepare(
        "SELECT id FROM models WHERE folder = ?1 AND weights_sha256 = ?2 AND tokenizer_sha256 = ?3");
    query.bind(1, model.folder).bind(2, model.weightsSha256).bind(3, model.tokenizerSha256);
    query.step();
    std::int64_t id = query.int64(0);
    transaction.commit();
    return id;
}

std::optional<ModelRecord> Notebook::model(std::int64_t modelId) const
{
    Statement query = db_->prepare(
        "SELECT id, folder, name, weights_sha256, tokenizer_sha256, config_json FROM models WHERE id = ?1");
    query.bind(1, modelId);
    if (!query.step())
        return std::nullopt;
    return ModelRecord{query.int64(0), query.text(1), query.text(2), query.text(3), query.text(4), query.text(5)};
}

void Notebook::upsertPreset(const PresetRecord& preset)
{
    requireWritable("upsertPreset");
    Statement upsert = db_->prepare(
        "INSERT INTO presets (id, name, config_json) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, config_json = excluded.config_json");
    upsert.bind(1, preset.id).bind(2, preset.name).bind(3, preset.configJson);
    upsert.run();
}

std::optional<PresetRecord> Notebook::preset(const std::string& presetId) const
{
    Statement query = db_->prepare("SELECT id, name, config_json FROM presets WHERE id = ?1");
    query.bind(1, presetId);
    if (!query.step())
        return std::nullopt;
    return PresetRecord{query.text(0), query.text(1), query.text(2)};
}

// ---------------------------------------------------------------- notes and tags

std::int64_t Notebook::addNote(std::int64_t runId, const std::string& markdown)
{
    NoteRecord note;
    note.markdown = markdown;
    return addNote(runId, note);
}

std::int64_t Notebook::addNote(std::int64_t runId, const NoteRecord& note)
{
    requireWritable("addNote");
    Transaction transaction(*db_);
    requireRunExists(runId);
    const std::string created = note.createdAt.empty() ? nowIso8601() : note.createdAt;
    const std::string edited = note.editedAt.empty() ? created : note.editedAt;
    Statement insert = db_->prepare("INSERT INTO notes (run_id, markdown, created_at, edited_at) VALUES (?1, ?2, ?3, ?4)");
    insert.bind(1, runId).bind(2, note.markdown).bind(3, created).bind(4, edited);
    insert.run();
    std::int64_t id = db_->lastInsertId();
    transaction.commit();
    return id;
}

void Notebook::editNote(std::int64_t noteId, const std::string& markdown)
{
    requireWritable("editNote");
    Statement update = db_->prepare("UPDATE notes SET markdown = ?2, edited_at = ?3 WHERE id = ?1");
    update.bind(1, noteId).bind(2, markdown).bind(3, nowIso8601());
    update.run();
    if (db_->changes() == 0)
        throw InvalidArgument(expectedFound("note id", "an existing note", std::to_string(noteId)));
}

void Notebook::deleteNote(std::int64_t noteId)
{
    requireWritable("deleteNote");
    Statement remove = db_->prepare("DELETE FROM notes WHERE id = ?1");
    remove.bind(1, noteId);
    remove.run();
}

std::vector<NoteRecord> Notebook::notes(std::int64_t runId) const
{
    Statement query = db_->prepare("SELECT id, markdown, created_at, edited_at FROM notes WHERE run_id = ?1 ORDER BY id");
    query.bind(1, runId);
    std::vector<NoteRecord> notes;
    while (query.step())
        notes.push_back({query.int64(0), query.text(1), query.text(2), query.text(3)});
    return notes;
}

void Notebook::addTag(std::int64_t runId, const std::string& tag)
{
    requireWritable("addTag");
    if (tag.empty() || tag.find_first_of(" \t\r\n") != std::string::npos)
        throw InvalidArgument(expectedFound("tag", "a non-empty word without spaces", "'" + tag + "'"));
    Transaction transaction(*db_);
    requireRunExists(runId);
    Statement insertTag = db_->prepare("INSERT INTO tags (name) VALUES (?1) ON CONFLICT (name) DO NOTHING");
    insertTag.bind(1, tag);
    insertTag.run();
    Statement link = db_->prepare(
        "INSERT INTO run_tags (run_id, tag_id) SELECT ?1, id FROM tags WHERE name = ?2 ON CONFLICT DO NOTHING");
    link.bind(1, runId).bind(2, tag);
    link.run();
    transaction.commit();
}

void Notebook::removeTag(std::int64_t runId, const std::string& tag)
{
    requireWritable("removeTag");
    Statement unlink = db_->prepare("DELETE FROM run_tags WHERE run_id = ?1 AND tag_id = (SELECT id FROM tags WHERE name = ?2)");
    unlink.bind(1, runId).bind(2, tag);
    unlink.run();
}

std::vector<std::string> Notebook::tags(std::int64_t runId) const
{
    Statement query = db_->prepare(
        "SELECT t.name FROM run_tags rt JOIN tags t ON t.id = rt.tag_id WHERE rt.run_id = ?1 ORDER BY t.name");
    query.bind(1, runId);
    std::vector<std::string> tags;
    while (query.step())
        tags.push_back(query.text(0));
    return tags;
}

// ---------------------------------------------------------------- groups

std::int64_t Notebook::createGroup(const RunGroupRecord& group)
{
    requireWritable("createGroup");
    Transaction transaction(*db_);
    Statement insert = db_->prepare("INSERT INTO run_groups (uuid, kind, comparison_json, created_at) VALUES (?1, ?2, ?3, ?4)");
    insert.bind(1, group.uuid.empty() ? newUuid() : group.uuid).bind(2, group.kind).bind(3, group.comparisonJson)
        .bind(4, group.createdAt.empty() ? nowIso8601() : group.createdAt);
    insert.run();
    const std::int64_t id = db_->lastInsertId();
    Statement member = db_->prepare("INSERT INTO run_group_members (group_id, run_id, position) VALUES (?1, ?2, ?3)");
    for (std::size_t i = 0; i < group.runIds.size(); ++i) {
        requireRunExists(group.runIds[i]);
        member.reset();
        member.bind(1, id).bind(2, group.runIds[i]).bind(3, static_cast<std::int64_t>(i));
        member.run();
    }
    transaction.commit();
    return id;
}

std::optional<RunGroupRecord> Notebook::group(std::int64_t groupId) const
{
    Statement query = db_->prepare("SELECT id, uuid, kind, comparison_json, created_at FROM run_groups WHERE id = ?1");
    query.bind(1, groupId);
    if (!query.step())
        return std::nullopt;
    RunGroupRecord group;
    group.id = query.int64(0);
    group.uuid = query.text(1);
    group.kind = query.text(2);
    group.comparisonJson = query.text(3);
    group.createdAt = query.text(4);
    Statement members = db_->prepare("SELECT run_id FROM run_group_members WHERE group_id = ?1 ORDER BY position");
    members.bind(1, groupId);
    while (members.step())
        group.runIds.push_back(members.int64(0));
    return group;
}

std::optional<std::int64_t> Notebook::findGroupByUuid(const std::string& uuid) const
{
    Statement query = db_->prepare("SELECT id FROM run_groups WHERE uuid = ?1");
    query.bind(1, uuid);
    if (!query.step())
        return std::nullopt;
    return query.int64(0);
}

std::vector<std::int64_t> Notebook::groupsOfRun(std::int64_t runId) const
{
    Statement query = db_->prepare("SELECT group_id FROM run_group_members WHERE run_id = ?1 ORDER BY group_id");
    query.bind(1, runId);
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

std::vector<std::int64_t> Notebook::allGroups() const
{
    Statement query = db_->prepare("SELECT id FROM run_groups ORDER BY id");
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

// ---------------------------------------------------------------- reports

std::int64_t Notebook::addReport(const ReportRecord& report)
{
    requireWritable("addReport");
    Transaction transaction(*db_);
    Statement insert = db_->prepare(
        "INSERT INTO reports (run_id, group_id, title, markdown, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
    insert.bind(1, report.runId).bind(2, report.groupId).bind(3, report.title).bind(4, report.markdown)
        .bind(5, report.createdAt.empty() ? nowIso8601() : report.createdAt);
    insert.run();
    const std::int64_t id = db_->lastInsertId();
    if (report.sweepId) {
        Statement link = db_->prepare("INSERT INTO report_sweeps (report_id, sweep_id) VALUES (?1, ?2)");
        link.bind(1, id).bind(2, *report.sweepId);
        link.run();
    }
    Statement image = db_->prepare("INSERT INTO report_images (report_id, name, png) VALUES (?1, ?2, ?3)");
    for (const auto& [name, png] : report.images) {
        image.reset();
        image.bind(1, id).bind(2, name).bindBlob(3, png.data(), png.size());
        image.run();
    }
    transaction.commit();
    return id;
}

std::optional<ReportRecord> Notebook::report(std::int64_t reportId) const
{
    Statement query = db_->prepare("SELECT r.id, r.run_id, r.group_id, r.title, r.markdown, r.created_at, s.sweep_id FROM reports r"
                                   " LEFT JOIN report_sweeps s ON s.report_id = r.id WHERE r.id = ?1");
    query.bind(1, reportId);
    if (!query.step())
        return std::nullopt;
    ReportRecord report;
    report.id = query.int64(0);
    report.runId = query.optionalInt64(1);
    report.groupId = query.optionalInt64(2);
    report.title = query.text(3);
    report.markdown = query.text(4);
    report.createdAt = query.text(5);
    report.sweepId = query.optionalInt64(6);
    Statement images = db_->prepare("SELECT name, png FROM report_images WHERE report_id = ?1");
    images.bind(1, reportId);
    while (images.step())
        report.images[images.text(0)] = images.blob(1);
    return report;
}

std::vector<std::int64_t> Notebook::reportsOfRun(std::int64_t runId) const
{
    Statement query = db_->prepare("SELECT id FROM reports WHERE run_id = ?1 ORDER BY id");
    query.bind(1, runId);
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

std::vector<std::int64_t> Notebook::reportsOfGroup(std::int64_t groupId) const
{
    Statement query = db_->prepare("SELECT id FROM reports WHERE group_id = ?1 ORDER BY id");
    query.bind(1, groupId);
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

std::vector<std::int64_t> Notebook::reportsOfSweep(std::int64_t sweepId) const
{
    Statement query = db_->prepare("SELECT report_id FROM report_sweeps WHERE sweep_id = ?1 ORDER BY report_id");
    query.bind(1, sweepId);
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

// ---------------------------------------------------------------- sweeps

std::int64_t Notebook::createSweep(const SweepRecord& sweep)
{
    requireWritable("createSweep");
    Transaction transaction(*db_);
    Statement insert = db_->prepare("INSERT INTO sweeps (uuid, name, spec_json, created_at) VALUES (?1, ?2, ?3, ?4)");
    insert.bind(1, sweep.uuid.empty() ? newUuid() : sweep.uuid).bind(2, sweep.name).bind(3, sweep.specJson)
        .bind(4, sweep.createdAt.empty() ? nowIso8601() : sweep.createdAt);
    insert.run();
    const std::int64_t id = db_->lastInsertId();
    for (const auto& [runId, point] : sweep.runs)
        addRunToSweep(id, runId, point);
    transaction.commit();
    return id;
}

std::optional<SweepRecord> Notebook::sweep(std::int64_t sweepId) const
{
    Statement query = db_->prepare("SELECT id, uuid, name, spec_json, created_at FROM sweeps WHERE id = ?1");
    query.bind(1, sweepId);
    if (!query.step())
        return std::nullopt;
    SweepRecord sweep;
    sweep.id = query.int64(0);
    sweep.uuid = query.text(1);
    sweep.name = query.text(2);
    sweep.specJson = query.text(3);
    sweep.createdAt = query.text(4);
    Statement runs = db_->prepare("SELECT run_id, point_json FROM sweep_runs WHERE sweep_id = ?1 ORDER BY run_id");
    runs.bind(1, sweepId);
    while (runs.step())
        sweep.runs.emplace_back(runs.int64(0), runs.text(1));
    return sweep;
}

std::optional<std::int64_t> Notebook::findSweepByUuid(const std::string& uuid) const
{
    Statement query = db_->prepare("SELECT id FROM sweeps WHERE uuid = ?1");
    query.bind(1, uuid);
    if (!query.step())
        return std::nullopt;
    return query.int64(0);
}

std::vector<std::int64_t> Notebook::allSweeps() const
{
    Statement query = db_->prepare("SELECT id FROM sweeps ORDER BY id");
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

void Notebook::addRunToSweep(std::int64_t sweepId, std::int64_t runId, const std::string& pointJson)
{
    requireWritable("addRunToSweep");
    Transaction transaction(*db_);
    requireRunExists(runId);
    Statement insert = db_->prepare(
        "INSERT INTO sweep_runs (sweep_id, run_id, point_json) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (sweep_id, run_id) DO UPDATE SET point_json = excluded.point_json");
    insert.bind(1, sweepId).bind(2, runId).bind(3, pointJson);
    insert.run();
    transaction.commit();
}

} // namespace tempo::notebook
