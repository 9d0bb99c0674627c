#include "gui/shell/labcontext.h"

#include <QDir>
#include <QFileInfo>

#include "gui/shell/labsettings.h"
#include "gui/widgets/modelfolders.h"

namespace tempo::gui {

LabContext::LabContext(const QString& notebookPath, QObject* parent)
    : QObject(parent),
      notebook_(std::make_unique<tempo::notebook::Notebook>(notebookPath.toStdString())),
      worker_(std::make_unique<tempo::RunWorker>())
{
    // A run that finishes changes the history; every page listening to runsChanged refreshes.
    connect(worker_.get(), &RunWorker::started, this, [this](qint64) { emit runsChanged(); });
    connect(worker_.get(), &RunWorker::finished, this, [this](qint64) { emit runsChanged(); });
    connect(worker_.get(), &RunWorker::cancelled, this, [this]() { emit runsChanged(); });
    connect(worker_.get(), &RunWorker::failed, this, [this](const QString&) { emit runsChanged(); });
}

LabContext::~LabContext() = default;

tempo::notebook::Notebook& LabContext::notebook()
{
    return *notebook_;
}

QString LabContext::notebookPath() const
{
    return QString::fromStdString(notebook_->path());
}

std::filesystem::path LabContext::defaultModelFolder() const
{
    const QString chosen = LabSettings::defaultModel();
    if (!chosen.isEmpty() && isModelFolder(chosen))
        return chosen.toStdString();
    const QString bundled = bundledModelFolderOrEmpty();
    return bundled.toStdString();
}

tempo::RunWorker& LabContext::worker()
{
    return *worker_;
}

void LabContext::switchNotebook(const QString& path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QDir().mkpath(QFileInfo(absolute).absolutePath());
    auto opened = std::make_unique<tempo::notebook::Notebook>(absolute.toStdString()); // throws: keep the old one
    notebook_ = std::move(opened);
    emit notebookChanged();
    emit runsChanged();
}

} // namespace tempo::gui
