#include "gui/widgets/modelfolders.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStringList>

#include "core/experiment/bundledmodel.h"
#include "core/model/allocation.h"

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

QString catalogEntryLabel(const tempo::ModelCatalogEntry& entry)
{
    QString label = QString::fromStdString(entry.name);
    if (!entry.revision.empty())
        label += QStringLiteral(" @ ") + QString::fromStdString(entry.revision.substr(0, 8));
    if (!entry.usable()) {
        QStringList reasons;
        for (const std::string& summary : entry.problemSummaries)
            reasons << QString::fromStdString(summary);
        return label + QStringLiteral(" — ") + QObject::tr("not usable: %1").arg(reasons.join(QStringLiteral(", ")));
    }
    const std::string dtype = entry.tensorDtype.empty() ? entry.torchDtype : entry.tensorDtype;
    return label + QStringLiteral(" — %1 · %2 · %3 · %4")
                       .arg(QString::fromStdString(tempo::familyName(*entry.family)),
                            QString::fromStdString(tempo::parameterCountText(entry.parameters)),
                            QString::fromStdString(tempo::byteSizeText(entry.weightBytes)),
                            QString::fromStdString(dtype));
}

QString catalogEntryToolTip(const tempo::ModelCatalogEntry& entry)
{
    QString tip = QString::fromStdString(entry.folder.string());
    for (const std::string& problem : entry.problems)
        tip += QStringLiteral("\n") + QString::fromStdString(problem);
    return tip;
}

} // namespace tempo::gui
