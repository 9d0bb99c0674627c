#pragma once
// The model shipped with TEMPO Lab (resources/models/tempo-kjv-small, trained by
// tools/tempo_train_model on the King James Bible), used whenever no model is chosen.

#include <filesystem>
#include <string>

namespace tempo {

// Folder of the model shipped with TEMPO Lab: $TEMPO_LAB_MODEL if set, else the source tree's
// resources/models/tempo-kjv-small (compiled-in path), else <exe>/../share/tempo-lab/models/tempo-kjv-small.
// Throws ConfigError naming every place looked at when none holds a config.json.
std::filesystem::path bundledModelFolder();
std::string bundledModelName(); // "tempo-kjv-small"

} // namespace tempo
