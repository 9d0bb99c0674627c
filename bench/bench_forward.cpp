// bench_forward: our side of bench_vs_llamacpp.mjs, one measurement round per process, printed as
// one JSON line. The same three figures the driver takes from llama.cpp, measured the same way:
//
//   prefill  one forward of P token ids from an empty cache (a causal mask), logits of the last row
//            only (as llama.cpp and `tempo-lab-cli generate`); tokens per second.
//   decode   after the prefill, S greedy steps of one token each (forward + argmax of the logits
//            + the next id), after 2 untimed warm-up steps; milliseconds per token.
//   width    a TEMPO step of W rows: W ids (the next W of the seeded ids) at one shared logical
//            position P, the isolated mask (each row sees the P context slots and itself), and the
//            readout (softmax of every row, mean, argmax); the cache is cut back to the context
//            after each step. S steps after 2 warm-up steps; milliseconds per step. Compared with
//            llama.cpp's decode step of W sequences at once (one token each, one batch).
// Token ids come from a fixed seed, identical to the driver's. Model: a folder (config.json,
// model.safetensors, tokenizer.json); weights used in place when they already are in `--dtype`.
//
//   bench_forward --model DIR [--dtype f32|bf16] [--threads N] [--prompt P] [--steps S] [--width W]
//   bench_forward --bandwidth [--threads N]        (the read-bandwidth probe, bandwidth.h)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "bandwidth.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"

using namespace tempo;

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The driver's generator (mulberry32, bench_vs_llamacpp.mjs): ids 1..vocab-1 from the same seed.
std::vector<int64_t> promptIds(int64_t count, int64_t vocab)
{
    uint32_t state = 20261206u;
    std::vector<int64_t> ids;
    for (int64_t i = 0; i < count; ++i) {
        state += 0x6d2b79f5u;
        uint32_t t = state;
        t = (t ^ (t >> 15)) * (t | 1u);
        t ^= t + (t ^ (t >> 7)) * (t | 61u);
        const double unit = double(t ^ (t >> 14)) / 4294967296.0;
        ids.push_back(1 + int64_t(unit * double(vocab - 1)));
    }
    return ids;
}

at::Tensor longTensor(const std::vector<int64_t>& values) { return at::tensor(values, at::kLong); }

// [n, cached + n]: row i sees every cached slot and the new slots up to itself (causal).
at::Tensor causalMask(int64_t n, int64_t cached)
{
    return at::cat({at::ones({n, cached}, at::kBool), at::ones({n, n}, at::kBool).tril()}, 1);
}

// How much of this process sits on 2 MiB pages (the weights should: hugepages.h), in MB.
double anonymousHugePagesMb()
{
    FILE* file = std::fopen("/proc/self/smaps_rollup", "r");
    if (!file)
        return -1;
    char line[256];
    double kb = -1;
    while (std::fgets(line, sizeof line, file))
        if (std::sscanf(line, "AnonHugePages: %lf kB", &kb) == 1)
            break;
    std::fclose(file);
    return kb / 1024.0;
}

int64_t argmaxOf(const at::Tensor& row) { return row.argmax().item<int64_t>(); }

struct Options {
    std::string model;
    std::string dtype = "f32";
    int threads = 0;
    int64_t prompt = 64, steps = 16, width = 8;
    bool bandwidth = false;
};

Options parse(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw std::invalid_argument(flag + ": expected a value after it, found the end of the line");
            return argv[++i];
        };
        if (flag == "--model") o.model = value();
        else if (flag == "--dtype") o.dtype = value();
        else if (flag == "--threads") o.threads = std::stoi(value());
        else if (flag == "--prompt") o.prompt = std::stoll(value());
        else if (flag == "--steps") o.steps = std::stoll(value());
        else if (flag == "--width") o.width = std::stoll(value());
        else if (flag == "--bandwidth") o.bandwidth = true;
        else throw std::invalid_argument("unknown argument '" + flag + "' (expected --model, --dtype, --threads, "
                                         "--prompt, --steps, --width or --bandwidth)");
    }
    if (!o.bandwidth && o.model.empty())
        throw std::invalid_argument("expected --model DIR (or --bandwidth), found neither");
    if (o.prompt < 1 || o.steps < 1 || o.width < 1)
        throw std::invalid_argument("expected --prompt, --steps and --width >= 1");
    return o;
}

int bandwidthMain(const Options& o)
{
    const int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    const bench::BandwidthProbe probe = bench::probeReadBandwidth(threads);
    std::printf("{\"bandwidth_gbps\": [");
    for (size_t i = 0; i < probe.gbPerSecondByThreads.size(); ++i)
        std::printf("%s%.2f", i ? ", " : "", probe.gbPerSecondByThreads[i]);
    std::printf("], \"best_gbps\": %.2f, \"best_threads\": %d}\n", probe.best, probe.bestThreads);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        const Options o = parse(argc, argv);
        if (o.bandwidth)
            return bandwidthMain(o);
        ComputeOptions compute;
        compute.dtype = ComputeOptions::parseDtype(o.dtype);
        compute.threads = o.threads;
        const auto loadStart = Clock::now();
        const LlamaModel model(loadCheckpoint(o.model), compute);
        const double loadMs = msSince(loadStart);
        const double hugeMb = anonymousHugePagesMb();
        const LlamaConfig& c = model.config();
        const std::vector<int64_t> ids = promptIds(o.prompt + o.width, c.vocabSize);
        const std::vector<int64_t> prompt(ids.begin(), ids.begin() + o.prompt);
        KVCache cache = model.makeCache(o.prompt + o.steps + 8 + o.width);

        // Prefill (the first forward also faults the weights in: one untimed pass first).
        const auto prefillOnce = [&] {
            cache.clear();
            std::vector<int64_t> positions(prompt.size());
            for (size_t i = 0; i < positions.size(); ++i)
                positions[i] = int64_t(i);
            // The next token's logits only, as llama.cpp computes them (and `tempo-lab-cli generate`).
            return model.forward({longTensor(prompt), longTensor(positions), causalMask(o.prompt, 0), true}, cache);
        };
        prefillOnce();
        const auto prefillStart = Clock::now();
        const ForwardOutputs prefilled = prefillOnce();
        const double prefillMs = msSince(prefillStart);

        // Greedy decode.
        int64_t next = argmaxOf(prefilled.logits[0]);
        const auto decodeStep = [&] {
            const int64_t position = cache.length();
            const ForwardOutputs out =
                model.forward({longTensor({next}), longTensor({position}), at::ones({1, position + 1}, at::kBool)}, cache);
            next = argmaxOf(out.logits[0]);
        };
        decodeStep();
        decodeStep();
        const auto decodeStart = Clock::now();
        for (int64_t s = 0; s < o.steps; ++s)
            decodeStep();
        const double decodeMs = msSince(decodeStart) / double(o.steps);

        // Width-W TEMPO steps at position P after the prompt.
        cache.truncate(o.prompt);
        const at::Tensor candidates = longTensor(std::vector<int64_t>(ids.begin() + o.prompt, ids.end())); // [W]
        const at::Tensor setMask = at::cat({at::ones({o.width, o.prompt}, at::kBool), at::eye(o.width, at::kBool)}, 1);
        const at::Tensor setPositions = at::full({o.width}, o.prompt, at::kLong);
        volatile int64_t sink = 0;
        const auto widthStep = [&] {
            const ForwardOutputs out = model.forward({candidates, setPositions, setMask}, cache);
            sink = sink + at::softmax(out.logits, -1).mean(0).argmax().item<int64_t>(); // readout
            cache.truncate(o.prompt);
        };
        widthStep();
        widthStep();
        const auto widthStart = Clock::now();
        for (int64_t s = 0; s < o.steps; ++s)
            widthStep();
        const double widthMs = msSince(widthStart) / double(o.steps);

        std::printf("{\"dtype\": \"%s\", \"threads\": %d, \"load_ms\": %.1f, \"huge_pages_mb\": %.0f, \"prompt\": %lld, \"prefill_ms\": %.2f, "
                    "\"prefill_tps\": %.2f, \"steps\": %lld, \"decode_ms\": %.3f, \"width\": %lld, \"width_ms\": %.3f}\n",
                    o.dtype.c_str(), at::get_num_threads(), loadMs, hugeMb, (long long)o.prompt, prefillMs,
                    double(o.prompt) / (prefillMs / 1000.0), (long long)o.steps, decodeMs, (long long)o.width, widthMs);
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_forward: %s\n", error.what());
        return 2;
    }
}
