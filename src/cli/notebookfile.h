#pragma once
// The notebook a recording command (run, preset run, sweep) writes to: --notebook F, or the
// default notebook ($XDG_DATA_HOME/tempo-lab/notebook.sqlite), its folder created when missing.

#include <memory>
#include <optional>
#include <string>

#include "core/notebook/notebook.h"

namespace tempo::cli {

std::unique_ptr<notebook::Notebook> openNotebookForRecording(const std::optional<std::string>& path);

} // namespace tempo::cli
