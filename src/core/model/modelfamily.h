#pragma once
// The model families this app runs, and everything that differs between them, in one place.
//
// A family is read from config.json (`model_type`, else `architectures`); anything else is refused
// with "unsupported architecture X; supported: ...". The forward (llamamodel.cpp) is one code path
// for every family: it asks the family's FamilyTraits which norm, MLP, position mechanism, biases
// and extras apply, and the checkpoint layout (checkpoint.cpp) and the weight loader ask the same
// traits which tensors exist and under which names. Conventions are Hugging Face transformers'
// modeling_<family>.py.

#include <string>
#include <vector>

namespace tempo {

enum class ModelFamily { Llama, Mistral, Qwen2, Phi3, Gemma2, Gpt2 };

enum class NormKind {
    Rms,          // w * x / rms(x)            (llama, mistral, qwen2, phi3)
    RmsPlusOne,   // (1 + w) * x / rms(x)       (gemma2, computed in float32)
    LayerNorm,    // w * (x - mean) / std + b  (gpt2)
};

enum class MlpKind {
    GatedSilu,     // down(silu(gate x) * up x)        SwiGLU
    GatedGeluTanh, // down(gelu_tanh(gate x) * up x)   GeGLU (gemma2)
    Gelu,          // proj(gelu(fc x + b) + b)         gpt2 (tanh or exact GELU per config)
};

enum class PositionKind {
    Rope,         // rotary embedding of queries and keys by position id
    LearnedTable, // a learned embedding row per position id added to the token embedding (gpt2)
};

enum class WeightLayout {
    LlamaStyle,   // model.layers.N.self_attn.{q,k,v,o}_proj, mlp.{gate,up,down}_proj, [out, in]
    Phi3Fused,    // self_attn.qkv_proj (q|k|v rows), mlp.gate_up_proj (gate|up rows)
    Gpt2Conv1D,   // transformer.h.N.attn.c_attn (fused, Conv1D [in, out]), mlp.c_fc/c_proj, biases
};

struct FamilyTraits {
    ModelFamily family;
    const char* modelType;    // config.json model_type ("llama")
    const char* architecture; // config.json architectures entry ("LlamaForCausalLM")
    WeightLayout layout;
    NormKind norm;
    MlpKind mlp;
    PositionKind positions;
    bool queryKeyValueBias = false;    // q/k/v projections carry a bias (qwen2; gpt2's c_attn)
    bool outputAndMlpBias = false;     // o_proj and MLP projections carry biases (gpt2)
    bool embeddingScaledBySqrtHidden = false; // embedding * sqrt(hidden) (gemma2)
    bool sandwichNorms = false;        // post-attention and post-feedforward norms too (gemma2)
    bool tiedHeadByDefault = false;    // tie_word_embeddings defaults to true (gemma2, gpt2)
    bool slidingWindowAllowed = false; // config.json sliding_window may restrict attention
};

const FamilyTraits& familyTraits(ModelFamily family);
const std::vector<ModelFamily>& allModelFamilies();
// "llama", "mistral", ... (config.json's model_type).
std::string familyName(ModelFamily family);
// The family whose model_type is `name`; throws InvalidArgument naming the supported ones otherwise.
ModelFamily familyFromName(const std::string& name);
// "llama (LlamaForCausalLM), mistral (MistralForCausalLM), ..." for error messages and docs.
std::string supportedFamiliesText();

} // namespace tempo
