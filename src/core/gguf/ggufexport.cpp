#include "core/gguf/ggufexport.h"

#include <cmath>
#include <map>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/gguf/ggufvocabulary.h"
#include "core/gguf/ggufwriter.h"
#include "core/model/checkpoint.h"

namespace tempo {

namespace {

// What happens to a tensor on its way into the file.
enum class GgufTensorTransform {
    Copy,
    InterleaveQueryRope, // rotate-half rows -> interleaved pairs, per query head
    InterleaveKeyRope,   // the same per key/value head
};

struct GgufTensorName {
    const char* huggingFace; // a global name, or the part after "model.layers.N." for a layer tensor
    const char* gguf;        // a global name, or the part after "blk.N."
    GgufTensorTransform transform = GgufTensorTransform::Copy;
};

// Everything one family's GGUF file names differently: llama.cpp's architecture string (also the
// prefix of its hyperparameter keys) and its tensor names.
struct GgufFamilyLayout {
    const char* architecture;
    std::vector<GgufTensorName> globals;
    std::vector<GgufTensorName> layers;
};

const GgufFamilyLayout& llamaLayout()
{
    static const GgufFamilyLayout layout{
        "llama",
        {
            {"model.embed_tokens.weight", "token_embd.weight"},
            {"model.norm.weight", "output_norm.weight"},
            {"lm_head.weight", "output.weight"},
        },
        {
            {"input_layernorm.weight", "attn_norm.weight"},
            {"self_attn.q_proj.weight", "attn_q.weight", GgufTensorTransform::InterleaveQueryRope},
            {"self_attn.k_proj.weight", "attn_k.weight", GgufTensorTransform::InterleaveKeyRope},
            {"self_attn.v_proj.weight", "attn_v.weight"},
            {"self_attn.o_proj.weight", "attn_output.weight"},
            {"post_attention_layernorm.weight", "ffn_norm.weight"},
            {"mlp.gate_proj.weight", "ffn_gate.weight"},
            {"mlp.up_proj.weight", "ffn_up.weight"},
            {"mlp.down_proj.weight", "ffn_down.weight"},
        },
    };
    return layout;
}

struct GgufTensorTarget {
    std::string name;
    GgufTensorTransform transform;
};

// The GGUF name of Hugging Face tensor `name` under `layout`; throws CheckpointError for a name
// the layout does not know (a tensor silently left out would make llama.cpp compute something else).
GgufTensorTarget ggufTargetOf(const GgufFamilyLayout& layout, const std::string& name)
{
    for (const GgufTensorName& global : layout.globals)
        if (name == global.huggingFace)
            return {global.gguf, global.transform};
    static const std::string prefix = "model.layers.";
    if (name.compare(0, prefix.size(), prefix) == 0) {
        const size_t dot = name.find('.', prefix.size());
        if (dot != std::string::npos) {
            const std::string layer = name.substr(prefix.size(), dot - prefix.size());
            const std::string rest = name.substr(dot + 1);
            for (const GgufTensorName& tensor : layout.layers)
                if (rest == tensor.huggingFace)
                    return {"blk." + layer + "." + tensor.gguf, tensor.transform};
        }
    }
    throw CheckpointError(expectedFound("tensor '" + name + "'",
                                        std::string("a tensor llama.cpp's '") + layout.architecture + "' layout names",
                                        "a name with no GGUF counterpart"));
}

// llama.cpp's rope_freqs tensor for llama3 frequency scaling: per frequency pair the divisor of
// the angle (1 for high frequencies, `factor` for low ones, smoothly in between), the same
// formula as transformers' _compute_llama3_parameters written as a divisor.
at::Tensor llama3RopeFrequencyDivisors(const LlamaConfig& config) // [D/2] float32
{
    const RopeScaling& scaling = config.ropeScaling;
    const int64_t pairs = config.headDim / 2;
    const double lowFrequencyWavelength = static_cast<double>(scaling.originalMaxPositionEmbeddings) / scaling.lowFreqFactor;
    const double highFrequencyWavelength = static_cast<double>(scaling.originalMaxPositionEmbeddings) / scaling.highFreqFactor;
    std::vector<float> divisors;
    for (int64_t i = 0; i < pairs; ++i) {
        const double frequency = 1.0 / std::pow(config.ropeTheta, static_cast<double>(2 * i) / static_cast<double>(config.headDim));
        const double wavelength = 2.0 * M_PI / frequency;
        double divisor = 1.0;
        if (wavelength > lowFrequencyWavelength) {
            divisor = scaling.factor;
        } else if (!(wavelength < highFrequencyWavelength)) {
            const double smooth = (static_cast<double>(scaling.originalMaxPositionEmbeddings) / wavelength - scaling.lowFreqFactor)
                                  / (scaling.highFreqFactor - scaling.lowFreqFactor);
            divisor = 1.0 / ((1.0 - smooth) / scaling.factor + smooth);
        }
        divisors.push_back(static_cast<float>(divisor));
    }
    return at::tensor(divisors, at::kFloat);
}

// The hyperparameters llama.cpp reads for a llama-architecture model (llama-model.cpp's
// load_hparams), each with the exact type it checks.
void addLlamaHyperparameters(GgufWriter& writer, const std::string& arch, const LlamaConfig& config)
{
    auto u32 = [](int64_t value) { return static_cast<uint32_t>(value); };
    writer.addUint32(arch + ".vocab_size", u32(config.vocabSize));
    writer.addUint32(arch + ".context_length", u32(std::min<int64_t>(config.maxPositionEmbeddings, UINT32_MAX)));
    writer.addUint32(arch + ".embedding_length", u32(config.hiddenSize));
    writer.addUint32(arch + ".block_count", u32(config.numHiddenLayers));
    writer.addUint32(arch + ".feed_forward_length", u32(config.intermediateSize));
    writer.addUint32(arch + ".attention.head_count", u32(config.numAttentionHeads));
    writer.addUint32(arch + ".attention.head_count_kv", u32(config.numKeyValueHeads));
    writer.addUint32(arch + ".attention.key_length", u32(config.headDim));
    writer.addUint32(arch + ".attention.value_length", u32(config.headDim));
    writer.addUint32(arch + ".rope.dimension_count", u32(config.headDim));
    writer.addFloat32(arch + ".rope.freq_base", static_cast<float>(config.ropeTheta));
    writer.addFloat32(arch + ".attention.layer_norm_rms_epsilon", static_cast<float>(config.rmsNormEps));
}

} // namespace

at::Tensor permuteRowsForInterleavedRope(const at::Tensor& weight, int64_t heads)
{
    const int64_t rows = weight.size(0);
    if (heads <= 0 || rows % heads != 0 || (rows / heads) % 2 != 0)
        throw InvalidArgument(expectedFound("rows of a query/key projection", "heads (" + std::to_string(heads) +
                                            ") times an even head size", std::to_string(rows)));
    const int64_t headDim = rows / heads;
    std::vector<int64_t> split = {heads, 2, headDim / 2};
    for (int64_t d = 1; d < weight.dim(); ++d)
        split.push_back(weight.size(d));
    // [H, 2 (half), D/2 (i), ...] -> [H, D/2 (i), 2 (half), ...]: row h*D + 2i + half = old h*D + half*D/2 + i
    return weight.reshape(split).transpose(1, 2).reshape(weight.sizes()).contiguous();
}

GgufExportSummary addCheckpointToGguf(GgufWriter& writer, const Checkpoint& checkpoint, const GgufVocabulary& vocabulary)
{
    const LlamaConfig& config = checkpoint.config;
    const GgufFamilyLayout& layout = llamaLayout();
    const std::string arch = layout.architecture;
    GgufExportSummary summary;
    summary.architecture = arch;
    summary.notes = vocabulary.notes;

    writer.addString("general.architecture", arch);
    writer.addString("general.name", checkpoint.folder.empty() ? std::string("tempo-lab-model")
                                                               : checkpoint.folder.filename().string());
    writer.addUint32("general.file_type", 0); // LLAMA_FTYPE_ALL_F32
    addLlamaHyperparameters(writer, arch, config);
    addGgufVocabulary(writer, vocabulary);

    for (const auto& [name, tensor] : checkpoint.tensors) {
        const GgufTensorTarget target = ggufTargetOf(layout, name);
        at::Tensor data = tensor.to(at::kFloat);
        if (target.transform == GgufTensorTransform::InterleaveQueryRope)
            data = permuteRowsForInterleavedRope(data, config.numAttentionHeads);
        else if (target.transform == GgufTensorTransform::InterleaveKeyRope)
            data = permuteRowsForInterleavedRope(data, config.numKeyValueHeads);
        writer.addTensor(target.name, data);
    }
    if (config.ropeScaling.type == RopeScaling::Type::Llama3)
        writer.addTensor("rope_freqs.weight", llama3RopeFrequencyDivisors(config));

    summary.tensors = writer.tensorCount();
    summary.metadata = writer.metadataCount();
    return summary;
}

GgufExportSummary writeGgufFromFolder(const std::filesystem::path& modelFolder, const std::filesystem::path& out)
{
    const Checkpoint checkpoint = loadCheckpoint(modelFolder);
    const LlamaConfig& config = checkpoint.config;
    const GgufVocabulary vocabulary = ggufVocabularyFromTokenizer(
        modelFolder / "tokenizer.json", config.vocabSize, config.bosTokenId,
        config.eosTokenIds.empty() ? -1 : config.eosTokenIds.front());
    GgufWriter writer;
    const GgufExportSummary summary = addCheckpointToGguf(writer, checkpoint, vocabulary);
    writer.write(out);
    return summary;
}

} // namespace tempo
