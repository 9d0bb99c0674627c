// Prefill and batch-1 decode speed of LlamaModel::forward on CPU (f32), compared with this
// machine's memory read bandwidth measured in the same run (decode is bandwidth bound: every
// decoded token reads every weight once).
//
//   bench_decode [--tiny-only] [--prompt 128] [--steps 32] [--threads N]
//
// Cases: (a) the tiny test model, (b) a random-weight model of Llama 3.2 1B shape (16 layers,
// hidden 2048, 32 heads, 8 KV heads, intermediate 8192, vocab 128256, tied), built in memory
// (~4.9 GB of float32). Run by hand, not in CI.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "bandwidth.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/testmodel/randommodel.h"
#include "core/testmodel/testmodel.h"

using namespace tempo;

namespace {

double seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Bytes of weights one decoded token reads: every matrix once (the LM head included; with tied
// embeddings that is the embedding matrix), one embedding row, the norms.
double weightBytesPerToken(const Checkpoint& checkpoint)
{
    const LlamaConfig& c = checkpoint.config;
    double bytes = 0;
    for (const auto& [name, tensor] : checkpoint.tensors) {
        if (name == "model.embed_tokens.weight")
            bytes += double(c.hiddenSize) * 4; // one row looked up
        else
            bytes += double(tensor.numel()) * 4;
    }
    if (c.tieWordEmbeddings)
        bytes += double(c.vocabSize) * c.hiddenSize * 4; // the tied LM head reads the whole matrix
    return bytes;
}

void runCase(const char* label, const Checkpoint& checkpoint, int threads, int64_t promptLength, int64_t steps,
             double roofline, double bandwidthOne, double bandwidthAll)
{
    ComputeOptions options;
    options.threads = threads;
    const LlamaModel model(checkpoint, options);
    const LlamaConfig& c = model.config();
    KVCache cache = model.makeCache(promptLength + steps + 1);
    std::vector<int64_t> prompt(static_cast<size_t>(promptLength));
    for (int64_t i = 0; i < promptLength; ++i)
        prompt[size_t(i)] = (i * 7919 + 13) % c.vocabSize;

    // Warm-up forward (first touch of the weights, BLAS buffers), then rolled back.
    model.forward({at::tensor(std::vector<int64_t>{1}, at::kLong), at::zeros({1}, at::kLong), at::ones({1, 1}, at::kBool)}, cache);
    cache.truncate(0);

    double start = seconds();
    at::Tensor logits = model.forward({at::tensor(prompt, at::kLong), at::arange(promptLength, at::kLong),
                                       at::ones({promptLength, promptLength}, at::kBool).tril()},
                                      cache)
                            .logits;
    const double prefillSeconds = seconds() - start;

    int64_t next = logits[-1].argmax().item<int64_t>();
    start = seconds();
    for (int64_t s = 0; s < steps; ++s) {
        const int64_t position = promptLength + s;
        logits = model.forward({at::tensor(std::vector<int64_t>{next}, at::kLong),
                                at::tensor(std::vector<int64_t>{position}, at::kLong),
                                at::ones({1, position + 1}, at::kBool)},
                               cache)
                     .logits;
        next = logits[0].argmax().item<int64_t>();
    }
    const double decodeSeconds = seconds() - start;

    const double weightBytes = weightBytesPerToken(checkpoint);
    // KV cache read per decoded token (keys + values of every layer, average length).
    const double kvBytes = 2.0 * c.numHiddenLayers * c.numKeyValueHeads * c.headDim * 4 * (promptLength + steps / 2.0);
    const double msPerToken = decodeSeconds / double(steps) * 1e3;
    const double achieved = (weightBytes + kvBytes) / (decodeSeconds / double(steps)) / 1e9;
    std::printf("\n== %s (threads %d)\n", label, threads);
    std::printf("prefill: %lld tokens in %.3f s = %.1f tokens/s\n", (long long)promptLength, prefillSeconds,
                double(promptLength) / prefillSeconds);
    std::printf("decode:  %lld steps in %.3f s = %.2f tokens/s, %.2f ms/token\n", (long long)steps, decodeSeconds,
                double(steps) / decodeSeconds, msPerToken);
    std::printf("bytes read per decoded token: weights %.3f GB + KV cache %.4f GB\n", weightBytes / 1e9, kvBytes / 1e9);
    std::printf("achieved read rate: %.2f GB/s; roofline %.2f GB/s -> ratio %.0f%% (1-thread read %.2f GB/s: %.0f%%,"
                " all-thread read %.2f GB/s: %.0f%%)\n",
                achieved, roofline, 100.0 * achieved / roofline, bandwidthOne, 100.0 * achieved / bandwidthOne, bandwidthAll,
                100.0 * achieved / bandwidthAll);
}

} // namespace

int main(int argc, char** argv)
{
    bool tinyOnly = false;
    int64_t promptLength = 128, steps = 32;
    int threads = int(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto nextValue = [&]() { return i + 1 < argc ? std::stoll(argv[++i]) : 0LL; };
        if (arg == "--tiny-only")
            tinyOnly = true;
        else if (arg == "--prompt")
            promptLength = nextValue();
        else if (arg == "--steps")
            steps = nextValue();
        else if (arg == "--threads")
            threads = int(nextValue());
        else {
            std::fprintf(stderr, "usage: bench_decode [--tiny-only] [--prompt 128] [--steps 32] [--threads N]\n");
            return 2;
        }
    }
    if (promptLength < 1 || steps < 1 || threads < 1) {
        std::fprintf(stderr, "bench_decode: --prompt, --steps and --threads must be positive\n");
        return 2;
    }

    std::printf("memory read bandwidth (bandwidth.h: a 2 GiB array summed in one slice per thread, best of 5):\n");
    // One probe of 1..threads threads (bandwidth.h): the first and the last figure.
    const bench::BandwidthProbe probe = bench::probeReadBandwidth(threads);
    if (probe.gbPerSecondByThreads.empty()) {
        std::fprintf(stderr, "bench_decode: could not allocate the 2 GiB probe buffer\n");
        return 2;
    }
    const double one = probe.gbPerSecondByThreads.front(), all = probe.gbPerSecondByThreads.back();
    std::printf("  1 thread: %.2f GB/s, %d threads: %.2f GB/s\n", one, threads, all);
    // The roofline is the fastest read rate seen: on a shared machine the all-thread figure can come
    // out below the single-thread one (other processes hold cores), and a ratio against the lower
    // figure would flatter the forward.
    const double roofline = std::max(one, all);
    std::printf("  roofline = the larger of the two (%.2f GB/s): the fastest this machine was seen to read\n"
                "  memory in this run; taking the smaller would flatter the decode ratio.\n", roofline);

    runCase("tiny test model (2 layers, hidden 64, vocab 512)", makeTestCheckpoint(TestModelSpec{}), threads,
            promptLength, steps, roofline, one, all);
    if (!tinyOnly) {
        const double start = seconds();
        const Checkpoint checkpoint = randomCheckpoint(llama32OneBillionConfig());
        std::printf("\n(1B-shape random weights filled in %.1f s)\n", seconds() - start);
        runCase("Llama 3.2 1B shape, random f32 weights", checkpoint, threads, promptLength, steps, roofline, one, all);
    }
    return 0;
}
