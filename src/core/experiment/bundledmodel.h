#pragma once
// The model shipped with TEMPO Lab (resources/models/tempo-kjv-small, trained by
// tools/tempo_train_model on the King James Bible), used whenever no model is chosen.

#include <filesystem>
#include <string>

namespace tempo {

// Folder of the model shipped with TEMPO Lab, the first of these that holds a config.json:
//   1. $TEMPO_LAB_MODEL (an explicit override);
//   2. <exe>/../share/tempo-lab/models/tempo-kjv-small (an installed binary: /usr/bin/tempo-lab-cli
//      finds /usr/share/..., a `cmake --install --prefix P` one finds P/share/...);
//   3. the source tree's resources/models/tempo-kjv-small (compiled-in path; build-tree binaries).
// The installed copy comes before the source tree so that an installed binary on the machine it
// was built on runs on what it installed. Throws ConfigError naming every place looked at when
// none holds a config.json.
std::filesystem::path bundledModelFolder();
// The same search for a given executable (instead of the running one, /proc/self/exe) and source
// tree (instead of the compiled-in one); an empty path skips that place. For tests.
std::filesystem::path bundledModelFolderFor(const std::filesystem::path& executable,
                                            const std::filesystem::path& sourceTree);
std::string bundledModelName(); // "tempo-kjv-small"

} // namespace tempo
