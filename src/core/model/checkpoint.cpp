#include "core/model/checkpoint.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/shapetext.h"
#include "core/common/sha256.h"
#include "core/model/safetensors.h"
#include "core/model/safetensorswriter.h"

namespace tempo {

namespace {

using nlohmann::json;

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

// Buffers some conversions store that the forward recomputes: RoPE's inverse frequencies, and
// gpt2's causal-mask buffers (attn.bias, attn.masked_bias).
bool isIgnoredBuffer(const std::string& name)
{
    static const std::regex invFreq(R"(model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq)");
    static const std::regex gpt2Mask(R"(transformer\.h\.\d+\.attn\.(masked_)?bias)");
    return std::regex_match(name, invFreq) || std::regex_match(name, gpt2Mask);
}

// The prefix of layer N's tensor names: "model.layers." or gpt2's "transformer.h.".
std::string layerPrefixOf(const LlamaConfig& config)
{
    return config.traits().layout == WeightLayout::Gpt2Conv1D ? "transformer.h." : "model.layers.";
}

// gpt2 checkpoints saved from GPT2Model (the original openai-community/gpt2 files) name tensors
// without the "transformer." prefix GPT2LMHeadModel uses; one name per tensor from here on.
void normalizeGpt2Names(Checkpoint& checkpoint)
{
    if (checkpoint.config.traits().layout != WeightLayout::Gpt2Conv1D)
        return;
    std::map<std::string, at::Tensor> renamed;
    for (auto& [name, tensor] : checkpoint.tensors) {
        const bool keep = name.rfind("transformer.", 0) == 0 || name == "lm_head.weight";
        renamed.emplace(keep ? name : "transformer." + name, tensor);
    }
    checkpoint.tensors = std::move(renamed);
}

// Tensor name -> file it came from (for messages).
using Origins = std::map<std::string, std::string>;

void addShard(Checkpoint& checkpoint, Origins& origins, const std::filesystem::path& path)
{
    std::shared_ptr<MappedFile> file = MappedFile::open(path);
    std::map<std::string, at::Tensor> tensors = readSafetensors(file);
    const std::string fileName = path.filename().string();
    for (auto& [name, tensor] : tensors) {
        auto [it, inserted] = origins.emplace(name, fileName);
        if (!inserted)
            throw CheckpointError(expectedFound("tensor '" + name + "'", "in one weight file only",
                                                "in both '" + it->second + "' and '" + fileName + "'"));
        checkpoint.tensors.emplace(name, std::move(tensor));
    }
    checkpoint.files.push_back(std::move(file));
}

json readIndex(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw CheckpointError(expectedFound(path.string(), "a readable file", "unreadable"));
    std::stringstream text;
    text << in.rdbuf();
    json index = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (index.is_discarded())
        throw CheckpointError(expectedFound(path.string(), "well-formed JSON", "malformed JSON"));
    if (!index.is_object() || !index.contains("weight_map") || !index.at("weight_map").is_object())
        throw CheckpointError(expectedFound(path.string(), "an object with a 'weight_map' object", "none"));
    return index;
}

void loadShards(Checkpoint& checkpoint, Origins& origins, const std::filesystem::path& indexPath)
{
    const json index = readIndex(indexPath);
    const std::string indexName = indexPath.filename().string();
    std::map<std::string, std::string> weightMap; // tensor -> shard file
    std::set<std::string> shardNames;
    for (const auto& [tensor, file] : index.at("weight_map").items()) {
        if (!file.is_string())
            throw CheckpointError(expectedFound(indexName + ": weight_map['" + tensor + "']", "a file name", file.dump()));
        const std::string shard = file.get<std::string>();
        // Shards live next to the index; refuse paths that would leave the folder.
        const std::filesystem::path shardPath(shard);
        if (shard.empty() || shardPath.has_parent_path() || shard == "." || shard == "..")
            throw CheckpointError(expectedFound(indexName + ": weight_map['" + tensor + "']",
                                                "a file name in the checkpoint folder", "\"" + shard + "\""));
        weightMap.emplace(tensor, shard);
        shardNames.insert(shard);
    }
    for (const std::string& shard : shardNames)
        if (!std::filesystem::is_regular_file(checkpoint.folder / shard))
            throw CheckpointError(expectedFound(indexName + ": shard '" + shard + "'", "a file in " +
                                                checkpoint.folder.string(), "no such file"));
    for (const std::string& shard : shardNames)
        addShard(checkpoint, origins, checkpoint.folder / shard);
    for (const auto& [tensor, shard] : weightMap) {
        auto origin = origins.find(tensor);
        if (origin == origins.end() || origin->second != shard)
            throw CheckpointError(expectedFound("tensor '" + tensor + "'",
                                                "in shard '" + shard + "' (as " + indexName + " says)",
                                                origin == origins.end() ? std::string("in no shard")
                                                                        : "in '" + origin->second + "'"));
    }
}

// The layer count the weights hold: 1 + the highest N of any "model.layers.N." tensor (0 when
// none). Read from the names alone, so a config.json that claims more layers than the files
// hold is refused before anything is built per layer.
int64_t layersInWeights(const std::map<std::string, at::Tensor>& tensors, const std::string& prefix)
{
    int64_t layers = 0;
    for (const auto& entry : tensors) {
        const std::string& name = entry.first;
        if (name.compare(0, prefix.size(), prefix) != 0)
            continue;
        const size_t digitsEnd = name.find('.', prefix.size());
        const std::string digits = name.substr(prefix.size(), digitsEnd - prefix.size());
        if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
            continue; // an odd name: reported as an unexpected tensor below
        layers = std::max<int64_t>(layers, std::stoll(digits) + 1);
    }
    return layers;
}

void checkAgainstConfig(const Checkpoint& checkpoint, const Origins& origins)
{
    const std::string prefix = layerPrefixOf(checkpoint.config);
    const int64_t layersHeld = layersInWeights(checkpoint.tensors, prefix);
    if (checkpoint.config.numHiddenLayers != layersHeld)
        throw CheckpointError(expectedFound(
            std::string("config.json key '") + (checkpoint.config.family == ModelFamily::Gpt2 ? "n_layer" : "num_hidden_layers") + "'",
            "the " + std::to_string(layersHeld) + " layers the weights hold" +
                (layersHeld > 0 ? " (" + prefix + "0 .. " + prefix + std::to_string(layersHeld - 1) + ")" : ""),
            std::to_string(checkpoint.config.numHiddenLayers)));
    const auto expected = expectedTensorShapes(checkpoint.config);
    std::set<std::string> expectedNames;
    std::vector<std::string> missing;
    for (const auto& [name, shape] : expected) {
        expectedNames.insert(name);
        auto found = checkpoint.tensors.find(name);
        if (found == checkpoint.tensors.end()) {
            missing.push_back(name);
            continue;
        }
        if (found->second.sizes() != at::IntArrayRef(shape))
            throw CheckpointError(expectedFound("tensor '" + name + "'" + (origins.count(name) ? " (" + origins.at(name) + ")" : std::string()),
                                                "shape " + shapeText(shape),
                                                shapeText(found->second.sizes())));
    }
    if (!missing.empty()) {
        std::string more = missing.size() > 1 ? " (and " + std::to_string(missing.size() - 1) + " more missing)" : "";
        throw CheckpointError(expectedFound("tensor '" + missing.front() + "'",
                                            "present in the weights (config.json describes " +
                                                std::to_string(checkpoint.config.numHiddenLayers) + " layers)",
                                            "missing" + more));
    }
    for (const auto& [name, tensor] : checkpoint.tensors) {
        if (expectedNames.count(name) || isIgnoredBuffer(name))
            continue;
        std::string hint;
        if (name == "lm_head.weight" && checkpoint.config.tieWordEmbeddings)
            hint = " (config.json says tie_word_embeddings: true, so the head reuses the token embedding;"
                   " set it to false to use this tensor)";
        const auto origin = origins.find(name);
        throw CheckpointError(expectedFound("tensor '" + name + "'" +
                                                (origin != origins.end() ? " (" + origin->second + ")" : std::string()),
                                            std::string("only tensors of a ") + checkpoint.config.traits().architecture,
                                            "an unexpected tensor" + hint));
    }
}

} // namespace

std::vector<std::pair<std::string, std::vector<int64_t>>> expectedTensorShapes(const LlamaConfig& config)
{
    const FamilyTraits& traits = config.traits();
    const int64_t hidden = config.hiddenSize;
    const int64_t queryWidth = config.numAttentionHeads * config.headDim;
    const int64_t keyValueWidth = config.numKeyValueHeads * config.headDim;
    const int64_t intermediate = config.intermediateSize;
    std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
    if (traits.layout == WeightLayout::Gpt2Conv1D) {
        // Conv1D stores weights [in, out], the transpose of nn.Linear.
        shapes.push_back({"transformer.wte.weight", {config.vocabSize, hidden}});
        shapes.push_back({"transformer.wpe.weight", {config.maxPositionEmbeddings, hidden}});
        for (int64_t layer = 0; layer < config.numHiddenLayers; ++layer) {
            const std::string prefix = "transformer.h." + std::to_string(layer) + ".";
            shapes.push_back({prefix + "ln_1.weight", {hidden}});
            shapes.push_back({prefix + "ln_1.bias", {hidden}});
            shapes.push_back({prefix + "attn.c_attn.weight", {hidden, 3 * hidden}});
            shapes.push_back({prefix + "attn.c_attn.bias", {3 * hidden}});
            shapes.push_back({prefix + "attn.c_proj.weight", {hidden, hidden}});
            shapes.push_back({prefix + "attn.c_proj.bias", {hidden}});
            shapes.push_back({prefix + "ln_2.weight", {hidden}});
            shapes.push_back({prefix + "ln_2.bias", {hidden}});
            shapes.push_back({prefix + "mlp.c_fc.weight", {hidden, intermediate}});
            shapes.push_back({prefix + "mlp.c_fc.bias", {intermediate}});
            shapes.push_back({prefix + "mlp.c_proj.weight", {intermediate, hidden}});
            shapes.push_back({prefix + "mlp.c_proj.bias", {hidden}});
        }
        shapes.push_back({"transformer.ln_f.weight", {hidden}});
        shapes.push_back({"transformer.ln_f.bias", {hidden}});
        if (!config.tieWordEmbeddings)
            shapes.push_back({"lm_head.weight", {config.vocabSize, hidden}});
        return shapes;
    }
    shapes.push_back({"model.embed_tokens.weight", {config.vocabSize, hidden}});
    for (int64_t layer = 0; layer < config.numHiddenLayers; ++layer) {
        const std::string prefix = "model.layers." + std::to_string(layer) + ".";
        shapes.push_back({prefix + "input_layernorm.weight", {hidden}});
        if (traits.layout == WeightLayout::Phi3Fused) {
            shapes.push_back({prefix + "self_attn.qkv_proj.weight", {queryWidth + 2 * keyValueWidth, hidden}});
        } else {
            shapes.push_back({prefix + "self_attn.q_proj.weight", {queryWidth, hidden}});
            shapes.push_back({prefix + "self_attn.k_proj.weight", {keyValueWidth, hidden}});
            shapes.push_back({prefix + "self_attn.v_proj.weight", {keyValueWidth, hidden}});
            if (config.attentionBias) {
                shapes.push_back({prefix + "self_attn.q_proj.bias", {queryWidth}});
                shapes.push_back({prefix + "self_attn.k_proj.bias", {keyValueWidth}});
                shapes.push_back({prefix + "self_attn.v_proj.bias", {keyValueWidth}});
            }
        }
        shapes.push_back({prefix + "self_attn.o_proj.weight", {hidden, queryWidth}});
        shapes.push_back({prefix + "post_attention_layernorm.weight", {hidden}});
        if (traits.sandwichNorms) {
            shapes.push_back({prefix + "pre_feedforward_layernorm.weight", {hidden}});
            shapes.push_back({prefix + "post_feedforward_layernorm.weight", {hidden}});
        }
        if (traits.layout == WeightLayout::Phi3Fused) {
            shapes.push_back({prefix + "mlp.gate_up_proj.weight", {2 * intermediate, hidden}});
        } else {
            shapes.push_back({prefix + "mlp.gate_proj.weight", {intermediate, hidden}});
            shapes.push_back({prefix + "mlp.up_proj.weight", {intermediate, hidden}});
        }
        shapes.push_back({prefix + "mlp.down_proj.weight", {hidden, intermediate}});
    }
    shapes.push_back({"model.norm.weight", {hidden}});
    if (!config.tieWordEmbeddings)
        shapes.push_back({"lm_head.weight", {config.vocabSize, hidden}});
    return shapes;
}

Checkpoint loadCheckpoint(const std::filesystem::path& folder)
{
    if (!std::filesystem::is_directory(folder))
        throw CheckpointError(expectedFound(folder.string(), "a checkpoint folder", "no such folder"));
    Checkpoint checkpoint;
    checkpoint.folder = folder;
    const std::filesystem::path configPath = folder / "config.json";
    if (!std::filesystem::exists(configPath))
        throw ConfigError(expectedFound(configPath.string(), "a config.json in the checkpoint folder", "no such file"));
    checkpoint.config = LlamaConfig::fromFile(configPath);

    Origins origins;
    if (std::filesystem::exists(folder / kIndexFile))
        loadShards(checkpoint, origins, folder / kIndexFile);
    else if (std::filesystem::exists(folder / kSingleFile))
        addShard(checkpoint, origins, folder / kSingleFile);
    else
        throw CheckpointError(expectedFound(folder.string(), std::string(kSingleFile) + " or " + kIndexFile,
                                            "neither"));
    normalizeGpt2Names(checkpoint);
    checkAgainstConfig(checkpoint, origins);
    for (auto it = checkpoint.tensors.begin(); it != checkpoint.tensors.end();)
        it = isIgnoredBuffer(it->first) ? checkpoint.tensors.erase(it) : std::next(it);
    return checkpoint;
}

std::string weightsSha256(const Checkpoint& checkpoint)
{
    Sha256 hash;
    if (checkpoint.files.empty()) {
        // An in-memory checkpoint: hash the bytes it would have as one model.safetensors written
        // with Hugging Face's usual metadata (what writeTestModel writes).
        hash.update(safetensorsBytes(checkpoint.tensors, {{"format", "pt"}}));
        return hash.hexDigest();
    }
    std::vector<const MappedFile*> files;
    for (const auto& file : checkpoint.files)
        files.push_back(file.get());
    std::sort(files.begin(), files.end(), [](const MappedFile* a, const MappedFile* b) {
        return a->path().filename() < b->path().filename();
    });
    for (const MappedFile* file : files)
        hash.update(file->data(), file->size());
    return hash.hexDigest();
}

} // namespace tempo
