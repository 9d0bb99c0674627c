// Run limits (runlimits.h): maxStepsFor is exactly the boundary validateRunFits enforces, and each
// refusal names the field, the limit and what was asked.

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "core/common/errors.h"
#include "core/model/computeoptions.h"
#include "core/model/llamaconfig.h"
#include "core/tempo/runlimits.h"
#include "core/runrecord/tempoconfig.h"

namespace tempo {
namespace {

LlamaConfig limitsModel()
{
    LlamaConfig c;
    c.numHiddenLayers = 2;
    c.numKeyValueHeads = 2;
    c.headDim = 16;
    c.maxPositionEmbeddings = 512;
    c.vocabSize = 4096;
    return c;
}

template <typename F>
std::string runLimitRefusal(F&& f)
{
    try {
        f();
    } catch (const InvalidArgument& e) {
        return e.what();
    }
    return "";
}

TEST(RunLimits, MaxStepsForIsTheBoundaryValidateRunFitsEnforces)
{
    const LlamaConfig model = limitsModel();
    struct Case {
        double threshold;
        int64_t maxWidth;
        int64_t offset;
        int64_t prompt;
        int64_t expected;
    };
    const Case cases[] = {
        {1.0, 32, 0, 25, 487},  // one member a step: positions bound, 512 - 25
        {0.1, 32, 0, 25, 48},   // ten members a step: slots bound, (512 - 25) / 10
        {0.1, 4, 0, 25, 121},   // max_width 4: (512 - 25) / 4
        {1.0, 32, 100, 25, 387}, // the offset shifts every position
        {1.0, 32, 0, 511, 1},
        {1.0, 32, 0, 512, 0},   // the prompt fills every position
    };
    for (const Case& c : cases) {
        TempoConfig config;
        config.threshold = c.threshold;
        config.maxWidth = c.maxWidth;
        config.positionOffset = c.offset;
        const int64_t limit = maxStepsFor(model, c.prompt, config);
        SCOPED_TRACE("threshold " + std::to_string(c.threshold) + " width " + std::to_string(c.maxWidth) + " offset " +
                     std::to_string(c.offset) + " prompt " + std::to_string(c.prompt));
        EXPECT_EQ(limit, c.expected);
        if (limit >= 1) {
            config.maxSteps = limit;
            EXPECT_NO_THROW(validateRunFits(config, c.prompt, model));
        }
        config.maxSteps = limit + 1;
        const std::string message = runLimitRefusal([&] { validateRunFits(config, c.prompt, model); });
        EXPECT_NE(message, "");
        if (limit >= 1) {
            EXPECT_NE(message.find("max_steps: expected at most " + std::to_string(limit)), std::string::npos) << message;
            EXPECT_NE(message.find("the model has 512 positions"), std::string::npos) << message;
            EXPECT_NE(message.find("found " + std::to_string(limit + 1)), std::string::npos) << message;
        }
    }
}

TEST(RunLimits, APromptLongerThanThePositionsIsBlamedOnThePrompt)
{
    TempoConfig config;
    const std::string message = runLimitRefusal([&] { validateRunFits(config, 25000, limitsModel()); });
    std::printf("message: %s\n", message.c_str());
    EXPECT_NE(message.find("prompt"), std::string::npos) << message;
    EXPECT_NE(message.find("at most 511 tokens"), std::string::npos) << message;
    EXPECT_NE(message.find("the model has 512 positions"), std::string::npos) << message;
    EXPECT_NE(message.find("the prompt has 25000 tokens"), std::string::npos) << message;
    EXPECT_EQ(message.find("max_steps"), std::string::npos) << message;
}

TEST(RunLimits, MaxWidthPastTheVocabularyIsRefused)
{
    TempoConfig config;
    config.maxWidth = 100000;
    const std::string message = runLimitRefusal([&] { validateRunFits(config, 5, limitsModel()); });
    EXPECT_NE(message.find("max_width: expected at most the vocabulary size 4096"), std::string::npos) << message;
    EXPECT_NE(message.find("found 100000"), std::string::npos) << message;
    config.maxWidth = 4096;
    EXPECT_NO_THROW(validateRunFits(config, 5, limitsModel()));
}

TEST(RunLimits, AKvCacheLargerThanTheMachineIsRefusedOnlyWhenTheRunSurelyFillsIt)
{
    LlamaConfig model = limitsModel();
    model.maxPositionEmbeddings = 2000000000;
    TempoConfig config;
    config.threshold = 1.0;
    config.maxSteps = 1900000000;
    config.stopAtEos = false; // every step fills a slot: 1.9e9 slots of 512 bytes
    EXPECT_EQ(kvCacheBytesCertain(config, 5, model, at::kFloat), (1900000000ull + 5) * 512);
    ComputeOptions cpu;
    if (physicalMemoryBytes() < (1900000000ull + 5) * 512) {
        try {
            validateRunMemory(config, 5, model, cpu);
            FAIL() << "a ~1 TB KV cache was accepted";
        } catch (const ResourceError& error) {
            std::printf("message: %s\n", error.what());
            EXPECT_NE(std::string(error.what()).find("this machine's memory"), std::string::npos);
        }
    }
    config.stopAtEos = true; // it may stop after one step: the cache grows as it goes
    EXPECT_NO_THROW(validateRunMemory(config, 5, model, cpu));
}

} // namespace
} // namespace tempo
