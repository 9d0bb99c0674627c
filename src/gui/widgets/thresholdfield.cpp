#include "gui/widgets/thresholdfield.h"

#include "core/common/errors.h"
#include "core/experiment/sweep.h"

namespace tempo::gui {

QList<double> parseThresholdField(const QString& text, QString* error)
{
    try {
        QList<double> values;
        for (double value : parseThresholdList(text.toStdString(), "Thresholds"))
            values << value;
        return values;
    } catch (const InvalidArgument& e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return {};
    }
}

} // namespace tempo::gui
