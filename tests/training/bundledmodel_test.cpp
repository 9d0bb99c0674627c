// The bundled model resources/models/tempo-kjv-small: found by bundledModelFolder, its weights
// match the SHA-256 its README states, it loads through the engine, and preset 1a's settings
// give real parallel sets on corpus-style prompts.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <unistd.h>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/common/errors.h"
#include "core/common/sha256.h"
#include "core/experiment/bundledmodel.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/tempo/tempodecoder.h"
#include "core/tokenizer/tokenizer.h"

namespace tempo {
namespace {

std::string readText(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Sets TEMPO_LAB_MODEL for one scope, restoring the previous value.
class ScopedModelEnvironment {
public:
    explicit ScopedModelEnvironment(const std::string& value)
    {
        if (const char* old = std::getenv("TEMPO_LAB_MODEL"))
            previous_ = old, hadPrevious_ = true;
        setenv("TEMPO_LAB_MODEL", value.c_str(), 1);
    }
    ~ScopedModelEnvironment()
    {
        if (hadPrevious_)
            setenv("TEMPO_LAB_MODEL", previous_.c_str(), 1);
        else
            unsetenv("TEMPO_LAB_MODEL");
    }

private:
    std::string previous_;
    bool hadPrevious_ = false;
};

const std::filesystem::path kSourceModel =
    std::filesystem::path(TEMPO_SOURCE_DIR) / "resources" / "models" / "tempo-kjv-small";

TEST(TrainingBundledModel, folderIsTheSourceTreeCopyUnlessOverridden)
{
    unsetenv("TEMPO_LAB_MODEL");
    EXPECT_EQ(bundledModelName(), "tempo-kjv-small");
    EXPECT_TRUE(std::filesystem::equivalent(bundledModelFolder(), kSourceModel));
    {
        const std::filesystem::path empty = std::filesystem::temp_directory_path() / "tempo-training-no-model";
        std::filesystem::create_directories(empty);
        ScopedModelEnvironment environment(empty.string());
        // A TEMPO_LAB_MODEL without config.json is skipped: the next place is used.
        EXPECT_TRUE(std::filesystem::equivalent(bundledModelFolder(), kSourceModel));
    }
    {
        ScopedModelEnvironment environment(kSourceModel.string() + "/.");
        EXPECT_EQ(bundledModelFolder(), std::filesystem::path(kSourceModel.string() + "/."));
    }
}

// A scratch folder with a fake installation prefix (prefix/bin/tempo-lab-cli next to
// prefix/share/tempo-lab/models/tempo-kjv-small) and a fake source tree
// (source/resources/models/tempo-kjv-small); each model folder holds a config.json (all the search
// checks for) unless a test removes it.
struct FakeLayout {
    std::filesystem::path root;
    std::filesystem::path executable;
    std::filesystem::path installedModel;
    std::filesystem::path sourceTree;
    std::filesystem::path sourceModel;
    std::filesystem::path overrideFolder; // an override folder, without config.json until a test adds one
    FakeLayout()
    {
        root = std::filesystem::temp_directory_path() / ("tempo-training-bundled-" + std::to_string(getpid()));
        std::filesystem::remove_all(root);
        executable = root / "prefix" / "bin" / "tempo-lab-cli";
        installedModel = root / "prefix" / "share" / "tempo-lab" / "models" / "tempo-kjv-small";
        sourceTree = root / "source";
        sourceModel = sourceTree / "resources" / "models" / "tempo-kjv-small";
        overrideFolder = root / "override";
        std::filesystem::create_directories(executable.parent_path());
        std::filesystem::create_directories(overrideFolder);
        for (const std::filesystem::path& model : {installedModel, sourceModel}) {
            std::filesystem::create_directories(model);
            std::ofstream(model / "config.json") << "{}\n";
        }
    }
    ~FakeLayout()
    {
        std::error_code ignored;
        std::filesystem::remove_all(root, ignored);
    }
};

TEST(TrainingBundledModel, searchOrderIsEnvironmentThenInstalledThenSourceTree)
{
    unsetenv("TEMPO_LAB_MODEL");
    const FakeLayout layout;
    // An installed binary uses <prefix>/share/tempo-lab/models/... although the source tree it was
    // built from also holds the model.
    EXPECT_EQ(bundledModelFolderFor(layout.executable, layout.sourceTree), layout.installedModel);
    // A binary with no installed copy next to it (a build-tree binary): the source tree.
    EXPECT_EQ(bundledModelFolderFor(layout.root / "build" / "src" / "cli" / "tempo-lab-cli", layout.sourceTree),
              layout.sourceModel);
    EXPECT_EQ(bundledModelFolderFor({}, layout.sourceTree), layout.sourceModel);
    {
        // An override without config.json is skipped ...
        ScopedModelEnvironment environment(layout.overrideFolder.string());
        EXPECT_EQ(bundledModelFolderFor(layout.executable, layout.sourceTree), layout.installedModel);
        // ... and one with config.json beats both.
        std::ofstream(layout.overrideFolder / "config.json") << "{}\n";
        EXPECT_EQ(bundledModelFolderFor(layout.executable, layout.sourceTree), layout.overrideFolder);
    }
    // Without the installed copy, the installed binary falls back to the source tree.
    std::filesystem::remove(layout.installedModel / "config.json");
    EXPECT_EQ(bundledModelFolderFor(layout.executable, layout.sourceTree), layout.sourceModel);
}

TEST(TrainingBundledModel, errorNamesEveryPlaceLookedAtInOrder)
{
    const FakeLayout layout;
    std::filesystem::remove(layout.installedModel / "config.json");
    std::filesystem::remove(layout.sourceModel / "config.json");
    ScopedModelEnvironment environment(layout.overrideFolder.string()); // no config.json
    try {
        bundledModelFolderFor(layout.executable, layout.sourceTree);
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& error) {
        const std::string message = error.what();
        std::printf("%s\n", message.c_str());
        const size_t atOverride = message.find(layout.overrideFolder.string());
        const size_t atInstalled = message.find(layout.installedModel.string());
        const size_t atSource = message.find(layout.sourceModel.string());
        ASSERT_NE(atOverride, std::string::npos) << message;
        ASSERT_NE(atInstalled, std::string::npos) << message;
        ASSERT_NE(atSource, std::string::npos) << message;
        EXPECT_LT(atOverride, atInstalled);
        EXPECT_LT(atInstalled, atSource);
        EXPECT_NE(message.find("tempo-kjv-small"), std::string::npos);
        EXPECT_NE(message.find("config.json"), std::string::npos);
    }
}

TEST(TrainingBundledModel, weightsMatchTheReadmeChecksumAndLoad)
{
    const std::filesystem::path folder = bundledModelFolder();
    const std::string readme = readText(folder / "README.md");
    std::smatch match;
    const std::regex shaLine(R"(SHA-256[^\n]*model\.safetensors[^\n]*?([0-9a-f]{64}))");
    ASSERT_TRUE(std::regex_search(readme, match, shaLine)) << "README.md states no SHA-256 of model.safetensors";
    const std::string stated = match[1].str();
    const std::string actual = sha256File(folder / "model.safetensors");
    std::printf("model.safetensors SHA-256: README %s, file %s\n", stated.c_str(), actual.c_str());
    EXPECT_EQ(actual, stated);

    const Checkpoint checkpoint = loadCheckpoint(folder);
    EXPECT_EQ(weightsSha256(checkpoint), actual); // one file: the provenance hash is the file's
    const Tokenizer tokenizer = Tokenizer::fromFile(folder / "tokenizer.json");
    EXPECT_EQ(tokenizer.vocabSize(), checkpoint.config.vocabSize);
    EXPECT_EQ(tokenizer.tokenId("<|begin_of_text|>").value_or(-1), checkpoint.config.bosTokenId);
    EXPECT_TRUE(checkpoint.config.tieWordEmbeddings);
    EXPECT_LT(checkpoint.config.numKeyValueHeads, checkpoint.config.numAttentionHeads); // GQA

    // The trained model predicts its corpus: after "And the LORD said unto" the next token is
    // one of a handful, far from the uniform 1/vocab.
    LlamaModel model(checkpoint, ComputeOptions{});
    const std::vector<int64_t> ids = tokenizer.encode("And the LORD said unto");
    const int64_t n = static_cast<int64_t>(ids.size());
    KVCache cache = model.makeCache(n);
    ForwardInputs inputs{at::tensor(ids, at::kLong), at::arange(n, at::kLong), at::ones({n, n}, at::kBool).tril()};
    const at::Tensor probabilities = at::softmax(model.forward(inputs, cache).logits[n - 1], -1); // [V]
    const double top = probabilities.max().item<double>();
    std::printf("p(top next token | \"And the LORD said unto\") = %.3f ('%s')\n", top,
                tokenizer.tokenText(probabilities.argmax().item<int64_t>()).c_str());
    EXPECT_GT(top, 0.2);
}

TEST(TrainingBundledModel, preset1aSettingsGiveParallelSetsOnCorpusPrompts)
{
    const std::filesystem::path folder = bundledModelFolder();
    const Checkpoint checkpoint = loadCheckpoint(folder);
    LlamaModel model(checkpoint, ComputeOptions{});
    const Tokenizer tokenizer = Tokenizer::fromFile(folder / "tokenizer.json");
    TempoConfig config; // preset 1a: threshold 0.1, 10 steps, isolated, mean readout
    config.threshold = 0.1;
    config.maxSteps = 10;
    config.mode = SiblingMode::Isolated;

    const std::vector<std::string> prompts = {"And the LORD spake unto Moses, saying,", "In the beginning God created",
                                              "And it came to pass, when the king", "Blessed are the",
                                              "The word of the LORD came unto"};
    int promptsWithTwoSets = 0;
    for (const std::string& prompt : prompts) {
        const TempoRun run = TempoDecoder(model).run(tokenizer.encode(prompt), config);
        int multiMember = 0;
        std::string rendered = prompt;
        for (const StepRecord& step : run.steps) {
            multiMember += step.tokenIds.size() >= 2 ? 1 : 0;
            rendered += step.tokenIds.size() == 1 ? tokenizer.tokenText(step.tokenIds[0]) : std::string(" [");
            if (step.tokenIds.size() > 1) {
                for (size_t i = 0; i < step.tokenIds.size(); ++i)
                    rendered += (i ? "/" : "") + tokenizer.tokenText(step.tokenIds[i]);
                rendered += "]";
            }
        }
        EXPECT_TRUE(run.allChecksPassed()) << prompt;
        std::printf("%d multi-member sets: %s\n", multiMember, rendered.c_str());
        promptsWithTwoSets += multiMember >= 2 ? 1 : 0;
    }
    std::printf("%d of %zu prompts have >= 2 multi-member sets\n", promptsWithTwoSets, prompts.size());
    EXPECT_GE(promptsWithTwoSets, 3); // "most of them": at least 3 of 5
}

} // namespace
} // namespace tempo
