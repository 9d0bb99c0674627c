#include "core/testmodel/randommodel.h"

#include <string>

#include <ATen/ATen.h>

namespace tempo {

LlamaConfig llama32OneBillionConfig()
{
    LlamaConfig c;
    c.hiddenSize = 2048;
    c.intermediateSize = 8192;
    c.numHiddenLayers = 16;
    c.numAttentionHeads = 32;
    c.numKeyValueHeads = 8;
    c.headDim = 64;
    c.vocabSize = 128256;
    c.maxPositionEmbeddings = 131072;
    c.rmsNormEps = 1e-5;
    c.ropeTheta = 500000.0;
    c.ropeScaling.type = RopeScaling::Type::Llama3;
    c.ropeScaling.factor = 32.0;
    c.ropeScaling.lowFreqFactor = 1.0;
    c.ropeScaling.highFreqFactor = 4.0;
    c.ropeScaling.originalMaxPositionEmbeddings = 8192;
    c.tieWordEmbeddings = true;
    return c;
}

Checkpoint randomCheckpoint(const LlamaConfig& config, uint64_t seed)
{
    at::manual_seed(seed);
    Checkpoint checkpoint;
    checkpoint.config = config;
    for (const auto& [name, shape] : expectedTensorShapes(config)) {
        const bool isNorm = name.find("norm") != std::string::npos;
        checkpoint.tensors[name] =
            isNorm ? at::ones(shape, at::kFloat) : at::empty(shape, at::kFloat).uniform_(-0.035, 0.035);
    }
    return checkpoint;
}

} // namespace tempo
