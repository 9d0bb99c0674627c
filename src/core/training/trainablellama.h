#pragma once
// A Llama that can be trained: the same architecture and Hugging Face conventions as the
// engine's LlamaModel (RMSNorm computed in float32, GQA, RoPE rotate-half via core/model/rope.h,
// SwiGLU MLP, tied embeddings), written as plain ATen ops on leaf tensors that require grad, so
// autograd differentiates it. Parameters carry their Hugging Face names, so export is a copy.
// tests/training checks that the exported checkpoint run through LlamaModel gives these logits.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

#include "core/model/llamaconfig.h"

namespace tempo {

struct TrainableLlamaShape {
    int64_t vocabSize = 4096;
    int64_t hidden = 256;
    int64_t intermediate = 768;
    int64_t layers = 4;
    int64_t heads = 8;
    int64_t kvHeads = 4;
    int64_t headDim = 32;
    int64_t maxPositions = 512;
    double ropeTheta = 10000.0;
    int64_t bosTokenId = -1;
    int64_t eosTokenId = -1;
};

class TrainableLlama {
public:
    // Weights drawn from N(0, 0.02) (output projections scaled by 1/sqrt(2 * layers)), norms at 1,
    // from LibTorch's generator seeded with `seed`.
    TrainableLlama(const TrainableLlamaShape& shape, uint64_t seed);

    const LlamaConfig& config() const { return config_; }

    // tokenIds [B, T] int64, positions 0..T-1, causal attention -> logits [B, T, vocab] float32.
    at::Tensor logits(const at::Tensor& tokenIds) const;
    // Mean cross-entropy (nats) of predicting targets [B, T] from tokenIds [B, T].
    at::Tensor loss(const at::Tensor& tokenIds, const at::Tensor& targets) const;

    // Hugging Face name -> parameter (leaf tensor, requires grad). The tied LM head is not listed.
    const std::map<std::string, at::Tensor>& parameters() const { return parameters_; }
    // True for matrices (weight decay applies), false for norm scales.
    static bool isMatrix(const std::string& name);
    int64_t parameterCount() const;

    // Writes config.json, model.safetensors (in `dtype`: f32 or bf16) and the given tokenizer.json
    // text into `folder` (created if missing), the layout loadCheckpoint reads.
    void exportFolder(const std::filesystem::path& folder, const std::string& tokenizerJson,
                      c10::ScalarType dtype) const;

private:
    const at::Tensor& param(const std::string& name) const;

    LlamaConfig config_;
    std::map<std::string, at::Tensor> parameters_;
    at::Tensor inverseFrequencies_; // [D/2] float64
};

} // namespace tempo
