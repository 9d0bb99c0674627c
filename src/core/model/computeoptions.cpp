#include "core/model/computeoptions.h"

#include <algorithm>
#include <thread>

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include "core/common/errors.h"

namespace tempo {

c10::DeviceType ComputeOptions::parseDevice(const std::string& text)
{
    if (text == "cpu")
        return c10::DeviceType::CPU;
    if (text == "cuda")
        return c10::DeviceType::CUDA;
    throw InvalidArgument(expectedFound("device", "cpu or cuda", "'" + text + "'"));
}

c10::ScalarType ComputeOptions::parseDtype(const std::string& text)
{
    if (text == "f32" || text == "float32")
        return c10::ScalarType::Float;
    if (text == "bf16" || text == "bfloat16")
        return c10::ScalarType::BFloat16;
    if (text == "f16" || text == "float16")
        return c10::ScalarType::Half;
    throw InvalidArgument(expectedFound("dtype", "f32, bf16 or f16", "'" + text + "'"));
}

std::string ComputeOptions::dtypeName(c10::ScalarType dtype)
{
    switch (dtype) {
    case c10::ScalarType::Float: return "f32";
    case c10::ScalarType::BFloat16: return "bf16";
    case c10::ScalarType::Half: return "f16";
    default: return c10::toString(dtype);
    }
}

std::string ComputeOptions::deviceName(c10::DeviceType device)
{
    switch (device) {
    case c10::DeviceType::CPU: return "cpu";
    case c10::DeviceType::CUDA: return "cuda";
    default: return c10::DeviceTypeName(device, /*lower_case=*/true);
    }
}

int ComputeOptions::maxThreads()
{
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void ComputeOptions::validate() const
{
    // Checked first and for every device: the CPU pool also serves a CUDA run (applyThreads).
    if (threads < 0 || threads > maxThreads())
        throw InvalidArgument(expectedFound("threads", "0 (every core) or a count in 1.." + std::to_string(maxThreads()) +
                                                " (the cores of this machine)",
                                            std::to_string(threads)));
    if (dtype != c10::ScalarType::Float && dtype != c10::ScalarType::BFloat16 && dtype != c10::ScalarType::Half)
        throw InvalidArgument(expectedFound("dtype", "f32, bf16 or f16", dtypeName(dtype)));
    if (device == c10::DeviceType::CUDA) {
        if (!at::hasCUDA())
            throw InvalidArgument(expectedFound(
                "device cuda", "a LibTorch build with CUDA and a visible GPU",
                "no CUDA (this LibTorch is CPU-only or no GPU is visible); use --device cpu"));
        return;
    }
    if (device != c10::DeviceType::CPU)
        throw InvalidArgument(expectedFound("device", "cpu or cuda", deviceName(device)));
    if (dtype == c10::ScalarType::Half)
        throw InvalidArgument(expectedFound(
            "dtype on cpu", "f32 or bf16",
            "f16 (LibTorch does not support fp16 matrix multiplication on CPU; use --dtype bf16 or f32, "
            "or --device cuda)"));
}

int ComputeOptions::effectiveThreads() const
{
    if (threads > 0)
        return threads;
    return maxThreads();
}

void ComputeOptions::applyThreads() const
{
    // The intra-op pool also drives the CPU-side work of a CUDA run (copies, sampling), so it is
    // set for both devices. Validated here too: callers that set `threads` after construction
    // (runTempo's per-run count) must not reach at::set_num_threads with 100000.
    validate();
    if (at::get_num_threads() != effectiveThreads())
        at::set_num_threads(effectiveThreads());
}

} // namespace tempo
