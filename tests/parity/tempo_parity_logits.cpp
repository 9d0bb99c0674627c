// tempo_parity_logits: our side of the llama.cpp parity test. Runs our forward over token-id
// sequences and writes the logits of every position, for llamacpp_parity.mjs to compare with
// llama.cpp's. Each sequence is fed the way a run feeds a prompt and then decodes: its first half
// as one causal prefill, the rest one token at a time through the KV cache.
//
//   tempo_parity_logits --model DIR --sequences FILE.json --out FILE.bin
//   FILE.json: {"sequences": [[id, ...], ...]}
//   FILE.bin:  float32 little-endian logits, [sum of sequence lengths, vocab], sequences in order

#include <cstdint>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"

namespace {

using tempo::expectedFound;

// Logits of every position of `ids`: [n, V] float32.
at::Tensor sequenceLogits(const tempo::LlamaModel& model, const std::vector<int64_t>& ids)
{
    const int64_t n = static_cast<int64_t>(ids.size());
    const int64_t prefill = (n + 1) / 2;
    tempo::KVCache cache = model.makeCache(n);
    std::vector<at::Tensor> rows;
    const std::vector<int64_t> head(ids.begin(), ids.begin() + prefill);
    rows.push_back(model
                       .forward({at::tensor(head, at::kLong), at::arange(prefill, at::kLong),
                                 at::ones({prefill, prefill}, at::kBool).tril()},
                                cache)
                       .logits);
    for (int64_t position = prefill; position < n; ++position)
        rows.push_back(model
                           .forward({at::tensor(std::vector<int64_t>{ids[static_cast<size_t>(position)]}, at::kLong),
                                     at::tensor(std::vector<int64_t>{position}, at::kLong),
                                     at::ones({1, position + 1}, at::kBool)},
                                    cache)
                           .logits);
    return at::cat(rows, 0).to(at::kFloat).contiguous(); // [n, V]
}

} // namespace

int main(int argc, char** argv)
{
    try {
        std::string model, sequencesPath, out;
        for (int i = 1; i + 1 < argc; i += 2) {
            const std::string flag = argv[i];
            if (flag == "--model")
                model = argv[i + 1];
            else if (flag == "--sequences")
                sequencesPath = argv[i + 1];
            else if (flag == "--out")
                out = argv[i + 1];
            else
                throw tempo::InvalidArgument(expectedFound("argument '" + flag + "'", "--model, --sequences or --out", "unknown"));
        }
        if (model.empty() || sequencesPath.empty() || out.empty())
            throw tempo::InvalidArgument(expectedFound("arguments", "--model DIR --sequences FILE --out FILE", "fewer"));

        std::ifstream in(sequencesPath);
        std::stringstream text;
        text << in.rdbuf();
        const nlohmann::json sequences = nlohmann::json::parse(text.str()).at("sequences");

        tempo::ComputeOptions options;
        options.threads = 1;
        const tempo::LlamaModel forward(tempo::loadCheckpoint(model), options);
        std::ofstream file(out, std::ios::binary | std::ios::trunc);
        for (const nlohmann::json& sequence : sequences) {
            const std::vector<int64_t> ids = sequence.get<std::vector<int64_t>>();
            if (ids.empty())
                throw tempo::InvalidArgument(expectedFound("a sequence", "at least one token id", "an empty list"));
            const at::Tensor logits = sequenceLogits(forward, ids);
            file.write(static_cast<const char*>(logits.data_ptr()), static_cast<std::streamsize>(logits.numel() * 4));
        }
        file.flush();
        if (!file)
            throw tempo::Error(expectedFound(out, "written completely", "a write error"));
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "tempo_parity_logits: " << error.what() << "\n";
        return 3;
    }
}
