#pragma once
// What a TEMPO run may ask of a model: the one place that says whether a run fits, used before a
// run row exists (runTempo), by the decoder itself (TempoConfig::validate), and by the
// window to show the limit as the user types (maxStepsFor).
//
// With M = max_position_embeddings, O = position_offset, P = prompt tokens, S = max_steps and
// W = the widest set (min(max_width, floor(1 / threshold))):
//   the prompt leaves room for a step      O + P + 1 <= M
//   every step has a logical position      O + P + S <= M
//   every member has a KV cache slot       P + S * W <= M
//   a set is never wider than the vocabulary   max_width <= vocab_size

#include <cstdint>

#include <c10/core/ScalarType.h>

namespace tempo {

struct LlamaConfig;
struct TempoConfig;
struct ComputeOptions;

// The largest max_steps that fits: min(M - O - P, floor((M - P) / W)); 0 when the prompt leaves
// no room (or promptTokens < 1). Uses config's threshold, max_width and position_offset; ignores
// its max_steps. Never throws.
int64_t maxStepsFor(const LlamaConfig& model, int64_t promptTokens, const TempoConfig& config);

// Throws InvalidArgument naming the field, the limit and what was asked: the model-free ranges
// (TempoConfig::validate()), then the rules above, then keys_layer in range. A prompt that is too
// long is reported as such ("the prompt has N tokens; the model has M positions").
void validateRunFits(const TempoConfig& config, int64_t promptTokens, const LlamaConfig& model);

// KV cache bytes the run fills for certain: every step feeds at least one member, so without
// stop-at-eos (P + S) slots, with it (P + 1).
uint64_t kvCacheBytesCertain(const TempoConfig& config, int64_t promptTokens, const LlamaConfig& model,
                             c10::ScalarType dtype);

// Throws ResourceError when the KV cache the run fills for certain is larger than this machine's
// physical memory (CPU runs; a CUDA run is left to the allocator, whose failure is a
// ResourceError too). Before the run row exists, so a run that cannot finish leaves no trace.
void validateRunMemory(const TempoConfig& config, int64_t promptTokens, const LlamaConfig& model,
                       const ComputeOptions& options);

// This machine's physical memory in bytes (0 when unknown).
uint64_t physicalMemoryBytes();

} // namespace tempo
