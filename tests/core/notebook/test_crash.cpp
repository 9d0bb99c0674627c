// Writes that lose nothing and concurrency: a writer killed with SIGKILL mid-run, a live writer
// left alone, and readers reading while a writer writes.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "core/notebook/database.h"
#include "core/notebook/notebook.h"
#include "notebookfixtures.h"
#include "support/testsupport.h"

namespace tempo::notebook {
namespace {

using testing::sampleRun;
using testing::sampleStep;

bool readAll(int fd, void* buffer, std::size_t size)
{
    auto* bytes = static_cast<char*>(buffer);
    while (size > 0) {
        ssize_t n = ::read(fd, bytes, size);
        if (n <= 0)
            return false;
        bytes += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// The child writes a run step after step (each with a small capture) and reports each committed
// step through a pipe; the parent kills it without warning once 20 steps are committed.
TEST(NotebookCrash, KilledWriterLeavesCommittedStepsAndAnInterruptedRun)
{
    test::TempDir dir;
    const std::string path = (dir / "crash.sqlite").string();
    { Notebook create(path); } // schema in place before the fork
    int pipeFds[2];
    ASSERT_EQ(::pipe(pipeFds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipeFds[0]);
        try {
            Notebook notebook(path);
            std::int64_t runId = notebook.runs().create(sampleRun("killed mid-run"));
            if (::write(pipeFds[1], &runId, sizeof runId) != sizeof runId)
                ::_exit(2);
            for (int step = 0;; ++step) {
                notebook.steps().append(runId, sampleStep(step), {testing::sampleTensor("capture", 16, 16)});
                if (::write(pipeFds[1], &step, sizeof step) != sizeof step)
                    ::_exit(3);
            }
        } catch (...) {
            ::_exit(4);
        }
    }
    ::close(pipeFds[1]);
    std::int64_t runId = 0;
    ASSERT_TRUE(readAll(pipeFds[0], &runId, sizeof runId));
    int lastCommitted = -1;
    while (lastCommitted < 19)
        ASSERT_TRUE(readAll(pipeFds[0], &lastCommitted, sizeof lastCommitted)) << "the child stopped early";
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    // Steps the child reported after 19 were committed too, before the kill landed.
    int reported = lastCommitted;
    while (readAll(pipeFds[0], &reported, sizeof reported))
        lastCommitted = reported;
    ::close(pipeFds[0]);

    Notebook notebook(path);
    EXPECT_EQ(notebook.runsInterruptedOnOpen(), std::vector<std::int64_t>{runId});
    auto run = notebook.runs().find(runId);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, RunStatus::Interrupted);
    EXPECT_NE(run->errorText.find("pid " + std::to_string(child)), std::string::npos) << run->errorText;
    EXPECT_FALSE(run->endedAt.empty());
    auto steps = notebook.steps().ofRun(runId);
    std::printf("child committed at least %d steps before SIGKILL; notebook holds %zu\n", lastCommitted + 1, steps.size());
    ASSERT_GE(static_cast<int>(steps.size()), lastCommitted + 1) << "every step reported as committed is there";
    ASSERT_LE(static_cast<int>(steps.size()), lastCommitted + 2) << "at most the step in flight when killed";
    for (std::size_t s = 0; s < steps.size(); ++s)
        EXPECT_EQ(steps[s], sampleStep(static_cast<int>(s))) << "step " << s << " intact";
    EXPECT_EQ(notebook.tensors().infosOfRun(runId).size(), steps.size()) << "each step's capture committed with it";
    Statement integrity = notebook.database().prepare("PRAGMA integrity_check");
    ASSERT_TRUE(integrity.step());
    EXPECT_EQ(integrity.text(0), "ok");
    // A second open changes nothing more.
    Notebook again(path);
    EXPECT_TRUE(again.runsInterruptedOnOpen().empty());
}

TEST(NotebookCrash, RunOfALiveWriterStaysRunning)
{
    test::TempDir dir;
    const std::string path = (dir / "live.sqlite").string();
    Notebook writer(path);
    const std::int64_t runId = writer.runs().create(sampleRun("still going"));
    writer.steps().append(runId, sampleStep(0));
    Notebook other(path); // another window or the CLI opening the same notebook meanwhile
    EXPECT_TRUE(other.runsInterruptedOnOpen().empty());
    EXPECT_EQ(other.runs().find(runId)->status, RunStatus::Running);
    writer.steps().append(runId, sampleStep(1));
    writer.runs().finish(runId, RunStatus::Finished, "done", "{}", "");
    EXPECT_EQ(other.runs().find(runId)->status, RunStatus::Finished);
}

TEST(NotebookCrash, RunOfAReusedPidOrOtherHostIsJudgedCorrectly)
{
    test::TempDir dir;
    const std::string path = (dir / "pids.sqlite").string();
    std::int64_t reused, otherHost, ancientBoot;
    {
        Notebook notebook(path);
        reused = notebook.runs().create(sampleRun("pid reused"));
        otherHost = notebook.runs().create(sampleRun("other host"));
        ancientBoot = notebook.runs().create(sampleRun("before reboot"));
        Database& db = notebook.database();
        // Our own pid, but a start token of another process: the pid was reused, the writer is gone.
        db.exec("UPDATE runs SET writer_token = writer_token || '999' WHERE id = " + std::to_string(reused));
        db.exec("UPDATE runs SET writer_host = 'gpu-node-17' WHERE id = " + std::to_string(otherHost));
        db.exec("UPDATE runs SET writer_token = '00000000-dead-beef/1' WHERE id = " + std::to_string(ancientBoot));
    }
    Notebook notebook(path);
    EXPECT_EQ(notebook.runs().find(reused)->status, RunStatus::Interrupted);
    EXPECT_EQ(notebook.runs().find(otherHost)->status, RunStatus::Running) << "another host cannot be checked";
    EXPECT_EQ(notebook.runs().find(ancientBoot)->status, RunStatus::Interrupted);
}

TEST(NotebookCrash, ReadOnlyOpenNeverMarksRuns)
{
    test::TempDir dir;
    const std::string path = (dir / "ro.sqlite").string();
    std::int64_t runId;
    {
        Notebook notebook(path);
        runId = notebook.runs().create(sampleRun("dead writer"));
        notebook.database().exec("UPDATE runs SET writer_pid = 2147483000");
    }
    {
        Notebook reader(path, OpenMode::ReadOnly);
        EXPECT_TRUE(reader.runsInterruptedOnOpen().empty());
        EXPECT_EQ(reader.runs().find(runId)->status, RunStatus::Running);
        EXPECT_THROW(reader.tags().add(runId, "x"), NotebookError);
    }
    Notebook writer(path);
    EXPECT_EQ(writer.runs().find(runId)->status, RunStatus::Interrupted);
}

// One writer committing runs and steps as fast as it can, two readers listing, searching and
// reading steps all the while: no error (in particular no "database is locked") may reach them.
TEST(NotebookConcurrency, ReadersWhileAWriterWritesSeeNoBusyErrors)
{
    test::TempDir dir;
    const std::string path = (dir / "busy.sqlite").string();
    { Notebook create(path); }
    std::atomic<bool> writerDone{false};
    std::atomic<int> readerRounds{0};
    std::vector<std::string> errors;
    std::mutex errorsMutex;
    auto recordError = [&](const std::string& who, const std::exception& e) {
        std::lock_guard<std::mutex> lock(errorsMutex);
        errors.push_back(who + ": " + e.what());
    };
    constexpr int kRuns = 60, kSteps = 8;
    std::thread writer([&] {
        try {
            Notebook notebook(path);
            for (int r = 0; r < kRuns; ++r) {
                std::int64_t id = notebook.runs().create(sampleRun("concurrent prompt " + std::to_string(r)));
                for (int s = 0; s < kSteps; ++s)
                    notebook.steps().append(id, sampleStep(s), s == 0 ? std::vector<TensorBlob>{testing::sampleTensor("t", 64, 64)}
                                                                  : std::vector<TensorBlob>{});
                notebook.tags().add(id, "batch" + std::to_string(r % 3));
                notebook.runs().finish(id, RunStatus::Finished, "text " + std::to_string(r), "{}", "");
            }
        } catch (const std::exception& e) {
            recordError("writer", e);
        }
        writerDone = true;
    });
    auto reader = [&](OpenMode mode) {
        try {
            Notebook notebook(path, mode);
            std::int64_t lastCount = 0;
            while (!writerDone) {
                auto runs = notebook.runs().list({});
                auto found = notebook.runs().list({"concurrent", "", std::nullopt, 100, 0});
                std::int64_t count = notebook.runs().count();
                if (count < lastCount)
                    throw std::runtime_error("run count went backwards");
                lastCount = count;
                for (const auto& run : runs)
                    if (run.status == RunStatus::Finished && notebook.steps().ofRun(run.id).size() != kSteps)
                        throw std::runtime_error("a finished run without all its steps");
                ++readerRounds;
            }
        } catch (const std::exception& e) {
            recordError("reader", e);
        }
    };
    std::thread readOnlyReader(reader, OpenMode::ReadOnly);
    std::thread readWriteReader(reader, OpenMode::ReadWrite); // e.g. the GUI, which may also tag runs
    writer.join();
    readOnlyReader.join();
    readWriteReader.join();
    for (const auto& error : errors)
        ADD_FAILURE() << error;
    std::printf("readers completed %d rounds while the writer wrote %d runs x %d steps\n", readerRounds.load(), kRuns,
                kSteps);
    EXPECT_GT(readerRounds.load(), 0);
    Notebook notebook(path, OpenMode::ReadOnly);
    EXPECT_EQ(notebook.runs().count(), kRuns);
}

} // namespace
} // namespace tempo::notebook
