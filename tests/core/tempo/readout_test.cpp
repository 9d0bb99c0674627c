// Readout precision (issue 14, point 3): a run's probabilities agree with `tempo-lab-cli next`
// (float64 log-softmax, which matches llama.cpp) to better than 1e-6, and a readout sums to 1
// within 1e-12 even on a 128k vocabulary, where a float32 softmax was off by up to ~4e-5.

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
#include "core/tempo/readout.h"
#include "core/tempo/tempodecoder.h"
#include "core/testmodel/testmodel.h"
#include "peakedmodel.h"
#include "support/testsupport.h"

namespace tempo {
namespace {

// Logits with a long tail and a few dominant entries, like a trained LM head over a Llama 3
// vocabulary: [rows, 128256] float32.
at::Tensor largeVocabularyLogits(int64_t rows)
{
    at::manual_seed(14);
    at::Tensor logits = at::randn({rows, 128256}, at::kFloat) * 3.0f;
    logits.narrow(1, 0, 3).add_(18.0f); // p ~ 0.3 each for the first three ids
    return logits;
}

TEST(Readout, LargeVocabularyDistributionMatchesFloat64ReferenceAndSumsToOne)
{
    const at::Tensor logits = largeVocabularyLogits(4); // [4, V]
    // The reference `next` uses: float64 log-softmax, then exp.
    const at::Tensor reference = at::log_softmax(logits.to(at::kDouble), -1).exp(); // [4, V]
    for (Readout readout : {Readout::Mean, Readout::Last}) {
        const ReadoutDistributions read = readOutDistribution(logits, readout);
        const at::Tensor expected = readout == Readout::Mean ? reference.mean(0) : reference[3]; // [V]
        const double maxDiff = (read.distribution - expected).abs().max().item<double>();
        const double sumError = std::abs(read.distribution.sum().item<double>() - 1.0);
        const at::Tensor float32Softmax = at::softmax(logits, -1);
        const at::Tensor float32Path = readout == Readout::Mean ? float32Softmax.mean(0) : float32Softmax[3];
        const double float32Diff = (float32Path.to(at::kDouble) - expected).abs().max().item<double>();
        std::printf("readout %s, V = 128256: maxdiff %.3g (tolerance 1e-9), |sum p - 1| = %.3g (tolerance 1e-12); "
                    "the float32 softmax it replaces: maxdiff %.3g\n",
                    readoutName(readout).c_str(), maxDiff, sumError, float32Diff);
        EXPECT_EQ(read.distribution.scalar_type(), at::kDouble);
        EXPECT_LE(maxDiff, 1e-9);
        EXPECT_LE(sumError, 1e-12);
    }
}

struct NextCliResult {
    int exitCode = -1;
    std::string out;
};

NextCliResult runNextCli(const std::string& arguments)
{
    const test::ShellResult shell =
        test::runShell("timeout 120 " + std::string(TEMPO_CLI_PATH) + " " + arguments + " 2>/dev/null");
    return {shell.exitCode, shell.out};
}

TEST(Readout, TempoStepZeroProbabilitiesMatchTheNextCommandWithin1e6)
{
    test::TempDir dir("tempo-readout-next");
    writeTestModel(dir.path(), test::peakedSpec());
    const std::vector<int64_t> prompt = test::peakedPrompt();
    std::string ids;
    for (int64_t id : prompt)
        ids += (ids.empty() ? "" : ",") + std::to_string(id);

    // `next` over the whole vocabulary.
    const NextCliResult next = runNextCli("next --model '" + dir.path().string() + "' --ids " + ids + " --top " +
                                          std::to_string(kTestVocabSize));
    ASSERT_EQ(next.exitCode, 0) << next.out;
    const nlohmann::json top = nlohmann::json::parse(next.out)["top"];
    ASSERT_EQ(top.size(), static_cast<size_t>(kTestVocabSize));
    std::vector<double> nextProbabilities(static_cast<size_t>(kTestVocabSize), -1.0);
    for (const auto& entry : top)
        nextProbabilities[entry["id"].get<size_t>()] = entry["prob"].get<double>();

    // A TEMPO run on the same folder: p_0 is the prefill readout, step 0's set is chosen from it.
    const Checkpoint checkpoint = loadCheckpoint(dir.path());
    const LlamaModel model(checkpoint, ComputeOptions{});
    TempoConfig config = test::peakedConfig(SiblingMode::Isolated, 1);
    CaptureOptions captures;
    captures.logits = true;
    const TempoRun run = TempoDecoder(model).run(prompt, config, captures);
    ASSERT_FALSE(run.captures.readouts.empty());
    ASSERT_EQ(run.steps.size(), 1u);
    const at::Tensor distribution = run.captures.readouts.front().distribution.to(at::kDouble).contiguous(); // [V]
    ASSERT_EQ(distribution.size(0), kTestVocabSize);

    double worst = 0.0;
    const double* p = distribution.data_ptr<double>();
    for (int64_t v = 0; v < kTestVocabSize; ++v)
        worst = std::max(worst, std::abs(p[v] - nextProbabilities[static_cast<size_t>(v)]));
    double worstMember = 0.0;
    const StepRecord& step0 = run.steps.front();
    for (size_t m = 0; m < step0.tokenIds.size(); ++m)
        worstMember = std::max(worstMember, std::abs(step0.probabilities[m] -
                                                     nextProbabilities[static_cast<size_t>(step0.tokenIds[m])]));
    std::printf("TEMPO p_0 vs next over %lld tokens: maxdiff %.3g; step-0 members (%zu): maxdiff %.3g (tolerance 1e-6)\n",
                static_cast<long long>(kTestVocabSize), worst, step0.tokenIds.size(), worstMember);
    EXPECT_LE(worst, 1e-6);
    EXPECT_LE(worstMember, 1e-6);
}

} // namespace
} // namespace tempo
