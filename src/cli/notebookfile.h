#pragma once
// How tempo-lab-cli opens notebooks. A recording command (run, preset run, sweep) writes to
// --notebook F, or the default notebook ($XDG_DATA_HOME/tempo-lab/notebook.sqlite), its folder
// created when missing. A reading command (runs, show, export-run, report, preset list) opens an
// existing notebook read-write when it may write the file and its folder (which also marks runs
// of dead writers interrupted), and read-only without creating anything next to the file when it
// may not, or when the user asks with --read-only.

#include <memory>
#include <optional>
#include <string>

#include "core/notebook/notebook.h"

namespace tempo::cli {

std::unique_ptr<notebook::Notebook> openNotebookForRecording(const std::optional<std::string>& path);

// True when `path` and its folder may be written: by their permission bits (root may write to
// anything, so a folder without any write bit counts as read-only even for root) and access().
bool notebookWritable(const std::string& path);

// The mode a reading command opens the existing notebook `path` in (see above).
notebook::OpenMode readingMode(const std::string& path, bool readOnlyAsked);

// The usage line of --read-only, shared by the reading commands.
extern const char* const kReadOnlyFlagHelp;

} // namespace tempo::cli
