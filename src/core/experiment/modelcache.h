#pragma once
// A loaded model with everything a run records about it (folder, hashes, config), and a small
// cache so repeated runs against the same folder, device and dtype reuse one load (loading and
// hashing a 3B checkpoint takes seconds). Thread-safe; a loaded model is shared read-only.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/model/checkpoint.h"
#include "core/model/computeoptions.h"
#include "core/model/llamamodel.h"
#include "core/notebook/records.h"
#include "core/tokenizer/tokenizer.h"

namespace tempo {

struct LoadedModel {
    std::filesystem::path folder; // absolute
    ComputeOptions options;
    Checkpoint checkpoint;        // keeps the weight files mapped
    std::unique_ptr<LlamaModel> model;
    std::optional<Tokenizer> tokenizer; // always set once loaded (Tokenizer has no empty state)
    std::string weightsSha256;
    std::string tokenizerSha256;
    std::string configJson;       // config.json as found

    // The notebook's models row for this model (id 0: not stored yet).
    notebook::ModelRecord record() const;
};

// Whether a load hashes the weights and the tokenizer (a notebook records the hashes; a run that
// is only printed does not need them, and hashing a 3B checkpoint takes seconds).
enum class ModelHashes { Compute, Skip };

// The one model loader: config.json, the weights and tokenizer.json of `folder` for `options`,
// hashed unless `hashes` is Skip (then weightsSha256 and tokenizerSha256 stay empty). Throws what
// the loaders throw (ConfigError, CheckpointError, TokenizerError) unchanged, and InvalidArgument
// when the options cannot run here. ModelCache::get loads through it (with hashes).
std::shared_ptr<const LoadedModel> loadModel(const std::filesystem::path& folder, const ComputeOptions& options,
                                             ModelHashes hashes = ModelHashes::Compute);

// What a model folder says without its weights: config.json and tokenizer.json, read by the same
// code loadModel reads them with (the window shows a run's limits from them as the user types).
struct ModelDescription {
    std::filesystem::path folder; // absolute
    LlamaConfig config;
    std::shared_ptr<const Tokenizer> tokenizer;
};
// Throws ConfigError / TokenizerError as loadModel would. Reads no weights; a large vocabulary
// still takes a moment (call it off a UI thread).
ModelDescription describeModel(const std::filesystem::path& folder);

class ModelCache {
public:
    explicit ModelCache(std::size_t capacity = 2) : capacity_(capacity) {}

    // The cached model for (folder, device, dtype) when its files have not changed since it was
    // loaded (sizes and modification times), otherwise a fresh load that replaces the least
    // recently used entry. The thread count is not part of the key: it is applied per run.
    std::shared_ptr<const LoadedModel> get(const std::filesystem::path& folder, const ComputeOptions& options);
    std::size_t loads() const; // how many times get() had to load (tests: reuse)
    void clear();

    static ModelCache& shared(); // the process-wide cache the CLI and the worker use

private:
    struct Entry {
        std::string key;
        std::string fileStamp;
        std::shared_ptr<const LoadedModel> model;
    };
    mutable std::mutex mutex_;
    std::vector<Entry> entries_; // most recently used last
    std::size_t capacity_;
    std::size_t loads_ = 0;
};

} // namespace tempo
