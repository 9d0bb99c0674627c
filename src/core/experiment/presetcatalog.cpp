#include "core/experiment/presetcatalog.h"

#include <algorithm>

#include "core/common/errors.h"
#include "core/notebook/notebook.h"

namespace tempo {

namespace {

using nlohmann::json;

std::optional<CatalogEntry> userPreset(notebook::Notebook& notebook, const std::string& id)
{
    auto record = notebook.presets().find(id);
    if (!record)
        return std::nullopt;
    json config = json::parse(record->configJson, nullptr, false);
    if (config.is_discarded() || !config.is_object() || config.value("origin", "") != "user")
        return std::nullopt;
    config.erase("origin");
    return CatalogEntry{parsePreset(config, "notebook '" + notebook.path() + "' preset " + id), false};
}

std::vector<std::string> notebookPresetIds(notebook::Notebook& notebook)
{
    return notebook.presets().ids();
}

} // namespace

const std::vector<Preset>& shippedPresets()
{
    static const std::vector<Preset> presets = [] {
        std::vector<Preset> parsed;
        for (std::size_t i = 0; i < detail::kEmbeddedPresetCount; ++i) {
            const auto& file = detail::kEmbeddedPresets[i];
            parsed.push_back(parsePresetText(file.text, std::string("shipped preset resources/presets/") + file.fileName));
        }
        return parsed;
    }();
    return presets;
}

std::optional<Preset> shippedPreset(const std::string& id)
{
    for (const Preset& preset : shippedPresets())
        if (preset.id == id)
            return preset;
    return std::nullopt;
}

std::vector<CatalogEntry> listPresets(notebook::Notebook* notebook)
{
    std::vector<CatalogEntry> entries;
    for (const Preset& preset : shippedPresets())
        entries.push_back({preset, true});
    if (notebook) {
        for (const std::string& id : notebookPresetIds(*notebook))
            if (!shippedPreset(id))
                if (auto entry = userPreset(*notebook, id))
                    entries.push_back(*entry);
    }
    return entries;
}

CatalogEntry findPreset(const std::string& id, notebook::Notebook* notebook)
{
    if (auto preset = shippedPreset(id))
        return {*preset, true};
    if (notebook)
        if (auto entry = userPreset(*notebook, id))
            return *entry;
    std::string known;
    for (const auto& entry : listPresets(notebook))
        known += (known.empty() ? "" : ", ") + entry.preset.id;
    throw InvalidArgument(expectedFound("preset '" + id + "'", "one of " + known, "no such preset"));
}

void saveUserPreset(notebook::Notebook& notebook, const Preset& preset)
{
    if (shippedPreset(preset.id))
        throw InvalidArgument(expectedFound("user preset id", "an id no shipped preset uses",
                                            "'" + preset.id + "' (a shipped preset; save the copy under a new id)"));
    json config = presetToJson(preset);
    parsePreset(config, "user preset " + preset.id); // the same validation as a file
    config["origin"] = "user";
    notebook.presets().upsert({preset.id, preset.name, config.dump()});
}

void rememberPresetUsed(notebook::Notebook& notebook, const CatalogEntry& entry)
{
    if (notebook.presets().find(entry.preset.id))
        return;
    json config = presetToJson(entry.preset);
    config["origin"] = entry.shipped ? "shipped" : "user";
    notebook.presets().upsert({entry.preset.id, entry.preset.name, config.dump()});
}

} // namespace tempo
