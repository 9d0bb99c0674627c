#include "core/model/safetensorswriter.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/safetensors.h"

namespace tempo {

std::string safetensorsBytes(const std::map<std::string, at::Tensor>& tensors,
                             const std::map<std::string, std::string>& metadata)
{
    struct Item {
        std::string name;
        at::Tensor data; // contiguous CPU
        std::string dtype;
        size_t elementSize;
    };
    std::vector<Item> items;
    for (const auto& [name, tensor] : tensors) {
        if (name == "__metadata__")
            throw CheckpointError(expectedFound("safetensors writer: tensor name", "anything but __metadata__", name));
        std::string dtype = safetensorsDtypeName(tensor.scalar_type());
        items.push_back({name, tensor.detach().to(at::kCPU).contiguous(), dtype, safetensorsDtypeSize(dtype)});
    }
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& a, const Item& b) { return a.elementSize > b.elementSize; });

    // ordered_json keeps __metadata__ first and the tensors in layout order, as the reference does.
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty())
        header["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const Item& item : items) {
        const uint64_t length = static_cast<uint64_t>(item.data.numel()) * item.elementSize;
        header[item.name] = {{"dtype", item.dtype},
                             {"shape", item.data.sizes().vec()},
                             {"data_offsets", {offset, offset + length}}};
        offset += length;
    }
    std::string headerText = header.dump();
    // Pad with spaces so 8 + header length is a multiple of 8 (data area 8-byte aligned).
    headerText.append((8 - headerText.size() % 8) % 8, ' ');

    std::string bytes;
    bytes.reserve(8 + headerText.size() + offset);
    const uint64_t headerLength = headerText.size();
    for (int i = 0; i < 8; ++i)
        bytes.push_back(static_cast<char>((headerLength >> (8 * i)) & 0xff));
    bytes += headerText;
    for (const Item& item : items)
        bytes.append(static_cast<const char*>(item.data.data_ptr()),
                     static_cast<size_t>(item.data.numel()) * item.elementSize);
    return bytes;
}

void writeSafetensors(const std::filesystem::path& path, const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata)
{
    const std::string bytes = safetensorsBytes(tensors, metadata);
    std::filesystem::path temporary = path;
    temporary += ".partial";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out)
            throw CheckpointError(expectedFound(temporary.string(), "a writable file", std::strerror(errno)));
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out)
            throw CheckpointError(expectedFound(temporary.string(), "all bytes written", "a write error"));
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error)
        throw CheckpointError(expectedFound(path.string(), "a file that can be replaced", error.message()));
}

} // namespace tempo
