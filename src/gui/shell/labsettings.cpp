#include "gui/shell/labsettings.h"

#include <algorithm>

#include <QSettings>

#include "core/model/computeoptions.h"
#include "core/notebook/notebook.h"

namespace tempo::gui {

namespace {
QSettings settings()
{
    return QSettings(QStringLiteral("TEMPO Lab"), QStringLiteral("tempo-lab"));
}
} // namespace

QString LabSettings::notebookPath()
{
    const QString stored = settings().value("notebook/path").toString();
    return stored.isEmpty() ? QString::fromStdString(tempo::notebook::Notebook::defaultPath()) : stored;
}

void LabSettings::setNotebookPath(const QString& path)
{
    settings().setValue("notebook/path", path);
    rememberNotebook(path);
}

QStringList LabSettings::recentNotebooks()
{
    return settings().value("notebook/recent").toStringList();
}

void LabSettings::rememberNotebook(const QString& path)
{
    QStringList recent = recentNotebooks();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > 8)
        recent.removeLast();
    settings().setValue("notebook/recent", recent);
}

QString LabSettings::defaultModel() { return settings().value("model/default").toString(); }
void LabSettings::setDefaultModel(const QString& folder) { settings().setValue("model/default", folder); }
QString LabSettings::device() { return settings().value("compute/device", "cpu").toString(); }
void LabSettings::setDevice(const QString& device) { settings().setValue("compute/device", device); }
QString LabSettings::dtype() { return settings().value("compute/dtype", "f32").toString(); }
void LabSettings::setDtype(const QString& dtype) { settings().setValue("compute/dtype", dtype); }
int LabSettings::threads()
{
    // A count saved on a bigger machine is capped at this one's cores (the engine refuses more).
    return std::clamp(settings().value("compute/threads", 0).toInt(), 0, tempo::ComputeOptions::maxThreads());
}
void LabSettings::setThreads(int threads) { settings().setValue("compute/threads", threads); }

ModelPickerSettings LabSettings::modelPicker()
{
    return {defaultModel(), device(), dtype(), threads()};
}

QByteArray LabSettings::windowGeometry() { return settings().value("window/geometry").toByteArray(); }
QByteArray LabSettings::windowState() { return settings().value("window/state").toByteArray(); }
QByteArray LabSettings::splitterState() { return settings().value("window/splitter").toByteArray(); }

void LabSettings::saveWindow(const QByteArray& geometry, const QByteArray& state, const QByteArray& splitter)
{
    QSettings s = settings();
    s.setValue("window/geometry", geometry);
    s.setValue("window/state", state);
    s.setValue("window/splitter", splitter);
}

QStringList LabSettings::shortcutActions()
{
    return {QStringLiteral("run"), QStringLiteral("cancel"), QStringLiteral("search"), QStringLiteral("export")};
}

QKeySequence LabSettings::defaultShortcut(const QString& action)
{
    if (action == QLatin1String("run"))
        return QKeySequence(Qt::CTRL | Qt::Key_Return);
    if (action == QLatin1String("cancel"))
        return QKeySequence(Qt::CTRL | Qt::Key_Period);
    if (action == QLatin1String("search"))
        return QKeySequence(QKeySequence::Find);
    if (action == QLatin1String("export"))
        return QKeySequence(Qt::CTRL | Qt::Key_E);
    return {};
}

QKeySequence LabSettings::shortcut(const QString& action)
{
    const QString stored = settings().value("shortcuts/" + action).toString();
    return stored.isEmpty() ? defaultShortcut(action) : QKeySequence(stored, QKeySequence::PortableText);
}

void LabSettings::setShortcut(const QString& action, const QKeySequence& sequence)
{
    settings().setValue("shortcuts/" + action, sequence.toString(QKeySequence::PortableText));
}

} // namespace tempo::gui
