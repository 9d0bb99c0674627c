#pragma once
// The CLI's reference, written from the command registry so that it cannot drift from `--help`:
// `tempo-lab-cli help --man` (roff, installed as tempo-lab-cli(1) by the build) and
// `tempo-lab-cli help --markdown` (the command sections of docs/cli.md).

#include <string>
#include <vector>

#include "cli/command.h"

namespace tempo::cli {

// The registered commands sorted by name.
std::vector<Command> sortedCommands();
std::string manPage();
std::string markdownReference();

} // namespace tempo::cli
