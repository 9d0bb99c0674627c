#include "core/model/modelcatalog.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/llamaconfig.h"
#include "core/model/safetensors.h"
#include "core/tokenizer/tokenizer.h"

namespace tempo {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string catalogEnvironment(const char* name)
{
    const char* value = std::getenv(name);
    return value ? std::string(value) : std::string();
}

// The weight files loadCheckpoint would read: the shards named by model.safetensors.index.json,
// else model.safetensors. Other *.safetensors in a snapshot (Mistral's consolidated.safetensors)
// are not ours to count. Throws CheckpointError when there are none or the index is unreadable.
std::vector<fs::path> catalogWeightFiles(const fs::path& folder)
{
    std::error_code error;
    const fs::path index = folder / "model.safetensors.index.json";
    if (fs::is_regular_file(index, error)) {
        std::ifstream in(index, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        const json root = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
        if (!root.is_object() || !root.contains("weight_map") || !root.at("weight_map").is_object())
            throw CheckpointError(expectedFound("model.safetensors.index.json",
                                                "a JSON object with a \"weight_map\" object",
                                                root.is_discarded() ? "malformed JSON" : "no weight_map"));
        std::set<std::string> shards;
        for (const auto& [tensor, file] : root.at("weight_map").items()) {
            if (!file.is_string() || fs::path(file.get<std::string>()).has_parent_path())
                throw CheckpointError(expectedFound("model.safetensors.index.json: weight_map['" + tensor + "']",
                                                    "a file name beside the index", file.dump()));
            shards.insert(file.get<std::string>());
        }
        std::vector<fs::path> files;
        for (const std::string& shard : shards)
            files.push_back(folder / shard);
        return files;
    }
    if (fs::is_regular_file(folder / "model.safetensors", error))
        return {folder / "model.safetensors"};
    std::string found;
    for (const char* other : {"pytorch_model.bin", "pytorch_model.bin.index.json", "model.bin", "tf_model.h5",
                              "flax_model.msgpack", "consolidated.safetensors"})
        if (fs::exists(folder / other, error))
            found += (found.empty() ? "only " : ", ") + std::string(other);
    throw CheckpointError(expectedFound("weights",
                                        "model.safetensors or model.safetensors.index.json",
                                        found.empty() ? "no safetensors weights" : found));
}

// Reads the headers of the weight files into `entry` (sizes, dtypes). A mapping costs no reads
// beyond the header pages that parseSafetensorsHeader looks at.
void describeWeights(ModelCatalogEntry& entry)
{
    std::set<std::string> dtypes;
    for (const fs::path& file : catalogWeightFiles(entry.folder)) {
        std::error_code error;
        if (!fs::is_regular_file(file, error))
            throw CheckpointError(expectedFound("weight file " + file.filename().string(), "a file in the snapshot",
                                                "none (the download is incomplete)"));
        const auto mapped = MappedFile::open(file);
        const SafetensorsHeader header =
            parseSafetensorsHeader(mapped->data(), mapped->size(), file.filename().string());
        entry.weightBytes += mapped->size();
        for (const SafetensorsEntry& tensor : header.entries) {
            int64_t elements = 1;
            for (int64_t dimension : tensor.shape)
                elements *= dimension;
            entry.parameters += elements;
            dtypes.insert(tensor.dtype);
        }
    }
    for (const std::string& dtype : dtypes)
        entry.tensorDtype += (entry.tensorDtype.empty() ? "" : "+") + dtype;
}

void describeConfig(ModelCatalogEntry& entry)
{
    const json root = LlamaConfig::readJson(entry.folder / "config.json", "config.json", "a readable file");
    if (root.is_object()) {
        if (root.contains("model_type") && root.at("model_type").is_string())
            entry.modelType = root.at("model_type").get<std::string>();
        if (root.contains("torch_dtype") && root.at("torch_dtype").is_string())
            entry.torchDtype = root.at("torch_dtype").get<std::string>();
    }
    entry.family = LlamaConfig::fromJson(root, "config.json").family;
}

void describeTokenizer(ModelCatalogEntry& entry)
{
    std::error_code error;
    const fs::path path = entry.folder / "tokenizer.json";
    if (!fs::is_regular_file(path, error))
        throw TokenizerError(expectedFound("tokenizer", "tokenizer.json",
                                           fs::exists(entry.folder / "tokenizer.model", error)
                                               ? "only tokenizer.model (SentencePiece's own format)"
                                               : "no tokenizer.json"));
    Tokenizer::fromFile(path); // the loader's checks refuse unsupported models, normalizers, pre-tokenizers
    entry.tokenizerSupported = true;
}

std::string configProblemSummary(const ModelCatalogEntry& entry)
{
    if (entry.modelType.empty())
        return "bad config.json";
    for (ModelFamily family : allModelFamilies())
        if (familyName(family) == entry.modelType)
            return "bad config.json"; // a supported family with something the reader refuses
    return "unsupported architecture " + entry.modelType;
}

// Runs one check; its typed error becomes a problem of the entry instead of ending the scan.
template <typename Check, typename Summary>
void recordProblem(ModelCatalogEntry& entry, Check&& check, Summary&& summary)
{
    try {
        check(entry);
    } catch (const std::exception& error) {
        entry.problems.emplace_back(error.what());
        entry.problemSummaries.push_back(summary(entry));
    }
}

std::string catalogNumberText(double value, const char* unit)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, value < 10 ? "%.2f%s" : value < 100 ? "%.1f%s" : "%.0f%s", value, unit);
    return buffer;
}

} // namespace

std::string ModelCatalogEntry::reason() const
{
    std::string joined;
    for (const std::string& problem : problems)
        joined += (joined.empty() ? "" : "; ") + problem;
    return joined;
}

fs::path huggingFaceHubCache()
{
    if (const std::string hub = catalogEnvironment("HF_HUB_CACHE"); !hub.empty())
        return hub;
    if (const std::string home = catalogEnvironment("HF_HOME"); !home.empty())
        return fs::path(home) / "hub";
    if (const std::string home = catalogEnvironment("HOME"); !home.empty())
        return fs::path(home) / ".cache" / "huggingface" / "hub";
    return {};
}

ModelCatalogEntry describeModelFolder(const fs::path& folder, const std::string& name, const std::string& revision)
{
    ModelCatalogEntry entry;
    entry.name = name;
    entry.revision = revision;
    entry.folder = folder;
    recordProblem(entry, describeConfig, configProblemSummary);
    recordProblem(entry, describeWeights, [](const ModelCatalogEntry& described) {
        std::error_code error;
        const bool named = fs::exists(described.folder / "model.safetensors", error) ||
                           fs::exists(described.folder / "model.safetensors.index.json", error);
        return std::string(named ? "unreadable weights" : "no safetensors weights");
    });
    recordProblem(entry, describeTokenizer, [](const ModelCatalogEntry&) { return std::string("unsupported tokenizer"); });
    return entry;
}

std::vector<ModelCatalogEntry> scanHuggingFaceCache(const fs::path& hub, const std::atomic<bool>* cancelled)
{
    std::vector<ModelCatalogEntry> entries;
    std::error_code error;
    if (hub.empty() || !fs::is_directory(hub, error))
        return entries;
    const std::string prefix = "models--";
    for (const fs::directory_entry& repo : fs::directory_iterator(hub, error)) {
        const std::string repoName = repo.path().filename().string();
        if (repoName.compare(0, prefix.size(), prefix) != 0 || !repo.is_directory(error))
            continue;
        // models--org--name -> org/name (repository names never hold "--" twice in a row)
        std::string name = repoName.substr(prefix.size());
        for (size_t at = name.find("--"); at != std::string::npos; at = name.find("--", at + 1))
            name.replace(at, 2, "/");
        const fs::path snapshots = repo.path() / "snapshots";
        if (!fs::is_directory(snapshots, error))
            continue;
        for (const fs::directory_entry& snapshot : fs::directory_iterator(snapshots, error)) {
            if (cancelled && cancelled->load())
                return entries;
            if (!snapshot.is_directory(error) || !fs::is_regular_file(snapshot.path() / "config.json", error))
                continue;
            entries.push_back(describeModelFolder(snapshot.path(), name, snapshot.path().filename().string()));
        }
    }
    std::sort(entries.begin(), entries.end(), [](const ModelCatalogEntry& a, const ModelCatalogEntry& b) {
        return a.name != b.name ? a.name < b.name : a.revision < b.revision;
    });
    return entries;
}

std::string parameterCountText(int64_t parameters)
{
    const double value = static_cast<double>(parameters);
    if (value >= 1e9)
        return catalogNumberText(value / 1e9, "B");
    if (value >= 1e6)
        return catalogNumberText(value / 1e6, "M");
    if (value >= 1e3)
        return catalogNumberText(value / 1e3, "K");
    return std::to_string(parameters);
}

} // namespace tempo
