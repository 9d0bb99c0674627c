#pragma once
// Small building blocks shared by the pages (title, subtitle, card, banner) so every page has the
// same spacing and typography. Colours come from the palette, so light and dark both work; the
// only fixed colours are the semantic ones (divergence amber, mask grey, success green).

#include <QColor>
#include <QFrame>
#include <QLabel>
#include <QString>
#include <QVBoxLayout>
#include <QWidget>

class QCustomPlot;

namespace tempo::gui::pagestyle {

inline constexpr int kPageMargin = 16;
inline constexpr int kSpacing = 10;

// The amber used for "the first divergence" everywhere (table row, chart marker, banner).
inline QColor divergenceColor() { return QColor(245, 166, 35); }
inline QColor divergenceFill() { return QColor(245, 166, 35, 70); }
inline QColor runAColor() { return QColor(52, 120, 246); }
inline QColor runBColor() { return QColor(230, 85, 60); }

QLabel* pageTitle(const QString& text, QWidget* parent = nullptr);
QLabel* subtitle(const QString& text, QWidget* parent = nullptr); // muted, word-wrapped
QLabel* sectionTitle(const QString& text, QWidget* parent = nullptr);

// A rounded panel with a slightly raised background; add children to its layout().
QFrame* card(QWidget* parent = nullptr);
QVBoxLayout* cardLayout(QFrame* card);

// A word-wrapped message strip; kind: "info", "warning", "divergence", "error", "success".
QLabel* banner(QWidget* parent = nullptr);
void setBanner(QLabel* banner, const QString& kind, const QString& text);

// A QCustomPlot drawn in the palette's colours (base background, text-coloured labels, dotted grid),
// zoom and drag along x, legend top left (translucent).
QCustomPlot* chart(QWidget* parent = nullptr);

// Token text made visible in a table cell: newlines and tabs shown as symbols, leading spaces kept.
QString visibleToken(const std::string& token);
// At most maxChars characters of the simplified text, "…" marking a cut.
QString elided(const QString& text, int maxChars);

} // namespace tempo::gui::pagestyle
