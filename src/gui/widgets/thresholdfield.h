#pragma once
// The thresholds a person typed into a field ("0.05, 0.1 0.2;0.3"), read by core's
// parseThresholdList so the window accepts exactly what the CLI's --thresholds accepts.

#include <QList>
#include <QString>

namespace tempo::gui {

// Empty list and *error set (expected vs found, in words) when the text is not a threshold list.
QList<double> parseThresholdField(const QString& text, QString* error);

} // namespace tempo::gui
