// Bad input to `tempo-lab-cli run` (issue 14): each case gets a one-line message naming what was
// expected and what was found, a non-zero exit, no hang, no failed run row for a request that
// could never run, and the user's files unchanged. Every CLI call runs under `timeout 120`, so a
// hang fails the test (exit 124) instead of stalling the suite.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <sys/wait.h>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/common/sha256.h"
#include "core/model/checkpoint.h"
#include "core/model/computeoptions.h"
#include "core/model/safetensorswriter.h"
#include "core/notebook/notebook.h"
#include "core/testmodel/testmodel.h"
#include "support/testsupport.h"

namespace tempo {
namespace {

using nlohmann::json;

struct BadInputCliResult {
    int exitCode = -1;
    std::string err; // stderr
};

BadInputCliResult runBadInputCli(const std::string& arguments)
{
    // Standard error only: stdout goes to /dev/null.
    const test::ShellResult shell =
        test::runShell("timeout 120 " + std::string(TEMPO_CLI_PATH) + " " + arguments + " 2>&1 >/dev/null");
    return {shell.exitCode, shell.out};
}

// SHA-256 of every file in `dir`, name -> digest: the user's files must come out unchanged.
std::map<std::string, std::string> folderDigests(const std::filesystem::path& dir)
{
    std::map<std::string, std::string> digests;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        Sha256 hash;
        hash.update(test::readFileBytes(entry.path()));
        digests[entry.path().filename().string()] = hash.hexDigest();
    }
    return digests;
}

void expectOneLine(const BadInputCliResult& r, const std::vector<std::string>& words)
{
    SCOPED_TRACE(r.err);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "expected one line on stderr";
    for (const std::string& word : words)
        EXPECT_NE(r.err.find(word), std::string::npos) << "'" << word << "' not in the message";
}

class BadInput : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = std::make_unique<test::TempDir>("tempo-badinput");
        std::filesystem::create_directory(modelDir());
        TestModelSpec spec;
        spec.seed = 42;
        spec.peaked = true;
        writeTestModel(modelDir(), spec);
    }
    std::filesystem::path modelDir() const { return dir_->path() / "model"; }
    std::filesystem::path notebookPath() const { return dir_->path() / "lab.sqlite"; }
    void editConfig(const std::function<void(json&)>& edit)
    {
        json config = json::parse(test::readFileBytes(modelDir() / "config.json"));
        edit(config);
        test::writeFileBytes(modelDir() / "config.json", config.dump(2));
    }
    std::string runArgs(const std::string& extra) const
    {
        return "run --model '" + modelDir().string() + "' --prompt 'The cat sat on the' " + extra;
    }
    int64_t runsRecorded() const
    {
        if (!std::filesystem::exists(notebookPath()))
            return 0;
        notebook::Notebook book(notebookPath().string());
        return book.runs().count();
    }

    std::unique_ptr<test::TempDir> dir_;
};

TEST_F(BadInput, ThreadsPastTheMachinesCoresAreRefusedAtOnce)
{
    const auto before = folderDigests(modelDir());
    const BadInputCliResult r = runBadInputCli(runArgs("--threads 100000 --notebook '" + notebookPath().string() + "'"));
    EXPECT_EQ(r.exitCode, 2) << r.err;
    expectOneLine(r, {"threads", "1.." + std::to_string(ComputeOptions::maxThreads()), "found 100000"});
    EXPECT_EQ(runsRecorded(), 0);
    EXPECT_EQ(folderDigests(modelDir()), before);

    // 2^32 + 1 would be 1 as an int: refused on its full value, by every command that runs a model.
    const std::string model = " --model '" + modelDir().string() + "'";
    for (const std::string& command : {runArgs("--threads 4294967297"), "next --prompt x --threads 4294967297" + model,
                                      "preset run 1a --threads 4294967297 --notebook '" + notebookPath().string() + "'" +
                                          model}) {
        const BadInputCliResult wrapped = runBadInputCli(command);
        EXPECT_EQ(wrapped.exitCode, 2) << command << ": " << wrapped.err;
        expectOneLine(wrapped, {"threads", "found 4294967297"});
    }
}

TEST_F(BadInput, ConfigWithABillionLayersIsRefusedBeforeAnythingIsBuilt)
{
    editConfig([](json& c) { c["num_hidden_layers"] = 1000000000; });
    const auto before = folderDigests(modelDir());
    const BadInputCliResult r = runBadInputCli(runArgs("--notebook '" + notebookPath().string() + "'"));
    EXPECT_EQ(r.exitCode, 3) << r.err;
    expectOneLine(r, {"num_hidden_layers", "at most 1024", "found 1000000000"});
    EXPECT_EQ(folderDigests(modelDir()), before);
}

TEST_F(BadInput, ConfigClaimingMoreLayersThanTheWeightsHoldNamesBoth)
{
    editConfig([](json& c) { c["num_hidden_layers"] = 1000; }); // within the limits, but the files hold 2
    const auto before = folderDigests(modelDir());
    const BadInputCliResult r = runBadInputCli(runArgs(""));
    EXPECT_EQ(r.exitCode, 3) << r.err;
    expectOneLine(r, {"num_hidden_layers", "the 2 layers the weights hold", "found 1000"});
    EXPECT_EQ(folderDigests(modelDir()), before);
}

TEST_F(BadInput, KvCacheTheMachineCannotHoldIsOneLineBeforeTheRunRow)
{
    // 2e9 positions and a run that fills one slot per step for 1.9e9 steps: ~1 TB of KV cache on
    // this 512-byte-per-slot model. It used to ask LibTorch for the whole cache up front and die
    // with a 25-frame trace (exit 4), leaving a failed run.
    editConfig([](json& c) { c["max_position_embeddings"] = 2000000000; });
    const auto before = folderDigests(modelDir());
    const BadInputCliResult r = runBadInputCli(runArgs("--threshold 1 --max-steps 1900000000 --no-stop-at-eos --notebook '" +
                                                       notebookPath().string() + "'"));
    EXPECT_EQ(r.exitCode, 3) << r.err;
    expectOneLine(r, {"KV cache", "this machine's memory", "max_steps 1900000000"});
    EXPECT_EQ(r.err.find("frame"), std::string::npos);
    EXPECT_EQ(runsRecorded(), 0);
    EXPECT_EQ(folderDigests(modelDir()), before);
}

TEST_F(BadInput, NanWeightsAreRecordedWithTheFailedFiniteCheck)
{
    // A NaN in the final norm makes every logit NaN.
    Checkpoint checkpoint = loadCheckpoint(modelDir());
    std::map<std::string, at::Tensor> tensors;
    for (const auto& [name, tensor] : checkpoint.tensors)
        tensors[name] = tensor.clone();
    checkpoint = {};
    tensors.at("model.norm.weight")[0] = std::numeric_limits<float>::quiet_NaN();
    writeSafetensors(modelDir() / "model.safetensors", tensors, {{"format", "pt"}});
    const auto before = folderDigests(modelDir());

    const BadInputCliResult plain = runBadInputCli(runArgs("--max-steps 3"));
    EXPECT_EQ(plain.exitCode, 1) << plain.err; // the finite check failed
    const BadInputCliResult recorded = runBadInputCli(runArgs("--max-steps 3 --notebook '" + notebookPath().string() + "'"));
    EXPECT_EQ(recorded.exitCode, plain.exitCode) << recorded.err;
    EXPECT_EQ(recorded.err, "");

    notebook::Notebook book(notebookPath().string());
    ASSERT_EQ(book.runs().count(), 1);
    const int64_t runId = book.runs().list().front().id;
    EXPECT_EQ(book.runs().find(runId)->status, notebook::RunStatus::Finished);
    bool finiteFailed = false;
    for (const auto& check : book.checks().ofRun(runId))
        finiteFailed = finiteFailed || (check.name == "finite" && !check.passed);
    EXPECT_TRUE(finiteFailed);
    const auto steps = book.steps().ofRun(runId);
    ASSERT_FALSE(steps.empty());
    ASSERT_FALSE(steps.front().probabilities.empty());
    EXPECT_TRUE(std::isnan(steps.front().probabilities.front())); // stored as NULL, read back as NaN
    EXPECT_EQ(folderDigests(modelDir()), before);
}

TEST_F(BadInput, MaxWidthPastTheVocabularyIsRefusedBeforeTheRunRow)
{
    const BadInputCliResult r = runBadInputCli(runArgs("--max-width 100000 --notebook '" + notebookPath().string() + "'"));
    EXPECT_EQ(r.exitCode, 2) << r.err;
    expectOneLine(r, {"max_width", "at most the vocabulary size " + std::to_string(kTestVocabSize), "found 100000"});
    EXPECT_EQ(runsRecorded(), 0);
}

TEST_F(BadInput, StepsPastTheModelsPositionsAreRefusedBeforeTheRunRow)
{
    // 2048 positions; threshold 0.1 lets a set hold 10 members, each in its own slot.
    const BadInputCliResult r = runBadInputCli(runArgs("--max-steps 480 --notebook '" + notebookPath().string() + "'"));
    EXPECT_EQ(r.exitCode, 2) << r.err;
    expectOneLine(r, {"max_steps", "2048 positions", "found 480"});
    EXPECT_EQ(runsRecorded(), 0);
}

TEST_F(BadInput, PromptLongerThanTheModelsPositionsIsBlamedOnThePrompt)
{
    const std::string prompt(100000, 'x');
    const BadInputCliResult r = runBadInputCli("run --model '" + modelDir().string() + "' --prompt '" + prompt +
                                               "' --notebook '" + notebookPath().string() + "'");
    EXPECT_EQ(r.exitCode, 2) << r.err.substr(0, 400);
    EXPECT_NE(r.err.find("the model has 2048 positions"), std::string::npos) << r.err.substr(0, 400);
    EXPECT_NE(r.err.find("the prompt has "), std::string::npos) << r.err.substr(0, 400);
    EXPECT_EQ(r.err.find("max_steps/position_offset"), std::string::npos);
    EXPECT_EQ(runsRecorded(), 0);
}

} // namespace
} // namespace tempo
