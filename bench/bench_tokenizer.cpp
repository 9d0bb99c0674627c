// Tokenizer speed, run by hand: bench_tokenizer PATH/TO/tokenizer.json
// Prints load time (wall and CPU) and encode throughput on ~1 MB of mixed text.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "core/common/errors.h"
#include "core/tokenizer/tokenizer.h"

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: bench_tokenizer PATH/TO/tokenizer.json (e.g. tests/data/llama3-tokenizer/tokenizer.json)\n");
        return 2;
    }
    try {
        const std::clock_t cpuStart = std::clock();
        const auto start = std::chrono::steady_clock::now();
        const tempo::Tokenizer tokenizer = tempo::Tokenizer::fromFile(argv[1]);
        const double loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double loadCpu = double(std::clock() - cpuStart) / CLOCKS_PER_SEC;
        std::printf("load: %.3f s wall, %.3f s CPU, vocabulary %lld (target: well under 1 s)\n", loadSeconds, loadCpu,
                    static_cast<long long>(tokenizer.vocabSize()));

        const std::string sample = "The cat sat on the mat. 1234567 and 3.14159; don't won't I'M\n"
                                   "日本語のテキスト, naïve café résumé 🙂 def f(x):\n    return x**2\n";
        std::string text;
        while (text.size() < 1'000'000)
            text += sample;
        const auto encodeStart = std::chrono::steady_clock::now();
        const auto ids = tokenizer.encode(text, false);
        const double encodeSeconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - encodeStart).count();
        std::printf("encode: %zu bytes -> %zu ids in %.3f s (%.1f MB/s)\n", text.size(), ids.size(), encodeSeconds,
                    text.size() / 1e6 / encodeSeconds);
        return tokenizer.decode(ids) == text ? 0 : 1;
    } catch (const tempo::Error& e) {
        std::fprintf(stderr, "bench_tokenizer: %s\n", e.what());
        return 3;
    }
}
