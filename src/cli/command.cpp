#include "cli/command.h"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace tempo::cli {

const char* const kExitCodesHelp =
    "Exit status: 0 done; 1 a mechanism check failed; 2 bad flags or values; 3 bad input file (model,\n"
    "notebook, suite); 4 internal error; 5 cancelled by Ctrl-C or SIGTERM (the run is kept as cancelled\n"
    "with its steps; a second Ctrl-C ends the process at once).\n";

std::vector<Command>& commandRegistry()
{
    static std::vector<Command> registry;
    return registry;
}

std::string jsonString(const std::string& text)
{
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

std::string dumpJson(const nlohmann::json& value)
{
    return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace tempo::cli
