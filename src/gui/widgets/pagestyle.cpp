#include "gui/widgets/pagestyle.h"

#include <QPalette>

#include <qcustomplot.h>

namespace tempo::gui::pagestyle {

QLabel* pageTitle(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    label->setObjectName("pageTitle"); // the application style sheet (resources/styles/app.qss) sizes it
    return label;
}

QLabel* subtitle(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    label->setObjectName("muted");
    label->setWordWrap(true);
    label->setForegroundRole(QPalette::PlaceholderText);
    return label;
}

QLabel* sectionTitle(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    label->setObjectName("sectionTitle");
    return label;
}

QFrame* card(QWidget* parent)
{
    auto* frame = new QFrame(parent);
    frame->setObjectName("pageCard");
    frame->setFrameShape(QFrame::StyledPanel);
    // Base (the colour of inputs) is a little lighter than Window in light palettes and a little
    // darker in dark ones: a quiet card either way.
    frame->setStyleSheet("QFrame#pageCard { background: palette(base); border: 1px solid palette(mid);"
                         " border-radius: 8px; }");
    auto* layout = new QVBoxLayout(frame);
    layout->setContentsMargins(14, 12, 14, 12);
    layout->setSpacing(8);
    return frame;
}

QVBoxLayout* cardLayout(QFrame* card) { return static_cast<QVBoxLayout*>(card->layout()); }

QLabel* banner(QWidget* parent)
{
    auto* label = new QLabel(parent);
    label->setWordWrap(true);
    label->setTextFormat(Qt::RichText);
    label->setContentsMargins(10, 8, 10, 8);
    label->setVisible(false);
    return label;
}

void setBanner(QLabel* banner, const QString& kind, const QString& text)
{
    QColor fill, border;
    if (kind == "divergence") {
        fill = divergenceFill();
        border = divergenceColor();
    } else if (kind == "warning") {
        fill = QColor(245, 200, 35, 60);
        border = QColor(200, 150, 20);
    } else if (kind == "error") {
        fill = QColor(220, 60, 60, 50);
        border = QColor(200, 50, 50);
    } else if (kind == "success") {
        fill = QColor(60, 170, 90, 50);
        border = QColor(50, 150, 80);
    } else {
        fill = QColor(52, 120, 246, 40);
        border = QColor(52, 120, 246);
    }
    banner->setStyleSheet(QString("QLabel { background: rgba(%1,%2,%3,%4); border: 1px solid %5; border-radius: 6px; }")
                              .arg(fill.red())
                              .arg(fill.green())
                              .arg(fill.blue())
                              .arg(fill.alpha())
                              .arg(border.name()));
    banner->setText(text);
    banner->setVisible(!text.isEmpty());
}

QCustomPlot* chart(QWidget* parent)
{
    auto* plot = new QCustomPlot(parent);
    plot->setMinimumHeight(170);
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->axisRect()->setRangeZoom(Qt::Horizontal);
    plot->axisRect()->setRangeDrag(Qt::Horizontal);
    const QPalette palette = plot->palette();
    plot->setBackground(palette.color(QPalette::Base));
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
        axis->setBasePen(QPen(palette.color(QPalette::Mid)));
        axis->setTickPen(QPen(palette.color(QPalette::Mid)));
        axis->setSubTickPen(QPen(palette.color(QPalette::Mid)));
        axis->setTickLabelColor(palette.color(QPalette::Text));
        axis->setLabelColor(palette.color(QPalette::Text));
        axis->grid()->setPen(QPen(palette.color(QPalette::Midlight), 1, Qt::DotLine));
    }
    plot->legend->setVisible(true);
    QColor legendFill = palette.color(QPalette::Base);
    legendFill.setAlpha(200); // a line passing under the legend stays visible
    plot->legend->setBrush(QBrush(legendFill));
    plot->legend->setTextColor(palette.color(QPalette::Text));
    plot->legend->setBorderPen(QPen(palette.color(QPalette::Mid)));
    plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft); // series start low and grow with steps
    return plot;
}

QString visibleToken(const std::string& token)
{
    QString text = QString::fromStdString(token);
    text.replace('\n', QChar(0x23CE)); // ⏎
    text.replace('\t', QChar(0x21E5)); // ⇥
    if (text.startsWith(' '))
        text.replace(0, 1, QChar(0x2423)); // ␣ so a leading space is seen
    return text;
}

QString elided(const QString& text, int maxChars)
{
    QString simple = text.simplified();
    if (simple.size() <= maxChars)
        return simple;
    return simple.left(maxChars - 1) + QChar(0x2026);
}

} // namespace tempo::gui::pagestyle
