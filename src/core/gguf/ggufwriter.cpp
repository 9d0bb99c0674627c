#include "core/gguf/ggufwriter.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>

#include <ATen/ATen.h>

#include "core/common/errors.h"

// Tensor bytes are written straight from memory: the host must already be little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "GGUF is little-endian; this writer copies memory as is");

namespace tempo {

namespace {

constexpr size_t kGgufMaxTensorName = 63; // GGML_MAX_NAME (64) less the terminating zero

void appendLittleEndian(std::string& out, uint64_t value, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}
void appendU32(std::string& out, uint32_t value) { appendLittleEndian(out, value, 4); }
void appendU64(std::string& out, uint64_t value) { appendLittleEndian(out, value, 8); }
void appendF32(std::string& out, float value)
{
    uint32_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    appendU32(out, bits);
}
void appendGgufString(std::string& out, const std::string& text)
{
    appendU64(out, text.size());
    out += text;
}

uint64_t alignUp(uint64_t offset) { return (offset + kGgufAlignment - 1) / kGgufAlignment * kGgufAlignment; }

c10::ScalarType scalarTypeOf(GgmlType type)
{
    switch (type) {
    case GgmlType::F16: return at::kHalf;
    case GgmlType::BF16: return at::kBFloat16;
    case GgmlType::F32: break;
    }
    return at::kFloat;
}

} // namespace

void GgufWriter::beginEntry(const std::string& key, GgufValueType type)
{
    if (key.empty())
        throw InvalidArgument(expectedFound("GGUF metadata key", "a non-empty name", "an empty name"));
    if (!keys_.insert(key).second)
        throw InvalidArgument(expectedFound("GGUF metadata key '" + key + "'", "added once", "added twice"));
    appendGgufString(metadata_, key);
    appendU32(metadata_, static_cast<uint32_t>(type));
    ++metadataCount_;
}

void GgufWriter::addUint32(const std::string& key, uint32_t value)
{
    beginEntry(key, GgufValueType::Uint32);
    appendU32(metadata_, value);
}

void GgufWriter::addInt32(const std::string& key, int32_t value)
{
    beginEntry(key, GgufValueType::Int32);
    appendU32(metadata_, static_cast<uint32_t>(value));
}

void GgufWriter::addFloat32(const std::string& key, float value)
{
    beginEntry(key, GgufValueType::Float32);
    appendF32(metadata_, value);
}

void GgufWriter::addBool(const std::string& key, bool value)
{
    beginEntry(key, GgufValueType::Bool);
    metadata_.push_back(value ? 1 : 0);
}

void GgufWriter::addString(const std::string& key, const std::string& value)
{
    beginEntry(key, GgufValueType::String);
    appendGgufString(metadata_, value);
}

void GgufWriter::addStringArray(const std::string& key, const std::vector<std::string>& values)
{
    beginEntry(key, GgufValueType::Array);
    appendU32(metadata_, static_cast<uint32_t>(GgufValueType::String));
    appendU64(metadata_, values.size());
    for (const std::string& value : values)
        appendGgufString(metadata_, value);
}

void GgufWriter::addInt32Array(const std::string& key, const std::vector<int32_t>& values)
{
    beginEntry(key, GgufValueType::Array);
    appendU32(metadata_, static_cast<uint32_t>(GgufValueType::Int32));
    appendU64(metadata_, values.size());
    for (int32_t value : values)
        appendU32(metadata_, static_cast<uint32_t>(value));
}

void GgufWriter::addFloat32Array(const std::string& key, const std::vector<float>& values)
{
    beginEntry(key, GgufValueType::Array);
    appendU32(metadata_, static_cast<uint32_t>(GgufValueType::Float32));
    appendU64(metadata_, values.size());
    for (float value : values)
        appendF32(metadata_, value);
}

std::string ggmlTypeName(GgmlType type)
{
    switch (type) {
    case GgmlType::F16: return "f16";
    case GgmlType::BF16: return "bf16";
    case GgmlType::F32: break;
    }
    return "f32";
}

GgmlType ggmlTypeFromName(const std::string& name, const std::string& what)
{
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16})
        if (lower == ggmlTypeName(type))
            return type;
    throw InvalidArgument(expectedFound(what, "f32, f16 or bf16", "'" + name + "'"));
}

void GgufWriter::addTensor(const std::string& name, const at::Tensor& tensor, GgmlType type)
{
    if (name.empty() || name.size() > kGgufMaxTensorName)
        throw InvalidArgument(expectedFound("GGUF tensor name '" + name + "'", "1 to 63 bytes",
                                            std::to_string(name.size()) + " bytes"));
    if (!tensor.defined() || tensor.dim() < 1 || tensor.dim() > 4)
        throw InvalidArgument(expectedFound("GGUF tensor '" + name + "'", "1 to 4 dimensions",
                                            tensor.defined() ? std::to_string(tensor.dim()) : std::string("no tensor")));
    if (!at::isFloatingType(tensor.scalar_type()))
        throw InvalidArgument(expectedFound("GGUF tensor '" + name + "'", "a floating-point tensor",
                                            std::string(c10::toString(tensor.scalar_type()))));
    if (!tensorNames_.insert(name).second)
        throw InvalidArgument(expectedFound("GGUF tensor '" + name + "'", "added once", "added twice"));
    tensors_.push_back({name, type, tensor.detach().to(at::kCPU, scalarTypeOf(type)).contiguous()});
}

void GgufWriter::write(const std::filesystem::path& path) const
{
    // Header, metadata and tensor infos.
    std::string head;
    head += "GGUF";
    appendU32(head, kGgufVersion);
    appendU64(head, tensors_.size());
    appendU64(head, metadataCount_);
    head += metadata_;
    uint64_t offset = 0; // relative to the start of the data section
    std::vector<uint64_t> offsets;
    for (const Tensor& tensor : tensors_) {
        appendGgufString(head, tensor.name);
        const int64_t dims = tensor.data.dim();
        appendU32(head, static_cast<uint32_t>(dims));
        for (int64_t d = dims - 1; d >= 0; --d) // ggml: innermost dimension first
            appendU64(head, static_cast<uint64_t>(tensor.data.size(d)));
        appendU32(head, static_cast<uint32_t>(tensor.type));
        appendU64(head, offset);
        offsets.push_back(offset);
        offset = alignUp(offset + static_cast<uint64_t>(tensor.data.nbytes()));
    }
    head.resize(alignUp(head.size()), '\0');

    const std::filesystem::path partial = path.string() + ".partial";
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        if (!out)
            throw CheckpointError(expectedFound(partial.string(), "a writable file", "cannot be created"));
        out.write(head.data(), static_cast<std::streamsize>(head.size()));
        uint64_t written = 0;
        const std::string zeros(kGgufAlignment, '\0');
        for (size_t i = 0; i < tensors_.size(); ++i) {
            out.write(zeros.data(), static_cast<std::streamsize>(offsets[i] - written));
            const at::Tensor& data = tensors_[i].data;
            const uint64_t bytes = static_cast<uint64_t>(data.nbytes());
            out.write(static_cast<const char*>(data.data_ptr()), static_cast<std::streamsize>(bytes));
            written = offsets[i] + bytes;
        }
        out.write(zeros.data(), static_cast<std::streamsize>(offset - written));
        out.flush();
        if (!out)
            throw CheckpointError(expectedFound(partial.string(), "written completely", "a write error (disk full?)"));
    }
    std::error_code error;
    std::filesystem::rename(partial, path, error);
    if (error)
        throw CheckpointError(expectedFound(path.string(), "renamed into place", error.message()));
}

} // namespace tempo
