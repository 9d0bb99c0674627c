#include "core/runrecord/tempoconfig.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/common/errors.h"

namespace tempo {

namespace {

std::string number(double value)
{
    std::ostringstream out;
    out.precision(17);
    out << value;
    return out.str();
}

void requireAtLeast(const std::string& field, int64_t value, int64_t minimum)
{
    if (value < minimum)
        throw InvalidArgument(expectedFound("TEMPO config field " + field, "an integer >= " + std::to_string(minimum),
                                            std::to_string(value)));
}

} // namespace

std::string siblingModeName(SiblingMode mode) { return mode == SiblingMode::Isolated ? "isolated" : "visible"; }

std::string readoutName(Readout readout) { return readout == Readout::Mean ? "mean" : "last"; }

SiblingMode parseSiblingMode(const std::string& text)
{
    if (text == "isolated")
        return SiblingMode::Isolated;
    if (text == "visible")
        return SiblingMode::Visible;
    throw InvalidArgument(expectedFound("TEMPO mode", "'isolated' or 'visible'", "'" + text + "'"));
}

Readout parseReadout(const std::string& text)
{
    if (text == "mean")
        return Readout::Mean;
    if (text == "last")
        return Readout::Last;
    throw InvalidArgument(expectedFound("TEMPO readout", "'mean' or 'last'", "'" + text + "'"));
}

std::string mechanismName(Mechanism mechanism)
{
    return mechanism == Mechanism::Tempo ? "tempo" : "artifact_control";
}

Mechanism parseMechanism(const std::string& text)
{
    if (text == "tempo")
        return Mechanism::Tempo;
    if (text == "artifact_control")
        return Mechanism::ArtifactControl;
    throw InvalidArgument(expectedFound("TEMPO mechanism", "'tempo' or 'artifact_control'", "'" + text + "'"));
}

void TempoConfig::validate() const
{
    // Written so that NaN fails too.
    if (!(threshold > 0.0 && threshold <= 1.0))
        throw InvalidArgument(expectedFound("TEMPO config field threshold", "a number in (0, 1]", number(threshold))
                              + " (use 1.0 for the never-parallel greedy control)");
    requireAtLeast("max_width", maxWidth, 1);
    requireAtLeast("max_steps", maxSteps, 1);
    requireAtLeast("position_offset", positionOffset, 0);
    requireAtLeast("keys_layer", keysLayer, -1);
    if (isArtifactControl() && positionOffset != 0)
        throw InvalidArgument(expectedFound("TEMPO config field position_offset under mechanism artifact_control",
                                            "0 (the original method passed no position ids: positions are physical slots)",
                                            std::to_string(positionOffset)));
}

int64_t TempoConfig::widestSet() const
{
    // The slack covers probability sums that exceed 1 by rounding.
    const double byThreshold = std::floor((1.0 + 1e-3) / threshold);
    if (!(byThreshold < static_cast<double>(maxWidth)))
        return maxWidth;
    return std::max<int64_t>(1, static_cast<int64_t>(byThreshold));
}

} // namespace tempo
