// NoteStore: a run's Markdown notes.

#include "core/notebook/notestore.h"

#include "core/common/errors.h"
#include "core/notebook/database.h"

namespace tempo::notebook {

std::int64_t NoteStore::add(std::int64_t runId, const std::string& markdown)
{
    NoteRecord note;
    note.markdown = markdown;
    return add(runId, note);
}

std::int64_t NoteStore::add(std::int64_t runId, const NoteRecord& note)
{
    requireWritable("adding a note");
    Transaction transaction(database());
    requireRunExists(runId);
    const std::string created = note.createdAt.empty() ? nowIso8601() : note.createdAt;
    const std::string edited = note.editedAt.empty() ? created : note.editedAt;
    Statement insert = database().prepare("INSERT INTO notes (run_id, markdown, created_at, edited_at) VALUES (?1, ?2, ?3, ?4)");
    insert.bind(1, runId).bind(2, note.markdown).bind(3, created).bind(4, edited);
    insert.run();
    std::int64_t id = database().lastInsertId();
    transaction.commit();
    return id;
}

void NoteStore::edit(std::int64_t noteId, const std::string& markdown)
{
    requireWritable("editing a note");
    Statement update = database().prepare("UPDATE notes SET markdown = ?2, edited_at = ?3 WHERE id = ?1");
    update.bind(1, noteId).bind(2, markdown).bind(3, nowIso8601());
    update.run();
    if (database().changes() == 0)
        throw InvalidArgument(expectedFound("note id", "an existing note", std::to_string(noteId)));
}

void NoteStore::remove(std::int64_t noteId)
{
    requireWritable("deleting a note");
    Statement remove = database().prepare("DELETE FROM notes WHERE id = ?1");
    remove.bind(1, noteId);
    remove.run();
}

std::vector<NoteRecord> NoteStore::ofRun(std::int64_t runId) const
{
    Statement query = database().prepare("SELECT id, markdown, created_at, edited_at FROM notes WHERE run_id = ?1 ORDER BY id");
    query.bind(1, runId);
    std::vector<NoteRecord> notes;
    while (query.step())
        notes.push_back({query.int64(0), query.text(1), query.text(2), query.text(3)});
    return notes;
}

} // namespace tempo::notebook
