#include "gui/widgets/theme.h"

#include <QApplication>
#include <QFile>
#include <QMap>
#include <QPalette>
#include <QStyleFactory>

// Q_INIT_RESOURCE must be called outside any namespace.
static void initGuiQrc()
{
    Q_INIT_RESOURCE(gui);
}

namespace tempo::gui {

namespace {

ThemeKind g_current = ThemeKind::Light;

// Colours of one look. Chosen for contrast >= 4.5:1 of text on window and surface.
QMap<QString, QString> colours(ThemeKind kind)
{
    if (kind == ThemeKind::Dark)
        return {{"window", "#15181d"},     {"surface", "#1c2027"},  {"field", "#111418"},
                {"border", "#2e3440"},     {"hover", "#262b34"},    {"text", "#e6e9ef"},
                {"muted", "#9aa3b2"},      {"accent", "#6e9cff"},   {"accentHover", "#5a88f0"},
                {"accentSoft", "#1f2c4a"}, {"ok", "#5fd08a"},       {"okSoft", "#16301f"},
                {"bad", "#ff7b72"},        {"badSoft", "#3a1d1d"},  {"chip", "#232833"}};
    return {{"window", "#f6f7f9"},     {"surface", "#ffffff"},  {"field", "#ffffff"},
            {"border", "#dde1e8"},     {"hover", "#eef1f6"},    {"text", "#1d2330"},
            {"muted", "#5b6576"},      {"accent", "#2f62d0"},   {"accentHover", "#2754b8"},
            {"accentSoft", "#e6eeff"}, {"ok", "#1a7f43"},       {"okSoft", "#e3f6ea"},
            {"bad", "#c0342b"},        {"badSoft", "#fdeceb"},  {"chip", "#eef1f6"}};
}

QPalette paletteFor(ThemeKind kind)
{
    const QMap<QString, QString> c = colours(kind);
    QPalette palette;
    palette.setColor(QPalette::Window, QColor(c["window"]));
    palette.setColor(QPalette::WindowText, QColor(c["text"]));
    palette.setColor(QPalette::Base, QColor(c["field"]));
    palette.setColor(QPalette::AlternateBase, QColor(c["surface"]));
    palette.setColor(QPalette::Text, QColor(c["text"]));
    palette.setColor(QPalette::Button, QColor(c["surface"]));
    palette.setColor(QPalette::ButtonText, QColor(c["text"]));
    palette.setColor(QPalette::ToolTipBase, QColor(c["surface"]));
    palette.setColor(QPalette::ToolTipText, QColor(c["text"]));
    palette.setColor(QPalette::PlaceholderText, QColor(c["muted"]));
    palette.setColor(QPalette::Highlight, QColor(c["accent"]));
    palette.setColor(QPalette::HighlightedText, Qt::white);
    palette.setColor(QPalette::Link, QColor(c["accent"]));
    palette.setColor(QPalette::Mid, QColor(c["border"]));
    palette.setColor(QPalette::Disabled, QPalette::Text, QColor(c["muted"]));
    palette.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(c["muted"]));
    palette.setColor(QPalette::Disabled, QPalette::WindowText, QColor(c["muted"]));
    return palette;
}

ThemeKind readSystemKind()
{
    // The platform palette before we replace it: dark window colour means a dark system theme.
    const QColor window = QGuiApplication::palette().color(QPalette::Window);
    return window.lightness() < 128 ? ThemeKind::Dark : ThemeKind::Light;
}

} // namespace

void initGuiResources()
{
    initGuiQrc();
}

ThemeKind systemThemeKind()
{
    static const ThemeKind kind = readSystemKind();
    return kind;
}

ThemeKind preferredThemeKind()
{
    const QString forced = qEnvironmentVariable("TEMPO_LAB_THEME").toLower();
    if (forced == QLatin1String("dark"))
        return ThemeKind::Dark;
    if (forced == QLatin1String("light"))
        return ThemeKind::Light;
    return systemThemeKind();
}

void applyTheme(QApplication& app, ThemeKind kind)
{
    initGuiResources();
    systemThemeKind(); // read the platform palette before it is replaced
    app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    app.setPalette(paletteFor(kind));
    QFile file(QStringLiteral(":/styles/app.qss"));
    QString sheet;
    if (file.open(QIODevice::ReadOnly))
        sheet = QString::fromUtf8(file.readAll());
    const QMap<QString, QString> c = colours(kind);
    for (auto it = c.begin(); it != c.end(); ++it)
        sheet.replace('@' + it.key() + '@', it.value());
    app.setStyleSheet(sheet);
    g_current = kind;
}

ThemeKind currentThemeKind()
{
    return g_current;
}

} // namespace tempo::gui
