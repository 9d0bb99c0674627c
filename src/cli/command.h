#pragma once
// tempo-lab-cli subcommands register themselves here (one file per command or command family),
// so adding a command never touches main.cpp.

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tempo::cli {

// Exit codes shared by every command.
enum ExitCode : int {
    kExitOk = 0,
    kExitCheckFailed = 1, // the command ran but a mechanism check failed
    kExitUsage = 2,       // bad flags or values
    kExitInput = 3,       // bad model, tokenizer, notebook or other input file
    kExitInternal = 4,    // anything else (a bug)
    kExitCancelled = 5,   // Ctrl-C (SIGINT) or SIGTERM stopped a run or sweep; what ran is kept, as cancelled
};

// The exit codes as the usage texts list them (one line each).
extern const char* const kExitCodesHelp;

struct Command {
    std::string name;
    std::string summary; // one line for `tempo-lab-cli --help`
    std::string usage;   // full `--help` text of the command
    bool needsQt = false; // true: only in builds with TEMPO_WITH_QT
    std::function<int(const std::vector<std::string>& args)> run;
};

std::vector<Command>& commandRegistry();

struct CommandRegistration {
    explicit CommandRegistration(Command command) { commandRegistry().push_back(std::move(command)); }
};

// Writes `text` as a JSON string literal (UTF-8 kept, control characters escaped).
std::string jsonString(const std::string& text);

// `value` as indented JSON for --json output. Generated text can end inside a UTF-8 sequence:
// invalid bytes are replaced, never thrown on.
std::string dumpJson(const nlohmann::json& value);

} // namespace tempo::cli
