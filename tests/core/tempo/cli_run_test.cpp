// tempo-lab-cli run on a generated peaked model folder: both modes produce multi-member sets,
// every check passes, and the modes' outputs differ from the first multi-member set on.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "core/testmodel/testmodel.h"
#include "peakedmodel.h"
#include "support/testsupport.h"

namespace tempo {
namespace {

struct CliResult {
    int exitCode = -1;
    std::string out; // stdout and stderr
};

CliResult runCli(const std::string& arguments, bool withStderr = true)
{
    const test::ShellResult shell =
        test::runShell(std::string(TEMPO_CLI_PATH) + " " + arguments + (withStderr ? " 2>&1" : " 2>/dev/null"));
    return {shell.exitCode, shell.out};
}

class CliRun : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dir_ = new test::TempDir("tempo-cli-run");
        writeTestModel(dir_->path(), test::peakedSpec());
    }
    static void TearDownTestSuite()
    {
        delete dir_;
        dir_ = nullptr;
    }
    static std::string modelArgs()
    {
        return "--model '" + dir_->path().string() + "' --prompt 'The cat sat on the' --threshold 0.1 --max-steps 10";
    }
    static nlohmann::json runJson(const std::string& mode)
    {
        const CliResult r = runCli("run " + modelArgs() + " --mode " + mode + " --readout mean --capture attention,logits,kv --json",
                                   false);
        EXPECT_EQ(r.exitCode, 0) << r.out;
        return nlohmann::json::parse(r.out);
    }
    static test::TempDir* dir_;
};

test::TempDir* CliRun::dir_ = nullptr;

int64_t firstMultiMemberStep(const nlohmann::json& run)
{
    for (const auto& step : run["steps"])
        if (step["ids"].size() >= 2)
            return step["step"].get<int64_t>();
    return -1;
}

TEST_F(CliRun, BothModesGiveMultiMemberSetsPassEveryCheckAndDifferFromTheFirstMultiMemberSet)
{
    const nlohmann::json isolated = runJson("isolated");
    const nlohmann::json visible = runJson("visible");
    for (const auto* run : {&isolated, &visible}) {
        std::printf("%s: %s\n", (*run)["config"]["mode"].get<std::string>().c_str(), (*run)["text"].get<std::string>().c_str());
        ASSERT_EQ((*run)["checks"].size(), 5u);
        for (const auto& check : (*run)["checks"])
            EXPECT_TRUE(check["passed"].get<bool>()) << check.dump();
        EXPECT_GE(firstMultiMemberStep(*run), 0) << "no set of 2+ members";
        EXPECT_GT((*run)["timing"]["prefill_ms"].get<double>(), 0.0);
        EXPECT_GT((*run)["timing"]["ms_per_step"].get<double>(), 0.0);
        for (const auto& step : (*run)["steps"]) {
            ASSERT_EQ(step["slots"].size(), step["ids"].size());
            ASSERT_EQ(step["tokens"].size(), step["ids"].size());
            ASSERT_EQ(step["probs"].size(), step["ids"].size());
            // Members pass the threshold; a single token below it is the empty set's argmax fallback.
            if (step["ids"].size() >= 2) {
                for (const auto& p : step["probs"])
                    EXPECT_GE(p.get<double>(), 0.1 - 1e-12);
            }
        }
        // The kv capture's position ids are the steps' logical positions, shared by each set.
        const auto& used = (*run)["captures"]["kv"]["position_ids_used"];
        for (const auto& step : (*run)["steps"])
            for (const auto& p : used[step["step"].get<size_t>() + 1])
                EXPECT_EQ(p.get<int64_t>(), step["logical_position"].get<int64_t>());
    }
    const int64_t first = firstMultiMemberStep(isolated);
    ASSERT_EQ(firstMultiMemberStep(visible), first);
    for (int64_t s = 0; s <= first; ++s)
        ASSERT_EQ(isolated["steps"][s]["ids"], visible["steps"][s]["ids"]) << "step " << s;

    // After the first multi-member set the modes must differ: in the text, or (if the sets happen
    // to agree for this seed) in the probabilities of the next steps.
    double probDiff = 0.0;
    const size_t steps = std::min(isolated["steps"].size(), visible["steps"].size());
    for (size_t s = static_cast<size_t>(first) + 1; s < steps; ++s) {
        const auto& a = isolated["steps"][s]["probs"];
        const auto& b = visible["steps"][s]["probs"];
        if (a.size() != b.size() || isolated["steps"][s]["ids"] != visible["steps"][s]["ids"]) {
            probDiff = 1.0;
            break;
        }
        for (size_t i = 0; i < a.size(); ++i)
            probDiff = std::max(probDiff, std::abs(a[i].get<double>() - b[i].get<double>()));
    }
    const bool textsDiffer = isolated["text"] != visible["text"];
    std::printf("first multi-member set at step %lld; texts %s; max prob difference after it %.3g\n",
                static_cast<long long>(first), textsDiffer ? "differ" : "equal", probDiff);
    EXPECT_GT(probDiff, 1e-6);
}

TEST_F(CliRun, PlainOutputIsTheBracketedTextAndACheckSummary)
{
    const CliResult r = runCli("run " + modelArgs() + " --mode visible");
    ASSERT_EQ(r.exitCode, 0) << r.out;
    EXPECT_EQ(r.out.rfind("The cat sat on the", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("["), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("/"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\nchecks: 5/5 passed\n"), std::string::npos) << r.out;
}

// A check the run gave nothing to check is counted apart from the passed ones, in the summary
// line, the JSON and the notebook's `show`: with threshold 1 every set has one member, so no
// forward tests sibling attention.
TEST_F(CliRun, ACheckThatDidNotApplyIsCountedApartFromThePassedOnes)
{
    const std::string args =
        "--model '" + dir_->path().string() + "' --prompt 'The cat sat on the' --threshold 1 --max-steps 3";
    const CliResult plain = runCli("run " + args);
    ASSERT_EQ(plain.exitCode, 0) << plain.out;
    EXPECT_NE(plain.out.find("\nchecks: 4/4 passed, 1 not applicable (sibling_attention)\n"), std::string::npos)
        << plain.out;

    test::TempDir books("tempo-cli-run-not-applicable");
    const std::string book = (books.path() / "lab.sqlite").string();
    const CliResult r = runCli("run " + args + " --json --notebook '" + book + "'", false);
    ASSERT_EQ(r.exitCode, 0) << r.out;
    const nlohmann::json printed = nlohmann::json::parse(r.out);
    ASSERT_EQ(printed["checks"].size(), 5u) << printed["checks"].dump();
    for (const auto& check : printed["checks"]) {
        EXPECT_TRUE(check["passed"].get<bool>()) << check.dump();
        EXPECT_EQ(check["not_applicable"].get<bool>(), check["name"] == "sibling_attention") << check.dump();
    }
    const CliResult shown = runCli("show " + std::to_string(printed["run_id"].get<int64_t>()) + " --notebook '" + book + "'");
    ASSERT_EQ(shown.exitCode, 0) << shown.out;
    EXPECT_NE(shown.out.find("check      N/A  sibling_attention"), std::string::npos) << shown.out;
    EXPECT_NE(shown.out.find("check      PASS finite"), std::string::npos) << shown.out;
}

TEST_F(CliRun, BadValuesAndMissingModelsAreRefusedWithTheirExitCodes)
{
    CliResult r = runCli("run " + modelArgs() + " --threshold 1.5");
    EXPECT_EQ(r.exitCode, 2) << r.out;
    EXPECT_NE(r.out.find("threshold"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1.5"), std::string::npos) << r.out;
    r = runCli("run " + modelArgs() + " --mode both");
    EXPECT_EQ(r.exitCode, 2) << r.out;
    r = runCli("run " + modelArgs() + " --capture attention,hidden");
    EXPECT_EQ(r.exitCode, 2) << r.out;
    EXPECT_NE(r.out.find("hidden"), std::string::npos) << r.out;
    r = runCli("run --model /nonexistent/tempo-model --prompt x");
    EXPECT_EQ(r.exitCode, 3) << r.out;
}

} // namespace
} // namespace tempo

namespace tempo {
namespace {

// `run --notebook F` records the run: `show` reads back the same sets, the same checks and the
// provenance from the notebook file, and the capture asked for is stored as tensors.
TEST_F(CliRun, NotebookRecordsTheRunWithItsStepsChecksAndCaptures)
{
    test::TempDir books("tempo-cli-run-notebook");
    const std::string book = (books.path() / "lab.sqlite").string();
    const CliResult r = runCli("run " + modelArgs() + " --mode visible --capture kv --json --notebook '" + book + "'", false);
    ASSERT_EQ(r.exitCode, 0) << r.out;
    const nlohmann::json printed = nlohmann::json::parse(r.out);
    ASSERT_TRUE(printed.contains("run_id"));

    const CliResult shown = runCli("show " + std::to_string(printed["run_id"].get<int64_t>()) + " --json --notebook '" + book + "'",
                                   false);
    ASSERT_EQ(shown.exitCode, 0) << shown.out;
    const nlohmann::json stored = nlohmann::json::parse(shown.out);
    EXPECT_EQ(stored["status"], "finished");
    EXPECT_EQ(stored["prompt"], "The cat sat on the");
    ASSERT_EQ(stored["steps"].size(), printed["steps"].size());
    for (size_t i = 0; i < printed["steps"].size(); ++i) {
        EXPECT_EQ(stored["steps"][i]["token_ids"], printed["steps"][i]["ids"]) << "step " << i;
        EXPECT_EQ(stored["steps"][i]["logical_position"], printed["steps"][i]["logical_position"]) << "step " << i;
    }
    ASSERT_EQ(stored["checks"].size(), printed["checks"].size());
    for (size_t i = 0; i < printed["checks"].size(); ++i) {
        EXPECT_EQ(stored["checks"][i]["name"], printed["checks"][i]["name"]);
        EXPECT_EQ(stored["checks"][i]["passed"], printed["checks"][i]["passed"]);
    }
    EXPECT_EQ(stored["provenance"]["device"], "cpu");
    EXPECT_FALSE(stored["model"]["weights_sha256"].get<std::string>().empty());
    ASSERT_TRUE(stored.contains("tensors")) << stored.dump(2);
    EXPECT_FALSE(stored["tensors"].empty()) << "--capture kv must store the kv tensors";
}

} // namespace
} // namespace tempo
