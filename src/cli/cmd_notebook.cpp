// Notebook commands of tempo-lab-cli: browse, show, tag, annotate, delete and move runs.
//   runs, show, delete, export-run, import, merge, tag, note
// Every command takes --notebook F (default $XDG_DATA_HOME/tempo-lab/notebook.sqlite) and names
// runs by integer id, full UUID or a unique UUID prefix.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/notebookfile.h"
#include "core/common/errors.h"
#include "core/experiment/sweep.h"
#include "core/notebook/notebook.h"
#include "core/notebook/notebooktransfer.h"
#include "core/runrecord/tempoconfig.h"

namespace tempo::cli {

namespace {

using notebook::Notebook;
using notebook::OpenMode;
using notebook::RunStatus;

const char* kNotebookFlagHelp =
    "  --notebook F   notebook file (default $XDG_DATA_HOME/tempo-lab/notebook.sqlite,\n"
    "                 or ~/.local/share/tempo-lab/notebook.sqlite)\n";

struct NotebookPath {
    std::string path;
    bool isDefault = false;
};

NotebookPath notebookPath(const Args& args)
{
    if (auto given = args.value("--notebook"))
        return {*given, false};
    return {Notebook::defaultPath(), true};
}

// The default notebook is created (with its folders) on first use; a notebook named with
// --notebook must exist for commands that only read or change existing runs.
std::unique_ptr<Notebook> openNotebook(const Args& args, bool needsWrite)
{
    NotebookPath where = notebookPath(args);
    struct stat info {};
    const bool exists = ::stat(where.path.c_str(), &info) == 0;
    const bool readOnlyAsked = !needsWrite && args.has("--read-only");
    if (!exists) {
        if (!where.isDefault || readOnlyAsked)
            throw NotebookError("notebook '" + where.path + "': " +
                                expectedFound("the file", "an existing notebook", "no file"));
        std::error_code error;
        std::filesystem::create_directories(std::filesystem::path(where.path).parent_path(), error);
        if (error)
            throw NotebookError(expectedFound("folder of the default notebook '" + where.path + "'",
                                              "one that can be created", error.message()));
    }
    // Reading commands open a notebook they may not write (file or folder), or one asked
    // --read-only, read-only and leave its folder untouched; everything else opens read-write,
    // which also upgrades the schema and marks runs of dead writers interrupted.
    const OpenMode mode = needsWrite || !exists ? OpenMode::ReadWrite : readingMode(where.path, readOnlyAsked);
    return std::make_unique<Notebook>(where.path, mode);
}

std::string oneLine(const std::string& text, std::size_t width)
{
    std::string out;
    for (char c : text)
        out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    if (out.size() > width) {
        out.resize(width - 3);
        while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80)
            out.pop_back(); // do not cut a UTF-8 character in half
        if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0xC0)
            out.pop_back();
        out += "...";
    }
    return out;
}

std::string shortNumber(double value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
}

nlohmann::json summaryJson(const notebook::RunSummary& run)
{
    return {{"id", run.id},
            {"uuid", run.uuid},
            {"preset", run.presetId},
            {"status", notebook::toString(run.status)},
            {"started_at", run.startedAt},
            {"ended_at", run.endedAt},
            {"model", run.modelName},
            {"prompt", run.prompt},
            {"generated_text", run.generatedText},
            {"steps", run.stepCount},
            {"tags", run.tags},
            {"mechanism", mechanismName(run.artifactControl ? Mechanism::ArtifactControl : Mechanism::Tempo)}};
}

// ---------------------------------------------------------------- runs

int runRuns(const std::vector<std::string>& words)
{
    Args args(words, {"--notebook", "--search", "--tag", "--status", "--limit"}, {"--json", "--read-only"});
    if (!args.positional().empty())
        throw InvalidArgument(expectedFound("arguments of 'runs'", "flags only", "'" + args.positional()[0] + "'"));
    notebook::RunQuery query;
    query.search = args.valueOr("--search", "");
    query.tag = args.valueOr("--tag", "");
    if (auto status = args.value("--status"))
        query.status = notebook::runStatusFromString(*status);
    query.limit = static_cast<int>(args.integer("--limit", 100));
    auto book = openNotebook(args, false);
    const auto runs = book->runs().list(query);
    if (args.has("--json")) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& run : runs)
            list.push_back(summaryJson(run));
        std::cout << dumpJson(list) << "\n";
        return kExitOk;
    }
    if (runs.empty()) {
        // An empty notebook and a filter that matched nothing are different news.
        const bool filtered = !query.search.empty() || !query.tag.empty() || query.status.has_value();
        const std::int64_t total = book->runs().count();
        if (!filtered || total == 0) {
            std::cout << "no runs in " << book->path() << "\n";
            return kExitOk;
        }
        std::string filter;
        if (!query.search.empty())
            filter += " --search '" + query.search + "'";
        if (!query.tag.empty())
            filter += " --tag '" + query.tag + "'";
        if (query.status)
            filter += std::string(" --status ") + notebook::toString(*query.status);
        std::cout << "no run matched the filter" << filter << " (" << total << " run(s) in " << book->path()
                  << ")\n";
        return kExitOk;
    }
    std::cout << std::left << std::setw(7) << "ID" << std::setw(10) << "UUID" << std::setw(12) << "STATUS"
              << std::setw(7) << "PRESET" << std::setw(25) << "STARTED" << std::setw(6) << "STEPS"
              << "PROMPT / TAGS\n";
    for (const auto& run : runs) {
        std::string tags;
        for (const auto& tag : run.tags)
            tags += " #" + tag;
        std::cout << std::left << std::setw(7) << run.id << std::setw(10) << run.uuid.substr(0, 8) << std::setw(12)
                  << notebook::toString(run.status) << std::setw(7) << run.presetId << std::setw(25) << run.startedAt
                  << std::setw(6) << run.stepCount
                  << (run.artifactControl ? std::string("[") + kArtifactControlLabel + "] " : std::string())
                  << oneLine(run.prompt, 40) << tags << "\n";
    }
    return kExitOk;
}

// ---------------------------------------------------------------- show

nlohmann::json runJson(const Notebook& book, std::int64_t runId)
{
    const auto run = *book.runs().find(runId);
    nlohmann::json out = {{"id", run.id},
                          {"uuid", run.uuid},
                          {"preset", run.presetId},
                          {"status", notebook::toString(run.status)},
                          {"started_at", run.startedAt},
                          {"ended_at", run.endedAt},
                          {"prompt", run.prompt},
                          {"generated_text", run.generatedText},
                          {"error", run.errorText},
                          {"provenance",
                           {{"device", run.provenance.device},
                            {"dtype", run.provenance.dtype},
                            {"threads", run.provenance.threads},
                            {"libtorch_version", run.provenance.libtorchVersion},
                            {"app_version", run.provenance.appVersion},
                            {"git_commit", run.provenance.gitCommit}}}};
    out["config"] = runConfigJson(run.config);
    out["mechanism"] = mechanismName(run.config.isArtifactControl() ? Mechanism::ArtifactControl : Mechanism::Tempo);
    if (run.config.isArtifactControl())
        out["control"] = std::string(kArtifactControlLabel) + ": " + kArtifactControlMeaning;
    out["timings"] = nlohmann::json::parse(run.timingsJson, nullptr, false);
    if (run.modelId) {
        if (auto model = book.models().find(*run.modelId))
            out["model"] = {{"folder", model->folder},
                            {"name", model->name},
                            {"weights_sha256", model->weightsSha256},
                            {"tokenizer_sha256", model->tokenizerSha256}};
    }
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& step : book.steps().ofRun(runId))
        steps.push_back({{"step", step.step},
                         {"logical_position", step.logicalPosition},
                         {"physical_slots", step.physicalSlots},
                         {"token_ids", step.tokenIds},
                         {"tokens", step.tokens},
                         {"probabilities", step.probabilities},
                         {"elapsed_ms", step.elapsedMs}});
    out["steps"] = steps;
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& check : book.checks().ofRun(runId))
        checks.push_back({{"name", check.name},
                          {"passed", check.passed},
                          {"not_applicable", check.notApplicable()},
                          {"value", check.value},
                          {"detail", check.detail}});
    out["checks"] = checks;
    nlohmann::json metrics = nlohmann::json::array();
    for (const auto& metric : book.metrics().ofRun(runId)) {
        nlohmann::json m = {{"name", metric.name}, {"value", metric.value}};
        if (metric.step)
            m["step"] = *metric.step;
        if (metric.layer)
            m["layer"] = *metric.layer;
        if (metric.head)
            m["head"] = *metric.head;
        metrics.push_back(m);
    }
    out["metrics"] = metrics;
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto& tensor : book.tensors().infosOfRun(runId)) {
        nlohmann::json t = {{"id", tensor.id}, {"name", tensor.name}, {"dtype", tensor.dtype},
                            {"shape", tensor.shape}, {"bytes", tensor.byteSize}};
        if (tensor.step)
            t["step"] = *tensor.step;
        tensors.push_back(t);
    }
    out["tensors"] = tensors;
    nlohmann::json notes = nlohmann::json::array();
    for (const auto& note : book.notes().ofRun(runId))
        notes.push_back({{"id", note.id}, {"markdown", note.markdown}, {"created_at", note.createdAt},
                         {"edited_at", note.editedAt}});
    out["notes"] = notes;
    out["tags"] = book.tags().ofRun(runId);
    nlohmann::json groups = nlohmann::json::array();
    for (std::int64_t groupId : book.groups().ofRun(runId)) {
        auto group = book.groups().find(groupId);
        groups.push_back({{"id", group->id}, {"uuid", group->uuid}, {"kind", group->kind}, {"runs", group->runIds}});
    }
    out["groups"] = groups;
    return out;
}

int runShow(const std::vector<std::string>& words)
{
    Args args(words, {"--notebook"}, {"--json", "--read-only"});
    if (args.positional().size() != 1)
        throw InvalidArgument(expectedFound("arguments of 'show'", "one run id or UUID",
                                            std::to_string(args.positional().size()) + " words"));
    auto book = openNotebook(args, false);
    const std::int64_t runId = book->runs().resolve(args.positional()[0]);
    const nlohmann::json run = runJson(*book, runId);
    if (args.has("--json")) {
        std::cout << dumpJson(run) << "\n";
        return kExitOk;
    }
    std::cout << "run " << run["id"] << "  " << run["uuid"].get<std::string>() << "\n";
    if (run.contains("control"))
        std::cout << "mechanism  " << run["control"].get<std::string>() << "\n";
    std::cout << "status     " << run["status"].get<std::string>() << "\n"
              << "preset     " << run["preset"].get<std::string>() << "\n"
              << "started    " << run["started_at"].get<std::string>() << "\n"
              << "ended      " << run["ended_at"].get<std::string>() << "\n";
    if (run.contains("model"))
        std::cout << "model      " << run["model"]["name"].get<std::string>() << " ("
                  << run["model"]["folder"].get<std::string>() << ")\n";
    const auto& p = run["provenance"];
    std::cout << "device     " << p["device"].get<std::string>() << ", " << p["dtype"].get<std::string>() << ", "
              << p["threads"] << " threads, LibTorch " << p["libtorch_version"].get<std::string>() << ", app "
              << p["app_version"].get<std::string>() << " (" << p["git_commit"].get<std::string>() << ")\n"
              << "prompt     " << run["prompt"].get<std::string>() << "\n"
              << "text       " << run["generated_text"].get<std::string>() << "\n";
    if (!run["error"].get<std::string>().empty())
        std::cout << "error      " << run["error"].get<std::string>() << "\n";
    std::cout << "steps      " << run["steps"].size() << "\n";
    for (const auto& step : run["steps"]) {
        std::cout << "  step " << step["step"] << " @ position " << step["logical_position"] << ":";
        for (std::size_t m = 0; m < step["token_ids"].size(); ++m)
            std::cout << " " << step["tokens"][m].get<std::string>() << "(" << step["token_ids"][m] << ", p="
                      << shortNumber(step["probabilities"][m].get<double>()) << ")";
        std::cout << "\n";
    }
    for (const auto& check : run["checks"])
        std::cout << "check      "
                  << (check["not_applicable"].get<bool>() ? "N/A  " : check["passed"].get<bool>() ? "PASS " : "FAIL ")
                  << check["name"].get<std::string>()
                  << " = " << check["value"].get<double>() << "  " << check["detail"].get<std::string>() << "\n";
    std::cout << "metrics    " << run["metrics"].size() << "\n"
              << "tensors    " << run["tensors"].size() << "\n";
    for (const auto& tensor : run["tensors"])
        std::cout << "  " << tensor["name"].get<std::string>() << " " << tensor["dtype"].get<std::string>()
                  << tensor["shape"].dump() << " " << tensor["bytes"] << " bytes\n";
    std::string tags;
    for (const auto& tag : run["tags"])
        tags += " #" + tag.get<std::string>();
    std::cout << "tags      " << tags << "\n";
    for (const auto& note : run["notes"])
        std::cout << "note " << note["id"] << " (" << note["edited_at"].get<std::string>() << ")\n"
                  << note["markdown"].get<std::string>() << "\n";
    return kExitOk;
}

// ---------------------------------------------------------------- delete, tag, note

std::string oneRunArgument(const Args& args, const std::string& command, std::size_t count = 1)
{
    if (args.positional().size() != count)
        throw InvalidArgument(expectedFound("arguments of '" + command + "'", std::to_string(count) + " words",
                                            std::to_string(args.positional().size())));
    return args.positional()[0];
}

int runDelete(const std::vector<std::string>& words)
{
    Args args(words, {"--notebook"}, {});
    const std::string id = oneRunArgument(args, "delete");
    auto book = openNotebook(args, true);
    const std::int64_t runId = book->runs().resolve(id);
    const std::string uuid = book->runs().find(runId)->uuid;
    book->runs().remove(runId);
    std::cout << "deleted run " << runId << " (" << uuid << ") from " << book->path() << "\n";
    return kExitOk;
}

int runTag(const std::vector<std::string>& words)
{
    Args args(words, {"--notebook"}, {"--remove"});
    oneRunArgument(args, "tag", 2);
    auto book = openNotebook(args, true);
    const std::int64_t runId = book->runs().resolve(args.positional()[0]);
    if (args.has("--remove"))
        book->tags().remove(runId, args.positional()[1]);
    else
        book->tags().add(runId, args.positional()[1]);
    std::string tags;
    for (const auto& tag : book->tags().ofRun(runId))
        tags += " #" + tag;
    std::cout << "run " << runId << " tags:" << (tags.empty() ? " (none)" : tags) << "\n";
    return kExitOk;
}

int runNote(const std::vector<std::string>& words)
{
    Args args(words, {"--notebook", "--text"}, {});
    const std::string id = oneRunArgument(args, "note");
    const std::string text = args.required("--text");
    auto book = openNotebook(args, true);
    const std::int64_t runId = book->runs().resolve(id);
    const std::int64_t noteId = book->notes().add(runId, text);
    std::cout << "added note " << noteId << " to run " << runId << "\n";
    return kExitOk;
}

// ---------------------------------------------------------------- moving runs

void printTransfer(const notebook::TransferResult& result)
{
    for (const auto& message : result.messages)
        std::cout << "  " << message << "\n";
    std::cout << result.runsCopied << " run(s) copied, " << result.runsSkipped << " skipped as duplicates; "
              << result.groupsCopied << " group(s) copied, " << result.groupsSkipped << " skipped; "
              << result.sweepsCopied << " sweep(s) copied, " << result.sweepsExtended << " extended, "
              << result.sweepsSkipped << " skipped\n";
}

int runExport(const std::vector<std::string>& words)
{
    Args args(words, {"--notebook"}, {"--group", "--read-only", "--force"});
    oneRunArgument(args, "export-run", 2);
    const std::string& out = args.positional()[1];
    // --force writes a new file next to OUT and renames it over OUT only once it is complete.
    if (!args.has("--force") && std::filesystem::exists(out))
        throw InvalidArgument(expectedFound("export file '" + out + "'", "a new file", "an existing file") +
                              "; choose another name, or pass --force to replace it (nothing was written)");
    const bool replacing = args.has("--force") && std::filesystem::exists(out);
    const std::string target = replacing ? out + ".new-" + std::to_string(::getpid()) : out;
    if (replacing && !std::filesystem::is_regular_file(out))
        throw InvalidArgument(expectedFound("export file '" + out + "'", "a file to replace (--force)",
                                            "a folder or device"));
    auto book = openNotebook(args, false);
    notebook::TransferResult result;
    if (args.has("--group")) {
        const std::string& text = args.positional()[0];
        std::optional<std::int64_t> groupId = book->groups().findByUuid(text);
        if (!groupId && !text.empty() && text.find_first_not_of("0123456789") == std::string::npos &&
            book->groups().find(std::stoll(text)))
            groupId = std::stoll(text);
        if (!groupId)
            throw InvalidArgument(expectedFound("group '" + text + "'", "an existing group id or UUID", "no such group"));
        result = notebook::exportGroup(*book, *groupId, target);
    } else {
        result = notebook::exportRuns(*book, {book->runs().resolve(args.positional()[0])}, target);
    }
    if (replacing) {
        std::error_code error;
        std::filesystem::rename(target, out, error);
        if (error) {
            std::filesystem::remove(target);
            throw NotebookError(expectedFound("export file '" + out + "'", "replaced by the new export",
                                              error.message()) + "; it was left as it was");
        }
    }
    std::cout << (replacing ? "replaced " : "exported to ") << out << "\n";
    printTransfer(result);
    return kExitOk;
}

int runMerge(const std::vector<std::string>& words, const std::string& command)
{
    Args args(words, {"--notebook"}, {"--create"});
    const std::string from = oneRunArgument(args, command);
    std::unique_ptr<Notebook> book;
    if (args.has("--create") && args.has("--notebook") && !std::filesystem::exists(*args.value("--notebook"))) {
        // --create: a new notebook to gather runs in (the shards of a cluster sweep, merge.sh).
        const std::filesystem::path path = *args.value("--notebook");
        if (path.has_parent_path())
            std::filesystem::create_directories(path.parent_path());
        book = std::make_unique<Notebook>(path.string(), OpenMode::ReadWrite);
    } else {
        book = openNotebook(args, true);
    }
    const auto result = notebook::mergeNotebook(*book, from);
    std::cout << (command == "import" ? "imported " : "merged ") << from << " into " << book->path() << "\n";
    printTransfer(result);
    // A sweep's stored aggregate covers the runs it had: recompute it over the merged runs (the
    // shards of a cluster sweep come home one by one).
    for (std::int64_t sweepId : result.sweepsChanged) {
        const auto state = refreshSweepAggregate(*book, sweepId);
        std::cout << "sweep " << sweepId << ": " << state["complete_points"] << " of " << state["points"]
                  << " points complete, aggregate recomputed (" << state["status"].get<std::string>() << ")\n";
    }
    return kExitOk;
}

const std::string kIdHelp = "ID is an integer run id, a run UUID or a unique UUID prefix (4+ characters).\n";

CommandRegistration runsCommand{{"runs", "list the notebook's runs, newest first",
                                 std::string("Usage: tempo-lab-cli runs [--notebook F] [--search WORDS] [--tag T]"
                                             " [--status S] [--limit N] [--json] [--read-only]\n") +
                                     kNotebookFlagHelp + kReadOnlyFlagHelp +
                                     "  --search WORDS full-text search over prompt, generated text, notes and tags\n"
                                     "                 (every word must occur; word* matches a prefix)\n"
                                     "  --tag T        only runs tagged T\n"
                                     "  --status S     running, finished, failed, cancelled or interrupted\n"
                                     "  --limit N      at most N runs (default 100; -1: all)\n"
                                     "  --json         one JSON array instead of a table",
                                 false, &runRuns}};
CommandRegistration showCommand{{"show", "show one run: provenance, steps, checks, tensors, notes",
                                 std::string("Usage: tempo-lab-cli show ID [--notebook F] [--json] [--read-only]\n") +
                                     kIdHelp + kNotebookFlagHelp + kReadOnlyFlagHelp,
                                 false, &runShow}};
CommandRegistration deleteCommand{{"delete", "delete a run and its captured tensors",
                                   std::string("Usage: tempo-lab-cli delete ID [--notebook F]\n") + kIdHelp +
                                       kNotebookFlagHelp,
                                   false, &runDelete}};
CommandRegistration exportCommand{
    {"export-run", "write one run (or a group) to a standalone notebook file",
     std::string("Usage: tempo-lab-cli export-run ID OUT [--group] [--force] [--notebook F] [--read-only]\n") +
         kIdHelp +
         "OUT must not exist unless --force, which replaces it once the export is complete (a failed export\n"
         "leaves it as it was). --group: ID is a group id or UUID; the group is written with all its runs.\n" +
         kNotebookFlagHelp + kReadOnlyFlagHelp,
     false, &runExport}};
CommandRegistration importCommand{
    {"import", "copy the runs of an exported file into the notebook",
     std::string("Usage: tempo-lab-cli import FILE [--notebook F] [--create]\n"
                 "Runs already present (same UUID) are skipped with a message.\n"
                 "--create: create the notebook named by --notebook when it does not exist.\n") +
         kNotebookFlagHelp,
     false, [](const std::vector<std::string>& words) { return runMerge(words, "import"); }}};
CommandRegistration mergeCommand{
    {"merge", "copy every run, group and sweep of another notebook into this one",
     std::string("Usage: tempo-lab-cli merge FROM [--notebook F] [--create]\n"
                 "FROM is read only. Runs already present (same UUID) are skipped with a message.\n"
                 "Shards of one sweep (tempo-lab-cli sweep --emit-slurm) merge into one sweep, whose aggregate\n"
                 "is recomputed. --create: create the notebook named by --notebook when it does not exist.\n") +
         kNotebookFlagHelp,
     false, [](const std::vector<std::string>& words) { return runMerge(words, "merge"); }}};
CommandRegistration tagCommand{{"tag", "add (or --remove) a tag on a run",
                                std::string("Usage: tempo-lab-cli tag ID TAG [--remove] [--notebook F]\n") + kIdHelp +
                                    kNotebookFlagHelp,
                                false, &runTag}};
CommandRegistration noteCommand{{"note", "add a Markdown note to a run",
                                 std::string("Usage: tempo-lab-cli note ID --text MARKDOWN [--notebook F]\n") + kIdHelp +
                                     kNotebookFlagHelp,
                                 false, &runNote}};

} // namespace

} // namespace tempo::cli
