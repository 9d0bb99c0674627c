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
    InterleaveQueryRope, // rotate-half rows -> interleaved pairs, per query head (LLAMA_ROPE_TYPE_NORM)
    InterleaveKeyRope,   // the same per key/value head
    PlusOne,             // gemma2's norms: Hugging Face scales by (1 + w), llama.cpp by w
    Transpose,           // gpt2's Conv1D [in, out] -> [out, in] like every other matrix
};

struct GgufTensorName {
    const char* huggingFace; // a global name, or the part after the layer prefix ("model.layers.N.")
    const char* gguf;        // a global name, or the part after "blk.N."
    GgufTensorTransform transform = GgufTensorTransform::Copy;
};

// Everything one family's GGUF file names or stores differently: llama.cpp's architecture string
// (also the prefix of its hyperparameter keys), its tensor names and what changes on the way.
struct GgufFamilyLayout {
    const char* architecture;
    const char* layerPrefix; // Hugging Face prefix of layer N's tensors
    std::vector<GgufTensorName> globals;
    std::vector<GgufTensorName> layers;
    bool tiedHeadWritten = false; // a tied head is written as output.weight too (llama.cpp's gpt2 converter does)
};

constexpr GgufTensorTransform kCopy = GgufTensorTransform::Copy;
constexpr GgufTensorTransform kPlusOne = GgufTensorTransform::PlusOne;
constexpr GgufTensorTransform kTranspose = GgufTensorTransform::Transpose;

// llama and mistral: llama.cpp runs both as "llama" (interleaved RoPE, hence the row permutation).
GgufFamilyLayout llamaLayout()
{
    return {"llama",
            "model.layers.",
            {{"model.embed_tokens.weight", "token_embd.weight"},
             {"model.norm.weight", "output_norm.weight"},
             {"lm_head.weight", "output.weight"}},
            {{"input_layernorm.weight", "attn_norm.weight"},
             {"self_attn.q_proj.weight", "attn_q.weight", GgufTensorTransform::InterleaveQueryRope},
             {"self_attn.k_proj.weight", "attn_k.weight", GgufTensorTransform::InterleaveKeyRope},
             {"self_attn.v_proj.weight", "attn_v.weight"},
             {"self_attn.o_proj.weight", "attn_output.weight"},
             {"post_attention_layernorm.weight", "ffn_norm.weight"},
             {"mlp.gate_proj.weight", "ffn_gate.weight"},
             {"mlp.up_proj.weight", "ffn_up.weight"},
             {"mlp.down_proj.weight", "ffn_down.weight"}}};
}

// qwen2: NEOX RoPE (rotate-half, as Hugging Face: no permutation) and q/k/v biases.
GgufFamilyLayout qwen2Layout()
{
    GgufFamilyLayout layout = llamaLayout();
    layout.architecture = "qwen2";
    for (GgufTensorName& tensor : layout.layers)
        tensor.transform = kCopy;
    layout.layers.push_back({"self_attn.q_proj.bias", "attn_q.bias"});
    layout.layers.push_back({"self_attn.k_proj.bias", "attn_k.bias"});
    layout.layers.push_back({"self_attn.v_proj.bias", "attn_v.bias"});
    return layout;
}

// phi3: NEOX RoPE; fused q|k|v rows and gate|up rows, as llama.cpp stores them too.
GgufFamilyLayout phi3Layout()
{
    return {"phi3",
            "model.layers.",
            {{"model.embed_tokens.weight", "token_embd.weight"},
             {"model.norm.weight", "output_norm.weight"},
             {"lm_head.weight", "output.weight"}},
            {{"input_layernorm.weight", "attn_norm.weight"},
             {"self_attn.qkv_proj.weight", "attn_qkv.weight"},
             {"self_attn.o_proj.weight", "attn_output.weight"},
             {"post_attention_layernorm.weight", "ffn_norm.weight"},
             {"mlp.gate_up_proj.weight", "ffn_up.weight"},
             {"mlp.down_proj.weight", "ffn_down.weight"}}};
}

// gemma2: NEOX RoPE, norms before and after attention and MLP, every norm stored as 1 + w, and the
// head is always the embedding (llama.cpp's gemma2 has no output tensor).
GgufFamilyLayout gemma2Layout()
{
    return {"gemma2",
            "model.layers.",
            {{"model.embed_tokens.weight", "token_embd.weight"}, {"model.norm.weight", "output_norm.weight", kPlusOne}},
            {{"input_layernorm.weight", "attn_norm.weight", kPlusOne},
             {"self_attn.q_proj.weight", "attn_q.weight"},
             {"self_attn.k_proj.weight", "attn_k.weight"},
             {"self_attn.v_proj.weight", "attn_v.weight"},
             {"self_attn.o_proj.weight", "attn_output.weight"},
             {"post_attention_layernorm.weight", "post_attention_norm.weight", kPlusOne},
             {"pre_feedforward_layernorm.weight", "ffn_norm.weight", kPlusOne},
             {"post_feedforward_layernorm.weight", "post_ffw_norm.weight", kPlusOne},
             {"mlp.gate_proj.weight", "ffn_gate.weight"},
             {"mlp.up_proj.weight", "ffn_up.weight"},
             {"mlp.down_proj.weight", "ffn_down.weight"}}};
}

// gpt2: learned positions, LayerNorm with biases, Conv1D weights stored [in, out].
GgufFamilyLayout gpt2Layout()
{
    GgufFamilyLayout layout{"gpt2",
                            "transformer.h.",
                            {{"transformer.wte.weight", "token_embd.weight"},
                             {"transformer.wpe.weight", "position_embd.weight"},
                             {"transformer.ln_f.weight", "output_norm.weight"},
                             {"transformer.ln_f.bias", "output_norm.bias"},
                             {"lm_head.weight", "output.weight"}},
                            {{"ln_1.weight", "attn_norm.weight"},
                             {"ln_1.bias", "attn_norm.bias"},
                             {"attn.c_attn.weight", "attn_qkv.weight", kTranspose},
                             {"attn.c_attn.bias", "attn_qkv.bias"},
                             {"attn.c_proj.weight", "attn_output.weight", kTranspose},
                             {"attn.c_proj.bias", "attn_output.bias"},
                             {"ln_2.weight", "ffn_norm.weight"},
                             {"ln_2.bias", "ffn_norm.bias"},
                             {"mlp.c_fc.weight", "ffn_up.weight", kTranspose},
                             {"mlp.c_fc.bias", "ffn_up.bias"},
                             {"mlp.c_proj.weight", "ffn_down.weight", kTranspose},
                             {"mlp.c_proj.bias", "ffn_down.bias"}}};
    layout.tiedHeadWritten = true;
    return layout;
}

const GgufFamilyLayout& ggufLayoutOf(ModelFamily family)
{
    static const std::map<ModelFamily, GgufFamilyLayout> layouts = {
        {ModelFamily::Llama, llamaLayout()}, {ModelFamily::Mistral, llamaLayout()}, {ModelFamily::Qwen2, qwen2Layout()},
        {ModelFamily::Phi3, phi3Layout()},   {ModelFamily::Gemma2, gemma2Layout()}, {ModelFamily::Gpt2, gpt2Layout()},
    };
    const auto it = layouts.find(family);
    if (it == layouts.end())
        throw ConfigError(expectedFound("model family '" + familyName(family) + "'", "a family with a GGUF layout",
                                        "none written yet"));
    return it->second;
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
    const std::string prefix = layout.layerPrefix;
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

// The hyperparameters llama.cpp reads (llama-model.cpp's load_hparams and each architecture's own),
// each with the exact type its loader checks; `notes` collects what llama.cpp cannot express.
void addHyperparameters(GgufWriter& writer, const std::string& arch, const LlamaConfig& config,
                        std::vector<std::string>& notes)
{
    auto u32 = [](int64_t value) { return static_cast<uint32_t>(std::min<int64_t>(value, UINT32_MAX)); };
    const FamilyTraits& traits = config.traits();
    writer.addUint32(arch + ".vocab_size", u32(config.vocabSize));
    writer.addUint32(arch + ".context_length", u32(config.maxPositionEmbeddings));
    writer.addUint32(arch + ".embedding_length", u32(config.hiddenSize));
    writer.addUint32(arch + ".block_count", u32(config.numHiddenLayers));
    writer.addUint32(arch + ".feed_forward_length", u32(config.intermediateSize));
    writer.addUint32(arch + ".attention.head_count", u32(config.numAttentionHeads));
    writer.addUint32(arch + ".attention.head_count_kv", u32(config.numKeyValueHeads));
    if (traits.norm == NormKind::LayerNorm)
        writer.addFloat32(arch + ".attention.layer_norm_epsilon", static_cast<float>(config.rmsNormEps));
    else
        writer.addFloat32(arch + ".attention.layer_norm_rms_epsilon", static_cast<float>(config.rmsNormEps));
    if (traits.positions == PositionKind::Rope) {
        writer.addUint32(arch + ".attention.key_length", u32(config.headDim));
        writer.addUint32(arch + ".attention.value_length", u32(config.headDim));
        writer.addUint32(arch + ".rope.dimension_count", u32(config.headDim));
        writer.addFloat32(arch + ".rope.freq_base", static_cast<float>(config.ropeTheta));
        if (config.ropeScaling.type == RopeScaling::Type::Linear) {
            writer.addString(arch + ".rope.scaling.type", "linear");
            writer.addFloat32(arch + ".rope.scaling.factor", static_cast<float>(config.ropeScaling.factor));
        }
    }
    bool windowed = false;
    for (int64_t layer = 0; layer < config.numHiddenLayers; ++layer)
        windowed = windowed || config.isSlidingLayer(layer);
    if (config.family == ModelFamily::Gemma2) {
        // llama.cpp's gemma2 windows the even layers, as transformers does; 4096 when the key is absent.
        writer.addUint32(arch + ".attention.sliding_window", u32(windowed ? config.slidingWindow : config.maxPositionEmbeddings));
        writer.addFloat32(arch + ".attn_logit_softcapping", static_cast<float>(config.attnLogitSoftcap));
        writer.addFloat32(arch + ".final_logit_softcapping", static_cast<float>(config.finalLogitSoftcap));
        if (config.queryPreAttnScalar > 0 && config.queryPreAttnScalar != static_cast<double>(config.headDim))
            notes.push_back("query_pre_attn_scalar " + std::to_string(config.queryPreAttnScalar) +
                            " is not head_dim: llama.cpp scales queries by head_dim^-1/2 except for its 27B type");
    } else if (windowed) {
        notes.push_back("sliding window " + std::to_string(config.slidingWindow) + ": llama.cpp's " + arch +
                        " attends to every position, so it agrees only within the window");
    }
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

namespace {

// llama.cpp's llama_ftype for a file whose matrices are `type`.
uint32_t llamaFileTypeOf(GgmlType type)
{
    switch (type) {
    case GgmlType::F16: return 1;   // LLAMA_FTYPE_MOSTLY_F16
    case GgmlType::BF16: return 32; // LLAMA_FTYPE_MOSTLY_BF16
    case GgmlType::F32: break;
    }
    return 0; // LLAMA_FTYPE_ALL_F32
}

} // namespace

GgufExportSummary addCheckpointToGguf(GgufWriter& writer, const Checkpoint& checkpoint, const GgufVocabulary& vocabulary,
                                      GgmlType matrixType)
{
    const LlamaConfig& config = checkpoint.config;
    const GgufFamilyLayout& layout = ggufLayoutOf(config.family);
    const std::string arch = layout.architecture;
    GgufExportSummary summary;
    summary.architecture = arch;
    summary.notes = vocabulary.notes;
    if (config.ropeScaling.type == RopeScaling::Type::Llama3 && arch != "llama")
        throw ConfigError(expectedFound("rope_scaling llama3 of a " + familyName(config.family) + " model",
                                        "a llama or mistral model (llama.cpp's rope_freqs)", "another family"));

    writer.addString("general.architecture", arch);
    // No general.name: llama.cpp adjusts token attributes by model name ("phi3" expects "</s>"
    // among the tokens), which a folder name must not trigger.
    writer.addUint32("general.file_type", llamaFileTypeOf(matrixType));
    addHyperparameters(writer, arch, config, summary.notes);
    addGgufVocabulary(writer, vocabulary);

    for (const auto& [name, tensor] : checkpoint.tensors) {
        const GgufTensorTarget target = ggufTargetOf(layout, name);
        at::Tensor data = tensor.to(at::kFloat);
        if (target.transform == GgufTensorTransform::InterleaveQueryRope)
            data = permuteRowsForInterleavedRope(data, config.numAttentionHeads);
        else if (target.transform == GgufTensorTransform::InterleaveKeyRope)
            data = permuteRowsForInterleavedRope(data, config.numKeyValueHeads);
        else if (target.transform == GgufTensorTransform::PlusOne)
            data = data + 1.0f;
        else if (target.transform == GgufTensorTransform::Transpose)
            data = data.t();
        writer.addTensor(target.name, data, data.dim() == 2 ? matrixType : GgmlType::F32);
    }
    if (config.tieWordEmbeddings && layout.tiedHeadWritten)
        writer.addTensor("output.weight", checkpoint.tensors.at(layout.globals.front().huggingFace).to(at::kFloat), matrixType);
    if (config.ropeScaling.type == RopeScaling::Type::Llama3)
        writer.addTensor("rope_freqs.weight", llama3RopeFrequencyDivisors(config));

    summary.tensors = writer.tensorCount();
    summary.metadata = writer.metadataCount();
    return summary;
}

GgufExportSummary writeGgufFromFolder(const std::filesystem::path& modelFolder, const std::filesystem::path& out,
                                      GgmlType matrixType)
{
    const Checkpoint checkpoint = loadCheckpoint(modelFolder);
    const LlamaConfig& config = checkpoint.config;
    const GgufVocabulary vocabulary = ggufVocabularyFromTokenizer(
        modelFolder / "tokenizer.json", config.vocabSize, config.bosTokenId,
        config.eosTokenIds.empty() ? -1 : config.eosTokenIds.front());
    GgufWriter writer;
    const GgufExportSummary summary = addCheckpointToGguf(writer, checkpoint, vocabulary, matrixType);
    writer.write(out);
    return summary;
}

} // namespace tempo
