// tempo_make_model: writes a tiny random-weight checkpoint folder of any supported model family
// (config.json and model.safetensors in that family's Hugging Face names, tokenizer.json) for
// tests, benchmarks and trying the app without a download.
// Same flags and seed -> byte-identical files.

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "core/common/errors.h"
#include "core/common/sha256.h"
#include "core/testmodel/testmodel.h"

namespace {

const char* kUsage =
    "usage: tempo_make_model --out DIR [--family NAME] [--seed N] [--layers N] [--hidden N]\n"
    "                        [--intermediate N] [--heads N] [--kv-heads N] [--head-dim N] [--vocab N]\n"
    "                        [--sliding-window N] [--rope-theta X] [--untied] [--llama3-rope] [--peaked]\n"
    "                        [--dtype F32|F16|BF16]\n"
    "  --family: llama (default), mistral, qwen2, phi3, gemma2 or gpt2\n"
    "  --vocab: embedding rows (default: the 512-token tokenizer's; more pads past the tokenizer)\n";

long long parseInteger(const std::string& flag, const std::string& text)
{
    size_t used = 0;
    long long value = 0;
    try {
        value = std::stoll(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || text.empty())
        throw tempo::InvalidArgument(tempo::expectedFound(flag, "an integer", "\"" + text + "\""));
    return value;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        tempo::TestModelSpec spec;
        std::string out;
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
            } else if (flag == "--out") {
                out = value();
            } else if (flag == "--family") {
                spec.family = tempo::familyFromName(value());
            } else if (flag == "--sliding-window") {
                spec.slidingWindow = parseInteger(flag, value());
            } else if (flag == "--seed") {
                long long seed = parseInteger(flag, value());
                if (seed < 0)
                    throw tempo::InvalidArgument(tempo::expectedFound(flag, "a non-negative integer", std::to_string(seed)));
                spec.seed = static_cast<uint64_t>(seed);
            } else if (flag == "--layers") {
                spec.layers = parseInteger(flag, value());
            } else if (flag == "--hidden") {
                spec.hidden = parseInteger(flag, value());
            } else if (flag == "--intermediate") {
                spec.intermediate = parseInteger(flag, value());
            } else if (flag == "--heads") {
                spec.heads = parseInteger(flag, value());
            } else if (flag == "--kv-heads") {
                spec.kvHeads = parseInteger(flag, value());
            } else if (flag == "--vocab") {
                spec.vocab = parseInteger(flag, value());
            } else if (flag == "--head-dim") {
                spec.headDim = parseInteger(flag, value());
            } else if (flag == "--rope-theta") {
                spec.ropeTheta = std::atof(value().c_str());
            } else if (flag == "--untied") {
                spec.tied = false;
            } else if (flag == "--llama3-rope") {
                spec.llama3RopeScaling = true;
            } else if (flag == "--peaked") {
                spec.peaked = true;
            } else if (flag == "--dtype") {
                spec.diskDtype = value();
            } else {
                throw tempo::InvalidArgument(tempo::expectedFound("argument '" + flag + "'", "one of the flags below",
                                                                  "an unknown argument") + "\n" + kUsage);
            }
        }
        if (out.empty())
            throw tempo::InvalidArgument(tempo::expectedFound("--out", "a folder to write", "no --out") + "\n" + kUsage);

        tempo::writeTestModel(out, spec);
        const tempo::LlamaConfig config = tempo::testModelConfig(spec);
        std::cout << "wrote " << out << "/config.json, model.safetensors, tokenizer.json\n"
                  << "  family " << tempo::familyName(config.family) << ", layers " << config.numHiddenLayers << ", hidden " << config.hiddenSize << ", intermediate "
                  << config.intermediateSize << ", heads " << config.numAttentionHeads << " (kv "
                  << config.numKeyValueHeads << ", head_dim " << config.headDim << "), vocab " << config.vocabSize
                  << "\n  " << (config.tieWordEmbeddings ? "tied" : "untied") << " embeddings, rope_theta "
                  << config.ropeTheta << (spec.llama3RopeScaling ? " with llama3 scaling" : "") << ", disk dtype "
                  << spec.diskDtype << ", seed " << spec.seed << (spec.peaked ? ", peaked" : "") << "\n"
                  << (config.slidingWindow > 0 ? "  sliding window " + std::to_string(config.slidingWindow) + "\n" : std::string())
                  << "  model.safetensors sha256 " << tempo::sha256File(std::filesystem::path(out) / "model.safetensors")
                  << "\n";
        return 0;
    } catch (const tempo::InvalidArgument& error) {
        std::cerr << "tempo_make_model: " << error.what() << "\n";
        return 2;
    } catch (const std::exception& error) {
        std::cerr << "tempo_make_model: " << error.what() << "\n";
        return 3;
    }
}
