#pragma once
// A Hugging Face checkpoint folder: config.json plus model.safetensors or shards listed in
// model.safetensors.index.json. Everything is validated before any tensor memory is touched.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

#include "core/model/llamaconfig.h"

namespace tempo {

class MappedFile; // read-only mmap of one .safetensors file (safetensors.h)

struct Checkpoint {
    std::filesystem::path folder;
    LlamaConfig config;
    // HF tensor name -> CPU tensor in its on-disk dtype (F32/F16/BF16), a view into `files`.
    std::map<std::string, at::Tensor> tensors;
    std::vector<std::shared_ptr<MappedFile>> files; // keep the mappings alive
};

// Loads and validates config.json and the weights in `folder`. Throws ConfigError or
// CheckpointError naming the file/tensor, what was expected and what was found.
Checkpoint loadCheckpoint(const std::filesystem::path& folder);

// The tensor names and shapes a LlamaForCausalLM with `config` must have, in a stable order.
std::vector<std::pair<std::string, std::vector<int64_t>>> expectedTensorShapes(const LlamaConfig& config);

// SHA-256 (lower-case hex) of the weight files' bytes, files in name order, for run provenance.
// An in-memory checkpoint (no files) hashes the bytes it would have as one model.safetensors
// with metadata {"format": "pt"} (so a test model hashes the same in memory and on disk).
std::string weightsSha256(const Checkpoint& checkpoint);

} // namespace tempo
