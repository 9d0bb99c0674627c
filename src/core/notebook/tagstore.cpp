// TagStore: a run's tags (words without spaces).

#include "core/notebook/tagstore.h"

#include "core/common/errors.h"
#include "core/notebook/database.h"

namespace tempo::notebook {

void TagStore::add(std::int64_t runId, const std::string& tag)
{
    requireWritable("adding a tag");
    if (tag.empty() || tag.find_first_of(" \t\r\n") != std::string::npos)
        throw InvalidArgument(expectedFound("tag", "a non-empty word without spaces", "'" + tag + "'"));
    Transaction transaction(database());
    requireRunExists(runId);
    Statement insertTag = database().prepare("INSERT INTO tags (name) VALUES (?1) ON CONFLICT (name) DO NOTHING");
    insertTag.bind(1, tag);
    insertTag.run();
    Statement link = database().prepare(
        "INSERT INTO run_tags (run_id, tag_id) SELECT ?1, id FROM tags WHERE name = ?2 ON CONFLICT DO NOTHING");
    link.bind(1, runId).bind(2, tag);
    link.run();
    transaction.commit();
}

void TagStore::remove(std::int64_t runId, const std::string& tag)
{
    requireWritable("removing a tag");
    Statement unlink = database().prepare("DELETE FROM run_tags WHERE run_id = ?1 AND tag_id = (SELECT id FROM tags WHERE name = ?2)");
    unlink.bind(1, runId).bind(2, tag);
    unlink.run();
}

std::vector<std::string> TagStore::ofRun(std::int64_t runId) const
{
    Statement query = database().prepare(
        "SELECT t.name FROM run_tags rt JOIN tags t ON t.id = rt.tag_id WHERE rt.run_id = ?1 ORDER BY t.name");
    query.bind(1, runId);
    std::vector<std::string> tags;
    while (query.step())
        tags.push_back(query.text(0));
    return tags;
}

std::vector<std::string> TagStore::inUse() const
{
    Statement query = database().prepare("SELECT name FROM tags WHERE id IN (SELECT tag_id FROM run_tags) ORDER BY name");
    std::vector<std::string> tags;
    while (query.step())
        tags.push_back(query.text(0));
    return tags;
}

} // namespace tempo::notebook
