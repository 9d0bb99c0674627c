#pragma once
// Tiny random-weight checkpoints of every model family (modelfamily.h) in Hugging Face layout
// (the family's config.json keys and tensor names), for tests, benchmarks and the
// `tempo_make_model` tool. Everything is a pure function of the spec: the same seed gives
// byte-identical files on every machine (own PRNG, no LibTorch generator).

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/model/checkpoint.h"
#include "core/model/llamaconfig.h"

namespace tempo {

struct TestModelSpec {
    ModelFamily family = ModelFamily::Llama;
    uint64_t seed = 1;
    int64_t layers = 2, hidden = 64, intermediate = 128, heads = 4, kvHeads = 2;
    int64_t headDim = 0;              // 0: hidden / heads (gpt2: always hidden / heads, kvHeads = heads)
    int64_t vocab = 0;                // 0: the generated tokenizer's 512; more: embedding rows past the
                                      // tokenizer, as real models pad (a 1B shape's 128256, for benchmarks)
    int64_t slidingWindow = 0;        // > 0: the family's sliding-window layers use this window (mistral,
                                      // phi3: every layer; qwen2: layers from 1 on; gemma2: even layers)
    bool tied = true;
    bool llama3RopeScaling = false;   // add a llama3 rope_scaling block to config.json
    double ropeTheta = 10000.0;
    bool peaked = false;              // scale weights so next-token distributions often have several tokens >= 0.05
    std::string diskDtype = "F32";    // F32 | F16 | BF16 in model.safetensors
};

LlamaConfig testModelConfig(const TestModelSpec& spec);            // vocab = spec.vocab, or the tokenizer's size
Checkpoint makeTestCheckpoint(const TestModelSpec& spec);          // in memory, no files; tensors in diskDtype
void writeTestModel(const std::filesystem::path& dir, const TestModelSpec& spec); // config.json, model.safetensors, tokenizer.json
std::string testTokenizerJson();   // the small byte-level BPE tokenizer.json used by test models

// Details of the generated tokenizer (ids are fixed by construction).
constexpr int64_t kTestVocabSize = 512;           // 256 bytes + 254 merges + 2 specials
constexpr int64_t kTestBeginOfTextId = 510;       // <|begin_of_text|>
constexpr int64_t kTestEndOfTextId = 511;         // <|end_of_text|>

} // namespace tempo
