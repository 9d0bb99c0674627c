// Preset parsing and validation: every bad field is refused with the field named; overrides are
// validated the same way; the shipped presets compiled into the binary are the files in
// resources/presets and follow DESIGN.md section 2.

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/runrecord/preset.h"
#include "core/experiment/presetcatalog.h"
#include "core/notebook/notebook.h"
#include "support/testsupport.h"

namespace tempo {
namespace {

using nlohmann::json;

json validPreset()
{
    return json::parse(R"({"id": "t1", "prompt": "The cat sat on the", "max_steps": 5, "threshold": 0.1,
                           "mode": "both", "readout": "mean", "captures": ["attention", "logits"],
                           "analyses": ["attention_comparison", "verdict"], "seed": 42, "max_width": 8})");
}

// Expects parsePreset to throw InvalidArgument whose message names `field`.
void expectRefused(const json& preset, const std::string& field)
{
    try {
        parsePreset(preset, "test preset");
        FAIL() << "accepted a bad '" << field << "': " << preset.dump();
    } catch (const InvalidArgument& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("field '" + field + "'"), std::string::npos) << message;
        EXPECT_NE(message.find("test preset"), std::string::npos) << message;
        EXPECT_NE(message.find("expected"), std::string::npos) << message;
    }
}

TEST(Preset, ValidPresetParses)
{
    const Preset p = parsePreset(validPreset(), "test");
    EXPECT_EQ(p.id, "t1");
    EXPECT_EQ(p.mode, PresetMode::Both);
    EXPECT_EQ(p.maxSteps, 5);
    EXPECT_DOUBLE_EQ(p.threshold, 0.1);
    EXPECT_EQ(p.maxWidth, 8);
    EXPECT_TRUE(p.wantsCapture("attention"));
    EXPECT_FALSE(p.wantsCapture("kv"));
    ASSERT_EQ(p.runModes().size(), 2u);
    EXPECT_EQ(p.runModes()[0], SiblingMode::Isolated);
    EXPECT_EQ(p.runModes()[1], SiblingMode::Visible);
    // Round trip through JSON keeps every field.
    const Preset again = parsePreset(presetToJson(p), "round trip");
    EXPECT_EQ(presetToJson(again), presetToJson(p));
}

struct BadField {
    std::string field;
    json value; // null: remove the field
};

TEST(Preset, EachBadFieldIsRefusedWithTheFieldNamed)
{
    const std::vector<BadField> cases{
        {"id", nullptr},          {"id", ""},          {"id", "a b"},        {"id", 3},
        {"prompt", nullptr},      {"prompt", ""},      {"prompt", 7},
        {"max_steps", nullptr},   {"max_steps", 0},    {"max_steps", -3},    {"max_steps", 2.5},  {"max_steps", "10"},
        {"threshold", nullptr},   {"threshold", 0.0},  {"threshold", -0.1},  {"threshold", 1.5},  {"threshold", "0.1"},
        {"mode", nullptr},        {"mode", "parallel"}, {"mode", 1},
        {"readout", "median"},    {"readout", 0},
        {"captures", "attention"}, {"captures", json::array({"attention", "weights"})},
        {"captures", json::array({"logits", "logits"})},
        {"analyses", json::array({"magic"})},  {"analyses", 5},
        {"seed", -1},             {"seed", "42"},
        {"max_width", 0},         {"max_width", 1.5},
        {"stop_at_eos", "yes"},
        {"mechanism", "original"}, {"mechanism", ""}, {"mechanism", 1},
    };
    for (const auto& c : cases) {
        json preset = validPreset();
        if (c.value.is_null())
            preset.erase(c.field);
        else
            preset[c.field] = c.value;
        SCOPED_TRACE(c.field + " = " + c.value.dump());
        expectRefused(preset, c.field);
    }
}

TEST(Preset, MechanismIsAcceptedInFilesAndOverridesAndOmittedWhenTempo)
{
    const Preset plain = parsePreset(validPreset(), "test");
    EXPECT_EQ(plain.mechanism, Mechanism::Tempo);
    EXPECT_FALSE(presetToJson(plain).contains("mechanism"));
    EXPECT_EQ(plain.tempoConfig(SiblingMode::Visible).mechanism, Mechanism::Tempo);

    json file = validPreset();
    file["mechanism"] = "artifact_control";
    const Preset control = parsePreset(file, "test");
    EXPECT_TRUE(control.isArtifactControl());
    EXPECT_EQ(presetToJson(control)["mechanism"], "artifact_control");
    EXPECT_TRUE(parsePreset(presetToJson(control), "round trip") == control);
    EXPECT_FALSE(control == plain);
    for (SiblingMode mode : control.runModes())
        EXPECT_EQ(control.tempoConfig(mode).mechanism, Mechanism::ArtifactControl);

    const Preset overridden = applyOverrides(plain, {"mechanism=artifact_control"});
    EXPECT_TRUE(overridden.isArtifactControl());
    EXPECT_EQ(applyOverrides(overridden, {"mechanism=tempo"}).mechanism, Mechanism::Tempo);
    try {
        applyOverrides(plain, {"mechanism=original"});
        FAIL() << "accepted --set mechanism=original";
    } catch (const InvalidArgument& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("field 'mechanism'"), std::string::npos) << message;
        EXPECT_NE(message.find("tempo|artifact_control"), std::string::npos) << message;
        EXPECT_NE(message.find("\"original\""), std::string::npos) << message;
    }
}

TEST(Preset, UnknownFieldIsRefusedByName)
{
    json preset = validPreset();
    preset["treshold"] = 0.05;
    expectRefused(preset, "treshold");
}

TEST(Preset, AnalysesNeedTheirCaptures)
{
    json preset = validPreset();
    preset["captures"] = json::array({"logits"}); // attention_comparison and verdict read attention
    expectRefused(preset, "captures");
    preset = validPreset();
    preset["captures"] = json::array({"kv"});
    preset["analyses"] = json::array({"rope_inspection"}); // also needs positions
    expectRefused(preset, "captures");
}

TEST(Preset, OverridesAreValidatedLikeFiles)
{
    const Preset base = parsePreset(validPreset(), "test");
    const Preset changed = applyOverrides(base, {"threshold=0.05", "mode=visible", "max_steps=3", "prompt=Hello there",
                                                 "captures=attention,logits,kv", "stop_at_eos=false"});
    EXPECT_DOUBLE_EQ(changed.threshold, 0.05);
    EXPECT_EQ(changed.mode, PresetMode::Visible);
    EXPECT_EQ(changed.maxSteps, 3);
    EXPECT_EQ(changed.prompt, "Hello there");
    EXPECT_TRUE(changed.wantsCapture("kv"));
    EXPECT_FALSE(changed.stopAtEos);

    const std::vector<std::pair<std::string, std::string>> bad{
        {"threshold=2", "threshold"},   {"threshold=abc", "threshold"}, {"max_steps=0", "max_steps"},
        {"max_steps=1.5", "max_steps"}, {"mode=sideways", "mode"},      {"colour=red", "colour"},
        {"prompt=", "prompt"},          {"captures=weights", "captures"}, {"stop_at_eos=maybe", "stop_at_eos"},
    };
    for (const auto& [assignment, field] : bad) {
        SCOPED_TRACE(assignment);
        try {
            applyOverrides(base, {assignment});
            FAIL() << "accepted --set " << assignment;
        } catch (const InvalidArgument& error) {
            EXPECT_NE(std::string(error.what()).find("field '" + field + "'"), std::string::npos) << error.what();
        }
    }
    EXPECT_THROW(applyOverrides(base, {"no-equals-sign"}), InvalidArgument);
}

TEST(Preset, ShippedPresetsAreTheResourceFilesAndFollowTheDesignTable)
{
    const std::filesystem::path folder = std::filesystem::path(TEMPO_TEST_DATA_DIR) / ".." / ".." / "resources" / "presets";
    // DESIGN.md section 2: id, prompt, steps, threshold, mode.
    struct Row {
        std::string id, prompt;
        int64_t steps;
        double threshold;
        PresetMode mode;
    };
    const std::vector<Row> table{{"1a", "The cat sat on the", 10, 0.10, PresetMode::Isolated},
                                 {"1b", "The cat sat on the", 10, 0.10, PresetMode::Visible},
                                 {"2", "The cat sat on the", 10, 0.10, PresetMode::Both},
                                 {"3", "The cat sat on the", 15, 0.08, PresetMode::Visible},
                                 {"4", "The cat sat on the", 10, 0.10, PresetMode::Isolated},
                                 {"5", "The quick brown", 8, 0.03, PresetMode::Both}};
    ASSERT_EQ(shippedPresets().size(), table.size());
    for (const Row& row : table) {
        SCOPED_TRACE(row.id);
        auto shipped = shippedPreset(row.id);
        ASSERT_TRUE(shipped.has_value());
        EXPECT_EQ(shipped->prompt, row.prompt);
        EXPECT_EQ(shipped->maxSteps, row.steps);
        EXPECT_DOUBLE_EQ(shipped->threshold, row.threshold);
        EXPECT_EQ(shipped->mode, row.mode);
        EXPECT_EQ(shipped->seed, 42);
        EXPECT_FALSE(shipped->description.empty());
        const Preset fromFile = parsePresetText(test::readFileBytes(folder / (row.id + ".json")), "file");
        EXPECT_EQ(presetToJson(fromFile), presetToJson(*shipped));
    }
    EXPECT_TRUE(shippedPreset("4")->wantsCapture("kv"));
    EXPECT_TRUE(shippedPreset("4")->wantsCapture("positions"));
}

TEST(Preset, UserCopiesAreStoredInTheNotebookAndListedAfterTheShippedOnes)
{
    test::TempDir dir("tempo-preset");
    notebook::Notebook book((dir / "nb.sqlite").string());
    Preset copy = *shippedPreset("3");
    copy.id = "3-wide";
    copy.threshold = 0.04;
    saveUserPreset(book.presets(), copy);
    Preset clash = copy;
    clash.id = "2";
    EXPECT_THROW(saveUserPreset(book.presets(), clash), InvalidArgument);

    const auto entries = listPresets(&book.presets());
    ASSERT_EQ(entries.size(), shippedPresets().size() + 1);
    EXPECT_EQ(entries.back().preset.id, "3-wide");
    EXPECT_FALSE(entries.back().shipped);
    EXPECT_DOUBLE_EQ(findPreset("3-wide", &book.presets()).preset.threshold, 0.04);
    EXPECT_TRUE(findPreset("1a", &book.presets()).shipped);
    EXPECT_THROW(findPreset("nope", &book.presets()), InvalidArgument);
}

} // namespace
} // namespace tempo
