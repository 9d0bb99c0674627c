// tempo-lab-cli: the headless face of TEMPO Lab. Every error reaches stderr as one readable
// message with a non-zero exit code; nothing escapes as a crash or a stack trace.

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/helpdocument.h"
#include "core/common/buildinfo.h"
#include "core/common/errors.h"

namespace {

void printHelp()
{
    const auto commands = tempo::cli::sortedCommands();
    std::cout << "tempo-lab-cli " << tempo::buildinfo::kAppVersion
              << " - TEMPO parallel decoding experiments on Llama-family models\n\n"
              << "Usage: tempo-lab-cli COMMAND [OPTIONS]   (tempo-lab-cli COMMAND --help for details)\n"
              << "       tempo-lab-cli help COMMAND | --man | --markdown\n\n"
              << "Commands:\n";
    for (const auto& c : commands)
        std::cout << "  " << c.name << std::string(c.name.size() < 12 ? 12 - c.name.size() : 1, ' ')
                  << c.summary << "\n";
}

} // namespace

int main(int argc, char** argv)
{
    using namespace tempo::cli;
    std::vector<std::string> words(argv + 1, argv + argc);
    const auto& registry = commandRegistry();
    const auto findCommand = [&](const std::string& name) {
        return std::find_if(registry.begin(), registry.end(), [&](const Command& c) { return c.name == name; });
    };
    if (words.size() == 2 && words[0] == "help") {
        // help --man | --markdown: the reference generated from the registry (man page, docs/cli.md);
        // help COMMAND: the command's --help.
        if (words[1] == "--man") {
            std::cout << manPage();
            return kExitOk;
        }
        if (words[1] == "--markdown") {
            std::cout << markdownReference();
            return kExitOk;
        }
        auto it = findCommand(words[1]);
        if (it == registry.end()) {
            std::cerr << "tempo-lab-cli help: unknown command '" << words[1] << "' (see tempo-lab-cli --help)\n";
            return kExitUsage;
        }
        std::cout << it->usage << "\n";
        return kExitOk;
    }
    if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
        printHelp();
        return words.empty() ? kExitUsage : kExitOk;
    }
    if (words[0] == "--version") {
        std::cout << "tempo-lab-cli " << tempo::buildinfo::kAppVersion << " (" << tempo::buildinfo::kGitCommit << ")\n";
        return kExitOk;
    }
    auto it = findCommand(words[0]);
    if (it == registry.end()) {
        std::cerr << "tempo-lab-cli: unknown command '" << words[0] << "' (see tempo-lab-cli --help)\n";
        return kExitUsage;
    }
    std::vector<std::string> rest(words.begin() + 1, words.end());
    if (std::find(rest.begin(), rest.end(), "--help") != rest.end() ||
        std::find(rest.begin(), rest.end(), "-h") != rest.end()) {
        std::cout << it->usage << "\n";
        return kExitOk;
    }
    try {
        return it->run(rest);
    } catch (const tempo::InvalidArgument& e) {
        std::cerr << "tempo-lab-cli " << it->name << ": " << e.what() << "\n";
        return kExitUsage;
    } catch (const tempo::Error& e) {
        std::cerr << "tempo-lab-cli " << it->name << ": " << e.what() << "\n";
        return kExitInput;
    } catch (const std::exception& e) {
        std::cerr << "tempo-lab-cli " << it->name << ": internal error: " << e.what() << "\n";
        return kExitInternal;
    }
}
