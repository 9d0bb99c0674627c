// The study commands of tempo-lab-cli (issue 16): the whole TEMPO investigation as one stored object.
//   study run [--model DIR] [--suite FILE] [--thresholds ...] [--steps N] [--presets ...] [--no-control]
//   study list | show ID | resume ID
// A study runs one sweep per preset plus the artifact control (core/experiment/study.h); Ctrl-C
// cancels within one forward pass and `study resume ID` continues, reusing every finished run.

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/interruption.h"
#include "cli/notebookfile.h"
#include "core/common/errors.h"
#include "core/experiment/bundledmodel.h"
#include "core/experiment/shippedsuites.h"
#include "core/experiment/study.h"
#include "core/experiment/sweep.h"
#include "core/notebook/notebook.h"

namespace tempo::cli {

namespace {

using nlohmann::json;
using notebook::StudyStatus;

const char* const kStudyUsage =
    "Usage: tempo-lab-cli study run [--model DIR] [--suite FILE] [--thresholds 0.001,0.01,0.05,0.1,0.3,0.5]\n"
    "                               [--steps N] [--presets 1a,1b,2,3,4,5] [--no-control] [--name TEXT]\n"
    "                               [--notebook F] [--device D] [--dtype T] [--threads N] [--json]\n"
    "       tempo-lab-cli study list [--notebook F] [--json]\n"
    "       tempo-lab-cli study show ID [--notebook F] [--json]\n"
    "       tempo-lab-cli study resume ID [--notebook F] [--json]\n"
    "A study is the whole TEMPO investigation as one stored object: for each preset one sweep over the\n"
    "suite x thresholds, plus the artifact control (preset 2 with mechanism artifact_control: only the\n"
    "last member of each set reaches the model), labelled as a control. Its findings report:\n"
    "tempo-lab-cli report study:ID.\n"
    "  --model DIR    Hugging Face model folder. Default: the bundled model tempo-kjv-small\n"
    "  --suite FILE   JSON lines {\"family\": ..., \"prompt\": ..., \"steps\": N} (\"category\" is an alias of\n"
    "                 \"family\"; \"steps\" optional). Default: the shipped default.jsonl (the bundled\n"
    "                 model's domain) for the bundled model, general.jsonl for any other. A bad line is\n"
    "                 reported by line number and field, and nothing runs\n"
    "  --thresholds L comma-separated thresholds (default 0.001,0.01,0.05,0.1,0.3,0.5)\n"
    "  --steps N      every prompt decodes N steps (default: the prompt's \"steps\", else the preset's)\n"
    "                 max_width is capped where prompt + steps x width would not fit the model; the\n"
    "                 cap is recorded with each run and in the study's summary\n"
    "  --presets L    the presets to run (default 1a,1b,2,3,4,5)\n"
    "  --no-control   leave out the artifact control sweep\n"
    "  --name TEXT    the study's name (default: the suite and the model)\n"
    "  --notebook F   notebook file, created when missing (default $XDG_DATA_HOME/tempo-lab/notebook.sqlite,\n"
    "                 or ~/.local/share/tempo-lab/notebook.sqlite)\n"
    "  --device D     cpu | cuda (default cpu)    --dtype T  f32 | bf16 | f16 (default f32)\n"
    "  --threads N    CPU threads (default: every core)\n"
    "  --json         print the result as JSON; no progress line\n"
    "On a terminal a progress line on stderr shows points done, the current run and the time left;\n"
    "otherwise one line per finished point.\n"
    "Captured tensors are kept for the first prompt of each family only (steps, checks and metrics of\n"
    "every run stay). Ctrl-C (or SIGTERM) cancels within one forward pass; `study resume ID` continues\n"
    "the study, reusing every finished run. A study whose process was killed shows as interrupted.\n";

std::vector<std::string> studyPresetList(const std::string& text)
{
    std::vector<std::string> presets;
    std::stringstream stream(text);
    for (std::string item; std::getline(stream, item, ',');) {
        if (item.empty())
            throw InvalidArgument(expectedFound("--presets", "preset ids separated by commas", "'" + text + "'"));
        presets.push_back(item);
    }
    if (presets.empty())
        throw InvalidArgument(expectedFound("--presets", "at least one preset id", "'" + text + "'"));
    return presets;
}

int64_t studyIdArgument(const Args& args)
{
    if (args.positional().size() != 1)
        throw InvalidArgument(expectedFound("study id", "exactly one", std::to_string(args.positional().size())));
    const std::string& text = args.positional().front();
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
        throw InvalidArgument(expectedFound("study id", "a positive integer (see `tempo-lab-cli study list`)",
                                            "'" + text + "'"));
    return std::stoll(text);
}

// An existing notebook for list and show (read-write when it may be written, so studies of dead
// writers read as interrupted; read-only otherwise).
std::unique_ptr<notebook::Notebook> openStudyNotebookForReading(const Args& args)
{
    const std::string path = args.valueOr("--notebook", notebook::Notebook::defaultPath());
    if (::access(path.c_str(), F_OK) != 0)
        throw NotebookError("notebook '" + path + "': " + expectedFound("the file", "an existing notebook", "no file"));
    return std::make_unique<notebook::Notebook>(path, readingMode(path, false));
}

std::string clockText(double seconds)
{
    if (!(seconds >= 0))
        return "?";
    const auto whole = static_cast<int64_t>(std::llround(seconds));
    char text[32];
    if (whole >= 3600)
        std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(whole / 3600),
                      static_cast<long long>(whole % 3600 / 60));
    else if (whole >= 60)
        std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(whole / 60),
                      static_cast<long long>(whole % 60));
    else
        std::snprintf(text, sizeof text, "%llds", static_cast<long long>(whole));
    return text;
}

// "study 3: 12/84 points, preset 2 (control) sweep 7/7, run 5/10, 3m20s left" on stderr, rewritten
// in place, when stderr is a terminal (at most ~10 redraws a second); in a log (not a terminal)
// one line per finished point instead.
class StudyProgressLine {
public:
    explicit StudyProgressLine(bool wanted)
        : shown_(wanted && ::isatty(STDERR_FILENO) == 1), logged_(wanted && !shown_)
    {
    }
    ~StudyProgressLine() { clear(); }
    void clear()
    {
        if (shown_ && drawn_)
            std::cerr << "\r\033[K" << std::flush;
        drawn_ = false;
    }
    void draw(const StudyProgress& p)
    {
        if (logged_ && p.run.total == 0 && p.pointsDone > loggedPoints_) {
            loggedPoints_ = p.pointsDone;
            std::cerr << "study " << p.studyId << ": point " << p.pointsDone << "/" << p.points << " done, preset "
                      << p.presetId << (p.control ? " (control)" : "") << ", " << clockText(p.etaSeconds) << " left\n";
        }
        if (!shown_)
            return;
        const auto now = std::chrono::steady_clock::now();
        if (drawn_ && now - lastDrawn_ < std::chrono::milliseconds(100) && p.run.done != p.run.total)
            return;
        lastDrawn_ = now;
        drawn_ = true;
        std::cerr << "\r\033[Kstudy " << p.studyId << ": " << p.pointsDone << "/" << p.points << " points, preset "
                  << p.presetId << (p.control ? " (control)" : "") << " sweep " << p.sweepIndex + 1 << "/" << p.sweeps;
        if (p.run.total > 0)
            std::cerr << ", run " << p.run.done << "/" << p.run.total;
        std::cerr << ", " << clockText(p.etaSeconds) << " left" << std::flush;
    }

private:
    bool shown_;
    bool logged_;
    bool drawn_ = false;
    int64_t loggedPoints_ = 0;
    std::chrono::steady_clock::time_point lastDrawn_{};
};

json studySweepsJson(const notebook::Notebook& book, int64_t studyId)
{
    json sweeps = json::array();
    for (const notebook::StudySweep& s : book.studies().sweepsOf(studyId)) {
        std::string status;
        if (const auto sweep = book.sweeps().find(s.sweepId)) {
            const json state = json::parse(sweep->specJson, nullptr, false);
            if (state.is_object() && state.contains("status") && state["status"].is_string())
                status = state["status"].get<std::string>();
        }
        sweeps.push_back({{"sweep_id", s.sweepId},
                          {"preset", s.presetId},
                          {"role", notebook::toString(s.role)},
                          {"position", s.position},
                          {"status", status}});
    }
    return sweeps;
}

json studyJson(const notebook::Notebook& book, const notebook::StudyRecord& study)
{
    return {{"study_id", study.id},
            {"uuid", study.uuid},
            {"name", study.name},
            {"model_folder", study.modelFolder},
            {"status", notebook::toString(study.status)},
            {"created_at", study.createdAt},
            {"finished_at", study.finishedAt.empty() ? json(nullptr) : json(study.finishedAt)},
            {"spec", studySpecJson(study.spec)},
            {"summary", studySummaryJson(study.summary)},
            {"sweeps", studySweepsJson(book, study.id)},
            {"reports", book.reports().ofStudy(study.id)}};
}

std::string fraction(double part, double whole)
{
    if (!(whole > 0))
        return "-";
    std::ostringstream text;
    text << std::fixed << std::setprecision(1) << 100.0 * part / whole << "%";
    return text.str();
}

// Runs or resumes, prints the outcome; exit status 5 when cancelled.
int executeStudy(notebook::Notebook& book, const Args& args, const std::optional<StudyRequest>& request,
                 int64_t resumeId)
{
    const bool asJson = args.has("--json");
    Interruption interruption;
    StudyProgressLine line(!asJson);
    StudyCallbacks callbacks;
    callbacks.cancel = interruption.flag();
    callbacks.onStep = [&interruption](int64_t, const StepRecord& step) { interruption.afterStep(step.step + 1); };
    callbacks.onProgress = [&line](const StudyProgress& progress) { line.draw(progress); };
    int64_t studyId = resumeId;
    callbacks.onStudyCreated = [&](int64_t id) {
        studyId = id;
        if (!asJson && request)
            std::cerr << "study " << id << " started; notebook " << book.path() << "\n";
    };
    StudyRunner runner(book);
    StudyResult result;
    try {
        result = request ? runner.run(*request, callbacks) : runner.resume(resumeId, callbacks);
    } catch (...) {
        line.clear();
        if (studyId > 0 && !asJson)
            std::cerr << "study " << studyId << " failed; `tempo-lab-cli study resume " << studyId
                      << "` retries it, reusing every finished run\n";
        throw;
    }
    line.clear();
    const StudySummary& s = result.summary;
    const int exitCode = result.status == StudyStatus::Cancelled ? kExitCancelled : kExitOk;
    if (asJson) {
        json out{{"study_id", result.studyId},
                 {"status", notebook::toString(result.status)},
                 {"resumed", result.resumed},
                 {"points", s.points},
                 {"points_done", s.pointsDone},
                 {"points_run", result.pointsRun},
                 {"points_reused", result.pointsReused},
                 {"runs_made", s.runsMade},
                 {"wall_seconds", s.wallSeconds},
                 {"forward_seconds", s.forwardSeconds},
                 {"width_caps", studySummaryJson(s)["width_caps"]},
                 {"sweeps", studySweepsJson(book, result.studyId)},
                 {"notebook", book.path()}};
        std::cout << dumpJson(out) << "\n";
        return exitCode;
    }
    std::cout << "study " << result.studyId << (result.resumed ? " (resumed)" : "") << ": "
              << notebook::toString(result.status) << ", " << s.pointsDone << "/" << s.points << " points ("
              << result.pointsRun << " run now, " << result.pointsReused << " reused), " << s.runsMade
              << " runs in all; " << clockText(s.wallSeconds) << " wall, " << fraction(s.forwardSeconds, s.wallSeconds)
              << " inside forward passes; notebook " << book.path() << "\n";
    for (const json& sweep : studySweepsJson(book, result.studyId))
        std::cout << "  sweep " << sweep["sweep_id"] << ": preset " << sweep["preset"].get<std::string>()
                  << (sweep["role"] == "control" ? " (artifact control)" : "") << ", "
                  << sweep["status"].get<std::string>() << "\n";
    if (!s.widthCaps.empty())
        std::cout << "  max_width capped to fit the model at " << s.widthCaps.size() << " points (see study show)\n";
    if (result.status == StudyStatus::Cancelled)
        std::cerr << "study " << result.studyId << " cancelled; `tempo-lab-cli study resume " << result.studyId
                  << "` continues it, reusing every finished run (exit status " << kExitCancelled << ")\n";
    else
        std::cout << "findings report: tempo-lab-cli report study:" << result.studyId << "\n";
    return exitCode;
}

int studyRun(const std::vector<std::string>& words)
{
    Args args(words,
              {"--model", "--suite", "--thresholds", "--steps", "--presets", "--name", "--notebook", "--device",
               "--dtype", "--threads"},
              {"--json", "--no-control"});
    if (!args.positional().empty())
        throw InvalidArgument(expectedFound("study run arguments", "flags only", "'" + args.positional().front() + "'"));
    StudyRequest request;
    request.modelFolder = args.has("--model") ? std::filesystem::path(args.required("--model")) : bundledModelFolder();
    std::vector<SuitePrompt> suite;
    if (auto file = args.value("--suite")) {
        suite = loadSuite(*file);
        request.spec.suiteName = *file;
    } else {
        const std::string name = defaultStudySuiteName(request.modelFolder);
        const auto text = shippedSuiteText(name);
        if (!text)
            throw InvalidArgument(expectedFound("the shipped suite '" + name + "'", "compiled into this build",
                                                "no such suite") +
                                  "; name a suite with --suite FILE");
        suite = parseSuite(*text, "shipped suite '" + name + "'");
        request.spec.suiteName = name;
    }
    for (const SuitePrompt& p : suite)
        request.spec.prompts.push_back({p.category, p.prompt, p.steps > 0 ? std::optional<int64_t>(p.steps) : std::nullopt});
    if (auto thresholds = args.value("--thresholds"))
        request.spec.thresholds = parseThresholdList(*thresholds, "--thresholds");
    if (auto presets = args.value("--presets"))
        request.spec.presets = studyPresetList(*presets);
    if (args.has("--steps")) {
        const long long steps = args.integer("--steps", 0);
        if (steps < 1 || steps > kMaxSuiteSteps)
            throw InvalidArgument(expectedFound("--steps", "an integer from 1 to " + std::to_string(kMaxSuiteSteps),
                                                std::to_string(steps)));
        request.spec.stepsOverride = steps;
    }
    request.spec.control = !args.has("--no-control");
    request.spec.compute.device = args.valueOr("--device", "cpu");
    request.spec.compute.dtype = args.valueOr("--dtype", "f32");
    request.spec.compute.threads = threadsFlag(args);
    request.name = args.valueOr("--name", "");
    auto book = openNotebookForRecording(args.value("--notebook"));
    return executeStudy(*book, args, request, 0);
}

int studyResume(const std::vector<std::string>& words)
{
    Args args(words, {"--notebook"}, {"--json"});
    const int64_t id = studyIdArgument(args);
    auto book = openNotebookForRecording(args.value("--notebook"));
    return executeStudy(*book, args, std::nullopt, id);
}

int studyList(const std::vector<std::string>& words)
{
    Args args(words, {"--notebook"}, {"--json"});
    if (!args.positional().empty())
        throw InvalidArgument(expectedFound("study list arguments", "flags only", "'" + args.positional().front() + "'"));
    auto book = openStudyNotebookForReading(args);
    const auto studies = book->studies().list();
    if (args.has("--json")) {
        json out = json::array();
        for (const auto& study : studies)
            out.push_back({{"study_id", study.id},
                           {"name", study.name},
                           {"status", notebook::toString(study.status)},
                           {"points", study.summary.points},
                           {"points_done", study.summary.pointsDone},
                           {"created_at", study.createdAt}});
        std::cout << dumpJson(out) << "\n";
        return kExitOk;
    }
    if (studies.empty()) {
        std::cout << "no studies in " << book->path() << "\n";
        return kExitOk;
    }
    std::cout << std::left << std::setw(6) << "id" << std::setw(13) << "status" << std::setw(14) << "points"
              << std::setw(26) << "created" << "name\n";
    for (const auto& study : studies)
        std::cout << std::left << std::setw(6) << study.id << std::setw(13) << notebook::toString(study.status)
                  << std::setw(14)
                  << (std::to_string(study.summary.pointsDone) + "/" + std::to_string(study.summary.points))
                  << std::setw(26) << study.createdAt << study.name << "\n";
    return kExitOk;
}

int studyShow(const std::vector<std::string>& words)
{
    Args args(words, {"--notebook"}, {"--json"});
    const int64_t id = studyIdArgument(args);
    auto book = openStudyNotebookForReading(args);
    const auto study = book->studies().find(id);
    if (!study)
        throw InvalidArgument("notebook '" + book->path() + "': " +
                              expectedFound("study id", "an existing study (see `tempo-lab-cli study list`)",
                                            std::to_string(id)));
    if (args.has("--json")) {
        std::cout << dumpJson(studyJson(*book, *study)) << "\n";
        return kExitOk;
    }
    const StudySpec& spec = study->spec;
    const StudySummary& s = study->summary;
    std::cout << "study " << study->id << ": " << study->name << "\n"
              << "  status     " << notebook::toString(study->status)
              << (study->status == StudyStatus::Interrupted || study->status == StudyStatus::Cancelled ||
                          study->status == StudyStatus::Failed
                      ? " (tempo-lab-cli study resume " + std::to_string(study->id) + " continues it)"
                      : "")
              << "\n"
              << "  model      " << study->modelFolder << "\n"
              << "  suite      " << spec.suiteName << " (" << spec.prompts.size() << " prompts)\n"
              << "  thresholds ";
    for (std::size_t i = 0; i < spec.thresholds.size(); ++i)
        std::cout << (i ? ", " : "") << spec.thresholds[i];
    std::cout << "\n  presets    ";
    for (std::size_t i = 0; i < spec.presets.size(); ++i)
        std::cout << (i ? ", " : "") << spec.presets[i];
    std::cout << (spec.control ? " + artifact control (preset 2)" : "") << "\n";
    if (spec.stepsOverride)
        std::cout << "  steps      " << *spec.stepsOverride << " for every prompt\n";
    std::cout << "  created    " << study->createdAt << (study->finishedAt.empty() ? "" : ", ended " + study->finishedAt)
              << "\n"
              << "  points     " << s.pointsDone << "/" << s.points << " done (" << s.pointsReused
              << " reused by the last resume), " << s.runsMade << " runs made\n"
              << "  time       " << clockText(s.wallSeconds) << " wall, " << fraction(s.forwardSeconds, s.wallSeconds)
              << " inside forward passes\n"
              << "  tensors    " << s.tensorRetention << "\n";
    if (!s.error.empty())
        std::cout << "  error      " << s.error << "\n";
    for (const StudyWidthCap& cap : s.widthCaps)
        std::cout << "  width cap  preset " << cap.presetId << ", prompt " << cap.promptIndex + 1 << ", threshold "
                  << cap.threshold << ", " << cap.steps << " steps: max_width " << cap.presetMaxWidth << " -> "
                  << cap.cappedMaxWidth << "\n";
    for (const json& sweep : studySweepsJson(*book, study->id))
        std::cout << "  sweep " << sweep["sweep_id"] << "    preset " << sweep["preset"].get<std::string>()
                  << (sweep["role"] == "control" ? " (artifact control)" : "") << ", "
                  << sweep["status"].get<std::string>() << "\n";
    return kExitOk;
}

int studyCommand(const std::vector<std::string>& words)
{
    if (words.empty())
        throw InvalidArgument(expectedFound("study subcommand", "run, list, show or resume", "nothing"));
    const std::vector<std::string> rest(words.begin() + 1, words.end());
    if (words[0] == "run")
        return studyRun(rest);
    if (words[0] == "list")
        return studyList(rest);
    if (words[0] == "show")
        return studyShow(rest);
    if (words[0] == "resume")
        return studyResume(rest);
    throw InvalidArgument(expectedFound("study subcommand", "run, list, show or resume", "'" + words[0] + "'"));
}

CommandRegistration studyCommandRegistration{
    {"study", "run the whole TEMPO study (every preset, a suite, thresholds, the artifact control); list, show, resume",
     std::string(kStudyUsage) + std::string(kExitCodesHelp), false, &studyCommand}};

} // namespace

} // namespace tempo::cli
