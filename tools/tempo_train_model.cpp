// tempo_train_model: trains the bundled Llama on a text corpus with a held-out split and writes a
// Hugging Face folder (config.json, model.safetensors, tokenizer.json) that the engine loads.
//   tempo_train_model --corpus kjv.txt --tokenizer tokenizer.json --out DIR [--steps N] [--seed S]
//     [--layers L --hidden H --intermediate I --heads Hq --kv-heads Hkv --head-dim D]
//     [--batch B --length T --lr LR --warmup W --eval-every E --threads N --dtype f32|bf16]
//     [--max-minutes M] [--stop-at N]
// --steps sets the learning-rate schedule; --max-minutes (wall clock) or --stop-at (a step) end the
// run early with the schedule unchanged, so `--stop-at N` reproduces a run that a time limit cut at N.
// Writes DIR/loss.csv (step, seconds, learning rate, train loss, validation loss) while it runs,
// exports DIR every --save-every steps (so a stopped run leaves a usable model) and at the end,
// and prints a summary with the final losses, perplexities and the unigram baseline.

#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/training/adamw.h"
#include "core/training/trainablellama.h"
#include "core/training/trainingdata.h"

namespace {

std::string readFile(const std::string& path, const std::string& flag)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw tempo::InvalidArgument(tempo::expectedFound(flag, "a readable file", "'" + path + "'"));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Linear warmup, then cosine decay to 10% of the peak.
double learningRate(int64_t step, int64_t steps, int64_t warmup, double peak)
{
    if (step < warmup)
        return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
    const double progress = static_cast<double>(step - warmup) / static_cast<double>(std::max<int64_t>(1, steps - warmup));
    return peak * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress))));
}

} // namespace

int main(int argc, char** argv)
{
    std::map<std::string, std::string> args = {
        {"--steps", "1000"}, {"--seed", "42"},     {"--layers", "4"},     {"--hidden", "256"},
        {"--intermediate", "768"}, {"--heads", "8"}, {"--kv-heads", "4"}, {"--head-dim", "32"},
        {"--batch", "16"},   {"--length", "128"},  {"--lr", "0.002"},     {"--warmup", "100"},
        {"--eval-every", "100"}, {"--eval-windows", "64"}, {"--save-every", "200"}, {"--threads", "2"},
        {"--dtype", "f32"},  {"--max-minutes", "0"}, {"--stop-at", "0"}, {"--validation-every", "20"},
        {"--corpus", ""},    {"--tokenizer", ""},  {"--out", ""}};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!args.count(argv[i])) {
            std::cerr << "unknown flag " << argv[i] << "; see the comment at the top of tempo_train_model.cpp\n";
            return 2;
        }
        args[argv[i]] = argv[i + 1];
    }
    if (args["--corpus"].empty() || args["--tokenizer"].empty() || args["--out"].empty()) {
        std::cerr << "usage: tempo_train_model --corpus FILE --tokenizer tokenizer.json --out DIR [options]\n";
        return 2;
    }
    auto integer = [&](const char* flag) { return std::stoll(args[flag]); };
    try {
        const auto started = std::chrono::steady_clock::now();
        auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
        at::set_num_threads(static_cast<int>(integer("--threads")));

        const std::string tokenizerJson = readFile(args["--tokenizer"], "--tokenizer");
        const tempo::Tokenizer tokenizer = tempo::Tokenizer::fromJsonText(tokenizerJson, args["--tokenizer"]);
        const auto bos = tokenizer.tokenId("<|begin_of_text|>");
        const auto eos = tokenizer.tokenId("<|end_of_text|>");
        if (!bos || !eos)
            throw tempo::InvalidArgument(tempo::expectedFound("--tokenizer", "<|begin_of_text|> and <|end_of_text|>", "neither or one"));

        const std::string text = readFile(args["--corpus"], "--corpus");
        const tempo::TokenSplit split = tempo::splitAndEncode(tokenizer, text, integer("--validation-every"));
        std::cout << "corpus: " << text.size() << " bytes; train " << split.trainLines << " lines / "
                  << split.train.size() << " tokens; validation " << split.validationLines << " lines / "
                  << split.validation.size() << " tokens (" << seconds() << " s)" << std::endl;

        tempo::TrainableLlamaShape shape;
        shape.vocabSize = tokenizer.vocabSize();
        shape.layers = integer("--layers");
        shape.hidden = integer("--hidden");
        shape.intermediate = integer("--intermediate");
        shape.heads = integer("--heads");
        shape.kvHeads = integer("--kv-heads");
        shape.headDim = integer("--head-dim");
        shape.bosTokenId = *bos;
        shape.eosTokenId = *eos;
        const uint64_t seed = static_cast<uint64_t>(integer("--seed"));
        tempo::TrainableLlama model(shape, seed);
        std::cout << "model: " << model.parameterCount() << " parameters" << std::endl;

        const int64_t length = integer("--length");
        const int64_t batch = integer("--batch");
        tempo::BatchSampler sampler(split, *bos, batch, length, seed);
        const tempo::TokenBatch validation = tempo::validationWindows(split, *bos, length);
        const tempo::TokenBatch validationSubset = tempo::validationWindows(split, *bos, length, integer("--eval-windows"));
        const double unigram = tempo::unigramLoss(split, validation, shape.vocabSize);
        std::cout << "validation: " << validation.targets.numel() << " tokens in " << validation.targets.size(0)
                  << " windows; unigram baseline " << unigram << " nats (perplexity " << std::exp(unigram) << ")"
                  << std::endl;

        std::map<std::string, bool> decayed;
        for (const auto& [name, parameter] : model.parameters())
            decayed[name] = tempo::TrainableLlama::isMatrix(name);
        tempo::AdamW optimizer(model.parameters(), decayed, {});

        const std::filesystem::path out = args["--out"];
        std::filesystem::create_directories(out);
        std::ofstream log(out / "loss.csv", std::ios::trunc);
        log << "step,seconds,learning_rate,train_loss,validation_loss\n";
        const c10::ScalarType dtype = args["--dtype"] == "bf16" ? at::kBFloat16 : at::kFloat;

        const int64_t steps = integer("--steps");
        const double maxSeconds = std::stod(args["--max-minutes"]) * 60.0;
        double windowLoss = 0.0;
        int64_t windowCount = 0;
        double lastTrainLoss = NAN;
        int64_t done = 0;
        for (int64_t step = 0; step < steps; ++step) {
            const tempo::TokenBatch batchTokens = sampler.next();
            const at::Tensor loss = model.loss(batchTokens.inputs, batchTokens.targets);
            loss.backward();
            optimizer.clipGradientNorm(1.0);
            const double rate = learningRate(step, steps, integer("--warmup"), std::stod(args["--lr"]));
            optimizer.step(rate);
            windowLoss += loss.item<double>();
            ++windowCount;
            done = step + 1;
            const bool last = done == steps || (maxSeconds > 0 && seconds() > maxSeconds) || done == integer("--stop-at");
            if (done % integer("--eval-every") == 0 || last) {
                lastTrainLoss = windowLoss / static_cast<double>(windowCount);
                const double validationLoss = tempo::meanLoss(model, validationSubset, batch);
                log << done << "," << seconds() << "," << rate << "," << lastTrainLoss << "," << validationLoss << std::endl;
                std::cout << "step " << done << "  " << std::fixed << std::setprecision(1) << seconds() << " s  lr "
                          << std::setprecision(5) << rate << "  train " << std::setprecision(4) << lastTrainLoss
                          << "  validation(subset) " << validationLoss << std::endl;
                windowLoss = 0.0;
                windowCount = 0;
            } else if (done % 10 == 0) {
                std::cout << "step " << done << "  " << std::fixed << std::setprecision(1) << seconds() << " s  loss "
                          << std::setprecision(4) << loss.item<double>() << std::endl;
            }
            if (done % integer("--save-every") == 0)
                model.exportFolder(out, tokenizerJson, dtype);
            if (last)
                break;
        }
        const double trainingSeconds = seconds();
        const double validationLoss = tempo::meanLoss(model, validation, batch);
        model.exportFolder(out, tokenizerJson, dtype);
        nlohmann::ordered_json summary = {
            {"steps", done},
            {"training_seconds", trainingSeconds},
            {"total_seconds", seconds()},
            {"parameters", model.parameterCount()},
            {"train_tokens", split.train.size()},
            {"validation_tokens", validation.targets.numel()},
            {"final_train_loss", lastTrainLoss},
            {"final_validation_loss", validationLoss},
            {"validation_perplexity", std::exp(validationLoss)},
            {"unigram_validation_loss", unigram},
            {"unigram_validation_perplexity", std::exp(unigram)},
            {"threads", at::get_num_threads()}};
        std::ofstream(out / "training-summary.json", std::ios::trunc) << summary.dump(2) << "\n";
        std::cout << summary.dump(2) << std::endl;
    } catch (const std::exception& error) {
        std::cerr << "error: " << error.what() << "\n";
        return 3;
    }
    return 0;
}
