#pragma once
// Reading .safetensors files (https://github.com/huggingface/safetensors, format section):
//   [u64 little-endian N][N bytes of JSON header][data area]
// The header maps tensor names to {dtype, shape, data_offsets [begin, end)} (offsets relative to
// the data area), plus an optional "__metadata__" object of strings.
// Every size and offset is checked, overflow-safe, against the file before any tensor is created;
// tensors are then zero-copy views over a private memory mapping of the file.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <c10/core/ScalarType.h>

namespace tempo {

// A memory mapping of one whole file, unmapped on destruction. The mapping is private
// (copy-on-write): the file itself is never modified, and a stray in-place op on a weight view
// copies the page instead of crashing.
class MappedFile {
public:
    // Throws CheckpointError naming the path when it cannot be opened or mapped.
    static std::shared_ptr<MappedFile> open(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    const std::filesystem::path& path() const { return path_; }

private:
    MappedFile() = default;
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
    std::filesystem::path path_;
};

// One tensor entry of a validated header.
struct SafetensorsEntry {
    std::string name;
    std::string dtype;          // "F32" | "F16" | "BF16"
    std::vector<int64_t> shape;
    uint64_t begin = 0;         // byte offsets into the data area, begin <= end
    uint64_t end = 0;
};

struct SafetensorsHeader {
    uint64_t dataStart = 0;                      // 8 + header length: where the data area starts
    std::vector<SafetensorsEntry> entries;       // sorted by name
    std::map<std::string, std::string> metadata; // "__metadata__" (string values only)
};

// Supported on-disk dtypes and their element sizes. Throws CheckpointError for anything else.
c10::ScalarType safetensorsScalarType(const std::string& dtype, const std::string& where);
size_t safetensorsDtypeSize(const std::string& dtype);          // 0 when unsupported
std::string safetensorsDtypeName(c10::ScalarType type);         // "F32"/"F16"/"BF16"; throws otherwise

// Validates the header and every entry of a safetensors image of `size` bytes. `source` (the file
// name) starts every error message. Throws CheckpointError; never reads outside [bytes, bytes+size).
SafetensorsHeader parseSafetensorsHeader(const uint8_t* bytes, size_t size, const std::string& source);

// Maps, validates and returns name -> CPU tensor in its on-disk dtype. Each tensor is a view into
// the mapping and holds a reference to `file` so the mapping outlives every view.
std::map<std::string, at::Tensor> readSafetensors(const std::shared_ptr<MappedFile>& file);

} // namespace tempo
