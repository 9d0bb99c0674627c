// tempo-lab-cli next / generate on a model written by writeTestModel, checked against the library
// (the CLI must report the same distribution and the same greedy continuation).

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <sys/wait.h>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/testmodel/testmodel.h"
#include "core/tokenizer/tokenizer.h"
#include "support/testsupport.h"

namespace tempo {
namespace {

struct CliResult {
    int exitCode = -1;
    std::string output; // stdout only
};

CliResult runCli(const std::string& arguments)
{
    const std::string command = std::string("'") + TEMPO_CLI_PATH + "' " + arguments + " 2>/dev/null";
    CliResult result;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe)
        return result;
    std::array<char, 4096> buffer{};
    size_t got = 0;
    while ((got = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        result.output.append(buffer.data(), got);
    const int status = ::pclose(pipe);
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

TEST(CliNextTest, NextReportsTheLibraryDistributionAndGenerateIsGreedy)
{
    test::TempDir dir("tempo-cli-next");
    TestModelSpec spec;
    spec.peaked = true;
    writeTestModel(dir.path(), spec);
    const std::string model = "--model '" + dir.path().string() + "' --threads 1";

    // Library reference: prefill "The cat" with BOS, softmax of the last row.
    const Tokenizer tokenizer = Tokenizer::fromFile(dir / "tokenizer.json");
    const std::vector<int64_t> ids = tokenizer.encode("The cat", true);
    ASSERT_EQ(ids.front(), kTestBeginOfTextId);
    ComputeOptions options;
    options.threads = 1;
    const LlamaModel reference(loadCheckpoint(dir.path()), options);
    const int64_t n = static_cast<int64_t>(ids.size());
    KVCache cache = reference.makeCache(n + 8);
    const at::Tensor logits = reference.forward({at::tensor(ids, at::kLong), at::arange(n, at::kLong),
                                                 at::ones({n, n}, at::kBool).tril()}, cache).logits;
    const at::Tensor probabilities = at::softmax(logits[-1].to(at::kDouble), 0); // [V]

    const CliResult next = runCli("next " + model + " --prompt 'The cat' --top 3");
    ASSERT_EQ(next.exitCode, 0) << next.output;
    const nlohmann::json result = nlohmann::json::parse(next.output);
    EXPECT_EQ(result["tokens"].get<int64_t>(), n);
    ASSERT_EQ(result["top"].size(), 3u);
    const auto best = probabilities.topk(3);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(result["top"][i]["id"].get<int64_t>(), std::get<1>(best)[i].item<int64_t>());
        EXPECT_NEAR(result["top"][i]["prob"].get<double>(), std::get<0>(best)[i].item<double>(), 1e-5);
        EXPECT_EQ(result["top"][i]["token"].get<std::string>(), tokenizer.tokenText(std::get<1>(best)[i].item<int64_t>()));
    }
    double entropy = 0; // by definition, -sum p ln p
    for (int64_t v = 0; v < probabilities.size(0); ++v) {
        const double p = probabilities[v].item<double>();
        if (p > 0)
            entropy -= p * std::log(p);
    }
    EXPECT_NEAR(result["entropy"].get<double>(), entropy, 1e-4);

    // --ids gives the same answer as the prompt's ids.
    std::string idList;
    for (int64_t id : ids)
        idList += (idList.empty() ? "" : ",") + std::to_string(id);
    const CliResult byIds = runCli("next " + model + " --ids " + idList + " --top 3");
    ASSERT_EQ(byIds.exitCode, 0);
    EXPECT_EQ(nlohmann::json::parse(byIds.output)["top"], result["top"]);

    // generate: greedy continuation, the first token is the argmax above.
    const CliResult generated = runCli("generate " + model + " --prompt 'The cat' --max-tokens 4");
    ASSERT_EQ(generated.exitCode, 0);
    std::vector<int64_t> greedy = ids;
    for (int step = 0; step < 4; ++step) {
        const int64_t nextId = step == 0 ? logits[-1].argmax().item<int64_t>()
                                         : reference.forward({at::tensor(std::vector<int64_t>{greedy.back()}, at::kLong),
                                                              at::tensor(std::vector<int64_t>{int64_t(greedy.size()) - 1}, at::kLong),
                                                              at::ones({1, int64_t(greedy.size())}, at::kBool)}, cache)
                                               .logits[0].argmax().item<int64_t>();
        if (nextId == kTestEndOfTextId)
            break;
        greedy.push_back(nextId);
    }
    const std::string expectedText =
        "The cat" + tokenizer.decode(std::vector<int64_t>(greedy.begin() + n, greedy.end())) + "\n";
    EXPECT_EQ(generated.output, expectedText);

    // Bad flags are usage errors (exit 2).
    EXPECT_EQ(runCli("next " + model + " --prompt x --dtype f16").exitCode, 2);
    EXPECT_EQ(runCli("next " + model).exitCode, 2);
    EXPECT_EQ(runCli("next " + model + " --ids 1,99999").exitCode, 2);
}

} // namespace
} // namespace tempo
