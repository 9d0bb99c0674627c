// tempo-lab-cli models: what the Hugging Face cache holds and which of it this app can run, with
// the reason for each snapshot it cannot (core/model/modelcatalog.h). Reads headers only.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/command.h"
#include "core/common/errors.h"
#include "core/model/allocation.h"
#include "core/model/modelcatalog.h"

namespace tempo::cli {

namespace {

using nlohmann::json;

json modelCatalogEntryJson(const ModelCatalogEntry& entry)
{
    return json{
        {"name", entry.name},
        {"revision", entry.revision},
        {"folder", entry.folder.string()},
        {"family", entry.family ? json(familyName(*entry.family)) : json(nullptr)},
        {"model_type", entry.modelType},
        {"parameters", entry.parameters},
        {"weight_bytes", entry.weightBytes},
        {"torch_dtype", entry.torchDtype},
        {"tensor_dtype", entry.tensorDtype},
        {"tokenizer_supported", entry.tokenizerSupported},
        {"usable", entry.usable()},
        {"problems", entry.problems},
        {"problem_summaries", entry.problemSummaries},
    };
}

std::string catalogColumn(std::string text, size_t width)
{
    if (text.size() < width)
        text.append(width - text.size(), ' ');
    return text + "  ";
}

int runModels(const std::vector<std::string>& words)
{
    const Args args(words, {"--cache"}, {"--json"});
    if (!args.positional().empty())
        throw InvalidArgument(expectedFound("models arguments", "only flags", "'" + args.positional().front() + "'"));
    std::filesystem::path hub = huggingFaceHubCache();
    if (const auto cache = args.value("--cache")) {
        hub = *cache;
        std::error_code error;
        if (!std::filesystem::is_directory(hub, error))
            throw InvalidArgument(expectedFound("--cache " + *cache, "a Hugging Face hub folder (holding models--ORG--NAME)",
                                                std::filesystem::exists(hub, error) ? "something that is not a folder"
                                                                                    : "no such folder"));
    }
    const std::vector<ModelCatalogEntry> entries = scanHuggingFaceCache(hub);
    if (args.has("--json")) {
        json list = json::array();
        for (const ModelCatalogEntry& entry : entries)
            list.push_back(modelCatalogEntryJson(entry));
        std::cout << dumpJson(json{{"cache", hub.string()}, {"models", list}}) << "\n";
        return kExitOk;
    }
    std::cout << "Hugging Face cache: " << (hub.empty() ? std::string("(none: HOME is not set)") : hub.string()) << "\n";
    if (entries.empty()) {
        std::cout << "no model snapshots found\n";
        return kExitOk;
    }
    size_t nameWidth = 4;
    for (const ModelCatalogEntry& entry : entries)
        nameWidth = std::max(nameWidth, entry.name.size() + 3 + std::min<size_t>(entry.revision.size(), 8));
    std::cout << catalogColumn("NAME", nameWidth) << catalogColumn("FAMILY", 8) << catalogColumn("PARAMS", 7)
              << catalogColumn("SIZE", 9) << catalogColumn("DTYPE", 9) << catalogColumn("TOKENIZER", 11) << "STATUS\n";
    for (const ModelCatalogEntry& entry : entries) {
        const std::string family = entry.family ? familyName(*entry.family)
                                                : (entry.modelType.empty() ? "?" : entry.modelType);
        const std::string dtype = !entry.tensorDtype.empty() ? entry.tensorDtype
                                  : !entry.torchDtype.empty() ? entry.torchDtype : "?";
        std::cout << catalogColumn(entry.name + " @ " + entry.revision.substr(0, 8), nameWidth)
                  << catalogColumn(family, 8)
                  << catalogColumn(entry.parameters ? parameterCountText(entry.parameters) : "?", 7)
                  << catalogColumn(entry.weightBytes ? byteSizeText(entry.weightBytes) : "?", 9)
                  << catalogColumn(dtype, 9) << catalogColumn(entry.tokenizerSupported ? "supported" : "unsupported", 11)
                  << (entry.usable() ? "usable" : "unusable") << "\n";
        for (const std::string& problem : entry.problems)
            std::cout << "    " << problem << "\n";
        if (entry.usable())
            std::cout << "    " << entry.folder.string() << "\n";
    }
    return kExitOk;
}

const CommandRegistration modelsRegistration{{
    "models",
    "list the model snapshots in the Hugging Face cache: family, size, dtype, and why one cannot be used",
    "Usage: tempo-lab-cli models [--cache DIR] [--json]\n"
    "  --cache DIR   the hub folder to list (default $HF_HUB_CACHE, else $HF_HOME/hub,\n"
    "                else ~/.cache/huggingface/hub); it holds models--ORG--NAME/snapshots/REV/\n"
    "  --json        print {\"cache\": DIR, \"models\": [{name, revision, folder, family, model_type,\n"
    "                parameters, weight_bytes, torch_dtype, tensor_dtype, tokenizer_supported,\n"
    "                usable, problems, problem_summaries}]}\n"
    "Every snapshot holding a config.json is listed; one this app cannot run is marked unusable with\n"
    "its reasons (unsupported architecture, no safetensors weights, unsupported tokenizer, bad\n"
    "config.json). Only config.json, the safetensors headers and tokenizer.json are read, never the\n"
    "weights. A usable snapshot's folder is what --model takes.",
    false,
    &runModels,
}};

} // namespace

} // namespace tempo::cli
