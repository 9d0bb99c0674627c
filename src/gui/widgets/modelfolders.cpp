#include "gui/widgets/modelfolders.h"

#include <algorithm>

#include <QDir>
#include <QFileInfo>

#include "core/experiment/bundledmodel.h"

namespace tempo::gui {

bool isModelFolder(const QString& folder)
{
    return !folder.isEmpty() && QFileInfo(QDir(folder).filePath(QStringLiteral("config.json"))).isFile();
}

QString bundledModelFolderOrEmpty(QString* whyNot)
{
    try {
        return QString::fromStdString(tempo::bundledModelFolder().string());
    } catch (const std::exception& error) {
        if (whyNot)
            *whyNot = QString::fromStdString(error.what());
        return {};
    }
}

QString bundledModelLabel()
{
    const QString fromEnvironment = qEnvironmentVariable("TEMPO_LAB_MODEL");
    if (!fromEnvironment.isEmpty())
        return QFileInfo(fromEnvironment).fileName() + QStringLiteral(" (TEMPO_LAB_MODEL)");
    return QString::fromStdString(tempo::bundledModelName()) + QStringLiteral(" (bundled)");
}

QList<ModelFolder> huggingFaceCacheModels()
{
    QString hub = qEnvironmentVariable("HF_HUB_CACHE");
    if (hub.isEmpty() && !qEnvironmentVariable("HF_HOME").isEmpty())
        hub = QDir(qEnvironmentVariable("HF_HOME")).filePath("hub");
    if (hub.isEmpty())
        hub = QDir::home().filePath(QStringLiteral(".cache/huggingface/hub"));
    QList<ModelFolder> found;
    const QDir hubDir(hub);
    for (const QString& repo : hubDir.entryList({QStringLiteral("models--*")}, QDir::Dirs | QDir::NoDotAndDotDot)) {
        // models--org--name -> org/name
        QString name = repo.mid(QStringLiteral("models--").size());
        name.replace(QStringLiteral("--"), QStringLiteral("/"));
        const QDir snapshots(hubDir.filePath(repo + QStringLiteral("/snapshots")));
        for (const QString& revision : snapshots.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            const QString folder = snapshots.filePath(revision);
            if (isModelFolder(folder))
                found.append({name + QStringLiteral(" @ ") + revision.left(8), folder});
        }
    }
    std::sort(found.begin(), found.end(),
              [](const ModelFolder& a, const ModelFolder& b) { return a.label < b.label; });
    return found;
}

} // namespace tempo::gui
