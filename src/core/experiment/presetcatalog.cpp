#include "core/experiment/presetcatalog.h"

#include <algorithm>

#include "core/common/errors.h"
#include "core/notebook/presetstore.h"

namespace tempo {

namespace {

using nlohmann::json;

std::optional<CatalogEntry> userPreset(const notebook::PresetStore& presets, const std::string& id)
{
    auto record = presets.find(id);
    if (!record)
        return std::nullopt;
    json config = json::parse(record->configJson, nullptr, false);
    if (config.is_discarded() || !config.is_object() || config.value("origin", "") != "user")
        return std::nullopt;
    config.erase("origin");
    return CatalogEntry{parsePreset(config, "notebook '" + presets.notebookPath() + "' preset " + id), false};
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

std::vector<CatalogEntry> listPresets(const notebook::PresetStore* presets)
{
    std::vector<CatalogEntry> entries;
    for (const Preset& preset : shippedPresets())
        entries.push_back({preset, true});
    if (presets) {
        for (const std::string& id : presets->ids())
            if (!shippedPreset(id))
                if (auto entry = userPreset(*presets, id))
                    entries.push_back(*entry);
    }
    return entries;
}

CatalogEntry findPreset(const std::string& id, const notebook::PresetStore* presets)
{
    if (auto preset = shippedPreset(id))
        return {*preset, true};
    if (presets)
        if (auto entry = userPreset(*presets, id))
            return *entry;
    std::string known;
    for (const auto& entry : listPresets(presets))
        known += (known.empty() ? "" : ", ") + entry.preset.id;
    throw InvalidArgument(expectedFound("preset '" + id + "'", "one of " + known, "no such preset"));
}

void saveUserPreset(notebook::PresetStore& presets, const Preset& preset)
{
    if (shippedPreset(preset.id))
        throw InvalidArgument(expectedFound("user preset id", "an id no shipped preset uses",
                                            "'" + preset.id + "' (a shipped preset; save the copy under a new id)"));
    json config = presetToJson(preset);
    parsePreset(config, "user preset " + preset.id); // the same validation as a file
    config["origin"] = "user";
    presets.upsert({preset.id, preset.name, config.dump()});
}

void rememberPresetUsed(notebook::PresetStore& presets, const CatalogEntry& entry)
{
    if (presets.find(entry.preset.id))
        return;
    json config = presetToJson(entry.preset);
    config["origin"] = entry.shipped ? "shipped" : "user";
    presets.upsert({entry.preset.id, entry.preset.name, config.dump()});
}

} // namespace tempo
