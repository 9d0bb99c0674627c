#pragma once
// Where presets come from: the shipped ones (resources/presets/*.json, compiled into the binary)
// and users' edited copies stored in a notebook (presets table, config JSON with
// "origin": "user"). A user copy never takes a shipped id, so "1a" always means the shipped 1a.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/runrecord/preset.h"

namespace tempo {

namespace notebook {
class PresetStore;
}

namespace detail {
struct EmbeddedPreset {
    const char* fileName; // "1a.json"
    const char* text;
};
extern const EmbeddedPreset kEmbeddedPresets[];
extern const std::size_t kEmbeddedPresetCount;
} // namespace detail

struct CatalogEntry {
    Preset preset;
    bool shipped = true; // false: a user copy from the notebook
};

// The shipped presets, parsed and validated, in file-name order. Throws InvalidArgument naming the
// file when a shipped preset is invalid (a build that ships a broken preset must not run).
const std::vector<Preset>& shippedPresets();
std::optional<Preset> shippedPreset(const std::string& id);

// Shipped presets, then the user copies in `presets` (a notebook's; when given) sorted by id.
std::vector<CatalogEntry> listPresets(const notebook::PresetStore* presets);

// A shipped preset, else a user copy in `presets`. Throws InvalidArgument listing the known ids.
CatalogEntry findPreset(const std::string& id, const notebook::PresetStore* presets);

// Validates and stores a user copy (insert or replace). Throws InvalidArgument when the id is a
// shipped preset's.
void saveUserPreset(notebook::PresetStore& presets, const Preset& preset);

// Stores the preset a run used in the notebook's presets table when it is not there yet, so an
// exported run carries its preset (shipped ones marked "origin": "shipped").
void rememberPresetUsed(notebook::PresetStore& presets, const CatalogEntry& entry);

} // namespace tempo
