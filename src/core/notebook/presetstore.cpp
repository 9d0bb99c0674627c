// PresetStore: the presets runs were made from.

#include "core/notebook/presetstore.h"

#include "core/notebook/database.h"

namespace tempo::notebook {

void PresetStore::upsert(const PresetRecord& preset)
{
    requireWritable("storing a preset");
    Statement upsert = database().prepare(
        "INSERT INTO presets (id, name, config_json) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, config_json = excluded.config_json");
    upsert.bind(1, preset.id).bind(2, preset.name).bind(3, preset.configJson);
    upsert.run();
}

std::optional<PresetRecord> PresetStore::find(const std::string& presetId) const
{
    Statement query = database().prepare("SELECT id, name, config_json FROM presets WHERE id = ?1");
    query.bind(1, presetId);
    if (!query.step())
        return std::nullopt;
    return PresetRecord{query.text(0), query.text(1), query.text(2)};
}

std::vector<std::string> PresetStore::ids() const
{
    Statement query = database().prepare("SELECT id FROM presets ORDER BY id");
    std::vector<std::string> ids;
    while (query.step())
        ids.push_back(query.text(0));
    return ids;
}

} // namespace tempo::notebook
