#include "core/model/modelfamily.h"

#include "core/common/errors.h"

namespace tempo {

namespace {

FamilyTraits makeTraits(ModelFamily family)
{
    FamilyTraits t{family, "", "", WeightLayout::LlamaStyle, NormKind::Rms, MlpKind::GatedSilu, PositionKind::Rope};
    switch (family) {
    case ModelFamily::Llama:
        t.modelType = "llama";
        t.architecture = "LlamaForCausalLM";
        break;
    case ModelFamily::Mistral:
        t.modelType = "mistral";
        t.architecture = "MistralForCausalLM";
        t.slidingWindowAllowed = true;
        break;
    case ModelFamily::Qwen2:
        t.modelType = "qwen2";
        t.architecture = "Qwen2ForCausalLM";
        t.queryKeyValueBias = true;
        t.slidingWindowAllowed = true; // only with use_sliding_window, from max_window_layers on
        break;
    case ModelFamily::Phi3:
        t.modelType = "phi3";
        t.architecture = "Phi3ForCausalLM";
        t.layout = WeightLayout::Phi3Fused;
        t.slidingWindowAllowed = true;
        break;
    case ModelFamily::Gemma2:
        t.modelType = "gemma2";
        t.architecture = "Gemma2ForCausalLM";
        t.norm = NormKind::RmsPlusOne;
        t.mlp = MlpKind::GatedGeluTanh;
        t.embeddingScaledBySqrtHidden = true;
        t.sandwichNorms = true;
        t.tiedHeadByDefault = true;
        t.slidingWindowAllowed = true; // every other layer (layer_types)
        break;
    case ModelFamily::Gpt2:
        t.modelType = "gpt2";
        t.architecture = "GPT2LMHeadModel";
        t.layout = WeightLayout::Gpt2Conv1D;
        t.norm = NormKind::LayerNorm;
        t.mlp = MlpKind::Gelu;
        t.positions = PositionKind::LearnedTable;
        t.queryKeyValueBias = true;
        t.outputAndMlpBias = true;
        t.tiedHeadByDefault = true;
        break;
    }
    return t;
}

} // namespace

const std::vector<ModelFamily>& allModelFamilies()
{
    static const std::vector<ModelFamily> families = {ModelFamily::Llama, ModelFamily::Mistral, ModelFamily::Qwen2,
                                                      ModelFamily::Phi3,  ModelFamily::Gemma2,  ModelFamily::Gpt2};
    return families;
}

const FamilyTraits& familyTraits(ModelFamily family)
{
    static const std::vector<FamilyTraits> traits = [] {
        std::vector<FamilyTraits> all;
        for (ModelFamily f : allModelFamilies())
            all.push_back(makeTraits(f));
        return all;
    }();
    return traits.at(static_cast<size_t>(family));
}

std::string familyName(ModelFamily family) { return familyTraits(family).modelType; }

std::string supportedFamiliesText()
{
    std::string text;
    for (ModelFamily f : allModelFamilies())
        text += (text.empty() ? "" : ", ") + familyName(f) + " (" + familyTraits(f).architecture + ")";
    return text;
}

ModelFamily familyFromName(const std::string& name)
{
    for (ModelFamily f : allModelFamilies())
        if (name == familyTraits(f).modelType)
            return f;
    throw InvalidArgument(expectedFound("model family", "one of " + supportedFamiliesText(), "\"" + name + "\""));
}

} // namespace tempo
