// Llama-shaped models with random weights, built in memory: for benchmarks and device checks,
// where only the shapes (bytes read, multiply-adds) matter and no file should be needed.
#pragma once

#include <cstdint>

#include "core/model/checkpoint.h"
#include "core/model/llamaconfig.h"

namespace tempo {

// The shape of Llama 3.2 1B: 16 layers, hidden 2048, 32 query / 8 key-value heads of 64,
// intermediate 8192, vocab 128256, tied embeddings, Llama 3 RoPE scaling (factor 32).
LlamaConfig llama32OneBillionConfig();

// Every tensor of `config` in float32: matrices uniform in [-0.035, 0.035] (standard deviation
// ~0.02, as Llama's initialisation; uniform because it fills fast), norms 1. Seeded.
Checkpoint randomCheckpoint(const LlamaConfig& config, uint64_t seed = 1);

} // namespace tempo
