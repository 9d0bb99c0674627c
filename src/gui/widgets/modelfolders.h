#pragma once
// Where the model picker finds models: the bundled model, Hugging Face cache snapshots
// (~/.cache/huggingface/hub/models--*/snapshots/*, or $HF_HOME/hub), and folders the user opened.
// Only directory listings and existence checks: nothing is loaded here.

#include <QList>
#include <QString>

namespace tempo::gui {

struct ModelFolder {
    QString label;  // "tempo-kjv-small (bundled)", "meta-llama/Llama-3.2-1B @ 4e20de36"
    QString folder; // absolute path
};

// A folder holding config.json (what the loader needs first; the loader checks the rest).
bool isModelFolder(const QString& folder);
// The bundled model's folder, or "" when this build has none (message: why, for the picker).
QString bundledModelFolderOrEmpty(QString* whyNot = nullptr);
QString bundledModelLabel();
// Snapshots in the Hugging Face cache that hold a config.json, sorted by label.
QList<ModelFolder> huggingFaceCacheModels();

} // namespace tempo::gui
