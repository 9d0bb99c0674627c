#pragma once
// The tiny "peaked" generated model the TEMPO tests run on, built once per test process, and
// small independent references (greedy decoding, TEMPO masks written from scratch).

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/ATen.h>

#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/tempo/records.h"
#include "core/runrecord/tempoconfig.h"
#include "core/testmodel/testmodel.h"

namespace tempo::test {

// Seed and threshold chosen so that sets of 2+ members appear within the first steps of
// kPeakedPrompt (the generator's peaked option gives several tokens >= 0.05 most of the time).
inline constexpr uint64_t kPeakedSeed = 42;
inline constexpr double kPeakedThreshold = 0.1;

inline TestModelSpec peakedSpec()
{
    TestModelSpec spec;
    spec.seed = kPeakedSeed;
    spec.peaked = true;
    return spec;
}

struct LoadedModel {
    Checkpoint checkpoint;
    std::unique_ptr<LlamaModel> model;
};

inline LoadedModel loadModel(const TestModelSpec& spec)
{
    LoadedModel m;
    m.checkpoint = makeTestCheckpoint(spec);
    m.model = std::make_unique<LlamaModel>(m.checkpoint, ComputeOptions{});
    return m;
}

inline const LlamaModel& peakedModel()
{
    static LoadedModel loaded = loadModel(peakedSpec());
    return *loaded.model;
}

// <|begin_of_text|> and the bytes of "The cat sat" (any ids below the vocab size would do).
inline std::vector<int64_t> peakedPrompt()
{
    return {kTestBeginOfTextId, 84, 104, 101, 32, 99, 97, 116, 32, 115, 97, 116};
}

inline TempoConfig peakedConfig(SiblingMode mode, int64_t steps = 10)
{
    TempoConfig c;
    c.threshold = kPeakedThreshold;
    c.mode = mode;
    c.maxSteps = steps;
    c.stopAtEos = false;
    return c;
}

inline int64_t firstMultiMemberStep(const TempoRun& run)
{
    for (const auto& s : run.steps)
        if (s.tokenIds.size() >= 2)
            return s.step;
    return -1;
}

inline double maxAbsDiff(const at::Tensor& a, const at::Tensor& b)
{
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

} // namespace tempo::test
