// The one reader and writer of a run's stored configuration (core/runrecord/runconfig.h): what is
// written reads back equal, JSON from older writers reads with the documented defaults, and a bad
// value is refused with the field, what was expected and what was found.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "recordtesting.h"
#include "core/runrecord/runconfig.h"

namespace tempo {
namespace {

using nlohmann::json;
using recordtesting::expectContains;
using recordtesting::refusal;

Preset samplePreset()
{
    Preset preset;
    preset.id = "2";
    preset.name = "Logits distributions, both modes";
    preset.description = "isolated vs visible";
    preset.prompt = "The cat sat on the";
    preset.maxSteps = 6;
    preset.threshold = 0.05;
    preset.mode = PresetMode::Both;
    preset.readout = Readout::Last;
    preset.captures = {"attention", "logits"};
    preset.analyses = {"distribution_comparison", "verdict"};
    preset.seed = 7;
    preset.maxWidth = 12;
    preset.stopAtEos = false;
    return preset;
}

// Every field away from its default, so a field the writer or reader drops shows.
RunConfig decodedRun()
{
    RunConfig config;
    TempoConfig tempo;
    tempo.threshold = 0.05;
    tempo.maxWidth = 12;
    tempo.mode = SiblingMode::Visible;
    tempo.readout = Readout::Last;
    tempo.maxSteps = 6;
    tempo.stopAtEos = false;
    tempo.positionOffset = 100;
    tempo.keysLayer = 1;
    config.tempo = tempo;
    config.prompt = "The cat sat on the";
    config.promptTokenIds = {510, 84, 104, 101, 32, 99};
    config.preset = samplePreset();
    config.captures = {true, true, false, true};
    config.model = {"/models/tiny", std::string(64, 'a'), std::string(64, 'b')};
    config.compute = {"cuda:0", "bf16", 8};
    config.sweep = RunSweepPoint{3, 4, "animals", 0.05};
    return config;
}


TEST(RunConfig, WrittenConfigReadsBackEqual)
{
    const RunConfig config = decodedRun();
    const json written = runConfigJson(config);
    EXPECT_TRUE(readRunConfig(written) == config);
    EXPECT_TRUE(readRunConfigText(written.dump()) == config);
    EXPECT_EQ(written["tempo"]["mode"], "visible");
    EXPECT_EQ(written["tempo"]["keys_layer"], 1);
    EXPECT_EQ(written["sweep"]["point"]["category"], "animals");
    EXPECT_EQ(written["preset"]["mode"], "both");
    EXPECT_FALSE(written["sweep"]["point"].contains("max_width_cap")) << "no cap, no key";
}

TEST(RunConfig, SweepPointStepsAndWidthCapReadBackEqual)
{
    RunConfig config = decodedRun();
    config.sweep->steps = 100;
    config.sweep->maxWidthCap = 4;
    config.sweep->presetMaxWidth = 32;
    const json written = runConfigJson(config);
    EXPECT_EQ(written["sweep"]["point"]["steps"], 100);
    EXPECT_EQ(written["sweep"]["point"]["max_width_cap"], 4);
    EXPECT_EQ(written["sweep"]["point"]["preset_max_width"], 32);
    EXPECT_TRUE(readRunConfig(written) == config);
    RunConfig uncapped = config;
    uncapped.sweep->maxWidthCap.reset();
    EXPECT_FALSE(uncapped == config);
    json bad = written;
    bad["sweep"]["point"]["max_width_cap"] = "four";
    EXPECT_THROW(readRunConfig(bad), InvalidArgument);
}

TEST(RunConfig, EachFieldChangesTheRecord)
{
    // The equality the round trip relies on looks at every field.
    const RunConfig base = decodedRun();
    std::vector<std::function<void(RunConfig&)>> changes = {
        [](RunConfig& c) { c.tempo->threshold = 0.5; },   [](RunConfig& c) { c.tempo->maxWidth = 3; },
        [](RunConfig& c) { c.tempo->mode = SiblingMode::Isolated; }, [](RunConfig& c) { c.tempo->readout = Readout::Mean; },
        [](RunConfig& c) { c.tempo->maxSteps = 2; },      [](RunConfig& c) { c.tempo->stopAtEos = true; },
        [](RunConfig& c) { c.tempo->positionOffset = 0; }, [](RunConfig& c) { c.tempo->keysLayer = -1; },
        [](RunConfig& c) { c.prompt = "x"; },              [](RunConfig& c) { c.promptTokenIds.pop_back(); },
        [](RunConfig& c) { c.preset->seed = 8; },          [](RunConfig& c) { c.preset.reset(); },
        [](RunConfig& c) { c.captures.kv = true; },        [](RunConfig& c) { c.model.folder = "/other"; },
        [](RunConfig& c) { c.model.tokenizerSha256 = ""; }, [](RunConfig& c) { c.compute.threads = 1; },
        [](RunConfig& c) { c.sweep->promptIndex = 0; },    [](RunConfig& c) { c.sweep.reset(); },
        [](RunConfig& c) { c.tempo->mechanism = Mechanism::ArtifactControl; },
        [](RunConfig& c) { c.preset->mechanism = Mechanism::ArtifactControl; },
    };
    for (size_t i = 0; i < changes.size(); ++i) {
        RunConfig changed = base;
        changes[i](changed);
        EXPECT_FALSE(changed == base) << "change " << i;
        EXPECT_TRUE(readRunConfig(runConfigJson(changed)) == changed) << "change " << i;
    }
}

TEST(RunConfig, RunRefusedBeforeDecodingKeepsItsShape)
{
    // What the experiment runner stores when the model does not load.
    RunConfig config;
    config.preset = samplePreset();
    config.prompt = "The cat sat on the";
    config.model.folder = "/models/missing";
    config.compute = {"cpu", "f32", 0};
    const json written = runConfigJson(config);
    EXPECT_FALSE(written.contains("tempo"));
    EXPECT_FALSE(written.contains("prompt_token_ids"));
    EXPECT_FALSE(written.contains("captures"));
    EXPECT_FALSE(written.contains("sweep"));
    EXPECT_EQ(written["model"], (json{{"folder", "/models/missing"}}));
    const RunConfig read = readRunConfig(written);
    EXPECT_FALSE(read.decoded());
    EXPECT_EQ(read.modeName(), "");
    EXPECT_TRUE(read == config);
}

TEST(RunConfig, PlainRunStoresANullPreset)
{
    RunConfig config = decodedRun();
    config.preset.reset();
    const json written = runConfigJson(config);
    ASSERT_TRUE(written.contains("preset"));
    EXPECT_TRUE(written["preset"].is_null());
    EXPECT_FALSE(readRunConfig(written).preset);
}

TEST(RunConfig, OldOrPartialJsonReadsWithDefaults)
{
    const RunConfig empty = readRunConfig(json::object());
    EXPECT_FALSE(empty.decoded());
    EXPECT_FALSE(empty.preset);
    EXPECT_FALSE(empty.sweep);
    EXPECT_EQ(empty.prompt, "");
    EXPECT_EQ(empty.compute.threads, 0);

    // Only some TEMPO settings: the rest take TempoConfig's defaults; unknown keys are ignored.
    const RunConfig partial = readRunConfig(json::parse(R"({"tempo": {"threshold": 0.2, "mode": "visible"},
                                                            "prompt": "hi", "seed": 42, "extra": [1, 2]})"));
    ASSERT_TRUE(partial.tempo);
    const TempoConfig defaults;
    EXPECT_EQ(partial.tempo->threshold, 0.2);
    EXPECT_EQ(partial.tempo->mode, SiblingMode::Visible);
    EXPECT_EQ(partial.tempo->maxWidth, defaults.maxWidth);
    EXPECT_EQ(partial.tempo->readout, defaults.readout);
    EXPECT_EQ(partial.tempo->maxSteps, defaults.maxSteps);
    EXPECT_EQ(partial.tempo->stopAtEos, defaults.stopAtEos);
    EXPECT_EQ(partial.tempo->positionOffset, defaults.positionOffset);
    EXPECT_EQ(partial.tempo->keysLayer, defaults.keysLayer);
    EXPECT_TRUE(partial.promptTokenIds.empty());
    EXPECT_FALSE(partial.captures.attention || partial.captures.logits || partial.captures.kv || partial.captures.positions);
    EXPECT_EQ(partial.prompt, "hi");
}

TEST(RunConfig, BadValuesNameFieldExpectedAndFound)
{
    struct Case {
        const char* json;
        const char* field;
        const char* expected;
        const char* found;
    };
    const Case cases[] = {
        {R"({"tempo": {"threshold": "high"}})", "run config field tempo.threshold", "expected a number", "found \"high\""},
        {R"({"tempo": {"mode": "sideways"}})", "run config field tempo.mode", "\"isolated\" or \"visible\"", "found \"sideways\""},
        {R"({"tempo": {"readout": 3}})", "run config field tempo.readout", "expected a string", "found 3"},
        {R"({"tempo": {"readout": "median"}})", "run config field tempo.readout", "\"mean\" or \"last\"", "found \"median\""},
        {R"({"tempo": {"max_steps": 2.5}})", "run config field tempo.max_steps", "expected an integer", "found 2.5"},
        {R"({"tempo": {"mechanism": "original"}})", "run config field tempo.mechanism",
         "\"tempo\" or \"artifact_control\"", "found \"original\""},
        {R"({"tempo": {"mechanism": 1}})", "run config field tempo.mechanism", "expected a string", "found 1"},
        {R"({"tempo": {"stop_at_eos": "yes"}})", "run config field tempo.stop_at_eos", "expected true or false", "found \"yes\""},
        {R"({"tempo": []})", "run config field tempo", "expected a JSON object", "found []"},
        {R"({"tempo": {}, "prompt_token_ids": [510, "x"]})", "run config field prompt_token_ids[1]", "expected an integer",
         "found \"x\""},
        {R"({"tempo": {}, "prompt_token_ids": 5})", "run config field prompt_token_ids", "an array of integers", "found 5"},
        {R"({"tempo": {}, "captures": {"kv": 1}})", "run config field captures.kv", "expected true or false", "found 1"},
        {R"({"prompt": 12})", "run config field prompt", "expected a string", "found 12"},
        {R"({"model": {"folder": null}})", "run config field model.folder", "expected a string", "found null"},
        {R"({"compute": {"threads": 99999999999}})", "run config field compute.threads", "a 32-bit integer", "found 99999999999"},
        {R"({"sweep": {"sweep_id": "one"}})", "run config field sweep.sweep_id", "expected an integer", "found \"one\""},
        {R"({"sweep": {"point": {"threshold": false}}})", "run config field sweep.point.threshold", "expected a number",
         "found false"},
        {R"({"preset": {"id": "2"}})", "run config field preset", "prompt", ""},
        {R"([1, 2])", "run config", "expected a JSON object", "found [1,2]"},
    };
    for (const Case& c : cases) {
        const std::string message = refusal([&] { readRunConfig(json::parse(c.json)); });
        SCOPED_TRACE(c.json);
        ASSERT_FALSE(message.empty());
        expectContains(message, c.field);
        expectContains(message, c.expected);
        expectContains(message, c.found);
    }
}

TEST(RunConfig, MechanismIsWrittenOnlyForTheArtifactControl)
{
    // The default is omitted, so runs stored before the key existed read and write the same.
    RunConfig tempoRun = decodedRun();
    const json written = runConfigJson(tempoRun);
    EXPECT_FALSE(written["tempo"].contains("mechanism"));
    EXPECT_FALSE(written["preset"].contains("mechanism"));
    EXPECT_FALSE(tempoRun.isArtifactControl());
    EXPECT_EQ(readRunConfig(written).tempo->mechanism, Mechanism::Tempo);

    RunConfig control = decodedRun();
    control.tempo->mechanism = Mechanism::ArtifactControl;
    control.preset->mechanism = Mechanism::ArtifactControl;
    const json controlJson = runConfigJson(control);
    EXPECT_EQ(controlJson["tempo"]["mechanism"], "artifact_control");
    EXPECT_EQ(controlJson["preset"]["mechanism"], "artifact_control");
    const RunConfig read = readRunConfig(controlJson);
    EXPECT_TRUE(read == control);
    EXPECT_TRUE(read.isArtifactControl());
    EXPECT_TRUE(read.preset->isArtifactControl());

    // An explicit "tempo" reads as the default and is written back without the key.
    json explicitTempo = written;
    explicitTempo["tempo"]["mechanism"] = "tempo";
    EXPECT_TRUE(readRunConfig(explicitTempo) == tempoRun);
    EXPECT_EQ(runConfigJson(readRunConfig(explicitTempo)), written);
}

TEST(RunConfig, MechanismWordsAndTheControlsPositionRule)
{
    EXPECT_EQ(parseMechanism("tempo"), Mechanism::Tempo);
    EXPECT_EQ(parseMechanism("artifact_control"), Mechanism::ArtifactControl);
    EXPECT_EQ(mechanismName(Mechanism::ArtifactControl), "artifact_control");
    const std::string message = refusal([] { parseMechanism("control"); });
    expectContains(message, "TEMPO mechanism");
    expectContains(message, "'tempo' or 'artifact_control'");
    expectContains(message, "found 'control'");

    // The original method passed no position ids: the control refuses a position offset.
    TempoConfig control;
    control.mechanism = Mechanism::ArtifactControl;
    EXPECT_NO_THROW(control.validate());
    control.positionOffset = 5;
    const std::string offset = refusal([&] { control.validate(); });
    expectContains(offset, "position_offset under mechanism artifact_control");
    expectContains(offset, "found 5");
}

TEST(RunConfig, TextThatIsNotJsonIsRefused)
{
    const std::string message = refusal([] { readRunConfigText("{\"tempo\": "); });
    expectContains(message, "run config");
    expectContains(message, "expected JSON text");
    expectContains(message, "found '{\"tempo\": '");
}

TEST(RunConfig, TempoSettingsAreWrittenOnce)
{
    // `tempo-lab-cli run --json` prints the settings through the same writer the notebook uses.
    const RunConfig config = decodedRun();
    EXPECT_EQ(tempoConfigJson(*config.tempo), runConfigJson(config)["tempo"]);
}

} // namespace
} // namespace tempo
