#pragma once
// Writing .safetensors files in the reference layout: an 8-byte little-endian header length,
// the JSON header padded with spaces so the data area starts on an 8-byte boundary, then the
// tensors' bytes. Like the reference writer, tensors are laid out by element size (largest first)
// and then by name, so every tensor starts naturally aligned.

#include <filesystem>
#include <map>
#include <string>

#include <ATen/Tensor.h>

namespace tempo {

// Writes `tensors` (CPU or not; float32, float16 or bfloat16; any strides) to `path`.
// The file is written under a temporary name and renamed, so readers never see half a file.
// Throws CheckpointError on an unsupported dtype or an I/O failure.
void writeSafetensors(const std::filesystem::path& path, const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// The same bytes in memory (used by tests to build corrupt variants).
std::string safetensorsBytes(const std::map<std::string, at::Tensor>& tensors,
                             const std::map<std::string, std::string>& metadata = {});

} // namespace tempo
