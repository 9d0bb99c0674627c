#include "core/experiment/modelcache.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/common/errors.h"
#include "core/common/sha256.h"

namespace tempo {

namespace fs = std::filesystem;

namespace {

std::string readText(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Sizes and modification times of the folder's files: a model edited in place (re-exported,
// converted) must not be served from the cache.
std::string fileStamp(const fs::path& folder)
{
    std::vector<std::string> lines;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(folder, error)) {
        if (!entry.is_regular_file(error))
            continue;
        const auto time = fs::last_write_time(entry.path(), error).time_since_epoch().count();
        lines.push_back(entry.path().filename().string() + ":" + std::to_string(entry.file_size(error)) + ":" +
                        std::to_string(time));
    }
    std::sort(lines.begin(), lines.end());
    std::string stamp;
    for (const auto& line : lines)
        stamp += line + "\n";
    return stamp;
}

fs::path absoluteFolder(const fs::path& folder)
{
    std::error_code error;
    fs::path canonical = fs::weakly_canonical(fs::absolute(folder), error);
    return error ? fs::absolute(folder) : canonical;
}

fs::path modelTokenizerFile(const fs::path& folder) { return folder / "tokenizer.json"; }

} // namespace

ModelDescription describeModel(const fs::path& folder)
{
    ModelDescription description;
    description.folder = absoluteFolder(folder);
    description.config = LlamaConfig::fromFile(description.folder / "config.json");
    description.tokenizer = std::make_shared<const Tokenizer>(Tokenizer::fromFile(modelTokenizerFile(description.folder)));
    return description;
}

notebook::ModelRecord LoadedModel::record() const
{
    notebook::ModelRecord model;
    model.folder = folder.string();
    model.name = folder.filename().string();
    model.weightsSha256 = weightsSha256;
    model.tokenizerSha256 = tokenizerSha256;
    model.configJson = configJson.empty() ? "{}" : configJson;
    return model;
}

std::shared_ptr<const LoadedModel> loadModel(const fs::path& folder, const ComputeOptions& options, ModelHashes hashes)
{
    options.validate();
    auto loaded = std::make_shared<LoadedModel>();
    loaded->folder = absoluteFolder(folder);
    loaded->options = options;
    loaded->checkpoint = loadCheckpoint(loaded->folder);
    const fs::path tokenizerFile = modelTokenizerFile(loaded->folder);
    loaded->tokenizer.emplace(Tokenizer::fromFile(tokenizerFile));
    loaded->model = std::make_unique<LlamaModel>(loaded->checkpoint, options);
    if (hashes == ModelHashes::Compute) {
        loaded->weightsSha256 = weightsSha256(loaded->checkpoint);
        loaded->tokenizerSha256 = sha256File(tokenizerFile);
    }
    loaded->configJson = readText(loaded->folder / "config.json");
    return loaded;
}

std::shared_ptr<const LoadedModel> ModelCache::get(const fs::path& folder, const ComputeOptions& options)
{
    const fs::path absolute = absoluteFolder(folder);
    const std::string key = absolute.string() + "|" + ComputeOptions::deviceName(options.device) + "|" +
                            ComputeOptions::dtypeName(options.dtype);
    const std::string stamp = fileStamp(absolute);
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->key != key)
            continue;
        if (it->fileStamp == stamp) {
            Entry hit = *it;
            entries_.erase(it);
            entries_.push_back(hit);
            return hit.model;
        }
        entries_.erase(it);
        break;
    }
    // Loading under the lock: two runs asking for the same model wait for one load, not two.
    auto model = loadModel(absolute, options);
    ++loads_;
    if (capacity_ == 0)
        return model;
    if (entries_.size() >= capacity_)
        entries_.erase(entries_.begin());
    entries_.push_back({key, stamp, model});
    return model;
}

std::size_t ModelCache::loads() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return loads_;
}

void ModelCache::clear()
{
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
}

ModelCache& ModelCache::shared()
{
    static ModelCache cache;
    return cache;
}

} // namespace tempo
