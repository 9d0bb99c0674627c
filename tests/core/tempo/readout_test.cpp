// Readout precision (issue 14, point 3): a run's probabilities agree with `tempo-lab-cli next`
// (float64 log-softmax, which matches llama.cpp) to better than 1e-6, and a readout sums to 1
// within 1e-12 even on a 128k vocabulary, where a float32 softmax was off by up to ~4e-5.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>
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

// A float64 reference for one row, independent of both kernels: long double exponentials of
// (x - max), summed in long double.
std::vector<long double> referenceSoftmax(const std::vector<float>& logits)
{
    long double highest = -INFINITY;
    for (float x : logits)
        highest = std::max<long double>(highest, x);
    std::vector<long double> out;
    long double sum = 0.0L;
    for (float x : logits) {
        out.push_back(std::exp(static_cast<long double>(x) - highest));
        sum += out.back();
    }
    for (long double& p : out)
        p /= sum;
    return out;
}

std::vector<float> randomLogits(int64_t vocab, float scale, uint64_t seed)
{
    at::manual_seed(seed);
    const at::Tensor t = (at::randn({vocab}, at::kFloat) * scale).contiguous();
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + vocab);
}

TEST(Readout, SoftmaxRowMatchesALongDoubleReferenceWithBothKernels)
{
    // Vocabularies that are and are not multiples of the 8 lanes; logits spread over ~+-60 so
    // that probabilities span ~50 orders of magnitude.
    for (int64_t vocab : {1, 5, 8, 13, 4096, 4099}) {
        const std::vector<float> logits = randomLogits(vocab, 12.0f, 18 + static_cast<uint64_t>(vocab));
        const std::vector<long double> reference = referenceSoftmax(logits);
        for (SoftmaxKernel kernel : {SoftmaxKernel::Fastest, SoftmaxKernel::LibTorch}) {
            std::vector<double> p(static_cast<size_t>(vocab), -1.0);
            softmaxRowFloat64(logits.data(), vocab, p.data(), kernel);
            double worstRelative = 0.0;
            double worstRatio = 0.0; // p[v] / p[argmax] against exp(x[v] - max): the exponential alone
            const size_t top = static_cast<size_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
            for (size_t v = 0; v < p.size(); ++v) {
                worstRelative = std::max(worstRelative, static_cast<double>(std::abs((p[v] - reference[v]) / reference[v])));
                const long double exact = std::exp(static_cast<long double>(logits[v]) - logits[top]);
                const long double ratio = static_cast<long double>(p[v]) / p[top];
                worstRatio = std::max(worstRatio, static_cast<double>(std::abs((ratio - exact) / exact)));
            }
            std::printf("softmax row V = %lld, %s kernel: max relative diff %.3g (tolerance 1e-13), exp ratios %.3g "
                        "(tolerance 1e-15)\n",
                        static_cast<long long>(vocab), kernel == SoftmaxKernel::Fastest ? "fastest" : "LibTorch",
                        worstRelative, worstRatio);
            EXPECT_LE(worstRelative, 1e-13) << "V " << vocab;
            EXPECT_LE(worstRatio, 1e-15) << "V " << vocab;
        }
    }
}

TEST(Readout, SoftmaxRowHandlesTiesInfinitiesNaNAndUnderflowAsLibTorch)
{
    const float inf = INFINITY;
    const float nan = NAN;
    struct Case {
        const char* what;
        std::vector<float> logits;
    };
    const std::vector<Case> cases{
        {"ties", {2.0f, 5.0f, 5.0f, -1.0f, 2.0f, 5.0f, 0.0f, 0.0f, 2.0f, 5.0f, 1.0f}},
        {"-inf entries", {-inf, 1.0f, -inf, 0.5f, -inf, -inf, -inf, -inf, -inf, 3.0f}},
        {"underflow to subnormal and 0", {0.0f, -700.0f, -740.0f, -745.0f, -800.0f, -1e30f, -3e38f, -20.0f, -0.0f}},
        {"NaN", {0.1f, 0.2f, nan, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f}},
        {"+inf", {0.1f, inf, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f}},
        {"all -inf", {-inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf}},
    };
    for (const Case& c : cases) {
        const int64_t vocab = static_cast<int64_t>(c.logits.size());
        const at::Tensor expected =
            at::softmax(at::tensor(c.logits, at::kFloat).to(at::kDouble), -1).contiguous(); // [V]
        std::vector<double> p(c.logits.size(), -1.0);
        softmaxRowFloat64(c.logits.data(), vocab, p.data());
        for (int64_t v = 0; v < vocab; ++v) {
            const double e = expected.data_ptr<double>()[v];
            const double got = p[static_cast<size_t>(v)];
            if (std::isnan(e)) {
                EXPECT_TRUE(std::isnan(got)) << c.what << " entry " << v;
            } else if (e == 0.0) {
                EXPECT_EQ(got, 0.0) << c.what << " entry " << v;
            } else {
                const double tolerance = e < 1e-300 ? 1e-320 : 1e-14 * e; // subnormals: absolute
                EXPECT_NEAR(got, e, tolerance) << c.what << " entry " << v;
            }
        }
        for (int64_t a = 0; a < vocab; ++a)
            for (int64_t b = 0; b < vocab; ++b) {
                if (c.logits[static_cast<size_t>(a)] == c.logits[static_cast<size_t>(b)] && !std::isnan(p[static_cast<size_t>(a)])) {
                    EXPECT_EQ(p[static_cast<size_t>(a)], p[static_cast<size_t>(b)]) << c.what << ": tied logits " << a << ", " << b;
                }
            }
    }
}

// What the decoder did before readOutStep: readOutDistribution, then LibTorch operators.
StepReadout operatorReadout(const at::Tensor& rowLogits, Readout readout, int64_t k)
{
    const ReadoutDistributions read = readOutDistribution(rowLogits, readout);
    StepReadout out;
    out.distributionSum = read.distribution.sum().item<double>();
    out.distribution = read.distribution.to(at::kFloat).contiguous();
    const at::Tensor rows = read.rows.to(at::kFloat);
    for (int64_t r = 0; r < rows.size(0); ++r)
        out.rowTop.push_back(topCandidates(rows[r], k));
    return out;
}

TEST(Readout, StepReadoutEqualsTheOperatorReadoutOnOneRowEightRowsTiesAndNonFiniteRows)
{
    struct Case {
        const char* what;
        at::Tensor logits; // [r, V] float32
    };
    at::manual_seed(7);
    std::vector<Case> cases;
    cases.push_back({"one row", at::randn({1, 4096}, at::kFloat) * 4.0f});
    cases.push_back({"width 8", at::randn({8, 4096}, at::kFloat) * 4.0f});
    cases.push_back({"width 3, V not a multiple of 8", at::randn({3, 4101}, at::kFloat) * 4.0f});
    at::Tensor ties = at::randint(-3, 3, {8, 4096}, at::kFloat); // a few levels: many exact ties
    cases.push_back({"ties", ties});
    at::Tensor nonFinite = at::randn({4, 1000}, at::kFloat);
    nonFinite[1][17] = NAN;
    nonFinite[2][3] = -INFINITY;
    nonFinite[3][999] = INFINITY;
    cases.push_back({"NaN, -inf and +inf rows", nonFinite});
    for (const Case& c : cases) {
        for (Readout readout : {Readout::Mean, Readout::Last})
            for (SoftmaxKernel kernel : {SoftmaxKernel::Fastest, SoftmaxKernel::LibTorch}) {
            const StepReadout got = readOutStep(c.logits, readout, 20, kernel);
            const StepReadout expected = operatorReadout(c.logits, readout, 20);
            const int64_t vocab = c.logits.size(1);
            ASSERT_EQ(got.distribution.scalar_type(), at::kFloat);
            ASSERT_EQ(got.distribution.numel(), vocab);
            const float* g = got.distribution.data_ptr<float>();
            const float* e = expected.distribution.data_ptr<float>();
            int64_t offByOneUlp = 0;
            for (int64_t v = 0; v < vocab; ++v) {
                if (std::isnan(e[v])) {
                    EXPECT_TRUE(std::isnan(g[v])) << c.what << " entry " << v;
                    continue;
                }
                // float64 results that differ in their last bits may round to neighbouring floats.
                if (g[v] != e[v]) {
                    ++offByOneUlp;
                    EXPECT_TRUE(g[v] == std::nextafter(e[v], INFINITY) || g[v] == std::nextafter(e[v], -INFINITY))
                        << c.what << " entry " << v << ": " << g[v] << " vs " << e[v];
                }
            }
            if (std::isnan(expected.distributionSum))
                EXPECT_TRUE(std::isnan(got.distributionSum)) << c.what;
            else
                EXPECT_NEAR(got.distributionSum, expected.distributionSum, 1e-14) << c.what;
            ASSERT_EQ(got.rowTop.size(), expected.rowTop.size()) << c.what;
            for (size_t r = 0; r < got.rowTop.size(); ++r) {
                ASSERT_EQ(got.rowTop[r].size(), expected.rowTop[r].size()) << c.what << " row " << r;
                for (size_t i = 0; i < got.rowTop[r].size(); ++i) {
                    EXPECT_EQ(got.rowTop[r][i].tokenId, expected.rowTop[r][i].tokenId) << c.what << " row " << r << " rank " << i;
                    const double a = got.rowTop[r][i].probability;
                    const double b = expected.rowTop[r][i].probability;
                    EXPECT_TRUE((std::isnan(a) && std::isnan(b)) || std::abs(a - b) <= 1.2e-7 * std::abs(b))
                        << c.what << " row " << r << " rank " << i;
                }
            }
            std::printf("step readout %s, %s, %s kernel: %lld of %lld float32 entries one ulp off the operator path, |sum diff| %.3g\n",
                        c.what, readoutName(readout).c_str(), kernel == SoftmaxKernel::Fastest ? "fastest" : "LibTorch",
                        static_cast<long long>(offByOneUlp),
                        static_cast<long long>(vocab), std::abs(got.distributionSum - expected.distributionSum));
        }
    }
}

TEST(Readout, StepReadoutTakesTheOperatorPathForOtherDtypesAndLayoutsWithTheSameResult)
{
    at::manual_seed(9);
    const at::Tensor logits = at::randn({5, 300}, at::kFloat) * 3.0f; // [5, V]
    const StepReadout plain = readOutStep(logits, Readout::Mean, 0);
    EXPECT_TRUE(plain.rowTop.empty());
    const at::Tensor strided = logits.t().contiguous().t(); // same values, column-major
    ASSERT_FALSE(strided.is_contiguous());
    for (const at::Tensor& other : {strided, logits.to(at::kDouble)}) {
        const StepReadout read = readOutStep(other, Readout::Mean, 0);
        const double maxDiff = (read.distribution - plain.distribution).abs().max().item<double>();
        EXPECT_LE(maxDiff, 1.2e-7);
        EXPECT_NEAR(read.distributionSum, plain.distributionSum, 1e-14);
    }
    EXPECT_ANY_THROW(readOutStep(at::zeros({0, 4}), Readout::Mean, 0));
    EXPECT_ANY_THROW(readOutStep(at::zeros({4}), Readout::Mean, 0));
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
