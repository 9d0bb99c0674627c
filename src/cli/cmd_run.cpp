// tempo-lab-cli run: one TEMPO run on a model folder, printed as JSON (--json) or as the
// bracketed text with a one-line check summary. Exit 1 when a mechanism check fails.
//
// The command is three stages — parse the request, run, write the outputs. The run takes the one
// path every front end takes (runTempo, runwriter.h): with --notebook F into a NotebookRunSink (the
// run row exists before the first forward; steps are committed at least every 0.1 s and at the
// end), without it into a MemoryRunSink. The printed text is the text the notebook stores (runText).

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/interruption.h"
#include "cli/notebookfile.h"
#include "core/experiment/bundledmodel.h"
#include "core/experiment/modelcache.h"
#include "core/experiment/notebookrunsink.h"
#include "core/experiment/runsink.h"
#include "core/experiment/runwriter.h"
#include "core/notebook/notebook.h"
#include "core/common/errors.h"
#include "core/runrecord/runconfig.h"
#include "core/model/computeoptions.h"
#include "core/tempo/tempodecoder.h"
#include "core/tokenizer/tokenizer.h"

namespace tempo::cli {
namespace {

const char* kUsageText =
    "Usage: tempo-lab-cli run [--model DIR] --prompt TEXT [options]\n"
    "\n"
    "Runs TEMPO decoding (DESIGN.md section 1) on a Hugging Face model folder (llama, mistral, qwen2,\n"
    "phi3, gemma2 or gpt2) and reports every step's parallel set and the mechanism checks. Exit code 1\n"
    "when a check fails.\n"
    "\n"
    "Options:\n"
    "  --model DIR            folder with config.json, *.safetensors and tokenizer.json (default: the\n"
    "                         bundled model tempo-kjv-small; $TEMPO_LAB_MODEL overrides where it is found)\n"
    "  --prompt TEXT          prompt (the tokenizer adds <|begin_of_text|> when its post-processor does)\n"
    "  --threshold X          members are the tokens with p >= X, 0 < X <= 1 (default 0.1)\n"
    "  --mode M               isolated | visible: whether members of a set see earlier siblings (default isolated)\n"
    "  --readout R            mean | last: next distribution from the mean of the members or the last one (default mean)\n"
    "  --max-steps N          number of steps (default 10)\n"
    "  --max-width W          cap on the size of a set (default 32)\n"
    "  --position-offset K    add K to every logical position (RoPE shift control, default 0)\n"
    "  --no-stop-at-eos       keep going after a set equal to {eos}\n"
    "  --mechanism M          tempo | artifact_control: the real mechanism (default), or the labelled\n"
    "                         control that reproduces the original project's method (only the last member\n"
    "                         of each set is fed, positions advance per fed token, no sibling mask)\n"
    "  --capture LIST         comma list of attention, logits, kv: keep these records (summarised in --json)\n"
    "  --device cpu|cuda      (default cpu)\n"
    "  --dtype f32|bf16|f16   (default f32)\n"
    "  --threads N            CPU threads, 0 = all (default 0)\n"
    "  --notebook F           also record the run in notebook F (created when missing): provenance, every\n"
    "                         step as it finishes, the checks, and the captures asked for with --capture\n"
    "  --json                 print one JSON object: text, steps, checks, timing, captures\n"
    "\n"
    "The text is followed by the checks' summary, \"checks: 5/5 passed\". A check the run gave nothing\n"
    "to check (sibling_attention when no set had 2 members) is counted apart, not among the passed\n"
    "ones: \"checks: 4/4 passed, 1 not applicable (sibling_attention)\".\n"
    "On a terminal, progress (step N/M) goes to stderr as the steps finish. Ctrl-C (or SIGTERM) stops\n"
    "between forwards: the text so far is printed and, with --notebook, the run is kept as cancelled.\n";

struct RunRequest {
    std::filesystem::path modelDir;
    std::string prompt;
    TempoConfig config;
    CaptureOptions captures;
    ComputeOptions compute;
    bool json = false;
    std::optional<std::string> notebook; // --notebook F
};

CaptureOptions parseCaptures(const std::string& list)
{
    CaptureOptions captures;
    std::stringstream stream(list);
    std::string item;
    while (std::getline(stream, item, ',')) {
        if (item == "attention")
            captures.attention = true;
        else if (item == "logits")
            captures.logits = true;
        else if (item == "kv")
            captures.kv = true;
        else if (!item.empty())
            throw InvalidArgument(expectedFound("flag --capture item", "attention, logits or kv", "'" + item + "'"));
    }
    return captures;
}

RunRequest parseRequest(const std::vector<std::string>& words)
{
    const Args args(words,
                    {"--model", "--prompt", "--threshold", "--mode", "--readout", "--max-steps", "--max-width",
                     "--position-offset", "--mechanism", "--capture", "--device", "--dtype", "--threads", "--notebook"},
                    {"--json", "--no-stop-at-eos"});
    if (!args.positional().empty())
        throw InvalidArgument(expectedFound("arguments of run", "only flags", "'" + args.positional().front() + "'"));
    RunRequest request;
    request.modelDir = args.value("--model") ? std::filesystem::path(*args.value("--model")) : bundledModelFolder();
    request.prompt = args.required("--prompt");
    TempoConfig& c = request.config;
    c.threshold = args.number("--threshold", c.threshold);
    c.mode = parseSiblingMode(args.valueOr("--mode", siblingModeName(c.mode)));
    c.readout = parseReadout(args.valueOr("--readout", readoutName(c.readout)));
    c.maxSteps = args.integer("--max-steps", c.maxSteps);
    c.maxWidth = args.integer("--max-width", c.maxWidth);
    c.positionOffset = args.integer("--position-offset", c.positionOffset);
    c.stopAtEos = !args.has("--no-stop-at-eos");
    c.mechanism = parseMechanism(args.valueOr("--mechanism", mechanismName(c.mechanism)));
    c.validate(); // refuse bad values before loading a model
    request.captures = parseCaptures(args.valueOr("--capture", ""));
    request.compute.device = ComputeOptions::parseDevice(args.valueOr("--device", "cpu"));
    request.compute.dtype = ComputeOptions::parseDtype(args.valueOr("--dtype", "f32"));
    request.compute.threads = threadsFlag(args);
    request.compute.validate();
    request.json = args.has("--json");
    request.notebook = args.value("--notebook");
    return request;
}

nlohmann::json checkValue(double value)
{
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json candidatesJson(const std::vector<Candidate>& candidates, const Tokenizer& tokenizer)
{
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : candidates)
        out.push_back({{"id", c.tokenId}, {"token", tokenizer.tokenText(c.tokenId)}, {"prob", c.probability}});
    return out;
}

nlohmann::json capturesJson(const TempoRun& run, const Tokenizer& tokenizer)
{
    // The full tensors stay in the records (the notebook stores them); JSON gets their outline
    // and the small parts.
    nlohmann::json out = nlohmann::json::object();
    if (run.captureOptions.attention) {
        nlohmann::json forwards = nlohmann::json::array();
        for (const auto& a : run.captures.attention)
            forwards.push_back({{"forward", a.forward}, {"step", a.step}, {"first_slot", a.firstSlot},
                                {"shape", a.probabilities.sizes().vec()}});
        out["attention"] = forwards;
    }
    if (run.captureOptions.logits) {
        nlohmann::json readouts = nlohmann::json::array();
        for (const auto& r : run.captures.readouts) {
            nlohmann::json rows = nlohmann::json::array();
            for (const auto& top : r.rowTop)
                rows.push_back(candidatesJson(top, tokenizer));
            readouts.push_back({{"forward", r.forward}, {"vocab", r.distribution.numel()},
                                {"sum", r.distribution.sum(at::kDouble).item<double>()}, {"row_top", rows}});
        }
        out["logits"] = readouts;
    }
    if (run.captures.hasKv) {
        const KvRecord& kv = run.captures.kv;
        out["kv"] = {{"layer", kv.layer},
                     {"position_ids_used", kv.positionIdsUsed},
                     {"slot_logical_positions", kv.slotLogicalPositions},
                     {"slot_steps", kv.slotSteps},
                     {"cache_lengths", kv.cacheLengths},
                     {"keys_shape", kv.keysAfterRope.sizes().vec()}};
    }
    return out;
}

nlohmann::json runJson(const RunRequest& request, const TempoRun& run, const Tokenizer& tokenizer, const std::string& text)
{
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : run.steps) {
        std::vector<std::string> tokens;
        for (auto id : s.tokenIds)
            tokens.push_back(tokenizer.tokenText(id));
        steps.push_back({{"step", s.step}, {"logical_position", s.logicalPosition}, {"slots", s.memberSlots},
                         {"ids", s.tokenIds}, {"tokens", tokens}, {"probs", s.probabilities}, {"ms", s.milliseconds}});
    }
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : run.checks)
        checks.push_back({{"name", c.name},
                          {"passed", c.passed},
                          {"not_applicable", c.notApplicable()},
                          {"value", checkValue(c.value)},
                          {"detail", c.detail}});
    return {
        {"text", text},
        {"prompt", request.prompt},
        {"prompt_ids", run.promptIds},
        {"model", request.modelDir.string()},
        {"device", ComputeOptions::deviceName(request.compute.device)},
        {"dtype", ComputeOptions::dtypeName(request.compute.dtype)},
        {"config", tempoConfigJson(run.config)}, // as a notebook stores it under "tempo"
        {"mechanism", mechanismName(run.config.mechanism)},
        {"steps", steps},
        {"stop_reason", stopReasonName(run.stopReason)},
        {"cache_slots", run.cacheLength},
        {"slot_logical_positions", run.slotLogicalPositions},
        {"checks", checks},
        {"all_checks_passed", run.allChecksPassed()},
        {"timing", {{"prefill_ms", run.timing.prefillMs}, {"ms_per_step", run.timing.msPerStep()},
                    {"total_ms", run.timing.totalMs}}},
        {"captures", capturesJson(run, tokenizer)},
    };
}

// "checks: 5/5 passed"; a check that did not apply is counted apart, not among the passed ones:
// "checks: 4/4 passed, 1 not applicable (sibling_attention)".
std::string checkSummary(const TempoRun& run)
{
    int passed = 0, applicable = 0;
    std::string failed, notApplicable;
    for (const auto& c : run.checks) {
        if (c.notApplicable()) {
            notApplicable += (notApplicable.empty() ? "" : ", ") + c.name;
            continue;
        }
        ++applicable;
        if (c.passed)
            ++passed;
        else
            failed += (failed.empty() ? "" : "; ") + c.name + " (" + c.detail + ")";
    }
    std::string line = "checks: " + std::to_string(passed) + "/" + std::to_string(applicable) + " passed";
    if (!notApplicable.empty())
        line += ", " + std::to_string(run.checks.size() - applicable) + " not applicable (" + notApplicable + ")";
    if (!failed.empty())
        line += "; FAILED: " + failed;
    return line;
}

// "step N/M" on stderr, rewritten in place, when stderr is a terminal (never in logs or pipes).
class TerminalProgress {
public:
    TerminalProgress(bool wanted, int64_t maxSteps) : shown_(wanted && ::isatty(STDERR_FILENO) == 1), total_(maxSteps) {}
    ~TerminalProgress()
    {
        if (shown_ && drawn_)
            std::cerr << "\r\033[K" << std::flush; // erase the line before the results
    }
    void step(const StepRecord& progress)
    {
        if (!shown_)
            return;
        drawn_ = true;
        std::cerr << "\rstep " << progress.step + 1 << "/" << total_ << " (" << std::fixed << std::setprecision(1)
                  << progress.elapsedMs / 1000.0 << " s)" << std::defaultfloat << std::flush;
    }

private:
    bool shown_;
    bool drawn_ = false;
    int64_t total_;
};

int runCommand(const std::vector<std::string>& words)
{
    // 1. The request.
    const RunRequest request = parseRequest(words);

    // 2. The run.
    Interruption interruption;
    std::optional<TerminalProgress> progress(std::in_place, !request.json, request.config.maxSteps);
    std::unique_ptr<notebook::Notebook> book;
    std::shared_ptr<const LoadedModel> loaded;
    if (request.notebook) {
        book = openNotebookForRecording(request.notebook);
        loaded = ModelCache::shared().get(request.modelDir, request.compute);
    } else {
        loaded = loadModel(request.modelDir, request.compute, ModelHashes::Skip); // nothing records the hashes
    }
    TempoRunRequest runRequest;
    runRequest.prompt = request.prompt;
    runRequest.config = request.config;
    runRequest.stored = {request.captures.attention, request.captures.logits, request.captures.kv, request.captures.kv};
    runRequest.threads = request.compute.effectiveThreads();
    RunCallbacks callbacks;
    callbacks.cancel = interruption.flag();
    callbacks.onStep = [&](int64_t, const StepRecord& step) {
        progress->step(step);
        interruption.afterStep(step.step + 1);
    };
    std::optional<NotebookRunSink> notebookSink;
    MemoryRunSink memorySink;
    if (book)
        notebookSink.emplace(*book);
    RunSink& sink = notebookSink ? static_cast<RunSink&>(*notebookSink) : memorySink;
    const RecordedRun recorded = runTempo(*loaded, runRequest, sink, callbacks);
    const TempoRun& run = recorded.run;
    const std::string& text = recorded.text;
    const Tokenizer* tokenizer = &*loaded->tokenizer;
    std::optional<int64_t> runId;
    if (book)
        runId = recorded.runId;
    progress.reset();

    // 3. The outputs.
    if (request.json) {
        nlohmann::json out = runJson(request, run, *tokenizer, text);
        if (runId)
            out["run_id"] = *runId;
        if (run.config.isArtifactControl())
            out["control"] = std::string(kArtifactControlLabel) + ": " + kArtifactControlMeaning;
        // Token texts can be partial UTF-8 sequences: replace invalid bytes rather than fail.
        std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
        if (run.config.isArtifactControl())
            std::cout << kArtifactControlLabel << ": " << kArtifactControlMeaning << "\n";
        std::cout << text << "\n" << checkSummary(run) << "\n";
        if (runId)
            std::cout << "recorded as run " << *runId << " in " << *request.notebook << "\n";
    }
    if (run.stopReason == StopReason::Cancelled) {
        std::cerr << "run cancelled after " << run.steps.size() << " step(s)"
                  << (runId ? "; kept as cancelled run " + std::to_string(*runId) : std::string()) << " (exit status "
                  << kExitCancelled << ")\n";
        return kExitCancelled;
    }
    return run.allChecksPassed() ? kExitOk : kExitCheckFailed;
}

static CommandRegistration reg{{"run", "run TEMPO decoding on a model and report sets and mechanism checks",
                                std::string(kUsageText) + kExitCodesHelp,
                                false, &runCommand}};

} // namespace
} // namespace tempo::cli
