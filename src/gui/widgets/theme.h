#pragma once
// Light and dark looks: a Fusion palette and resources/styles/app.qss with its @colour@ tokens
// filled in. The look follows the system: dark when the platform's own palette is dark (Qt 6.4
// has no colour-scheme hint), unless TEMPO_LAB_THEME=light|dark or the settings say otherwise.

#include <QString>

class QApplication;

namespace tempo::gui {

enum class ThemeKind { Light, Dark };

// What the system asks for (read once from the platform palette before any theme is applied).
ThemeKind systemThemeKind();
// TEMPO_LAB_THEME when set, else the system's.
ThemeKind preferredThemeKind();
void applyTheme(QApplication& app, ThemeKind kind);
ThemeKind currentThemeKind();

// Registers the compiled-in icons and styles (the resources live in the static tempo_gui).
void initGuiResources();

} // namespace tempo::gui
