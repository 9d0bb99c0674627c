// tempo-lab-cli tokenize / decode, run as a separate process the way other tools call them.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "llama3data.h"

namespace tempo {
namespace {

using nlohmann::json;

struct ProcessResult {
    int exitCode = -1;
    std::string out;
    std::string err;
};

// Single-quotes a word for /bin/sh.
std::string shellQuote(const std::string& word)
{
    std::string out = "'";
    for (char c : word)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

class TokenizerCli : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = std::filesystem::temp_directory_path() /
               ("tempo-cli-tokenizer-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_ / "model");
        std::filesystem::copy_file(testing::llama3TokenizerPath(), dir_ / "model" / "tokenizer.json");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    ProcessResult run(const std::vector<std::string>& args) const
    {
        std::string command = shellQuote(TEMPO_CLI_PATH);
        for (const std::string& arg : args)
            command += " " + shellQuote(arg);
        const std::filesystem::path errPath = dir_ / "stderr.txt";
        command += " 2>" + shellQuote(errPath.string());
        ProcessResult result;
        FILE* pipe = ::popen(command.c_str(), "r");
        if (!pipe) {
            ADD_FAILURE() << "popen failed for " << command;
            return result;
        }
        char buffer[4096];
        size_t got;
        while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
            result.out.append(buffer, got);
        const int status = ::pclose(pipe);
        result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::ifstream errStream(errPath);
        std::stringstream errText;
        errText << errStream.rdbuf();
        result.err = errText.str();
        return result;
    }

    std::string modelDir() const { return (dir_ / "model").string(); }
    std::filesystem::path dir_;
};

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream stream(text);
    std::string line;
    while (std::getline(stream, line))
        out.push_back(line);
    return out;
}

TEST_F(TokenizerCli, TokenizeTextGivesReferenceIds)
{
    const auto cases = testing::readGoldenCases("cases.jsonl");
    const auto& goldenCase = cases.at(9); // emoji and a family ZWJ sequence
    ASSERT_NE(goldenCase.text.find("emoji"), std::string::npos);
    const ProcessResult result = run({"tokenize", "--model", modelDir(), "--text", goldenCase.text, "--no-special"});
    ASSERT_EQ(result.exitCode, 0) << result.err;
    const std::vector<std::string> outLines = lines(result.out);
    ASSERT_EQ(outLines.size(), 1u) << result.out;
    const json output = json::parse(outLines[0]);
    EXPECT_EQ(testing::firstMismatch(goldenCase.ids, output.at("ids").get<std::vector<int64_t>>()), "")
        << outLines[0];
    EXPECT_EQ(outLines[0], json({{"ids", goldenCase.ids}}).dump());
}

TEST_F(TokenizerCli, TokenizeJsonlKeepsOrder)
{
    const auto cases = testing::readGoldenCases("cases.jsonl");
    const std::filesystem::path input = dir_ / "input.jsonl";
    {
        std::ofstream stream(input);
        for (const auto& goldenCase : cases)
            stream << json({{"text", goldenCase.text}}).dump() << "\n";
    }
    const ProcessResult result = run({"tokenize", "--model", modelDir(), "--jsonl", input.string(), "--no-special"});
    ASSERT_EQ(result.exitCode, 0) << result.err;
    const std::vector<std::string> outLines = lines(result.out);
    ASSERT_EQ(outLines.size(), cases.size()) << result.out;
    for (size_t i = 0; i < cases.size(); ++i) {
        const auto ids = json::parse(outLines[i]).at("ids").get<std::vector<int64_t>>();
        EXPECT_EQ(testing::firstMismatch(cases[i].ids, ids), "") << "line " << i + 1 << " " << testing::quoted(cases[i].text);
    }
}

TEST_F(TokenizerCli, DecodePrintsTextAndReplacesBrokenUtf8)
{
    ProcessResult result = run({"decode", "--model", modelDir(), "--ids", "791,8415,7731,389,279"});
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(result.out, "{\"text\":\"The cat sat on the\"}\n");
    // 9468 is the first bytes of "🙂" alone (cases.jsonl), which cannot stand as text.
    result = run({"decode", "--model", modelDir(), "--ids", "9468,220"});
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(json::parse(result.out).at("text").get<std::string>(), "\xEF\xBF\xBD ");
}

TEST_F(TokenizerCli, MissingFolderFailsWithAMessage)
{
    const std::string missing = (dir_ / "no-such-model").string();
    const ProcessResult result = run({"tokenize", "--model", missing, "--text", "hello"});
    EXPECT_NE(result.exitCode, 0);
    EXPECT_EQ(result.exitCode, 3) << "bad input files map to exit code 3 (src/cli/command.h)";
    EXPECT_NE(result.err.find(missing), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST_F(TokenizerCli, BadFlagsAreUsageErrors)
{
    const ProcessResult result = run({"decode", "--model", modelDir(), "--ids", "1,x"});
    EXPECT_EQ(result.exitCode, 2) << result.err;
    EXPECT_NE(result.err.find("'x'"), std::string::npos) << result.err;
}

} // namespace
} // namespace tempo
