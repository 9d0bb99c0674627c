#include "core/model/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"

// Tensors are zero-copy views of little-endian bytes: only little-endian hosts are supported.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors views need a little-endian host");

namespace tempo {

namespace {

using nlohmann::json;

// The reference implementation refuses headers above 100 MB; so do we (a corrupt length field
// must not make us parse gigabytes).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

[[noreturn]] void fail(const std::string& what, const std::string& expected, const std::string& found)
{
    throw CheckpointError(expectedFound(what, expected, found));
}

bool checkedMultiply(uint64_t a, uint64_t b, uint64_t& out)
{
    if (a != 0 && b > UINT64_MAX / a)
        return false;
    out = a * b;
    return true;
}

// A JSON value as a non-negative integer that fits in uint64, or fail.
uint64_t nonNegativeInteger(const json& value, const std::string& what, const std::string& expected)
{
    if (value.is_number_unsigned())
        return value.get<uint64_t>();
    if (value.is_number_integer() && value.get<int64_t>() >= 0)
        return static_cast<uint64_t>(value.get<int64_t>());
    fail(what, expected, value.dump());
}

SafetensorsEntry parseEntry(const std::string& name, const json& value, uint64_t dataSize, const std::string& source)
{
    const std::string what = source + ": tensor '" + name + "'";
    if (!value.is_object())
        fail(what, "an object with dtype, shape and data_offsets", value.dump().substr(0, 80));
    for (const char* key : {"dtype", "shape", "data_offsets"})
        if (!value.contains(key))
            fail(what, std::string("a '") + key + "' entry", "none");

    SafetensorsEntry entry;
    entry.name = name;
    const json& dtype = value.at("dtype");
    if (!dtype.is_string())
        fail(what + " dtype", "a string", dtype.dump());
    entry.dtype = dtype.get<std::string>();
    const size_t elementSize = safetensorsDtypeSize(entry.dtype);
    if (elementSize == 0)
        fail(what + " dtype", "F32, F16 or BF16", "\"" + entry.dtype + "\"");

    const json& shape = value.at("shape");
    if (!shape.is_array())
        fail(what + " shape", "a list of non-negative integers", shape.dump());
    uint64_t elements = 1;
    for (const json& dim : shape) {
        uint64_t size = nonNegativeInteger(dim, what + " shape", "a list of non-negative integers");
        if (size > static_cast<uint64_t>(INT64_MAX) || !checkedMultiply(elements, size, elements))
            fail(what + " shape", "an element count that fits in 64 bits", shape.dump());
        entry.shape.push_back(static_cast<int64_t>(size));
    }
    uint64_t byteLength = 0;
    if (!checkedMultiply(elements, elementSize, byteLength))
        fail(what + " shape", "a byte length that fits in 64 bits", shape.dump());

    const json& offsets = value.at("data_offsets");
    if (!offsets.is_array() || offsets.size() != 2)
        fail(what + " data_offsets", "[begin, end]", offsets.dump());
    entry.begin = nonNegativeInteger(offsets[0], what + " data_offsets", "two non-negative integers");
    entry.end = nonNegativeInteger(offsets[1], what + " data_offsets", "two non-negative integers");
    if (entry.begin > entry.end)
        fail(what + " data_offsets", "begin <= end", offsets.dump());
    if (entry.end > dataSize)
        fail(what + " data_offsets", "end within the data area (" + std::to_string(dataSize) + " bytes)",
             offsets.dump() + " (the file is truncated or the offsets are corrupt)");
    if (entry.end - entry.begin != byteLength)
        fail(what, std::to_string(byteLength) + " bytes for shape " + shapeText(entry.shape) + " " + entry.dtype,
             std::to_string(entry.end - entry.begin) + " bytes in data_offsets " + offsets.dump());
    return entry;
}

} // namespace

// ---- MappedFile ----

std::shared_ptr<MappedFile> MappedFile::open(const std::filesystem::path& path)
{
    std::shared_ptr<MappedFile> file(new MappedFile());
    file->path_ = path;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail(path.string(), "a readable file", std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        fail(path.string(), "a regular file", "something else");
    }
    file->size_ = static_cast<size_t>(info.st_size);
    if (file->size_ > 0) {
        void* address = ::mmap(nullptr, file->size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (address == MAP_FAILED) {
            int error = errno;
            ::close(fd);
            fail(path.string(), "a file that can be memory-mapped", std::strerror(error));
        }
        file->data_ = static_cast<uint8_t*>(address);
    }
    ::close(fd); // the mapping stays valid after the descriptor is closed
    return file;
}

MappedFile::~MappedFile()
{
    if (data_)
        ::munmap(data_, size_);
}

// ---- dtypes ----

size_t safetensorsDtypeSize(const std::string& dtype)
{
    if (dtype == "F32")
        return 4;
    if (dtype == "F16" || dtype == "BF16")
        return 2;
    return 0;
}

c10::ScalarType safetensorsScalarType(const std::string& dtype, const std::string& where)
{
    if (dtype == "F32")
        return c10::ScalarType::Float;
    if (dtype == "F16")
        return c10::ScalarType::Half;
    if (dtype == "BF16")
        return c10::ScalarType::BFloat16;
    fail(where, "dtype F32, F16 or BF16", "\"" + dtype + "\"");
}

std::string safetensorsDtypeName(c10::ScalarType type)
{
    switch (type) {
    case c10::ScalarType::Float: return "F32";
    case c10::ScalarType::Half: return "F16";
    case c10::ScalarType::BFloat16: return "BF16";
    default: fail("safetensors dtype", "float32, float16 or bfloat16", c10::toString(type));
    }
}

// ---- header ----

SafetensorsHeader parseSafetensorsHeader(const uint8_t* bytes, size_t size, const std::string& source)
{
    if (size < 8)
        fail(source, "at least 8 bytes (the header length)", std::to_string(size) + " bytes");
    uint64_t headerLength = 0;
    for (int i = 7; i >= 0; --i) // little-endian regardless of the host
        headerLength = (headerLength << 8) | bytes[i];
    if (headerLength > size - 8)
        fail(source + ": header length", "at most " + std::to_string(size - 8) + " bytes (the rest of the file)",
             std::to_string(headerLength));
    if (headerLength > kMaxHeaderBytes)
        fail(source + ": header length", "at most " + std::to_string(kMaxHeaderBytes) + " bytes",
             std::to_string(headerLength));
    if (headerLength < 2 || bytes[8] != '{')
        fail(source + ": header", "a JSON object starting with '{'", "something else");

    const char* headerBegin = reinterpret_cast<const char*>(bytes + 8);
    const char* headerEnd = headerBegin + headerLength;
    // Duplicate names at the top level would silently overwrite each other in the parsed object;
    // record them while parsing.
    std::set<std::string> seenNames;
    std::string duplicate;
    json::parser_callback_t noteDuplicates = [&](int depth, json::parse_event_t event, json& parsed) {
        if (depth == 1 && event == json::parse_event_t::key && parsed.is_string()) {
            const std::string& key = parsed.get_ref<const std::string&>();
            if (!seenNames.insert(key).second && duplicate.empty())
                duplicate = key;
        }
        return true;
    };
    json header;
    try {
        header = json::parse(headerBegin, headerEnd, noteDuplicates);
    } catch (const json::exception& error) {
        fail(source + ": header", "well-formed JSON", std::string("malformed JSON (") + error.what() + ")");
    }
    if (!header.is_object())
        fail(source + ": header", "a JSON object", header.type_name());
    if (!duplicate.empty())
        fail(source + ": tensor '" + duplicate + "'", "one entry in the header", "two or more");

    SafetensorsHeader result;
    result.dataStart = 8 + headerLength;
    const uint64_t dataSize = size - result.dataStart;
    for (const auto& [name, value] : header.items()) {
        if (name == "__metadata__") {
            if (!value.is_object())
                fail(source + ": __metadata__", "an object of strings", value.type_name());
            for (const auto& [key, text] : value.items()) {
                if (!text.is_string())
                    fail(source + ": __metadata__ '" + key + "'", "a string", text.dump());
                result.metadata[key] = text.get<std::string>();
            }
            continue;
        }
        result.entries.push_back(parseEntry(name, value, dataSize, source));
    }

    // No two tensors may share bytes. Sorting by begin, each non-empty range must start at or
    // after the previous one's end.
    std::vector<const SafetensorsEntry*> byOffset;
    for (const SafetensorsEntry& entry : result.entries)
        if (entry.end > entry.begin)
            byOffset.push_back(&entry);
    std::sort(byOffset.begin(), byOffset.end(),
              [](const SafetensorsEntry* a, const SafetensorsEntry* b) { return a->begin < b->begin; });
    for (size_t i = 1; i < byOffset.size(); ++i) {
        const SafetensorsEntry& previous = *byOffset[i - 1];
        const SafetensorsEntry& current = *byOffset[i];
        if (current.begin < previous.end)
            fail(source + ": tensor '" + current.name + "'",
                 "data_offsets not overlapping tensor '" + previous.name + "' [" + std::to_string(previous.begin) +
                     ", " + std::to_string(previous.end) + ")",
                 "[" + std::to_string(current.begin) + ", " + std::to_string(current.end) + ")");
    }
    return result;
}

std::map<std::string, at::Tensor> readSafetensors(const std::shared_ptr<MappedFile>& file)
{
    const std::string source = file->path().filename().string();
    SafetensorsHeader header = parseSafetensorsHeader(file->data(), file->size(), source);

    std::map<std::string, at::Tensor> tensors;
    for (const SafetensorsEntry& entry : header.entries) {
        const c10::ScalarType type = safetensorsScalarType(entry.dtype, source + ": tensor '" + entry.name + "'");
        const auto options = at::TensorOptions().dtype(type).device(at::kCPU);
        const uint64_t byteLength = entry.end - entry.begin;
        if (byteLength == 0) {
            tensors.emplace(entry.name, at::empty(entry.shape, options));
            continue;
        }
        // Offsets are validated: dataStart + end <= file size.
        uint8_t* address = const_cast<uint8_t*>(file->data()) + header.dataStart + entry.begin;
        const size_t elementSize = safetensorsDtypeSize(entry.dtype);
        if (reinterpret_cast<uintptr_t>(address) % elementSize != 0) {
            // Misaligned data (legal in the format, rare in practice): copy instead of viewing, since
            // kernels may assume naturally aligned elements.
            at::Tensor owned = at::empty(entry.shape, options);
            std::memcpy(owned.data_ptr(), address, byteLength);
            tensors.emplace(entry.name, owned);
            continue;
        }
        std::shared_ptr<MappedFile> keepAlive = file;
        at::Tensor view = at::from_blob(
            address, entry.shape, [keepAlive](void*) mutable { keepAlive.reset(); }, options);
        tensors.emplace(entry.name, view);
    }
    return tensors;
}

} // namespace tempo
