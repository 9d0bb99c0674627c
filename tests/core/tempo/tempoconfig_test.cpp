// TempoConfig validation: every out-of-range field is refused with its name, value and range.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/common/errors.h"
#include "core/model/llamaconfig.h"
#include "core/runrecord/tempoconfig.h"

namespace tempo {
namespace {

// The message of the InvalidArgument thrown by `f`, or "" when nothing was thrown.
template <typename F>
std::string refusal(F&& f)
{
    try {
        f();
    } catch (const InvalidArgument& e) {
        return e.what();
    }
    return "";
}

LlamaConfig smallModel()
{
    LlamaConfig c;
    c.numHiddenLayers = 2;
    c.maxPositionEmbeddings = 64;
    c.vocabSize = 512;
    return c;
}

TEST(TempoConfig, DefaultsAreValidAndFollowTheIssue)
{
    TempoConfig c;
    EXPECT_NO_THROW(c.validate());
    EXPECT_EQ(c.maxWidth, 32);
    EXPECT_EQ(c.mode, SiblingMode::Isolated);
    EXPECT_EQ(c.readout, Readout::Mean);
    EXPECT_EQ(c.positionOffset, 0);
}

TEST(TempoConfig, ThresholdOutsideZeroToOneIsRefusedNamingFieldValueAndRange)
{
    for (double t : {0.0, -0.5, 1.0000001, 2.0, std::numeric_limits<double>::quiet_NaN()}) {
        TempoConfig c;
        c.threshold = t;
        const std::string message = refusal([&] { c.validate(); });
        SCOPED_TRACE(message);
        EXPECT_NE(message.find("threshold"), std::string::npos);
        EXPECT_NE(message.find("(0, 1]"), std::string::npos);
    }
    TempoConfig c;
    c.threshold = 2.5;
    EXPECT_NE(refusal([&] { c.validate(); }).find("2.5"), std::string::npos);
    c.threshold = 1.0; // the never-parallel control is allowed
    EXPECT_NO_THROW(c.validate());
    c.threshold = 1e-9;
    EXPECT_NO_THROW(c.validate());
}

TEST(TempoConfig, IntegerFieldsBelowTheirMinimumAreRefused)
{
    struct Case { const char* field; void (*set)(TempoConfig&); const char* value; };
    const Case cases[] = {
        {"max_width", [](TempoConfig& c) { c.maxWidth = 0; }, "found 0"},
        {"max_steps", [](TempoConfig& c) { c.maxSteps = -3; }, "found -3"},
        {"position_offset", [](TempoConfig& c) { c.positionOffset = -1; }, "found -1"},
        {"keys_layer", [](TempoConfig& c) { c.keysLayer = -2; }, "found -2"},
    };
    for (const auto& k : cases) {
        TempoConfig c;
        k.set(c);
        const std::string message = refusal([&] { c.validate(); });
        SCOPED_TRACE(message);
        EXPECT_NE(message.find(k.field), std::string::npos);
        EXPECT_NE(message.find(k.value), std::string::npos);
        EXPECT_NE(message.find(">= "), std::string::npos);
    }
}

TEST(TempoConfig, WidestSetIsBoundedByThresholdAndMaxWidth)
{
    TempoConfig c;
    c.threshold = 0.1;
    c.maxWidth = 32;
    EXPECT_EQ(c.widestSet(), 10); // at most 10 tokens can each hold >= 0.1
    c.threshold = 0.3;
    EXPECT_EQ(c.widestSet(), 3);
    c.threshold = 1.0;
    EXPECT_EQ(c.widestSet(), 1);
    c.threshold = 0.01;
    EXPECT_EQ(c.widestSet(), 32);
    c.maxWidth = 4;
    EXPECT_EQ(c.widestSet(), 4);
    EXPECT_EQ(c.cacheSlotsNeeded(6), 6 + c.maxSteps * 4);
}

TEST(TempoConfig, RunMustFitTheModelsPositionsAndCache)
{
    const LlamaConfig model = smallModel(); // 64 positions
    TempoConfig c;
    c.threshold = 0.5; // widest set 2
    c.maxSteps = 20;
    EXPECT_NO_THROW(c.validate(model, 10)); // 10 + 20 * 2 = 50 slots
    c.maxSteps = 30;                        // 10 + 60 = 70 slots > 64
    std::string message = refusal([&] { c.validate(model, 10); });
    EXPECT_NE(message.find("max_steps"), std::string::npos) << message;
    EXPECT_NE(message.find("at most 27"), std::string::npos) << message; // (64 - 10) / 2
    EXPECT_NE(message.find("= 70 slots"), std::string::npos) << message;

    c.maxSteps = 5;
    c.positionOffset = 50; // 50 + 10 + 5 = 65 > 64
    message = refusal([&] { c.validate(model, 10); });
    EXPECT_NE(message.find("position_offset"), std::string::npos) << message;
    EXPECT_NE(message.find("= 65 positions"), std::string::npos) << message;

    c.positionOffset = 0;
    c.keysLayer = 2; // the model has layers 0 and 1
    message = refusal([&] { c.validate(model, 10); });
    EXPECT_NE(message.find("keys_layer"), std::string::npos) << message;
    c.keysLayer = -1;
    EXPECT_EQ(c.resolvedKeysLayer(model), 1);
    EXPECT_NO_THROW(c.validate(model, 10));
    EXPECT_NE(refusal([&] { c.validate(model, 0); }).find("prompt"), std::string::npos);
}

TEST(TempoConfig, ModeAndReadoutNamesRoundTripAndUnknownNamesAreRefused)
{
    EXPECT_EQ(parseSiblingMode("isolated"), SiblingMode::Isolated);
    EXPECT_EQ(parseSiblingMode("visible"), SiblingMode::Visible);
    EXPECT_EQ(siblingModeName(SiblingMode::Visible), "visible");
    EXPECT_EQ(parseReadout("mean"), Readout::Mean);
    EXPECT_EQ(parseReadout("last"), Readout::Last);
    EXPECT_EQ(readoutName(Readout::Last), "last");
    EXPECT_NE(refusal([] { parseSiblingMode("both"); }).find("'isolated' or 'visible'"), std::string::npos);
    EXPECT_NE(refusal([] { parseReadout("max"); }).find("'mean' or 'last'"), std::string::npos);
}

} // namespace
} // namespace tempo
