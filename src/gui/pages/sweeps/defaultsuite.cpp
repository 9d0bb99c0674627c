#include "gui/pages/sweeps/sweepworker.h"

#include <QByteArray>
#include <QFile>

// The shipped prompt suite, resources/suites/default.jsonl, compiled in through resources/gui.qrc
// so a sweep runs on a fresh machine with nothing but the executable.
// Q_INIT_RESOURCE must be called outside any namespace; registering twice is harmless.
static void registerGuiResources()
{
    Q_INIT_RESOURCE(gui);
}

namespace tempo::gui {

const char* defaultSuiteText()
{
    static const QByteArray text = [] {
        registerGuiResources();
        QFile file(QStringLiteral(":/suites/default.jsonl"));
        // A missing resource is a build defect; an empty suite then fails parseSuite with its name.
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }();
    return text.constData();
}

} // namespace tempo::gui
