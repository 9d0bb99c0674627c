// tempo_make_gguf: writes a Hugging Face checkpoint folder of ours (config.json,
// model.safetensors, tokenizer.json) as a GGUF v3 file for llama.cpp: weight matrices in float32
// (the default), float16 or bfloat16; norms and biases in float32.
// Used by the llama.cpp parity tests (tests/parity) and bench/bench_vs_llamacpp; see docs/testing.md.

#include <filesystem>
#include <iostream>
#include <string>

#include "core/common/errors.h"
#include "core/gguf/ggufexport.h"

namespace {

const char* kUsage = "usage: tempo_make_gguf --model DIR --out FILE.gguf [--dtype f32|f16|bf16]\n"
                     "  DIR holds config.json, model.safetensors (or shards) and tokenizer.json.\n"
                     "  --dtype: the type of the weight matrices (default f32); norms and biases stay f32.\n";

} // namespace

int main(int argc, char** argv)
{
    try {
        std::string model, out;
        tempo::GgmlType matrixType = tempo::GgmlType::F32;
        for (int i = 1; i < argc; ++i) {
            const std::string flag = argv[i];
            auto value = [&]() -> std::string {
                if (i + 1 >= argc)
                    throw tempo::InvalidArgument(tempo::expectedFound(flag, "a value after it", "the end of the line"));
                return argv[++i];
            };
            if (flag == "--help" || flag == "-h") {
                std::cout << kUsage;
                return 0;
            } else if (flag == "--model") {
                model = value();
            } else if (flag == "--out") {
                out = value();
            } else if (flag == "--dtype") {
                matrixType = tempo::ggmlTypeFromName(value(), "--dtype");
            } else {
                throw tempo::InvalidArgument(tempo::expectedFound("argument '" + flag + "'", "--model, --out or --dtype",
                                                                  "an unknown argument") + "\n" + kUsage);
            }
        }
        if (model.empty() || out.empty())
            throw tempo::InvalidArgument(tempo::expectedFound("arguments", "--model DIR and --out FILE",
                                                              model.empty() ? "no --model" : "no --out") + "\n" + kUsage);
        const tempo::GgufExportSummary summary = tempo::writeGgufFromFolder(model, out, matrixType);
        std::cout << "wrote " << out << ": architecture " << summary.architecture << ", " << summary.tensors
                  << " tensors (matrices " << tempo::ggmlTypeName(matrixType) << ", norms and biases f32), " << summary.metadata << " metadata keys\n";
        for (const std::string& note : summary.notes)
            std::cout << "  note: " << note << "\n";
        return 0;
    } catch (const tempo::InvalidArgument& error) {
        std::cerr << "tempo_make_gguf: " << error.what() << "\n";
        return 2;
    } catch (const std::exception& error) {
        std::cerr << "tempo_make_gguf: " << error.what() << "\n";
        return 3;
    }
}
