#pragma once
// Writing GGUF v3 files, the format llama.cpp loads (ggml's docs/gguf.md):
//   "GGUF" | u32 version 3 | u64 tensor count | u64 metadata count
//   metadata:    gguf string key | u32 value type | value        (strings: u64 length + bytes)
//   tensor info: gguf string name | u32 dims | u64 ne[dims] | u32 ggml type | u64 data offset
//   padding to the alignment (32 bytes: we write no general.alignment), then each tensor's bytes
//   at its offset, every offset a multiple of the alignment. Everything little-endian.
// ggml lists dimensions innermost first: a PyTorch [rows, columns] matrix is ne = [columns, rows].
// This file knows the container only; which tensors and keys a model needs is ggufexport.h.

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace tempo {

// GGUF metadata value types (gguf.md, "gguf_metadata_value_type").
enum class GgufValueType : uint32_t {
    Uint8 = 0, Int8 = 1, Uint16 = 2, Int16 = 3, Uint32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, Uint64 = 10, Int64 = 11, Float64 = 12,
};

constexpr uint32_t kGgufVersion = 3;
constexpr uint64_t kGgufAlignment = 32; // gguf.md's default when general.alignment is absent

// The tensor types written here (ggml.h's ggml_type values).
enum class GgmlType : uint32_t { F32 = 0, F16 = 1, BF16 = 30 };
std::string ggmlTypeName(GgmlType type); // "f32", "f16", "bf16"
// "f32" | "f16" | "bf16" (any case) -> the type; anything else throws InvalidArgument naming `what`.
GgmlType ggmlTypeFromName(const std::string& name, const std::string& what);

class GgufWriter {
public:
    // Metadata in the order added. llama.cpp checks each key's type exactly (a u32 key written as
    // i32 is refused), so every setter names its type. A key added twice throws InvalidArgument.
    void addUint32(const std::string& key, uint32_t value);
    void addInt32(const std::string& key, int32_t value);
    void addFloat32(const std::string& key, float value);
    void addBool(const std::string& key, bool value);
    void addString(const std::string& key, const std::string& value);
    void addStringArray(const std::string& key, const std::vector<std::string>& values);
    void addInt32Array(const std::string& key, const std::vector<int32_t>& values);
    void addFloat32Array(const std::string& key, const std::vector<float>& values);

    // A tensor stored as `type` (converted from the tensor's floating-point dtype when needed,
    // rounding to nearest even as ggml does), 1 to 4 dimensions, shape in PyTorch order. Names are
    // unique and at most 63 bytes (GGML_MAX_NAME is 64).
    void addTensor(const std::string& name, const at::Tensor& tensor, GgmlType type = GgmlType::F32);

    size_t metadataCount() const { return metadataCount_; }
    size_t tensorCount() const { return tensors_.size(); }

    // Writes the file under a temporary name and renames it: readers never see half a file.
    // Throws CheckpointError naming the path on an I/O failure.
    void write(const std::filesystem::path& path) const;

private:
    struct Tensor {
        std::string name;
        GgmlType type;
        at::Tensor data; // [..] in `type`'s dtype, contiguous, CPU
    };
    void beginEntry(const std::string& key, GgufValueType type);

    std::string metadata_; // encoded key/type/value entries
    size_t metadataCount_ = 0;
    std::set<std::string> keys_;
    std::vector<Tensor> tensors_;
    std::set<std::string> tensorNames_;
};

} // namespace tempo
