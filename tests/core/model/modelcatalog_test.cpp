// The model catalog (core/model/modelcatalog.h) and `tempo-lab-cli models` on a fake Hugging Face
// cache built here: tiny checkpoints of several families (one laid out as huggingface_hub does it,
// files linked into blobs/) beside broken snapshots — an unknown model_type, no safetensors, a
// corrupt config.json, an unsupported tokenizer — each of which must be listed with its reason.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/checkpoint.h"
#include "core/model/modelcatalog.h"
#include "core/testmodel/testmodel.h"
#include "support/testsupport.h"

namespace tempo {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

fs::path snapshotFolder(const fs::path& hub, const std::string& repo, const std::string& revision)
{
    const fs::path folder = hub / ("models--" + repo) / "snapshots" / revision;
    fs::create_directories(folder);
    return folder;
}

json readJsonFile(const fs::path& path)
{
    return json::parse(test::readFileBytes(path));
}

void writeJsonFile(const fs::path& path, const json& value)
{
    test::writeFileBytes(path, value.dump(2));
}

// Moves each file of `folder` into the repository's blobs/ and links it back, as huggingface_hub does.
void linkIntoBlobs(const fs::path& folder)
{
    const fs::path blobs = folder.parent_path().parent_path() / "blobs";
    fs::create_directories(blobs);
    std::vector<fs::path> files;
    for (const fs::directory_entry& file : fs::directory_iterator(folder))
        files.push_back(file.path());
    for (size_t blob = 0; blob < files.size(); ++blob) {
        const fs::path target = blobs / ("blob" + std::to_string(blob));
        fs::rename(files[blob], target);
        fs::create_symlink(fs::relative(target, folder), files[blob]);
    }
}

// Elements of every tensor the config's checkpoint holds, from the loader's list of shapes.
int64_t expectedParameters(const LlamaConfig& config)
{
    int64_t total = 0;
    for (const auto& [name, shape] : expectedTensorShapes(config)) {
        int64_t elements = 1;
        for (int64_t dimension : shape)
            elements *= dimension;
        total += elements;
    }
    return total;
}

struct FakeCache {
    test::TempDir dir{"tempo-hf-cache"};
    std::map<std::string, TestModelSpec> good; // name -> spec of the usable ones

    FakeCache()
    {
        const fs::path hub = dir.path();
        TestModelSpec llama;
        llama.family = ModelFamily::Llama;
        writeTestModel(snapshotFolder(hub, "tiny--llama", "1111aaaa2222bbbb"), llama);
        linkIntoBlobs(hub / "models--tiny--llama" / "snapshots" / "1111aaaa2222bbbb");
        good["tiny/llama"] = llama;

        TestModelSpec qwen;
        qwen.family = ModelFamily::Qwen2;
        qwen.diskDtype = "BF16";
        writeTestModel(snapshotFolder(hub, "tiny--qwen2", "3333cccc"), qwen);
        good["tiny/qwen2"] = qwen;

        TestModelSpec gpt2;
        gpt2.family = ModelFamily::Gpt2;
        gpt2.diskDtype = "F16";
        writeTestModel(snapshotFolder(hub, "tiny--gpt2", "4444dddd"), gpt2);
        good["tiny/gpt2"] = gpt2;

        // An architecture we do not run: a valid llama checkpoint whose config says BERT.
        const fs::path bert = snapshotFolder(hub, "broken--bert", "5555eeee");
        writeTestModel(bert, llama);
        json config = readJsonFile(bert / "config.json");
        config["model_type"] = "bert";
        config["architectures"] = json::array({"BertForMaskedLM"});
        writeJsonFile(bert / "config.json", config);

        // Weights only as a pickle.
        const fs::path pickle = snapshotFolder(hub, "broken--pickle", "6666ffff");
        writeTestModel(pickle, llama);
        fs::rename(pickle / "model.safetensors", pickle / "pytorch_model.bin");

        // config.json cut short.
        const fs::path corrupt = snapshotFolder(hub, "broken--corrupt", "7777aaaa");
        writeTestModel(corrupt, llama);
        test::writeFileBytes(corrupt / "config.json", "{\"model_type\": \"llama\", \"hidden_si");

        // A WordPiece tokenizer.
        const fs::path wordpiece = snapshotFolder(hub, "broken--wordpiece", "8888bbbb");
        writeTestModel(wordpiece, llama);
        json tokenizer = readJsonFile(wordpiece / "tokenizer.json");
        tokenizer["model"]["type"] = "WordPiece";
        writeJsonFile(wordpiece / "tokenizer.json", tokenizer);

        // Not listed: a snapshot without config.json, a dataset, a stray file.
        snapshotFolder(hub, "tiny--unfinished", "9999cccc");
        fs::create_directories(hub / "datasets--tiny--text" / "snapshots" / "aaaa0000");
        test::writeFileBytes(hub / "datasets--tiny--text" / "snapshots" / "aaaa0000" / "config.json", "{}");
        test::writeFileBytes(hub / "version.txt", "1");
    }
};

const ModelCatalogEntry& entryNamed(const std::vector<ModelCatalogEntry>& entries, const std::string& name)
{
    for (const ModelCatalogEntry& entry : entries)
        if (entry.name == name)
            return entry;
    throw std::runtime_error("no catalog entry named " + name);
}

bool mentions(const ModelCatalogEntry& entry, const std::string& text)
{
    return entry.reason().find(text) != std::string::npos;
}

TEST(ModelCatalogTest, ListsEverySnapshotWithFamilySizeDtypeAndTokenizer)
{
    const FakeCache cache;
    const std::vector<ModelCatalogEntry> entries = scanHuggingFaceCache(cache.dir.path());
    std::vector<std::string> names;
    for (const ModelCatalogEntry& entry : entries)
        names.push_back(entry.name);
    EXPECT_EQ(names, (std::vector<std::string>{"broken/bert", "broken/corrupt", "broken/pickle", "broken/wordpiece",
                                               "tiny/gpt2", "tiny/llama", "tiny/qwen2"}));

    for (const auto& [name, spec] : cache.good) {
        SCOPED_TRACE(name);
        const ModelCatalogEntry& entry = entryNamed(entries, name);
        EXPECT_TRUE(entry.usable()) << entry.reason();
        ASSERT_TRUE(entry.family.has_value());
        EXPECT_EQ(*entry.family, spec.family);
        EXPECT_EQ(entry.modelType, familyName(spec.family));
        EXPECT_EQ(entry.parameters, expectedParameters(testModelConfig(spec)));
        // The file's size, not the link's (tiny/llama's files are links into blobs/).
        EXPECT_EQ(entry.weightBytes, fs::file_size(entry.folder / "model.safetensors"));
        EXPECT_EQ(entry.tensorDtype, spec.diskDtype);
        EXPECT_EQ(entry.torchDtype, readJsonFile(entry.folder / "config.json").value("torch_dtype", std::string()));
        EXPECT_TRUE(entry.tokenizerSupported);
    }
    EXPECT_TRUE(fs::is_symlink(entryNamed(entries, "tiny/llama").folder / "model.safetensors"));
    EXPECT_EQ(entryNamed(entries, "tiny/llama").revision, "1111aaaa2222bbbb");
}

TEST(ModelCatalogTest, UnusableSnapshotsNameTheirReason)
{
    const FakeCache cache;
    const std::vector<ModelCatalogEntry> entries = scanHuggingFaceCache(cache.dir.path());

    const ModelCatalogEntry& bert = entryNamed(entries, "broken/bert");
    EXPECT_FALSE(bert.usable());
    EXPECT_FALSE(bert.family.has_value());
    EXPECT_EQ(bert.modelType, "bert");
    EXPECT_TRUE(mentions(bert, "bert")) << bert.reason();
    EXPECT_TRUE(mentions(bert, familyName(ModelFamily::Qwen2))) << "names the supported ones: " << bert.reason();
    EXPECT_EQ(bert.problems.size(), 1u) << bert.reason(); // weights and tokenizer are fine
    EXPECT_EQ(bert.problemSummaries, std::vector<std::string>{"unsupported architecture bert"});
    EXPECT_GT(bert.parameters, 0);
    EXPECT_TRUE(bert.tokenizerSupported);

    const ModelCatalogEntry& pickle = entryNamed(entries, "broken/pickle");
    EXPECT_FALSE(pickle.usable());
    EXPECT_EQ(pickle.family, ModelFamily::Llama);
    EXPECT_TRUE(mentions(pickle, "model.safetensors")) << pickle.reason();
    EXPECT_TRUE(mentions(pickle, "pytorch_model.bin")) << pickle.reason();
    EXPECT_EQ(pickle.parameters, 0);
    EXPECT_EQ(pickle.problemSummaries, std::vector<std::string>{"no safetensors weights"});

    const ModelCatalogEntry& corrupt = entryNamed(entries, "broken/corrupt");
    EXPECT_FALSE(corrupt.usable());
    EXPECT_FALSE(corrupt.family.has_value());
    EXPECT_TRUE(mentions(corrupt, "config.json")) << corrupt.reason();
    EXPECT_TRUE(mentions(corrupt, "malformed JSON")) << corrupt.reason();
    EXPECT_EQ(corrupt.problemSummaries, std::vector<std::string>{"bad config.json"});

    const ModelCatalogEntry& wordpiece = entryNamed(entries, "broken/wordpiece");
    EXPECT_FALSE(wordpiece.usable());
    EXPECT_FALSE(wordpiece.tokenizerSupported);
    EXPECT_EQ(wordpiece.family, ModelFamily::Llama);
    EXPECT_TRUE(mentions(wordpiece, "WordPiece")) << wordpiece.reason();
    EXPECT_EQ(wordpiece.problems.size(), 1u) << wordpiece.reason();
    EXPECT_EQ(wordpiece.problemSummaries, std::vector<std::string>{"unsupported tokenizer"});
    for (const ModelCatalogEntry& entry : entries)
        EXPECT_EQ(entry.problemSummaries.size(), entry.problems.size()) << entry.name;
}

TEST(ModelCatalogTest, MissingCacheIsEmptyAndTheHubFolderFollowsTheEnvironment)
{
    const test::TempDir dir("tempo-hf-none");
    EXPECT_TRUE(scanHuggingFaceCache(dir / "absent").empty());
    EXPECT_TRUE(scanHuggingFaceCache({}).empty());
    const FakeCache cache;
    const std::atomic<bool> cancelled{true};
    EXPECT_TRUE(scanHuggingFaceCache(cache.dir.path(), &cancelled).empty());
    const std::atomic<bool> going{false};
    EXPECT_EQ(scanHuggingFaceCache(cache.dir.path(), &going).size(), 7u);

    const char* saved[] = {std::getenv("HF_HUB_CACHE"), std::getenv("HF_HOME"), std::getenv("HOME")};
    const std::string savedText[] = {saved[0] ? saved[0] : "", saved[1] ? saved[1] : "", saved[2] ? saved[2] : ""};
    ::setenv("HOME", "/home/someone", 1);
    ::unsetenv("HF_HUB_CACHE");
    ::unsetenv("HF_HOME");
    EXPECT_EQ(huggingFaceHubCache(), fs::path("/home/someone/.cache/huggingface/hub"));
    ::setenv("HF_HOME", "/data/hf", 1);
    EXPECT_EQ(huggingFaceHubCache(), fs::path("/data/hf/hub"));
    ::setenv("HF_HUB_CACHE", "/fast/hub", 1);
    EXPECT_EQ(huggingFaceHubCache(), fs::path("/fast/hub"));
    const char* names[] = {"HF_HUB_CACHE", "HF_HOME", "HOME"};
    for (int i = 0; i < 3; ++i) {
        if (saved[i])
            ::setenv(names[i], savedText[i].c_str(), 1);
        else
            ::unsetenv(names[i]);
    }
}

TEST(ModelCatalogTest, ParameterCountText)
{
    EXPECT_EQ(parameterCountText(1235814400), "1.24B");
    EXPECT_EQ(parameterCountText(134515008), "135M");
    EXPECT_EQ(parameterCountText(36864), "36.9K");
    EXPECT_EQ(parameterCountText(512), "512");
}

// Turns the single model.safetensors of `folder` into shard 1 of an index; `missingShard` adds a
// tensor the index places in a second shard that was never downloaded.
void shardTestModel(const fs::path& folder, bool missingShard)
{
    const std::string shard = "model-00001-of-00002.safetensors";
    fs::rename(folder / "model.safetensors", folder / shard);
    json index{{"metadata", json::object()}, {"weight_map", json::object()}};
    const LlamaConfig config = LlamaConfig::fromFile(folder / "config.json");
    for (const auto& [name, shape] : expectedTensorShapes(config))
        index["weight_map"][name] = shard;
    if (missingShard)
        index["weight_map"]["lm_head.extra"] = "model-00002-of-00002.safetensors";
    writeJsonFile(folder / "model.safetensors.index.json", index);
}

TEST(ModelCatalogTest, ShardedSnapshotsCountEveryShardAndNameAMissingOne)
{
    const test::TempDir hub("tempo-hf-shards");
    TestModelSpec spec;
    const fs::path complete = snapshotFolder(hub.path(), "tiny--sharded", "aaaa");
    writeTestModel(complete, spec);
    const uint64_t bytes = fs::file_size(complete / "model.safetensors");
    shardTestModel(complete, false);
    const fs::path partial = snapshotFolder(hub.path(), "tiny--partial", "bbbb");
    writeTestModel(partial, spec);
    shardTestModel(partial, true);

    const std::vector<ModelCatalogEntry> entries = scanHuggingFaceCache(hub.path());
    ASSERT_EQ(entries.size(), 2u);
    const ModelCatalogEntry& sharded = entryNamed(entries, "tiny/sharded");
    EXPECT_TRUE(sharded.usable()) << sharded.reason();
    EXPECT_EQ(sharded.parameters, expectedParameters(testModelConfig(spec)));
    EXPECT_EQ(sharded.weightBytes, bytes);
    const ModelCatalogEntry& missing = entryNamed(entries, "tiny/partial");
    EXPECT_FALSE(missing.usable());
    EXPECT_TRUE(mentions(missing, "model-00002-of-00002.safetensors")) << missing.reason();
    EXPECT_EQ(missing.problemSummaries, std::vector<std::string>{"unreadable weights"});
}

std::string cliCommand(const std::string& arguments)
{
    return std::string("'") + TEMPO_CLI_PATH + "' " + arguments;
}

TEST(ModelCatalogTest, CliListsTheCacheAsJsonAndText)
{
    const FakeCache cache;
    const std::string hub = cache.dir.path().string();
    const test::ShellResult listed = test::runShell(cliCommand("models --cache '" + hub + "' --json 2>/dev/null"));
    ASSERT_EQ(listed.exitCode, 0) << listed.out;
    const json output = json::parse(listed.out);
    EXPECT_EQ(output.at("cache"), hub);
    const std::vector<ModelCatalogEntry> entries = scanHuggingFaceCache(cache.dir.path());
    ASSERT_EQ(output.at("models").size(), entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        const json& model = output.at("models").at(i);
        SCOPED_TRACE(entries[i].name);
        EXPECT_EQ(model.at("name"), entries[i].name);
        EXPECT_EQ(model.at("folder"), entries[i].folder.string());
        EXPECT_EQ(model.at("usable"), entries[i].usable());
        EXPECT_EQ(model.at("parameters"), entries[i].parameters);
        EXPECT_EQ(model.at("tokenizer_supported"), entries[i].tokenizerSupported);
        EXPECT_EQ(model.at("problems").get<std::vector<std::string>>(), entries[i].problems);
        EXPECT_EQ(model.at("problem_summaries").get<std::vector<std::string>>(), entries[i].problemSummaries);
        if (entries[i].family)
            EXPECT_EQ(model.at("family"), familyName(*entries[i].family));
        else
            EXPECT_TRUE(model.at("family").is_null());
    }

    const test::ShellResult text = test::runShell(cliCommand("models --cache '" + hub + "' 2>/dev/null"));
    ASSERT_EQ(text.exitCode, 0);
    EXPECT_NE(text.out.find("tiny/qwen2 @ 3333cccc"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find(entryNamed(entries, "broken/bert").problems.at(0)), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("unusable"), std::string::npos) << text.out;

    // HF_HUB_CACHE is where it looks without --cache.
    const test::ShellResult fromEnvironment =
        test::runShell("HF_HUB_CACHE='" + hub + "' " + cliCommand("models --json 2>/dev/null"));
    ASSERT_EQ(fromEnvironment.exitCode, 0);
    EXPECT_EQ(json::parse(fromEnvironment.out).at("models").size(), entries.size());

    EXPECT_EQ(test::runShell(cliCommand("models --cache '" + hub + "/absent' >/dev/null 2>&1")).exitCode, 2);
    EXPECT_EQ(test::runShell(cliCommand("models extra >/dev/null 2>&1")).exitCode, 2);
}

} // namespace
} // namespace tempo
