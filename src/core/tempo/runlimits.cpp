#include "core/tempo/runlimits.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include <unistd.h>

#include "core/common/errors.h"
#include "core/model/allocation.h"
#include "core/model/computeoptions.h"
#include "core/model/kvcache.h"
#include "core/model/llamaconfig.h"
#include "core/runrecord/tempoconfig.h"

namespace tempo {

int64_t maxStepsFor(const LlamaConfig& model, int64_t promptTokens, const TempoConfig& config)
{
    const int64_t positions = model.maxPositionEmbeddings;
    if (promptTokens < 1 || positions <= 0 || config.positionOffset < 0)
        return 0;
    const int64_t byPositions = positions - config.positionOffset - promptTokens; // O + P + S <= M
    const int64_t bySlots = (positions - promptTokens) / std::max<int64_t>(1, config.widestSet()); // P + S * W <= M
    return std::max<int64_t>(0, std::min(byPositions, bySlots));
}

void validateRunFits(const TempoConfig& config, int64_t promptTokens, const LlamaConfig& model)
{
    config.validate();
    if (promptTokens < 1)
        throw InvalidArgument(expectedFound("TEMPO prompt", "at least 1 token", std::to_string(promptTokens) + " tokens"));
    if (config.maxWidth > model.vocabSize)
        throw InvalidArgument(expectedFound("TEMPO config field max_width",
                                            "at most the vocabulary size " + std::to_string(model.vocabSize) +
                                                " (a set holds distinct tokens)",
                                            std::to_string(config.maxWidth)));
    const int64_t positions = model.maxPositionEmbeddings;
    const std::string modelPositions = "the model has " + std::to_string(positions) + " positions";
    if (config.positionOffset + promptTokens + 1 > positions) {
        const int64_t room = std::max<int64_t>(0, positions - config.positionOffset - 1);
        throw InvalidArgument(expectedFound(
            "TEMPO prompt", "at most " + std::to_string(room) + " tokens (" + modelPositions +
                                (config.positionOffset > 0 ? ", position_offset " + std::to_string(config.positionOffset)
                                                           : std::string()) +
                                ", and the first step needs one)",
            "the prompt has " + std::to_string(promptTokens) + " tokens; shorten it or use a model with more positions"));
    }
    const int64_t limit = maxStepsFor(model, promptTokens, config);
    if (config.maxSteps > limit) {
        const bool bySlots = (positions - promptTokens) / config.widestSet() < positions - config.positionOffset - promptTokens;
        const std::string why = bySlots
            ? "every step may feed " + std::to_string(config.widestSet()) +
                  " members (widest set = min(max_width, floor(1 / threshold))), each in its own KV cache slot: " +
                  "prompt " + std::to_string(promptTokens) + " + max_steps * " + std::to_string(config.widestSet()) +
                  " <= " + std::to_string(positions)
            : "every step takes one logical position: position_offset " + std::to_string(config.positionOffset) +
                  " + prompt " + std::to_string(promptTokens) + " + max_steps <= " + std::to_string(positions);
        // Totals in double: max_steps * widest set can pass int64 for absurd requests.
        char total[64];
        if (bySlots)
            std::snprintf(total, sizeof total, " (prompt %lld + %lld * %lld = %.0f slots)",
                          static_cast<long long>(promptTokens), static_cast<long long>(config.maxSteps),
                          static_cast<long long>(config.widestSet()),
                          static_cast<double>(promptTokens) +
                              static_cast<double>(config.maxSteps) * static_cast<double>(config.widestSet()));
        else
            std::snprintf(total, sizeof total, " (%lld + %lld + %lld = %.0f positions)",
                          static_cast<long long>(config.positionOffset), static_cast<long long>(promptTokens),
                          static_cast<long long>(config.maxSteps),
                          static_cast<double>(config.positionOffset) + static_cast<double>(promptTokens) +
                              static_cast<double>(config.maxSteps));
        throw InvalidArgument(expectedFound("TEMPO config field max_steps",
                                            "at most " + std::to_string(limit) + " for a prompt of " +
                                                std::to_string(promptTokens) + " tokens (" + modelPositions + "; " + why + ")",
                                            std::to_string(config.maxSteps) + total));
    }
    const int64_t layer = config.resolvedKeysLayer(model);
    if (layer >= model.numHiddenLayers)
        throw InvalidArgument(expectedFound("TEMPO config field keys_layer",
                                            "-1 or a layer in [0, " + std::to_string(model.numHiddenLayers - 1) + "]",
                                            std::to_string(config.keysLayer)));
}

uint64_t kvCacheBytesCertain(const TempoConfig& config, int64_t promptTokens, const LlamaConfig& model,
                             c10::ScalarType dtype)
{
    const int64_t steps = config.stopAtEos ? std::min<int64_t>(1, config.maxSteps) : config.maxSteps;
    const uint64_t slots = static_cast<uint64_t>(std::max<int64_t>(0, promptTokens)) + static_cast<uint64_t>(std::max<int64_t>(0, steps));
    return slots * KVCache::bytesPerSlot(model, dtype);
}

uint64_t physicalMemoryBytes()
{
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long pageSize = ::sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || pageSize <= 0)
        return 0;
    return static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize);
}

void validateRunMemory(const TempoConfig& config, int64_t promptTokens, const LlamaConfig& model,
                       const ComputeOptions& options)
{
    if (options.device != c10::DeviceType::CPU)
        return;
    const uint64_t memory = physicalMemoryBytes();
    const uint64_t needed = kvCacheBytesCertain(config, promptTokens, model, options.dtype);
    if (memory == 0 || needed <= memory)
        return;
    const int64_t slots = (config.stopAtEos ? 1 : config.maxSteps) + promptTokens;
    throw ResourceError(expectedFound(
        "KV cache of the run",
        "at most this machine's memory (" + byteSizeText(memory) + ")",
        byteSizeText(needed) + " for " + std::to_string(slots) + " slots (prompt " + std::to_string(promptTokens) +
            " + max_steps " + std::to_string(config.maxSteps) + (config.stopAtEos ? "" : " without stop at eos") +
            ", " + byteSizeText(KVCache::bytesPerSlot(model, options.dtype)) + " per slot); lower max_steps"));
}

// The members of TempoConfig (core/runrecord/tempoconfig.h) that need the model's config.
int64_t TempoConfig::resolvedKeysLayer(const LlamaConfig& model) const
{
    return keysLayer < 0 ? model.numHiddenLayers - 1 : keysLayer;
}

void TempoConfig::validate(const LlamaConfig& model, int64_t promptLength) const
{
    validateRunFits(*this, promptLength, model); // the one rule
}

} // namespace tempo
