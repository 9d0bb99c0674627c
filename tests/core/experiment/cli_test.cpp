// tempo-lab-cli preset list / preset run / sweep through the built binary (TEMPO_CLI_PATH).

#include <sys/wait.h>

#include <cstdio>
#include <string>

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
    const auto run = book.run(out["runs"][1]["id"].get<int64_t>());
    ASSERT_TRUE(run);
    EXPECT_EQ(json::parse(run->configJson)["tempo"]["max_steps"], 3);
    EXPECT_EQ(run->provenance.threads, 1);
    EXPECT_EQ(book.group(out["group_id"].get<int64_t>())->runIds.size(), 2u);

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

} // namespace
} // namespace tempo::test
