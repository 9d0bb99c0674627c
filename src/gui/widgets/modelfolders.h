#pragma once
// Where the model picker finds models: the bundled model, Hugging Face cache snapshots (listed by
// core/model/modelcatalog.h; shown with the texts below), and folders the user opened.
// Only directory listings and existence checks: nothing is loaded here.

#include <QString>

#include "core/model/modelcatalog.h"

namespace tempo::gui {

// A folder holding config.json (what the loader needs first; the loader checks the rest).
bool isModelFolder(const QString& folder);
// The bundled model's folder, or "" when this build has none (message: why, for the picker).
QString bundledModelFolderOrEmpty(QString* whyNot = nullptr);
QString bundledModelLabel();
// How the picker shows one Hugging Face cache snapshot (core/model/modelcatalog.h, scanned off the
// UI thread): "meta-llama/Llama-3.2-1B @ 4e20de36 — llama · 1.24B · 2.3 GiB · BF16", or for one
// that cannot be used "... — not usable: unsupported architecture bert".
QString catalogEntryLabel(const tempo::ModelCatalogEntry& entry);
// The folder, and every reason in full (expected vs found) for one that cannot be used.
QString catalogEntryToolTip(const tempo::ModelCatalogEntry& entry);

} // namespace tempo::gui
