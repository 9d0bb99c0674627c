#pragma once
// What the window remembers between sessions (QSettings, organisation "TEMPO Lab", application
// "tempo-lab"): the notebook, the default model, device, dtype and threads, the window geometry
// and splitter state, and the keyboard shortcuts.

#include <QByteArray>
#include <QKeySequence>
#include <QString>
#include <QStringList>

#include "gui/widgets/modelpicker.h"

namespace tempo::gui {

class LabSettings {
public:
    // Notebook file; default: tempo::notebook::Notebook::defaultPath().
    static QString notebookPath();
    static void setNotebookPath(const QString& path);
    static QStringList recentNotebooks(); // most recent first, at most 8
    static void rememberNotebook(const QString& path);

    // Model folder chosen as default ("" = the bundled model).
    static QString defaultModel();
    static void setDefaultModel(const QString& folder);
    static QString device(); // "cpu" | "cuda"
    static void setDevice(const QString& device);
    static QString dtype();  // "f32" | "bf16" | "f16"
    static void setDtype(const QString& dtype);
    static int threads();    // 0 = every core
    static void setThreads(int threads);
    // The four above, as the model picker takes them.
    static ModelPickerSettings modelPicker();

    static QByteArray windowGeometry();
    static QByteArray windowState();
    static QByteArray splitterState();
    static void saveWindow(const QByteArray& geometry, const QByteArray& state, const QByteArray& splitter);

    // Keyboard shortcuts by action: "run", "cancel", "search", "export".
    static QStringList shortcutActions();
    static QKeySequence defaultShortcut(const QString& action);
    static QKeySequence shortcut(const QString& action);
    static void setShortcut(const QString& action, const QKeySequence& sequence);
};

} // namespace tempo::gui
