// Experiment commands of tempo-lab-cli: list presets, run one against a model into a notebook, and
// sweep a preset over a prompt suite and thresholds.
//   preset list [--notebook F] [--json]
//   preset run ID [--model DIR] [--notebook F] [--set key=value ...] [--device D] [--dtype T] [--threads N] [--json]
//   preset save FILE [--notebook F]
//   sweep ID [--model DIR] --suite FILE --thresholds 0.03,0.05 [--notebook F] [--set ...] [--new] [--json]
// Ctrl-C (or SIGTERM) cancels between forwards: the run is kept as `cancelled` with its steps, a
// sweep resumes where it stopped when run again; the command exits kExitCancelled.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/interruption.h"
#include "cli/notebookfile.h"
#include "core/common/errors.h"
#include "core/experiment/bundledmodel.h"
#include "core/experiment/experimentrunner.h"
#include "core/experiment/storedanalyses.h"
#include "core/experiment/sweep.h"
#include "core/experiment/sweepslurm.h"
#include "core/experiment/sweepstatistics.h"
#include "core/notebook/notebook.h"
#include "core/runrecord/tempoconfig.h"

namespace tempo::cli {

namespace {

using nlohmann::json;

const char* kModelHelp =
    "  --model DIR    Hugging Face model folder (config.json, *.safetensors, tokenizer.json). Default:\n"
    "                 the bundled model tempo-kjv-small ($TEMPO_LAB_MODEL overrides where it is found)\n"
    "  --device D     cpu | cuda (default cpu)    --dtype T  f32 | bf16 | f16 (default f32)\n"
    "  --threads N    CPU threads (default: every core)\n";
const char* kNotebookHelp =
    "  --notebook F   notebook file, created when missing (default $XDG_DATA_HOME/tempo-lab/notebook.sqlite,\n"
    "                 or ~/.local/share/tempo-lab/notebook.sqlite)\n";

// Pulls every `--set key=value` (or --set=key=value) out of the words: Args keeps one value per flag.
std::vector<std::string> takeAssignments(std::vector<std::string>& words)
{
    std::vector<std::string> assignments, rest;
    for (size_t i = 0; i < words.size(); ++i) {
        if (words[i] == "--set") {
            if (i + 1 >= words.size())
                throw InvalidArgument(expectedFound("--set", "key=value after it", "nothing"));
            assignments.push_back(words[++i]);
        } else if (words[i].rfind("--set=", 0) == 0) {
            assignments.push_back(words[i].substr(6));
        } else {
            rest.push_back(words[i]);
        }
    }
    words = rest;
    return assignments;
}

std::unique_ptr<notebook::Notebook> openNotebook(const Args& args)
{
    return openNotebookForRecording(args.value("--notebook"));
}

ComputeOptions computeOptions(const Args& args)
{
    ComputeOptions options;
    options.device = ComputeOptions::parseDevice(args.valueOr("--device", "cpu"));
    options.dtype = ComputeOptions::parseDtype(args.valueOr("--dtype", "f32"));
    options.threads = threadsFlag(args);
    return options;
}

std::string onePositional(const Args& args, const std::string& what)
{
    if (args.positional().size() != 1)
        throw InvalidArgument(expectedFound(what, "exactly one", std::to_string(args.positional().size())));
    return args.positional().front();
}

json checksJson(const std::vector<notebook::CheckRecord>& checks)
{
    json list = json::array();
    for (const auto& c : checks)
        list.push_back({{"name", c.name},
                        {"passed", c.passed},
                        {"not_applicable", c.notApplicable()},
                        {"value", std::isfinite(c.value) ? json(c.value) : json(nullptr)},
                        {"detail", c.detail}});
    return list;
}

int presetList(std::vector<std::string> words)
{
    Args args(words, {"--notebook"}, {"--json", "--read-only"});
    // User presets live in the notebook: an existing one is only read (read-only when it may not
    // be written, or with --read-only).
    const std::string path = args.valueOr("--notebook", notebook::Notebook::defaultPath());
    std::unique_ptr<notebook::Notebook> book;
    if (std::filesystem::exists(path))
        book = std::make_unique<notebook::Notebook>(path, readingMode(path, args.has("--read-only")));
    else if (args.has("--notebook"))
        book = openNotebook(args);
    const auto entries = listPresets(book ? &book->presets() : nullptr);
    if (args.has("--json")) {
        json list = json::array();
        for (const auto& e : entries) {
            json item = presetToJson(e.preset);
            item["origin"] = e.shipped ? "shipped" : "user";
            list.push_back(item);
        }
        std::cout << dumpJson(list) << "\n";
        return kExitOk;
    }
    for (const auto& e : entries) {
        const Preset& p = e.preset;
        std::cout << p.id << (e.shipped ? "" : " (user)") << "  " << p.name
                  << (p.isArtifactControl() ? std::string("  [") + kArtifactControlLabel + "]" : std::string())
                  << "\n    mode " << presetModeName(p.mode)
                  << ", threshold " << p.threshold << ", " << p.maxSteps << " steps, prompt \"" << p.prompt << "\"\n";
    }
    return kExitOk;
}

int presetSave(std::vector<std::string> words)
{
    Args args(words, {"--notebook"}, {});
    const std::string file = onePositional(args, "preset file");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw InvalidArgument(expectedFound("preset file '" + file + "'", "a readable file", "cannot open it"));
    std::ostringstream text;
    text << in.rdbuf();
    const Preset preset = parsePresetText(text.str(), "preset file '" + file + "'");
    auto book = openNotebook(args);
    saveUserPreset(book->presets(), preset);
    std::cout << "saved preset " << preset.id << " in " << book->path() << "\n";
    return kExitOk;
}

int presetRun(std::vector<std::string> words)
{
    const auto assignments = takeAssignments(words);
    Args args(words, {"--model", "--notebook", "--device", "--dtype", "--threads"}, {"--json"});
    const std::string id = onePositional(args, "preset id");
    const std::string model = (args.has("--model") ? args.required("--model") : bundledModelFolder().string());
    const ComputeOptions options = computeOptions(args);
    auto book = openNotebook(args);
    CatalogEntry entry = findPreset(id, &book->presets());
    entry.preset = applyOverrides(entry.preset, assignments);

    const bool asJson = args.has("--json");
    RunCallbacks callbacks;
    Interruption interruption;
    callbacks.cancel = interruption.flag();
    callbacks.onStep = [&interruption](int64_t, const StepRecord& step) { interruption.afterStep(step.step + 1); };
    if (!asJson)
        callbacks.onRunCreated = [](int64_t runId) { std::cerr << "run " << runId << " started\n"; };
    ExperimentRunner runner(*book);
    const ExperimentResult result = runner.run({entry, model, options}, callbacks);

    json runs = json::array();
    for (int64_t runId : result.runIds) {
        const auto run = book->runs().find(runId);
        runs.push_back({{"id", runId},
                        {"uuid", run->uuid},
                        {"mode", run->config.modeName()},
                        {"status", notebook::toString(run->status)},
                        {"text", result.texts.count(runId) ? result.texts.at(runId) : ""},
                        {"checks", checksJson(result.checks.at(runId))}});
    }
    const bool passed = result.allChecksPassed();
    if (asJson) {
        json out{{"preset", entry.preset.id},
                 {"notebook", book->path()},
                 {"status", notebook::toString(result.status)},
                 {"runs", runs},
                 {"group_id", result.groupId ? json(*result.groupId) : json(nullptr)},
                 {"partner_run_id", result.partnerRunId ? json(*result.partnerRunId) : json(nullptr)},
                 {"verdict", result.verdict ? verdictToJson(*result.verdict) : json(nullptr)},
                 {"all_checks_passed", passed},
                 {"mechanism", mechanismName(entry.preset.mechanism)}};
        if (entry.preset.isArtifactControl())
            out["control"] = std::string(kArtifactControlLabel) + ": " + kArtifactControlMeaning;
        std::cout << dumpJson(out) << "\n";
    } else {
        if (entry.preset.isArtifactControl())
            std::cout << kArtifactControlLabel << ": " << kArtifactControlMeaning << "\n";
        std::cout << "preset " << entry.preset.id << " (" << entry.preset.name << "): "
                  << notebook::toString(result.status) << ", notebook " << book->path() << "\n";
        for (const auto& run : runs) {
            std::cout << "run " << run["id"] << " (" << run["mode"].get<std::string>() << ", "
                      << run["status"].get<std::string>() << "): " << run["text"].get<std::string>() << "\n";
            for (const auto& c : run["checks"])
                std::cout << "  check " << c["name"].get<std::string>() << ": "
                          << (c["not_applicable"].get<bool>() ? "not applicable"
                              : c["passed"].get<bool>()         ? "passed"
                                                                : "FAILED")
                          << " - " << c["detail"].get<std::string>()
                          << "\n";
        }
        if (result.groupId)
            std::cout << "group " << *result.groupId
                      << (result.partnerRunId ? " (paired with earlier run " + std::to_string(*result.partnerRunId) + ")" : "")
                      << "\n";
        if (result.verdict)
            std::cout << "verdict: " << scenarioName(result.verdict->scenario) << " - "
                      << (result.verdict->scenario == Scenario::Inconclusive || result.verdict->scenario == Scenario::Control
                              ? result.verdict->inconclusiveReason
                              : scenarioTitle(result.verdict->scenario))
                      << "\n";
        // The control's criteria are printed too: they show that it makes the modes identical.
        if (result.verdict && result.verdict->scenario != Scenario::Inconclusive)
            for (const auto& c : result.verdict->criteria)
                if (c.name == "identical" || c.name == "nearly_identical" || c.name == "same_selected_sets" ||
                    c.name.rfind("same_top", 0) == 0 || c.name == "prior_dominates")
                    std::cout << "  " << criterionSentence(c) << "\n";
    }
    if (result.status != notebook::RunStatus::Finished) {
        std::cerr << "preset " << entry.preset.id << " " << notebook::toString(result.status)
                  << " before it finished; its runs are kept in " << book->path() << " (exit status "
                  << kExitCancelled << ")\n";
        return kExitCancelled;
    }
    return passed ? kExitOk : kExitCheckFailed;
}

int runPreset(const std::vector<std::string>& words)
{
    if (words.empty())
        throw InvalidArgument(expectedFound("preset subcommand", "list, run or save", "nothing"));
    std::vector<std::string> rest(words.begin() + 1, words.end());
    if (words[0] == "list")
        return presetList(rest);
    if (words[0] == "run")
        return presetRun(rest);
    if (words[0] == "save")
        return presetSave(rest);
    throw InvalidArgument(expectedFound("preset subcommand", "list, run or save", "'" + words[0] + "'"));
}

int executeSweep(const SweepRequest& request, const Args& args, notebook::Notebook& notebook);

// --manifest FILE --slice i/N: one task of `--emit-slurm`'s array job, into its notebook shard.
int runSweepSlice(const Args& args, const std::vector<std::string>& assignments)
{
    if (!args.positional().empty() || !assignments.empty())
        throw InvalidArgument(expectedFound("sweep --manifest", "no preset id and no --set (the manifest holds them)",
                                            args.positional().empty() ? "--set" : "'" + args.positional().front() + "'"));
    for (const char* flag : {"--model", "--suite", "--thresholds", "--device", "--dtype", "--emit-slurm", "--tasks"})
        if (args.has(flag))
            throw InvalidArgument(expectedFound("sweep --manifest", std::string("no ") + flag + " (the manifest holds it)",
                                                flag));
    SweepRequest request = readSweepManifest(args.required("--manifest"));
    std::tie(request.sliceIndex, request.sliceCount) = parseSlice(args.valueOr("--slice", "0/1"), "--slice");
    const long long threads = args.integer("--threads", request.options.threads);
    if (threads < 0)
        throw InvalidArgument(expectedFound("--threads", "0 (every core) or more", std::to_string(threads)));
    request.options.threads = static_cast<int>(threads);
    auto book = openNotebook(args);
    return executeSweep(request, args, *book);
}

int emitSweepSlurm(const SweepRequest& request, const Args& args)
{
    std::error_code error;
    SlurmArrayOptions options;
    options.tasks = args.integer("--tasks", 0);
    options.cliPath = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error)
        options.cliPath = "tempo-lab-cli";
    const SlurmArrayFiles files = writeSlurmArray(request, args.required("--emit-slurm"), options);
    std::cout << "wrote " << files.script.string() << ": " << files.points << " points in " << files.tasks
              << " array tasks (sweep " << files.sweepUuid << ")\n"
              << "  submit:           sbatch " << shellQuote(files.script.string()) << "\n"
              << "  then bring home:  bash " << shellQuote(files.mergeScript.string()) << " [NOTEBOOK]\n";
    return kExitOk;
}

int runSweep(const std::vector<std::string>& input)
{
    std::vector<std::string> words = input;
    const auto assignments = takeAssignments(words);
    Args args(words,
              {"--model", "--notebook", "--suite", "--thresholds", "--device", "--dtype", "--threads", "--emit-slurm",
               "--tasks", "--manifest", "--slice"},
              {"--json", "--new"});
    if (args.has("--manifest"))
        return runSweepSlice(args, assignments); // one task of a cluster array job (sweepslurm)
    if (args.has("--slice"))
        throw InvalidArgument(expectedFound("--slice", "--manifest FILE with it", "no --manifest"));
    if (args.has("--tasks") && !args.has("--emit-slurm"))
        throw InvalidArgument(expectedFound("--tasks", "--emit-slurm DIR with it", "no --emit-slurm"));
    const std::string id = onePositional(args, "preset id");
    SweepRequest request;
    request.modelFolder = (args.has("--model") ? args.required("--model") : bundledModelFolder().string());
    request.suite = loadSuite(args.required("--suite"));
    request.thresholds = parseThresholdList(args.required("--thresholds"), "--thresholds");
    request.options = computeOptions(args);
    request.forceNew = args.has("--new");
    auto book = openNotebook(args);
    request.preset = findPreset(id, &book->presets());
    request.preset.preset = applyOverrides(request.preset.preset, assignments);
    if (args.has("--emit-slurm"))
        return emitSweepSlurm(request, args);
    return executeSweep(request, args, *book);
}

int executeSweep(const SweepRequest& request, const Args& args, notebook::Notebook& notebook)
{
    notebook::Notebook* book = &notebook;

    SweepCallbacks callbacks;
    Interruption interruption;
    callbacks.run.cancel = interruption.flag();
    callbacks.run.onStep = [&interruption](int64_t, const StepRecord& step) { interruption.afterStep(step.step + 1); };
    const bool asJson = args.has("--json");
    if (!asJson) {
        callbacks.run.onRunCreated = [](int64_t runId) { std::cerr << "run " << runId << " started\n"; };
        callbacks.onPointFinished = [](int64_t done, int64_t total, double eta) {
            std::cerr << "point " << done << "/" << total << " (eta " << static_cast<int64_t>(eta) << " s)\n";
        };
    }
    SweepRunner runner(*book);
    const SweepResult result = runner.run(request, callbacks);
    json out{{"sweep_id", result.sweepId},   {"resumed", result.resumed},         {"points", result.points},
             {"points_skipped", result.pointsSkipped}, {"points_run", result.pointsRun}, {"runs_made", result.runsMade},
             {"status", result.cancelled ? "cancelled" : "finished"}, {"notebook", book->path()},
             {"aggregate", result.aggregate}};
    const int exitCode = result.cancelled ? kExitCancelled : kExitOk;
    if (asJson) {
        std::cout << dumpJson(out) << "\n";
        return exitCode;
    }
    if (result.aggregate.contains("control"))
        std::cout << result.aggregate["control"].get<std::string>() << " (a control sweep: " << kArtifactControlMeaning
                  << ")\n";
    std::cout << "sweep " << result.sweepId << (result.resumed ? " (resumed)" : "") << ": " << out["status"].get<std::string>()
              << ", " << result.pointsRun << " points run, " << result.pointsSkipped << " already done, of "
              << result.points << "; notebook " << book->path() << "\n";
    // Rounded for reading (4 significant digits); --json keeps full precision.
    const auto number = [](const json& value) {
        return displayNumber(value.is_number() ? value.get<double>() : std::nan(""));
    };
    for (const auto& threshold : result.aggregate["by_threshold"]) {
        std::string verdicts;
        for (const auto& [scenario, count] : threshold["verdicts"].items())
            verdicts += (verdicts.empty() ? "" : ", ") + scenario + ": " + count.dump();
        std::cout << "threshold " << number(threshold["threshold"]) << ": " << threshold["points"] << " points"
                  << (verdicts.empty() ? "" : ", verdicts " + verdicts) << "\n";
        for (const auto& [name, stats] : threshold["overall"].items()) {
            std::cout << "  " << name << ": mean " << number(stats["mean"]) << ", std " << number(stats["std"]);
            if (stats["ci95_low"].is_number())
                std::cout << ", 95% CI [" << number(stats["ci95_low"]) << ", " << number(stats["ci95_high"]) << "]";
            std::cout << " (n " << stats["n"] << ")\n";
        }
    }
    std::cout << "per-category aggregates: tempo-lab-cli sweep ... --json, or the sweep in the notebook\n";
    if (result.cancelled)
        std::cerr << "sweep " << result.sweepId << " cancelled; run the same command again to resume it (exit status "
                  << kExitCancelled << ")\n";
    return exitCode;
}

CommandRegistration presetCommand{
    {"preset", "list experiment presets, run one into a notebook, save a user copy",
     std::string("Usage: tempo-lab-cli preset list [--notebook F] [--json] [--read-only]\n"
                 "       tempo-lab-cli preset run ID [--model DIR] [--notebook F] [--set key=value ...]\n"
                 "                                [--device D] [--dtype T] [--threads N] [--json]\n"
                 "       tempo-lab-cli preset save FILE [--notebook F]\n") +
         kModelHelp + kNotebookHelp + kReadOnlyFlagHelp +
         "  --set key=value  override a preset field (repeatable): prompt, max_steps, threshold, mode\n"
         "                 (isolated|visible|both), readout (mean|last), captures and analyses (comma lists),\n"
         "                 mechanism (tempo|artifact_control: the labelled control of the original method),\n"
         "                 seed, max_width, stop_at_eos\n"
         "  --json         print run/group ids, checks and verdict as JSON\n"
         "Ctrl-C (or SIGTERM) cancels between forwards; the runs are kept as cancelled.\n" +
         std::string(kExitCodesHelp),
     false, &runPreset}};

CommandRegistration sweepCommand{
    {"sweep", "run a preset over a prompt suite and thresholds, with confidence intervals",
     std::string("Usage: tempo-lab-cli sweep ID [--model DIR] --suite FILE --thresholds 0.03,0.05,0.1\n"
                 "                           [--notebook F] [--set key=value ...] [--new] [--json]\n"
                 "                           [--emit-slurm DIR [--tasks N]]\n"
                 "       tempo-lab-cli sweep --manifest FILE --slice i/N [--notebook F] [--threads N] [--json]\n") +
         kModelHelp + kNotebookHelp +
         "  --suite FILE   JSON lines {\"family\": ..., \"prompt\": ..., \"steps\": N} (steps optional;\n"
         "                 resources/suites/default.jsonl for the bundled model, general.jsonl for others)\n"
         "  --new          start a new sweep even when the same sweep exists (default: resume it,\n"
         "                 skipping points whose runs finished)\n"
         "Aggregates: mean, std and 95% interval of every scalar metric per threshold, category and overall; the\n"
         "interval is a percentile bootstrap (fixed seed), inside the observed values, so times and counts never\n"
         "get negative bounds. Printed rounded to 4 significant digits; --json keeps full precision.\n"
         "Cluster fan-out (docs/cluster.md):\n"
         "  --emit-slurm DIR  write DIR/sweep.sbatch (a Slurm array job), DIR/sweep.json (its manifest) and\n"
         "                 DIR/merge.sh instead of running; task i runs slice i of the points into\n"
         "                 DIR/shards/shard-i.sqlite, merge.sh merges the shards into one sweep\n"
         "  --tasks N      array size for --emit-slurm (default: one task per point)\n"
         "  --manifest FILE --slice i/N  run slice i of N (from 0) of the sweep FILE describes (what each\n"
         "                 array task runs; --notebook names its shard)\n"
         "Ctrl-C (or SIGTERM) cancels between forwards; finished points are kept and the same command resumes.\n" +
         std::string(kExitCodesHelp),
     false, &runSweep}};

} // namespace

} // namespace tempo::cli
