// tempo-lab-cli: the headless face of TEMPO Lab. Every error reaches stderr as one readable
// message with a non-zero exit code; nothing escapes as a crash or a stack trace.

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/common/buildinfo.h"
#include "core/common/errors.h"

namespace {

void printHelp()
{
    auto commands = tempo::cli::commandRegistry();
    std::sort(commands.begin(), commands.end(), [](auto& a, auto& b) { return a.name < b.name; });
    std::cout << "tempo-lab-cli " << tempo::buildinfo::kAppVersion
              << " - TEMPO parallel decoding experiments on Llama-family models\n\n"
              << "Usage: tempo-lab-cli COMMAND [OPTIONS]   (tempo-lab-cli COMMAND --help for details)\n\n"
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
    if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
        printHelp();
        return words.empty() ? kExitUsage : kExitOk;
    }
    if (words[0] == "--version") {
        std::cout << "tempo-lab-cli " << tempo::buildinfo::kAppVersion << " (" << tempo::buildinfo::kGitCommit << ")\n";
        return kExitOk;
    }
    const auto& registry = commandRegistry();
    auto it = std::find_if(registry.begin(), registry.end(), [&](const Command& c) { return c.name == words[0]; });
    if (it == registry.end()) {
        std::cerr << "tempo-lab-cli: unknown command '" << words[0] << "' (see tempo-lab-cli --help)\n";
        return kExitUsage;
    }
    std::vector<std::string> rest(words.begin() + 1, words.end());
    if (std::find(rest.begin(), rest.end(), "--help") != rest.end()) {
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
