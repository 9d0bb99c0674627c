#pragma once
// What the Hugging Face cache holds, described without loading any weights: the model picker and
// `tempo-lab-cli models` list every snapshot with its family, size, dtype and whether this app can
// use it, and if not, why (the typed error's expected-vs-found text of the check that refused it).
//
// Cache layout (huggingface_hub): <hub>/models--ORG--NAME/snapshots/<revision>/ holding
// config.json, model.safetensors (or shards listed in model.safetensors.index.json) and
// tokenizer.json, usually as links into <hub>/models--ORG--NAME/blobs. Describing a snapshot reads
// config.json, the safetensors headers (the first kilobytes of each file, through a mapping whose
// data pages are never touched) and tokenizer.json (the tokenizer loader's own checks).

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/model/modelfamily.h"

namespace tempo {

struct ModelCatalogEntry {
    std::string name;               // "meta-llama/Llama-3.2-1B" (a folder's own name outside the cache)
    std::string revision;           // the snapshot folder's name (a commit hash); "" outside the cache
    std::filesystem::path folder;   // the snapshot folder
    std::optional<ModelFamily> family; // when config.json names a supported family and parses
    std::string modelType;          // config.json model_type as found ("" when absent or unreadable)
    int64_t parameters = 0;         // elements of every tensor in the weight files (0 when unreadable)
    uint64_t weightBytes = 0;       // bytes of the weight files
    std::string torchDtype;         // config.json torch_dtype ("" when absent)
    std::string tensorDtype;        // the tensors' on-disk dtypes: "BF16", or "F32+F16" when mixed
    bool tokenizerSupported = false; // tokenizer.json exists and the tokenizer loader accepts it
    std::vector<std::string> problems; // why it cannot be used, one expected-vs-found text each
    // The same problems in a few words each, for a list row: "unsupported architecture bert",
    // "bad config.json", "no safetensors weights", "unreadable weights", "unsupported tokenizer".
    std::vector<std::string> problemSummaries;

    bool usable() const { return problems.empty(); }
    std::string reason() const; // the problems joined with "; " ("" when usable)
};

// The hub folder: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub
// ($HOME; "" when none of these is set).
std::filesystem::path huggingFaceHubCache();

// Every snapshot under `hub` that holds a config.json, sorted by name then revision. A missing or
// unreadable `hub` gives an empty list (a fresh machine has no cache); nothing here throws for a
// bad snapshot: its problems are in its entry. `cancelled` (may be null), checked before each
// snapshot, ends the scan early with what was described so far (the window's picker going away).
std::vector<ModelCatalogEntry> scanHuggingFaceCache(const std::filesystem::path& hub,
                                                    const std::atomic<bool>* cancelled = nullptr);

// Describes one model folder (in the cache or anywhere else). Never throws for bad content.
ModelCatalogEntry describeModelFolder(const std::filesystem::path& folder, const std::string& name,
                                 const std::string& revision = {});

// "1.24B", "135M", "36.9K": a parameter count as the picker and the CLI show it.
std::string parameterCountText(int64_t parameters);

} // namespace tempo
