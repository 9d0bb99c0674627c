#pragma once
// Where and in which precision the forward runs: `--device cpu|cuda`, `--dtype f32|bf16|f16`,
// `--threads N` on the CLI.

#include <string>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace tempo {

struct ComputeOptions {
    c10::DeviceType device = c10::DeviceType::CPU;
    c10::ScalarType dtype = c10::ScalarType::Float;
    int threads = 0; // 0 = every available core (CPU only); at most maxThreads()

    // Parse "cpu"/"cuda" and "f32"/"bf16"/"f16"; throw InvalidArgument naming the accepted values.
    static c10::DeviceType parseDevice(const std::string& text);
    static c10::ScalarType parseDtype(const std::string& text);
    static std::string dtypeName(c10::ScalarType dtype);   // "f32", "bf16", "f16"
    static std::string deviceName(c10::DeviceType device); // "cpu", "cuda"

    // The most intra-op threads a run may ask for: the cores this machine reports
    // (std::thread::hardware_concurrency, at least 1). More only oversubscribes the cores, and
    // values like 100000 make LibTorch start that many threads (the CLI used to hang there).
    static int maxThreads();

    // Refuse combinations that cannot run here (cuda without a CUDA build or GPU, f16 on CPU) and
    // thread counts outside 0..maxThreads().
    void validate() const;
    // Validate, then apply the thread count to LibTorch's intra-op pool (at::set_num_threads).
    void applyThreads() const;
    int effectiveThreads() const;
};

} // namespace tempo
