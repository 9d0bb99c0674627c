#include "cli/helpdocument.h"

#include <algorithm>
#include <sstream>

#include "core/common/buildinfo.h"

namespace tempo::cli {

namespace {

// Text for a roff line: backslashes escaped, hyphens as real minus signs (so `--model` can be
// searched and copied), a leading '.' or '\'' kept from being read as a request.
std::string roffText(const std::string& line)
{
    std::string out;
    for (char c : line) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    if (!out.empty() && (out[0] == '.' || out[0] == '\''))
        out = "\\&" + out;
    return out;
}

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

const char* kDescription =
    "tempo-lab-cli is the headless face of TEMPO Lab, a lab notebook for TEMPO (Threshold-Enabled Multipath "
    "Parallel Output) experiments on Llama-family language models. TEMPO keeps every candidate token whose "
    "probability passes a threshold and feeds them all at the same logical (RoPE) position, with siblings "
    "isolated from each other or visible to each other. Every run is recorded in a notebook (one SQLite file) "
    "with its provenance and the mechanism checks that prove the decoding ran as designed.";

const char* kExitStatus[][2] = {{"0", "success"},
                                {"1", "the command ran but a mechanism check failed"},
                                {"2", "bad flags or values (usage error)"},
                                {"3", "bad model, tokenizer, notebook or other input file"},
                                {"4", "internal error (a bug; please report it)"},
                                {"5", "cancelled by Ctrl-C (SIGINT) or SIGTERM: the run or sweep stopped between "
                                      "forwards and what ran is kept in the notebook as cancelled"}};

} // namespace

std::vector<Command> sortedCommands()
{
    auto commands = commandRegistry();
    std::sort(commands.begin(), commands.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
    return commands;
}

std::string manPage()
{
    std::ostringstream m;
    m << ".TH TEMPO-LAB-CLI 1 \"\" \"tempo-lab-cli " << buildinfo::kAppVersion << "\" \"TEMPO Lab\"\n"
      << ".SH NAME\ntempo\\-lab\\-cli \\- TEMPO parallel decoding experiments on Llama\\-family models\n"
      << ".SH SYNOPSIS\n.B tempo\\-lab\\-cli\n.I COMMAND\n[\\fIOPTIONS\\fR]\n.br\n"
      << ".B tempo\\-lab\\-cli\n.I COMMAND\n.B \\-\\-help\n.br\n.B tempo\\-lab\\-cli \\-\\-version\n"
      << ".SH DESCRIPTION\n" << roffText(kDescription) << "\n"
      << ".PP\nWithout \\fB\\-\\-model\\fR, commands that need a model use the model shipped with TEMPO Lab "
         "when one is installed (see FILES).\n"
      << ".SH COMMANDS\n";
    for (const Command& c : sortedCommands()) {
        m << ".SS " << roffText(c.name) << "\n" << roffText(c.summary) << "\n.PP\n.nf\n";
        for (const auto& line : lines(c.usage))
            m << roffText(line) << "\n";
        m << ".fi\n";
    }
    m << ".SH EXIT STATUS\n";
    for (const auto& row : kExitStatus)
        m << ".TP\n.B " << row[0] << "\n" << roffText(row[1]) << "\n";
    m << ".SH ENVIRONMENT\n"
      << ".TP\n.B XDG_DATA_HOME\nThe default notebook is $XDG_DATA_HOME/tempo\\-lab/notebook.sqlite "
         "(~/.local/share/tempo\\-lab/notebook.sqlite when unset).\n"
      << ".TP\n.B TEMPO_LAB_MODEL\nA model folder used instead of the bundled model.\n"
      << ".SH FILES\n"
      << ".TP\n.I ~/.local/share/tempo\\-lab/notebook.sqlite\nThe default notebook (SQLite, WAL mode).\n"
      << ".TP\n.I /usr/share/tempo\\-lab/models/tempo\\-kjv\\-small\nThe bundled model (Hugging Face folder: "
         "config.json, model.safetensors, tokenizer.json).\n"
      << ".SH SEE ALSO\n.BR tempo\\-lab (1),\n/usr/share/doc/tempo\\-lab\\-cli/ (user guide, CLI reference, "
         "TEMPO semantics, cluster and GPU notes)\n";
    return m.str();
}

std::string markdownReference()
{
    std::ostringstream m;
    for (const Command& c : sortedCommands()) {
        m << "## " << c.name << "\n\n" << c.summary << (c.needsQt ? " (builds with Qt only)" : "") << "\n\n```text\n"
          << c.usage;
        if (!c.usage.empty() && c.usage.back() != '\n')
            m << "\n";
        m << "```\n\n";
    }
    return m.str();
}

} // namespace tempo::cli
