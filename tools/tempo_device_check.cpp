// tempo_device_check: does the forward on another device (CUDA) compute what the CPU computes?
//
//   tempo_device_check [--device cuda] [--dtype f32|bf16|f16] [--bench] [--steps 32] [--prompt 128]
//
// 1. Logits: a generated peaked test model (4 layers, hidden 256, GQA 8/4 heads, llama3 RoPE
//    scaling) runs the same forwards on the CPU in f32 (the reference) and on --device in --dtype:
//    a 12-token prefill, a TEMPO set of 3 tokens sharing one logical position (isolated: each sees
//    the prompt and itself), a set of 2 (visible: the second sees the first), then 2 single-token
//    steps, all through the KV cache. Prints the max absolute logit difference of every forward and
//    fails (exit 1) when it exceeds the tolerance: 1e-3 x max|logit| for f32, 5e-2 x max|logit| for
//    bf16/f16 (8 and 11 mantissa bits through 4 layers), or when the argmax of a row differs while
//    its top-2 margin in the reference is above that tolerance.
// 2. --bench: prefill and batch-1 decode speed of a random-weight model of Llama 3.2 1B shape on
//    --device in --dtype (the decode benchmark of bench_decode, for a GPU).
// Exit status: 0 all within tolerance, 1 a difference beyond it, 2 usage, 3 device not available.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/testmodel/randommodel.h"
#include "core/testmodel/testmodel.h"

using namespace tempo;

namespace {

struct Forward {
    const char* label;
    std::vector<int64_t> tokens;
    std::vector<int64_t> positions;
    at::Tensor mask; // [n, cached + n] bool
};

// The forwards of part 1, in order, with their masks over the slots so far.
std::vector<Forward> tempoSequence()
{
    std::vector<Forward> sequence;
    const int64_t prompt = 12;
    std::vector<int64_t> ids, positions;
    for (int64_t i = 0; i < prompt; ++i) {
        ids.push_back((i * 37 + 5) % 500);
        positions.push_back(i);
    }
    sequence.push_back({"prefill (12 tokens)", ids, positions, at::ones({prompt, prompt}, at::kBool).tril()});
    // Isolated set of 3 at logical position 12: every member sees the prompt and itself only.
    at::Tensor isolated = at::zeros({3, prompt + 3}, at::kBool);
    isolated.narrow(1, 0, prompt).fill_(true);
    for (int64_t m = 0; m < 3; ++m)
        isolated[m][prompt + m] = true;
    sequence.push_back({"isolated set of 3 at position 12", {101, 202, 303}, {12, 12, 12}, isolated});
    // Visible set of 2 at logical position 13: the second member also sees the first.
    const int64_t cached = prompt + 3;
    at::Tensor visible = at::ones({2, cached + 2}, at::kBool);
    visible[0][cached + 1] = false;
    sequence.push_back({"visible set of 2 at position 13", {44, 55}, {13, 13}, visible});
    sequence.push_back({"single token at position 14", {66}, {14}, at::ones({1, cached + 3}, at::kBool)});
    sequence.push_back({"single token at position 15", {77}, {15}, at::ones({1, cached + 4}, at::kBool)});
    return sequence;
}

int compareLogits(const ComputeOptions& device)
{
    TestModelSpec spec;
    spec.layers = 4;
    spec.hidden = 256;
    spec.intermediate = 512;
    spec.heads = 8;
    spec.kvHeads = 4;
    spec.llama3RopeScaling = true;
    spec.peaked = true;
    const Checkpoint checkpoint = makeTestCheckpoint(spec);
    ComputeOptions cpu;
    const LlamaModel reference(checkpoint, cpu);
    const LlamaModel model(checkpoint, device);
    KVCache referenceCache = reference.makeCache(32);
    KVCache cache = model.makeCache(32);
    const double relativeTolerance = device.dtype == at::kFloat ? 1e-3 : 5e-2;
    std::printf("logits: CPU f32 vs %s %s (test model 4 layers, hidden 256, heads 8/4, vocab %lld)\n",
                ComputeOptions::deviceName(device.device).c_str(), ComputeOptions::dtypeName(device.dtype).c_str(),
                static_cast<long long>(kTestVocabSize));
    bool ok = true;
    double worst = 0.0;
    for (const Forward& f : tempoSequence()) {
        const ForwardInputs inputs{at::tensor(f.tokens, at::kLong), at::tensor(f.positions, at::kLong), f.mask};
        const at::Tensor expected = reference.forward(inputs, referenceCache).logits; // [n, vocab] f32 CPU
        const at::Tensor found = model.forward(inputs, cache).logits;                 // [n, vocab] f32 CPU
        const double scale = expected.abs().max().item<double>();
        const double difference = (found - expected).abs().max().item<double>();
        const double tolerance = relativeTolerance * std::max(scale, 1.0);
        // An argmax may flip only where the reference's top two are closer than the tolerance.
        const at::Tensor top2 = std::get<0>(expected.topk(2, -1)); // [n, 2]
        const at::Tensor margin = top2.select(1, 0) - top2.select(1, 1);
        const at::Tensor flipped = (expected.argmax(-1) != found.argmax(-1)).logical_and(margin > tolerance);
        const int64_t flips = flipped.sum().item<int64_t>();
        const bool pass = difference <= tolerance && flips == 0;
        ok = ok && pass;
        worst = std::max(worst, difference / std::max(scale, 1.0));
        std::printf("  %-34s max |diff| %.3e (max |logit| %.2f, tolerance %.2e), argmax flips %lld  %s\n", f.label,
                    difference, scale, tolerance, static_cast<long long>(flips), pass ? "OK" : "FAIL");
    }
    std::printf("LOGITS %s, max difference %.3e of the logit scale\n", ok ? "OK" : "FAIL", worst);
    return ok ? 0 : 1;
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

void bench(const ComputeOptions& options, int64_t promptLength, int64_t steps)
{
    Checkpoint checkpoint = randomCheckpoint(llama32OneBillionConfig());
    double parameters = 0;
    for (const auto& [name, tensor] : checkpoint.tensors)
        parameters += double(tensor.numel());
    const LlamaModel model(checkpoint, options);
    checkpoint.tensors.clear(); // the model holds its converted copies
    const LlamaConfig& c = model.config();
    KVCache cache = model.makeCache(promptLength + steps + 1);
    std::vector<int64_t> prompt(static_cast<size_t>(promptLength));
    for (int64_t i = 0; i < promptLength; ++i)
        prompt[size_t(i)] = (i * 7919 + 13) % c.vocabSize;
    model.forward({at::tensor(std::vector<int64_t>{1}, at::kLong), at::zeros({1}, at::kLong), at::ones({1, 1}, at::kBool)},
                  cache); // warm-up (kernels, allocator), rolled back
    cache.truncate(0);
    double start = now();
    at::Tensor logits = model.forward({at::tensor(prompt, at::kLong), at::arange(promptLength, at::kLong),
                                       at::ones({promptLength, promptLength}, at::kBool).tril()},
                                      cache)
                            .logits; // returned on the CPU: the copy synchronizes the device
    const double prefill = now() - start;
    int64_t next = logits[-1].argmax().item<int64_t>();
    start = now();
    for (int64_t s = 0; s < steps; ++s) {
        const int64_t position = promptLength + s;
        logits = model.forward({at::tensor(std::vector<int64_t>{next}, at::kLong),
                                at::tensor(std::vector<int64_t>{position}, at::kLong), at::ones({1, position + 1}, at::kBool)},
                               cache)
                     .logits;
        next = logits[0].argmax().item<int64_t>();
    }
    const double decode = now() - start;
    const double bytesPerParameter = options.dtype == at::kFloat ? 4.0 : 2.0;
    // Every decoded token reads every matrix once; the tied LM head reads the embedding matrix again.
    const double weightBytes = (parameters + double(c.vocabSize) * c.hiddenSize) * bytesPerParameter;
    std::printf("\nbench: Llama 3.2 1B shape, random weights, %s %s, prompt %lld, %lld decode steps\n",
                ComputeOptions::deviceName(options.device).c_str(), ComputeOptions::dtypeName(options.dtype).c_str(),
                static_cast<long long>(promptLength), static_cast<long long>(steps));
    std::printf("  prefill: %.1f tokens/s (%.3f s)\n", double(promptLength) / prefill, prefill);
    std::printf("  decode:  %.2f tokens/s, %.2f ms/token, weights read at %.1f GB/s\n", double(steps) / decode,
                decode / double(steps) * 1e3, weightBytes / (decode / double(steps)) / 1e9);
}

} // namespace

int main(int argc, char** argv)
{
    std::string deviceName = "cuda", dtypeName = "f32";
    bool runBench = false;
    long long steps = 32, prompt = 128;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool hasValue = i + 1 < argc;
        if (arg == "--device" && hasValue)
            deviceName = argv[++i];
        else if (arg == "--dtype" && hasValue)
            dtypeName = argv[++i];
        else if (arg == "--steps" && hasValue)
            steps = std::atoll(argv[++i]);
        else if (arg == "--prompt" && hasValue)
            prompt = std::atoll(argv[++i]);
        else if (arg == "--bench")
            runBench = true;
        else {
            std::fprintf(stderr, "usage: tempo_device_check [--device cuda] [--dtype f32|bf16|f16] [--bench]"
                                 " [--steps 32] [--prompt 128]\n");
            return 2;
        }
    }
    try {
        ComputeOptions options;
        options.device = ComputeOptions::parseDevice(deviceName);
        options.dtype = ComputeOptions::parseDtype(dtypeName);
        options.validate();
        if (steps < 1 || prompt < 1)
            throw InvalidArgument(expectedFound("--steps and --prompt", "positive", std::to_string(steps) + ", " +
                                                                                      std::to_string(prompt)));
        const int status = compareLogits(options);
        if (runBench)
            bench(options, prompt, steps);
        return status;
    } catch (const InvalidArgument& e) {
        std::fprintf(stderr, "tempo_device_check: %s\n", e.what());
        return 3;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tempo_device_check: %s\n", e.what());
        return 4;
    }
}
