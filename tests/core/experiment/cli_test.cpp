// tempo-lab-cli preset list / preset run / sweep through the built binary (TEMPO_CLI_PATH).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/experiment/experimentfixture.h"

namespace tempo::test {
namespace {

using nlohmann::json;

struct CliResult {
    int exitCode = -1;
    std::string out;
};

// Runs the CLI with `arguments` (already shell-quoted), stdout captured, stderr to `errFile`.
CliResult runCli(const std::string& arguments, const std::filesystem::path& errFile)
{
    const std::string command = std::string("'") + TEMPO_CLI_PATH + "' " + arguments + " 2>'" + errFile.string() + "'";
    CliResult result;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe)
        return result;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
        result.out.append(buffer, n);
    const int status = ::pclose(pipe);
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

extern "C" char** environ;

// The CLI started without a shell (so a signal reaches it, not a shell), stdout to a file and
// stderr to a pipe or, with `terminal`, to a pseudo-terminal (isatty(2) is true there).
class SpawnedCli {
public:
    SpawnedCli(const std::vector<std::string>& arguments, const std::filesystem::path& stdoutFile, bool terminal)
    {
        int writeEnd = -1;
        if (terminal) {
            readEnd_ = ::posix_openpt(O_RDWR | O_NOCTTY);
            if (readEnd_ < 0 || ::grantpt(readEnd_) != 0 || ::unlockpt(readEnd_) != 0)
                return;
            writeEnd = ::open(::ptsname(readEnd_), O_RDWR | O_NOCTTY);
        } else {
            int fds[2];
            if (::pipe(fds) != 0)
                return;
            readEnd_ = fds[0];
            writeEnd = fds[1];
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, stdoutFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2);
        posix_spawn_file_actions_addclose(&actions, readEnd_);
        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        sigset_t defaults;
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGINT); // whatever ctest's shell did, the CLI starts with SIGINT's default
        posix_spawnattr_setsigdefault(&attributes, &defaults);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
        std::vector<std::string> words{TEMPO_CLI_PATH};
        words.insert(words.end(), arguments.begin(), arguments.end());
        std::vector<char*> argv;
        for (auto& word : words)
            argv.push_back(word.data());
        argv.push_back(nullptr);
        if (::posix_spawn(&pid_, TEMPO_CLI_PATH, &actions, &attributes, argv.data(), environ) != 0)
            pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
        ::close(writeEnd);
    }
    ~SpawnedCli()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (readEnd_ >= 0)
            ::close(readEnd_);
    }
    bool started() const { return pid_ > 0; }

    // Reads stderr until `text` appears (true) or it ends or two minutes pass (false).
    bool waitForStderr(const std::string& text)
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
        while (stderr_.find(text) == std::string::npos) {
            if (std::chrono::steady_clock::now() > deadline || !readSome(1000))
                return stderr_.find(text) != std::string::npos;
        }
        return true;
    }
    void signal(int number) { ::kill(pid_, number); }
    // Drains stderr to its end (a full pipe would block the CLI) and returns the exit status.
    int wait()
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
        while (std::chrono::steady_clock::now() < deadline && readSome(1000)) {
        }
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    const std::string& err() const { return stderr_; }

private:
    // One read with a timeout; false at the end of the stream (EOF, or EIO once a pty's other end closed).
    bool readSome(int timeoutMs)
    {
        pollfd ready{readEnd_, POLLIN, 0};
        const int n = ::poll(&ready, 1, timeoutMs);
        if (n < 0)
            return errno == EINTR;
        if (n == 0)
            return true; // nothing yet, still open
        char buffer[4096];
        const ssize_t got = ::read(readEnd_, buffer, sizeof buffer);
        if (got <= 0)
            return got < 0 && errno == EINTR;
        stderr_.append(buffer, static_cast<std::size_t>(got));
        return true;
    }

    pid_t pid_ = -1;
    int readEnd_ = -1;
    std::string stderr_;
};

// A run long enough to be cancelled mid-way. Sets of one member (max width 1), so prompt + steps
// fit the model's 2048 positions.
const char* kLongRunSteps = "2000";

// The CLI spawned while this is alive holds its first run after `steps` steps until it is
// interrupted (TEMPO_LAB_TEST_HOLD_AFTER_STEPS, src/cli/interruption.h): the signal then lands in
// that run whatever the machine's load, never after the run has already finished. Cleared at
// once after the spawn, so no later CLI in this process holds.
struct HoldAfterSteps {
    explicit HoldAfterSteps(int steps) { ::setenv("TEMPO_LAB_TEST_HOLD_AFTER_STEPS", std::to_string(steps).c_str(), 1); }
    ~HoldAfterSteps() { ::unsetenv("TEMPO_LAB_TEST_HOLD_AFTER_STEPS"); }
    HoldAfterSteps(const HoldAfterSteps&) = delete;
    HoldAfterSteps& operator=(const HoldAfterSteps&) = delete;
};

TEST(PresetCli, ListShowsTheShippedPresetsAsJson)
{
    TempDir dir("tempo-cli-list");
    const auto r = runCli("preset list --json --notebook " + quoted(dir / "nb.sqlite"), dir / "err.txt");
    ASSERT_EQ(r.exitCode, 0) << readFileBytes(dir / "err.txt");
    const json list = json::parse(r.out);
    std::vector<std::string> ids;
    for (const auto& p : list) {
        ids.push_back(p["id"]);
        EXPECT_EQ(p["origin"], "shipped");
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"1a", "1b", "2", "3", "4", "5"}));
}

TEST(PresetCli, SavedUserCopyIsListedAndRuns)
{
    TempDir dir("tempo-cli-save");
    const auto notebookFile = quoted(dir / "nb.sqlite");
    writeFileBytes(dir / "mine.json", R"({"id": "mine", "prompt": "The cat", "max_steps": 2, "threshold": 0.2,
                                          "mode": "visible", "captures": ["attention"], "analyses": ["cross_parallel"]})");
    ASSERT_EQ(runCli("preset save " + quoted(dir / "mine.json") + " --notebook " + notebookFile, dir / "err.txt").exitCode, 0)
        << readFileBytes(dir / "err.txt");
    const json list = json::parse(runCli("preset list --json --notebook " + notebookFile, dir / "err.txt").out);
    ASSERT_EQ(list.size(), 7u);
    EXPECT_EQ(list.back()["id"], "mine");
    EXPECT_EQ(list.back()["origin"], "user");
    const auto r = runCli("preset run mine --json --model " + quoted(peakedModelFolder()) + " --notebook " + notebookFile,
                          dir / "err.txt");
    ASSERT_EQ(r.exitCode, 0) << readFileBytes(dir / "err.txt");
    EXPECT_EQ(json::parse(r.out)["runs"][0]["mode"], "visible");

    // A bad file is refused with the field named, and nothing is saved.
    writeFileBytes(dir / "bad.json", R"({"id": "bad", "prompt": "x", "max_steps": 2, "threshold": 0, "mode": "visible"})");
    EXPECT_EQ(runCli("preset save " + quoted(dir / "bad.json") + " --notebook " + notebookFile, dir / "err2.txt").exitCode, 2);
    EXPECT_NE(readFileBytes(dir / "err2.txt").find("field 'threshold'"), std::string::npos);
}

TEST(PresetCli, RunPrintsRunsGroupChecksAndVerdict)
{
    TempDir dir("tempo-cli-run");
    const auto notebookFile = dir / "nb.sqlite";
    const auto r = runCli("preset run 5 --model " + quoted(peakedModelFolder()) + " --notebook " + quoted(notebookFile) +
                              " --set max_steps=3 --set threshold=0.05 --threads 1 --json",
                          dir / "err.txt");
    ASSERT_EQ(r.exitCode, 0) << readFileBytes(dir / "err.txt") << r.out;
    const json out = json::parse(r.out);
    EXPECT_EQ(out["preset"], "5");
    EXPECT_EQ(out["status"], "finished");
    ASSERT_EQ(out["runs"].size(), 2u);
    EXPECT_EQ(out["runs"][0]["mode"], "isolated");
    EXPECT_EQ(out["runs"][1]["mode"], "visible");
    EXPECT_EQ(out["runs"][0]["checks"].size(), 5u);
    EXPECT_TRUE(out["group_id"].is_number_integer());
    EXPECT_TRUE(out["verdict"]["scenario"].is_string());
    EXPECT_TRUE(out["all_checks_passed"].get<bool>());

    notebook::Notebook book(notebookFile.string(), notebook::OpenMode::ReadOnly);
    const auto run = book.runs().find(out["runs"][1]["id"].get<int64_t>());
    ASSERT_TRUE(run);
    ASSERT_TRUE(run->config.tempo);
    EXPECT_EQ(run->config.tempo->maxSteps, 3);
    EXPECT_EQ(run->provenance.threads, 1);
    EXPECT_EQ(book.groups().find(out["group_id"].get<int64_t>())->runIds.size(), 2u);

    // A bad override is a usage error naming the field, and records nothing.
    const auto bad = runCli("preset run 5 --model " + quoted(peakedModelFolder()) + " --notebook " + quoted(notebookFile) +
                                " --set threshold=1.5",
                            dir / "err2.txt");
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_NE(readFileBytes(dir / "err2.txt").find("field 'threshold'"), std::string::npos);
    // A model folder that is not there is an input error naming it (without --model the bundled
    // model is used: tests/training checks that path).
    const auto missing = runCli("preset run 5 --model " + quoted(dir / "no-such-model") + " --notebook " +
                                    quoted(notebookFile),
                                dir / "err3.txt");
    EXPECT_EQ(missing.exitCode, 3);
    EXPECT_NE(readFileBytes(dir / "err3.txt").find("no-such-model"), std::string::npos);
}

TEST(PresetCli, SweepPrintsAggregatesAsJson)
{
    TempDir dir("tempo-cli-sweep");
    writeFileBytes(dir / "suite.jsonl", "{\"category\": \"a\", \"prompt\": \"The cat\"}\n"
                                        "{\"category\": \"b\", \"prompt\": \"The quick\"}\n");
    const auto r = runCli("sweep 1a --model " + quoted(peakedModelFolder()) + " --suite " + quoted(dir / "suite.jsonl") +
                              " --thresholds 0.05,0.1 --set max_steps=2 --notebook " + quoted(dir / "nb.sqlite") + " --json",
                          dir / "err.txt");
    ASSERT_EQ(r.exitCode, 0) << readFileBytes(dir / "err.txt");
    const json out = json::parse(r.out);
    EXPECT_EQ(out["points"], 4);
    EXPECT_EQ(out["runs_made"], 4);
    EXPECT_EQ(out["status"], "finished");
    EXPECT_EQ(out["aggregate"]["by_threshold"].size(), 2u);
    EXPECT_TRUE(out["aggregate"]["all_thresholds"]["categories"].contains("a"));
    EXPECT_EQ(out["aggregate"]["all_thresholds"]["overall"]["run.steps"]["n"], 4);

    const auto again = runCli("sweep 1a --model " + quoted(peakedModelFolder()) + " --suite " + quoted(dir / "suite.jsonl") +
                                  " --thresholds 0.05,0.1 --set max_steps=2 --notebook " + quoted(dir / "nb.sqlite") +
                                  " --json",
                              dir / "err2.txt");
    ASSERT_EQ(again.exitCode, 0) << readFileBytes(dir / "err2.txt");
    EXPECT_EQ(json::parse(again.out)["points_skipped"], 4);
    EXPECT_EQ(json::parse(again.out)["runs_made"], 0);
}

// The artifact control through every CLI view: labelled in preset run, run, runs, show and sweep;
// its checks fail with the reason (exit status 1), its verdict is "control", and its isolated and
// visible readouts are stored identical. A TEMPO run beside it carries no label.
TEST(PresetCli, ArtifactControlIsLabelledInEveryViewAndNeverATempoResult)
{
    TempDir dir("tempo-cli-control");
    const auto notebookFile = dir / "nb.sqlite";
    const std::string model = " --model " + quoted(peakedModelFolder()) + " --notebook " + quoted(notebookFile);
    const std::string label = "CONTROL: artifact (original method)";
    const std::string settings = " --set max_steps=4 --set threshold=0.05 --threads 1";

    const auto control = runCli("preset run 2 --set mechanism=artifact_control" + settings + model + " --json", dir / "err.txt");
    EXPECT_EQ(control.exitCode, 1) << readFileBytes(dir / "err.txt") << control.out; // its checks fail by design
    const json out = json::parse(control.out);
    EXPECT_EQ(out["mechanism"], "artifact_control");
    EXPECT_EQ(out["control"].get<std::string>().rfind(label, 0), 0u) << out["control"];
    EXPECT_FALSE(out["all_checks_passed"].get<bool>());
    ASSERT_EQ(out["runs"].size(), 2u);
    for (const auto& run : out["runs"])
        for (const auto& check : run["checks"])
            if (check["name"] != "finite") {
                EXPECT_FALSE(check["passed"].get<bool>()) << check.dump();
                EXPECT_EQ(check["detail"].get<std::string>().rfind("artifact control: ", 0), 0u) << check.dump();
            }
    EXPECT_EQ(out["verdict"]["scenario"], "control");
    EXPECT_EQ(out["verdict"]["title"], "control (artifact): not a TEMPO result");
    bool identicalMet = false;
    for (const auto& criterion : out["verdict"]["criteria"])
        if (criterion["name"] == "identical")
            identicalMet = criterion["met"].get<bool>();
    EXPECT_TRUE(identicalMet) << "under the control isolated and visible readouts are identical";
    const int64_t controlRun = out["runs"][0]["id"].get<int64_t>();

    // The same preset under the real mechanism: no label, a scenario or inconclusive, never "control".
    const auto tempo = runCli("preset run 2" + settings + model + " --json", dir / "err2.txt");
    ASSERT_EQ(tempo.exitCode, 0) << readFileBytes(dir / "err2.txt") << tempo.out;
    const json tempoOut = json::parse(tempo.out);
    EXPECT_EQ(tempoOut["mechanism"], "tempo");
    EXPECT_FALSE(tempoOut.contains("control"));
    EXPECT_NE(tempoOut["verdict"]["scenario"], "control");
    const int64_t tempoRun = tempoOut["runs"][0]["id"].get<int64_t>();

    // Plain text of preset run starts with the label.
    const auto text = runCli("preset run 2 --set mechanism=artifact_control" + settings + model, dir / "err3.txt");
    EXPECT_EQ(text.out.rfind(label, 0), 0u) << text.out;
    EXPECT_NE(text.out.find("verdict: control - control (artifact): not a TEMPO result"), std::string::npos) << text.out;

    // runs: the label on the control runs' lines only; --json names the mechanism.
    const auto runs = runCli("runs --notebook " + quoted(notebookFile), dir / "err4.txt");
    ASSERT_EQ(runs.exitCode, 0) << readFileBytes(dir / "err4.txt");
    int labelled = 0;
    std::istringstream lines(runs.out);
    for (std::string line; std::getline(lines, line);) {
        const bool hasLabel = line.find("[" + label + "]") != std::string::npos;
        labelled += hasLabel ? 1 : 0;
        if (line.rfind(std::to_string(tempoRun) + " ", 0) == 0) {
            EXPECT_FALSE(hasLabel) << line;
        }
        if (line.rfind(std::to_string(controlRun) + " ", 0) == 0) {
            EXPECT_TRUE(hasLabel) << line;
        }
    }
    EXPECT_EQ(labelled, 4) << runs.out; // two control pairs
    for (const auto& summary : json::parse(runCli("runs --json --notebook " + quoted(notebookFile), dir / "err5.txt").out))
        EXPECT_EQ(summary["mechanism"], summary["id"] == tempoOut["runs"][0]["id"] || summary["id"] == tempoOut["runs"][1]["id"]
                                            ? "tempo"
                                            : "artifact_control")
            << summary.dump();

    // show: a mechanism line and the reasons of the failed checks; nothing of the kind for TEMPO.
    const auto show = runCli("show " + std::to_string(controlRun) + " --notebook " + quoted(notebookFile), dir / "err6.txt");
    EXPECT_NE(show.out.find("mechanism  " + label), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("FAIL all_members_cached"), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("only the last member of each set reached the model (by design of the control)"), std::string::npos);
    const auto showTempo = runCli("show " + std::to_string(tempoRun) + " --notebook " + quoted(notebookFile), dir / "err7.txt");
    EXPECT_EQ(showTempo.out.find(label), std::string::npos) << showTempo.out;

    // run: the label first; a bad mechanism is a usage error naming the accepted words.
    const auto plain = runCli("run --mechanism artifact_control --max-steps 3 --threshold 0.05 --prompt 'The cat' --model " +
                                  quoted(peakedModelFolder()),
                              dir / "err8.txt");
    EXPECT_EQ(plain.exitCode, 1) << readFileBytes(dir / "err8.txt");
    EXPECT_EQ(plain.out.rfind(label, 0), 0u) << plain.out;
    const auto bad = runCli("run --mechanism original --prompt 'The cat' --model " + quoted(peakedModelFolder()), dir / "err9.txt");
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_NE(readFileBytes(dir / "err9.txt").find("expected 'tempo' or 'artifact_control', found 'original'"), std::string::npos)
        << readFileBytes(dir / "err9.txt");

    // sweep: a control sweep's aggregate is labelled and counts its verdicts as "control".
    writeFileBytes(dir / "suite.jsonl", "{\"category\": \"a\", \"prompt\": \"The cat\"}\n");
    const auto sweep = runCli("sweep 2 --suite " + quoted(dir / "suite.jsonl") +
                                  " --thresholds 0.05 --set max_steps=2 --set mechanism=artifact_control" + model + " --json",
                              dir / "err10.txt");
    ASSERT_EQ(sweep.exitCode, 0) << readFileBytes(dir / "err10.txt");
    const json aggregate = json::parse(sweep.out)["aggregate"];
    EXPECT_EQ(aggregate["mechanism"], "artifact_control");
    EXPECT_EQ(aggregate["control"].get<std::string>().rfind(label, 0), 0u);
    EXPECT_EQ(aggregate["all_thresholds"]["verdicts"], (json{{"control", 1}}));
}

TEST(PresetCli, CtrlCCancelsAPresetRunWithExitStatus5AndKeepsItCancelled)
{
    TempDir dir("tempo-cli-cancel");
    const auto notebookFile = dir / "nb.sqlite";
    std::optional<HoldAfterSteps> hold(std::in_place, 2);
    SpawnedCli cli({"preset", "run", "1b", "--model", peakedModelFolder().string(), "--notebook", notebookFile.string(),
                    "--set", std::string("max_steps=") + kLongRunSteps, "--set", "stop_at_eos=false", "--set", "max_width=1",
                    "--threads", "1"},
                   dir / "out.txt", false);
    hold.reset();
    ASSERT_TRUE(cli.started());
    ASSERT_TRUE(cli.waitForStderr("started")) << cli.err();
    cli.signal(SIGINT);
    EXPECT_EQ(cli.wait(), 5) << cli.err() << readFileBytes(dir / "out.txt");
    EXPECT_NE(cli.err().find("cancelled"), std::string::npos) << cli.err();

    notebook::Notebook book(notebookFile.string(), notebook::OpenMode::ReadOnly);
    const auto runs = book.runs().list({});
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].status, notebook::RunStatus::Cancelled);
    EXPECT_GE(runs[0].stepCount, 0);
    EXPECT_LE(runs[0].stepCount, 2); // held after 2 steps, so the signal came no later
}

TEST(PresetCli, CtrlCCancelsAPlainRunWithExitStatus5AndKeepsItCancelled)
{
    // On a terminal, `run` prints "step N/M" as it goes: the test waits for the first one.
    TempDir dir("tempo-cli-cancel-run");
    const auto notebookFile = dir / "nb.sqlite";
    std::optional<HoldAfterSteps> hold(std::in_place, 3);
    SpawnedCli cli({"run", "--model", peakedModelFolder().string(), "--prompt", "The cat sat on the", "--max-steps",
                    kLongRunSteps, "--no-stop-at-eos", "--max-width", "1", "--threads", "1", "--notebook", notebookFile.string()},
                   dir / "out.txt", true);
    hold.reset();
    ASSERT_TRUE(cli.started());
    ASSERT_TRUE(cli.waitForStderr("step 1/")) << cli.err();
    cli.signal(SIGINT);
    EXPECT_EQ(cli.wait(), 5) << cli.err() << readFileBytes(dir / "out.txt");
    EXPECT_NE(cli.err().find("cancelled"), std::string::npos) << cli.err();

    notebook::Notebook book(notebookFile.string(), notebook::OpenMode::ReadOnly);
    const auto runs = book.runs().list({});
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].status, notebook::RunStatus::Cancelled);
    EXPECT_GE(runs[0].stepCount, 1); // the test saw "step 1/" first
    EXPECT_LE(runs[0].stepCount, 3); // held after 3 steps, so the signal came no later
}

TEST(PresetCli, CtrlCCancelsASweepWithExitStatus5AndKeepsItResumable)
{
    TempDir dir("tempo-cli-cancel-sweep");
    const auto notebookFile = dir / "nb.sqlite";
    writeFileBytes(dir / "suite.jsonl", "{\"category\": \"a\", \"prompt\": \"The cat\"}\n"
                                        "{\"category\": \"b\", \"prompt\": \"The quick\"}\n");
    std::optional<HoldAfterSteps> hold(std::in_place, 2);
    SpawnedCli cli({"sweep", "1b", "--model", peakedModelFolder().string(), "--suite", (dir / "suite.jsonl").string(),
                    "--thresholds", "0.05,0.1", "--set", std::string("max_steps=") + kLongRunSteps, "--set",
                    "stop_at_eos=false", "--set", "max_width=1", "--threads", "1", "--notebook", notebookFile.string()},
                   dir / "out.txt", false);
    hold.reset();
    ASSERT_TRUE(cli.started());
    ASSERT_TRUE(cli.waitForStderr("run 1 started")) << cli.err(); // the handler is installed by then
    cli.signal(SIGINT);
    EXPECT_EQ(cli.wait(), 5) << cli.err() << readFileBytes(dir / "out.txt");
    EXPECT_NE(readFileBytes(dir / "out.txt").find("cancelled"), std::string::npos) << readFileBytes(dir / "out.txt");

    notebook::Notebook book(notebookFile.string(), notebook::OpenMode::ReadOnly);
    const auto sweeps = book.sweeps().all();
    ASSERT_EQ(sweeps.size(), 1u);
    EXPECT_EQ(json::parse(book.sweeps().find(sweeps[0])->specJson)["status"], "cancelled");
    const auto runs = book.runs().list({});
    ASSERT_EQ(runs.size(), 1u) << "the sweep stopped in its first point";
    EXPECT_EQ(runs[0].status, notebook::RunStatus::Cancelled) << "the point that was running";

    // The same command again resumes the sweep and finishes every point.
    const auto again = runCli("sweep 1b --model " + quoted(peakedModelFolder()) + " --suite " + quoted(dir / "suite.jsonl") +
                                  " --thresholds 0.05,0.1 --set max_steps=" + kLongRunSteps +
                                  " --set stop_at_eos=false --set max_width=1 --threads 1 --json --notebook " +
                                  quoted(notebookFile),
                              dir / "err-again.txt");
    ASSERT_EQ(again.exitCode, 0) << readFileBytes(dir / "err-again.txt");
    const json resumed = json::parse(again.out);
    EXPECT_EQ(resumed["sweep_id"], sweeps[0]);
    EXPECT_EQ(resumed["status"], "finished");
    EXPECT_EQ(resumed["runs_made"], 4);
}

TEST(PresetCli, PlainRunShowsStepProgressOnlyOnATerminal)
{
    TempDir dir("tempo-cli-progress");
    const std::vector<std::string> arguments{"run", "--model", peakedModelFolder().string(), "--prompt", "The cat sat on the",
                                             "--max-steps", "3", "--no-stop-at-eos", "--threads", "1"};
    SpawnedCli terminal(arguments, dir / "out-tty.txt", true);
    ASSERT_TRUE(terminal.started());
    EXPECT_EQ(terminal.wait(), 0) << terminal.err();
    EXPECT_NE(terminal.err().find("step 3/3"), std::string::npos) << terminal.err();
    EXPECT_NE(readFileBytes(dir / "out-tty.txt").find("checks: 5/5 passed"), std::string::npos);

    SpawnedCli piped(arguments, dir / "out-pipe.txt", false);
    ASSERT_TRUE(piped.started());
    EXPECT_EQ(piped.wait(), 0) << piped.err();
    EXPECT_EQ(piped.err().find("step "), std::string::npos) << "no progress in a log: " << piped.err();
}

// Studies: run, list, show and resume through the binary; a bad suite line refuses the study.
TEST(StudyCli, RunListShowAndResumeAFinishedStudy)
{
    TempDir dir("tempo-cli-study");
    const auto notebookFile = quoted(dir / "nb.sqlite");
    writeFileBytes(dir / "suite.jsonl", "{\"family\": \"a\", \"prompt\": \"The cat\"}\n"
                                        "{\"family\": \"b\", \"prompt\": \"The quick\", \"steps\": 3}\n");
    const auto r = runCli("study run --model " + quoted(peakedModelFolder()) + " --suite " + quoted(dir / "suite.jsonl") +
                              " --thresholds 0.05,0.1 --steps 2 --presets 1a --no-control --threads 1 --json --notebook " +
                              notebookFile,
                          dir / "err.txt");
    ASSERT_EQ(r.exitCode, 0) << readFileBytes(dir / "err.txt");
    EXPECT_EQ(readFileBytes(dir / "err.txt").find("\r"), std::string::npos) << "no progress line with --json";
    const json out = json::parse(r.out);
    EXPECT_EQ(out["status"], "finished");
    EXPECT_EQ(out["points"], 4);
    EXPECT_EQ(out["points_run"], 4);
    EXPECT_EQ(out["runs_made"], 4);
    ASSERT_EQ(out["sweeps"].size(), 1u);
    EXPECT_EQ(out["sweeps"][0]["preset"], "1a");
    const int64_t id = out["study_id"].get<int64_t>();

    const json list = json::parse(runCli("study list --json --notebook " + notebookFile, dir / "err.txt").out);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["study_id"], id);
    EXPECT_EQ(list[0]["points_done"], 4);

    const json shown = json::parse(runCli("study show " + std::to_string(id) + " --json --notebook " + notebookFile,
                                          dir / "err.txt").out);
    EXPECT_EQ(shown["spec"]["prompts"].size(), 2u);
    EXPECT_EQ(shown["spec"]["steps"], 2);
    EXPECT_EQ(shown["spec"]["control"], false);
    EXPECT_EQ(shown["status"], "finished");
    const auto text = runCli("study show " + std::to_string(id) + " --notebook " + notebookFile, dir / "err.txt");
    ASSERT_EQ(text.exitCode, 0);
    EXPECT_NE(text.out.find("suite.jsonl (2 prompts)"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("4/4 done"), std::string::npos) << text.out;

    const auto again = runCli("study resume " + std::to_string(id) + " --notebook " + notebookFile, dir / "err-again.txt");
    EXPECT_EQ(again.exitCode, 2) << "a finished study is not resumed";
    EXPECT_NE(readFileBytes(dir / "err-again.txt").find("finished"), std::string::npos);
    EXPECT_EQ(runCli("study show 99 --notebook " + notebookFile, dir / "err.txt").exitCode, 2);

    writeFileBytes(dir / "bad.jsonl", "{\"family\": \"a\", \"prompt\": \"The cat\"}\n{\"family\": \"a\", \"prompt\": \"x\", \"steps\": -1}\n");
    const auto bad = runCli("study run --model " + quoted(peakedModelFolder()) + " --suite " + quoted(dir / "bad.jsonl") +
                                " --notebook " + notebookFile,
                            dir / "err-bad.txt");
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_NE(readFileBytes(dir / "err-bad.txt").find("line 2 field 'steps'"), std::string::npos)
        << readFileBytes(dir / "err-bad.txt");
    EXPECT_EQ(json::parse(runCli("study list --json --notebook " + notebookFile, dir / "err.txt").out).size(), 1u)
        << "nothing was stored for the refused study";
}

TEST(StudyCli, CtrlCCancelsAStudyWithExitStatus5AndResumeReusesItsFinishedRuns)
{
    TempDir dir("tempo-cli-study-cancel");
    const auto notebookFile = dir / "nb.sqlite";
    // A user preset that never stops early and keeps sets of one (long runs fit the model).
    writeFileBytes(dir / "long.json", R"({"id": "long", "prompt": "The cat", "max_steps": 2, "threshold": 0.1,
                                          "mode": "isolated", "captures": ["attention"], "analyses": [],
                                          "max_width": 1, "stop_at_eos": false})");
    ASSERT_EQ(runCli("preset save " + quoted(dir / "long.json") + " --notebook " + quoted(notebookFile), dir / "err.txt").exitCode,
              0)
        << readFileBytes(dir / "err.txt");
    // The first point decodes 1 step and finishes; the second's run is held after 2 steps.
    writeFileBytes(dir / "suite.jsonl", std::string("{\"family\": \"a\", \"prompt\": \"The cat\", \"steps\": 1}\n") +
                                            "{\"family\": \"a\", \"prompt\": \"The quick\", \"steps\": " + kLongRunSteps +
                                            "}\n");
    std::optional<HoldAfterSteps> hold(std::in_place, 2);
    SpawnedCli cli({"study", "run", "--model", peakedModelFolder().string(), "--suite", (dir / "suite.jsonl").string(),
                    "--thresholds", "0.1", "--presets", "long", "--no-control", "--threads", "1", "--notebook",
                    notebookFile.string()},
                   dir / "out.txt", false);
    hold.reset();
    ASSERT_TRUE(cli.started());
    // Not a terminal: one line per finished point. The signal comes after the first point, while
    // the second is starting or held.
    ASSERT_TRUE(cli.waitForStderr("point 1/2 done")) << cli.err();
    cli.signal(SIGINT);
    EXPECT_EQ(cli.wait(), 5) << cli.err() << readFileBytes(dir / "out.txt");
    EXPECT_NE(cli.err().find("study resume 1"), std::string::npos) << cli.err();
    {
        notebook::Notebook book(notebookFile.string(), notebook::OpenMode::ReadOnly);
        EXPECT_EQ(book.studies().find(1)->status, notebook::StudyStatus::Cancelled);
        EXPECT_EQ(book.studies().find(1)->summary.pointsDone, 1);
    }

    const auto resumed = runCli("study resume 1 --json --notebook " + quoted(notebookFile), dir / "err-again.txt");
    ASSERT_EQ(resumed.exitCode, 0) << readFileBytes(dir / "err-again.txt");
    const json out = json::parse(resumed.out);
    EXPECT_EQ(out["resumed"], true);
    EXPECT_EQ(out["status"], "finished");
    EXPECT_EQ(out["points_reused"], 1) << "the finished point is reused";
    EXPECT_EQ(out["points_run"], 1);
    notebook::Notebook book(notebookFile.string(), notebook::OpenMode::ReadOnly);
    const auto finished = book.runs().list({"", "", notebook::RunStatus::Finished, 100, 0});
    ASSERT_EQ(finished.size(), 2u) << "one finished run per point";
    EXPECT_EQ(finished.back().id, 1) << "the first point's run (the first run made) was reused, not rerun";
}

} // namespace
} // namespace tempo::test
