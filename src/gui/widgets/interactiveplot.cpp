#include "gui/widgets/interactiveplot.h"

#include <cmath>

#include <QToolTip>
#include <qcustomplot.h>

namespace tempo::gui {

namespace {

// The data point of a 1D plottable nearest to `key` (by key), or nullptr.
template <typename Container>
auto nearest(const Container& data, double key) -> decltype(data.constBegin())
{
    if (data.isEmpty())
        return data.constEnd();
    auto it = data.findBegin(key, true);
    auto best = it;
    for (auto candidate = it; candidate != data.constEnd() && candidate - it < 3; ++candidate)
        if (std::abs(candidate->key - key) < std::abs(best->key - key))
            best = candidate;
    return best;
}

QString number(double value)
{
    return std::abs(value) >= 1000 || (value != 0 && std::abs(value) < 1e-3) ? QString::number(value, 'g', 4)
                                                                            : QString::number(value, 'f', 4);
}

QString valuesAt(QCustomPlot& plot, const QPoint& position)
{
    QStringList lines;
    for (int i = 0; i < plot.plottableCount(); ++i) {
        QCPAbstractPlottable* plottable = plot.plottable(i);
        if (!plottable->visible())
            continue;
        const double key = plottable->keyAxis()->pixelToCoord(plottable->keyAxis()->orientation() == Qt::Horizontal
                                                                  ? position.x()
                                                                  : position.y());
        const QString name = plottable->name().isEmpty() ? QStringLiteral("value") : plottable->name();
        if (auto* graph = qobject_cast<QCPGraph*>(plottable)) {
            auto point = nearest(*graph->data(), key);
            if (point != graph->data()->constEnd() && std::isfinite(point->value))
                lines << QStringLiteral("%1: %2 → %3").arg(name, number(point->key), number(point->value));
        } else if (auto* bars = qobject_cast<QCPBars*>(plottable)) {
            auto point = nearest(*bars->data(), key);
            if (point != bars->data()->constEnd())
                lines << QStringLiteral("%1: %2 → %3").arg(name, number(point->key), number(point->value));
        } else if (auto* map = qobject_cast<QCPColorMap*>(plottable)) {
            const double x = map->keyAxis()->pixelToCoord(position.x());
            const double y = map->valueAxis()->pixelToCoord(position.y());
            int cellX = 0, cellY = 0;
            map->data()->coordToCell(x, y, &cellX, &cellY);
            if (cellX >= 0 && cellY >= 0 && cellX < map->data()->keySize() && cellY < map->data()->valueSize())
                lines << QStringLiteral("%1 [%2, %3]: %4").arg(name).arg(cellX).arg(cellY)
                             .arg(number(map->data()->cell(cellX, cellY)));
        }
    }
    return lines.join('\n');
}

} // namespace

void makeInteractive(QCustomPlot& plot)
{
    plot.setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot.setMouseTracking(true);
    QObject::connect(&plot, &QCustomPlot::mouseMove, &plot, [&plot](QMouseEvent* event) {
        if (!plot.axisRect()->rect().contains(event->pos())) {
            QToolTip::hideText();
            return;
        }
        const QString text = valuesAt(plot, event->pos());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(plot.mapToGlobal(event->pos()) + QPoint(12, 12), text, &plot);
    });
    QObject::connect(&plot, &QCustomPlot::mouseDoubleClick, &plot, [&plot](QMouseEvent*) {
        plot.rescaleAxes();
        plot.replot();
    });
}

} // namespace tempo::gui
