// tempo-lab-cli next / generate: one forward over a prompt (next-token distribution) and plain
// greedy generation, to check a model folder end to end without TEMPO in the way.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/command.h"
#include "core/common/errors.h"
#include "core/model/llamamodel.h"
#include "core/experiment/bundledmodel.h"
#include "core/experiment/modelcache.h"
#include "core/tokenizer/tokenizer.h"

namespace tempo::cli {

namespace {

using nlohmann::json;

const std::set<std::string> kComputeFlags = {"--model", "--device", "--dtype", "--threads"};

ComputeOptions computeOptionsFrom(const Args& args)
{
    ComputeOptions options;
    options.device = ComputeOptions::parseDevice(args.valueOr("--device", "cpu"));
    options.dtype = ComputeOptions::parseDtype(args.valueOr("--dtype", "f32"));
    options.threads = threadsFlag(args);
    options.validate();
    return options;
}

// Prefill `ids` at positions 0..n-1 with a causal mask; returns the logits of the last row [1, V].
at::Tensor prefill(const LlamaModel& model, KVCache& cache, const std::vector<int64_t>& ids)
{
    const int64_t n = static_cast<int64_t>(ids.size());
    return model
        .forward({at::tensor(ids, at::kLong), at::arange(n, at::kLong), at::ones({n, n}, at::kBool).tril(), true}, cache)
        .logits;
}

int runNext(const std::vector<std::string>& words)
{
    std::set<std::string> valueFlags = kComputeFlags;
    valueFlags.insert({"--prompt", "--ids", "--top"});
    const Args args(words, valueFlags, {});
    if (!args.positional().empty())
        throw InvalidArgument(expectedFound("next arguments", "only flags", "'" + args.positional().front() + "'"));
    const bool hasPrompt = args.value("--prompt").has_value(), hasIds = args.value("--ids").has_value();
    if (hasPrompt == hasIds)
        throw InvalidArgument(expectedFound("next input", "exactly one of --prompt or --ids", hasPrompt ? "both" : "neither"));
    const long long top = args.integer("--top", 10);
    if (top <= 0)
        throw InvalidArgument(expectedFound("--top", "a positive count", std::to_string(top)));
    const ComputeOptions options = computeOptionsFrom(args);
    const std::filesystem::path dir = args.value("--model") ? std::filesystem::path(*args.value("--model")) : bundledModelFolder();
    const std::shared_ptr<const LoadedModel> loaded = loadModel(dir, options, ModelHashes::Skip);
    const Tokenizer& tokenizer = *loaded->tokenizer;
    std::vector<int64_t> ids;
    if (hasPrompt) {
        ids = tokenizer.encode(*args.value("--prompt"), true);
    } else {
        for (long long id : parseIdList(*args.value("--ids"), "--ids"))
            ids.push_back(static_cast<int64_t>(id));
    }
    if (ids.empty())
        throw InvalidArgument(expectedFound("next input", "at least one token", "none"));

    const LlamaModel& model = *loaded->model;
    KVCache cache = model.makeCache(static_cast<int64_t>(ids.size()));
    const at::Tensor logits = prefill(model, cache, ids)[-1].to(at::kDouble);   // [V]
    const at::Tensor logProbabilities = at::log_softmax(logits, 0);              // [V]
    const at::Tensor probabilities = logProbabilities.exp();                     // [V]
    const double entropy = -(probabilities * logProbabilities).nansum().item<double>();
    const int64_t k = std::min<int64_t>(top, probabilities.size(0));
    const auto best = probabilities.topk(k);
    json list = json::array();
    for (int64_t i = 0; i < k; ++i) {
        const int64_t id = std::get<1>(best)[i].item<int64_t>();
        list.push_back({{"id", id}, {"token", tokenizer.tokenText(id)}, {"prob", std::get<0>(best)[i].item<double>()}});
    }
    const json result = {{"top", list}, {"entropy", entropy}, {"tokens", ids.size()}};
    std::cout << result.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
}

int runGenerate(const std::vector<std::string>& words)
{
    std::set<std::string> valueFlags = kComputeFlags;
    valueFlags.insert({"--prompt", "--max-tokens"});
    const Args args(words, valueFlags, {});
    if (!args.positional().empty())
        throw InvalidArgument(expectedFound("generate arguments", "only flags", "'" + args.positional().front() + "'"));
    const long long maxTokens = args.integer("--max-tokens", 32);
    if (maxTokens < 0 || maxTokens > 1000000)
        throw InvalidArgument(expectedFound("--max-tokens", "a count in 0..1000000", std::to_string(maxTokens)));
    const ComputeOptions options = computeOptionsFrom(args);
    const std::filesystem::path dir = args.value("--model") ? std::filesystem::path(*args.value("--model")) : bundledModelFolder();
    const std::shared_ptr<const LoadedModel> loaded = loadModel(dir, options, ModelHashes::Skip);
    const Tokenizer& tokenizer = *loaded->tokenizer;
    const std::string prompt = args.required("--prompt");
    std::vector<int64_t> ids = tokenizer.encode(prompt, true);
    if (ids.empty())
        throw InvalidArgument(expectedFound("--prompt", "text that encodes to at least one token", "none"));

    const LlamaModel& model = *loaded->model;
    const int64_t promptLength = static_cast<int64_t>(ids.size());
    KVCache cache = model.makeCache(promptLength + maxTokens);
    std::cout << prompt << std::flush;
    IncrementalDecoder stream(tokenizer, ids); // the prompt is context: its text is printed above
    at::Tensor logits = prefill(model, cache, ids)[-1]; // [V]
    for (long long step = 0; step < maxTokens; ++step) {
        const int64_t next = logits.argmax().item<int64_t>();
        if (model.config().isEos(next))
            break;
        std::cout << stream.push(next) << std::flush;
        ids.push_back(next);
        if (step + 1 == maxTokens)
            break; // the last token needs no forward
        const int64_t position = static_cast<int64_t>(ids.size()) - 1;
        logits = model
                     .forward({at::tensor(std::vector<int64_t>{next}, at::kLong),
                               at::tensor(std::vector<int64_t>{position}, at::kLong),
                               at::ones({1, position + 1}, at::kBool)},
                              cache)
                     .logits[0];
    }
    std::cout << stream.flush() << "\n";
    return kExitOk;
}

const char* const kComputeUsage = "  --model DIR         model folder (default: the bundled model tempo-kjv-small)\n"
                                  "  --device cpu|cuda   where the forward runs (default cpu)\n"
                                  "  --dtype f32|bf16|f16 compute precision (default f32; f16 needs cuda)\n"
                                  "  --threads N         CPU threads (default: every core)\n";

CommandRegistration nextRegistration{{
    "next",
    "next-token distribution after a prompt (top-k, entropy) as JSON",
    std::string("Usage: tempo-lab-cli next [--model DIR] (--prompt TEXT | --ids 1,2,3) [--top K]\n"
                "  Prints {\"top\":[{\"id\",\"token\",\"prob\"}...],\"entropy\":nats,\"tokens\":n} for the position\n"
                "  after the last input token. A prompt is encoded with special tokens (BOS).\n") +
        kComputeUsage,
    false,
    &runNext,
}};

CommandRegistration generateRegistration{{
    "generate",
    "greedy generation from a prompt (plain decoding, stops at eos)",
    std::string("Usage: tempo-lab-cli generate [--model DIR] --prompt TEXT --max-tokens N\n"
                "  Prints the prompt followed by the greedy continuation.\n") +
        kComputeUsage,
    false,
    &runGenerate,
}};

} // namespace

} // namespace tempo::cli
