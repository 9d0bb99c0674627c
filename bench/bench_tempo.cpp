// bench_tempo: what a TEMPO step costs relative to a greedy step, and what each capture adds.
//
// Part 1: one step (selection + one forward of w rows at one logical position with the
// isolated mask + mean readout) for w = 1, 2, 4, 8, 16, against a greedy step (argmax + a
// one-row forward + softmax), same model, same cached context (the cache is truncated back to
// the context before every repetition). Also w = 8 with attention captured for all layers.
// Part 2: whole TempoDecoder runs with each capture kind, against the same run capturing nothing.
//
// Models: the tiny peaked test model, and a 1B-shaped random model (16 layers, hidden 2048,
// 32 heads, 8 KV heads, intermediate 8192, vocab 128256, tied) built in memory in f32.
// Usage: bench_tempo [--reps N] [--only tiny|1b] [--context N] [--threads N] [--dtype f32|bf16]
// (bf16 on CPU: few-row projections run on AMX tiles where the CPU has them, see rowprojection.h)
// Targets on CPU: width 8 <= 1.5x a greedy step; attention capture of all layers adds <= 15%.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/tempo/selection.h"
#include "core/tempo/slotlayout.h"
#include "core/tempo/tempodecoder.h"
#include "core/testmodel/testmodel.h"

using namespace tempo;

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// 1B-shaped Llama with random weights, in memory (no files). Scales keep activations O(1).
Checkpoint oneBillionShaped()
{
    TestModelSpec spec;
    spec.layers = 16;
    spec.hidden = 2048;
    spec.intermediate = 8192;
    spec.heads = 32;
    spec.kvHeads = 8;
    Checkpoint checkpoint;
    checkpoint.config = testModelConfig(spec);
    checkpoint.config.vocabSize = 128256;
    checkpoint.config.maxPositionEmbeddings = 131072;
    at::manual_seed(1);
    for (const auto& [name, shape] : expectedTensorShapes(checkpoint.config)) {
        const bool norm = name.find("norm") != std::string::npos;
        checkpoint.tensors.emplace(name, norm ? at::ones(shape, at::kFloat)
                                              : at::randn(shape, at::kFloat) * (1.0 / std::sqrt(double(shape.back()))));
    }
    return checkpoint;
}

struct StepTimer {
    const LlamaModel& model;
    KVCache cache;
    int64_t context;
    int reps;

    StepTimer(const LlamaModel& m, int64_t contextLength, int repetitions)
        : model(m), cache(m.makeCache(contextLength + 64)), context(contextLength), reps(repetitions)
    {
        std::vector<int64_t> prompt;
        for (int64_t i = 0; i < contextLength; ++i)
            prompt.push_back((i * 7919 + 13) % m.config().vocabSize);
        model.forward({at::tensor(prompt, at::kLong), at::arange(contextLength, at::kLong), causalMask(contextLength)}, cache);
    }

    // ms of one step feeding `width` tokens; width 0 = a greedy step.
    double once(int64_t width, bool captureAttention, int rep)
    {
        cache.truncate(context);
        const auto start = Clock::now();
        const bool greedy = width == 0;
        const int64_t n = greedy ? 1 : width;
        std::vector<int64_t> ids;
        for (int64_t i = 0; i < n; ++i)
            ids.push_back((rep * 31 + i * 17 + 5) % model.config().vocabSize);
        ForwardCapture capture;
        capture.attention = captureAttention;
        const at::Tensor positions = at::full({n}, context, at::kLong);
        ForwardOutputs out = model.forward({at::tensor(ids, at::kLong), positions, parallelSetMask(context, n, SiblingMode::Isolated)},
                                           cache, capture);
        at::Tensor p = at::softmax(out.logits, -1); // [n, V]
        if (greedy) {
            volatile int64_t next = p[0].argmax().item<int64_t>();
            (void)next;
        } else {
            volatile size_t members = selectParallelSet(p.mean(0).contiguous(), 0.1, 32).size();
            (void)members;
        }
        return msSince(start);
    }
};

// Configurations are timed round-robin (one repetition of each in turn), so a change in the load
// of the shared machine hits every configuration alike; medians are reported.
struct StepConfig {
    const char* label;
    int64_t width; // 0 = greedy
    bool attention;
};

void benchModel(const std::string& label, const LlamaModel& model, int64_t context, int reps, int runSteps, double runThreshold)
{
    std::printf("\n== %s: %lld layers, hidden %lld, vocab %lld, context %lld tokens, %d reps (median) ==\n", label.c_str(),
                static_cast<long long>(model.config().numHiddenLayers), static_cast<long long>(model.config().hiddenSize),
                static_cast<long long>(model.config().vocabSize), static_cast<long long>(context), reps);
    StepTimer timer(model, context, reps);
    const StepConfig configs[] = {
        {"greedy step", 0, false},           {"TEMPO step, width 1", 1, false},  {"TEMPO step, width 2", 2, false},
        {"TEMPO step, width 4", 4, false},   {"TEMPO step, width 8", 8, false},  {"TEMPO step, width 16", 16, false},
        {"greedy + attention capture", 0, true}, {"width 8 + attention capture", 8, true},
    };
    const size_t count = sizeof(configs) / sizeof(configs[0]);
    std::vector<std::vector<double>> samples(count);
    for (int r = 0; r < reps + 1; ++r)
        for (size_t c = 0; c < count; ++c) {
            const double t = timer.once(configs[c].width, configs[c].attention, r);
            if (r > 0) // the first round warms up
                samples[c].push_back(t);
        }
    std::vector<double> ms(count);
    for (size_t c = 0; c < count; ++c)
        ms[c] = median(samples[c]);
    const double greedy = ms[0], width8 = ms[4];
    for (size_t c = 0; c < 6; ++c)
        std::printf("%-28s %9.3f ms   %.2fx greedy\n", configs[c].label, ms[c], ms[c] / greedy);
    std::printf("%-28s %9.3f ms   %+.1f%% vs greedy\n", configs[6].label, ms[6], 100.0 * (ms[6] / greedy - 1.0));
    std::printf("%-28s %9.3f ms   %+.1f%% vs width 8\n", configs[7].label, ms[7], 100.0 * (ms[7] / width8 - 1.0));
    std::printf("target width 8 <= 1.5x greedy: %s (%.2fx)\n", width8 / greedy <= 1.5 ? "met" : "NOT met", width8 / greedy);
    const double attentionOverhead = std::max(ms[6] / greedy, ms[7] / width8) - 1.0;
    std::printf("target attention capture (all layers) <= +15%%: %s (worst %+.1f%%)\n",
                attentionOverhead <= 0.15 ? "met" : "NOT met", 100.0 * attentionOverhead);

    // Part 2: whole runs with each capture kind (identical sets in every run).
    std::vector<int64_t> prompt;
    for (int64_t i = 0; i < 8; ++i)
        prompt.push_back((i * 101 + 7) % model.config().vocabSize);
    TempoConfig config;
    config.threshold = runThreshold;
    config.maxSteps = runSteps;
    config.stopAtEos = false;
    struct Kind { const char* name; CaptureOptions options; };
    CaptureOptions attention, logits, kv, all;
    attention.attention = true;
    logits.logits = true;
    kv.kv = true;
    all.attention = all.logits = all.kv = true;
    const Kind kinds[] = {{"none", {}}, {"attention", attention}, {"logits", logits}, {"kv", kv}, {"all three", all}};
    const size_t kindCount = sizeof(kinds) / sizeof(kinds[0]);
    std::vector<std::vector<double>> runMs(kindCount);
    std::vector<int64_t> widest(kindCount, 0);
    for (int r = 0; r < std::max(1, reps / 2) + 1; ++r)
        for (size_t k = 0; k < kindCount; ++k) {
            const TempoRun run = TempoDecoder(model).run(prompt, config, kinds[k].options);
            for (const auto& s : run.steps)
                widest[k] = std::max<int64_t>(widest[k], static_cast<int64_t>(s.tokenIds.size()));
            if (r > 0)
                runMs[k].push_back(run.timing.totalMs);
        }
    std::printf("whole run, %d steps, threshold %.2f (prefill + steps + checks):\n", runSteps, runThreshold);
    const double none = median(runMs[0]);
    for (size_t k = 0; k < kindCount; ++k) {
        const double t = median(runMs[k]);
        std::printf("  capture %-10s %9.2f ms   %+.1f%% vs none   (widest set %lld)\n", kinds[k].name, t, 100.0 * (t / none - 1.0),
                    static_cast<long long>(widest[k]));
    }
}

} // namespace

int main(int argc, char** argv)
{
    int reps = 9;
    std::string only;
    int64_t context = 64;
    int threads = 0;
    std::string dtype = "f32";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--reps")
            reps = std::atoi(argv[i + 1]);
        else if (flag == "--only")
            only = argv[i + 1];
        else if (flag == "--context")
            context = std::atoll(argv[i + 1]);
        else if (flag == "--threads")
            threads = std::atoi(argv[i + 1]);
        else if (flag == "--dtype")
            dtype = argv[i + 1];
    }
    ComputeOptions options;
    options.dtype = ComputeOptions::parseDtype(dtype);
    options.validate();
    options.threads = threads;
    options.applyThreads();
    std::printf("bench_tempo: %d threads\n", options.effectiveThreads());
    if (only.empty() || only == "tiny") {
        TestModelSpec spec;
        spec.seed = 42;
        spec.peaked = true;
        const Checkpoint tiny = makeTestCheckpoint(spec);
        const LlamaModel model(tiny, options);
        benchModel("tiny peaked model", model, context, reps * 5, 10, 0.1);
    }
    if (only.empty() || only == "1b") {
        const auto start = Clock::now();
        const Checkpoint big = oneBillionShaped();
        const LlamaModel model(big, options);
        std::printf("\n(1B-shaped model built in %.1f s)\n", msSince(start) / 1000.0);
        benchModel("1B-shaped random model (" + dtype + ")", model, context, reps, 4, 0.1);
    }
    return 0;
}
