#include "gui/widgets/modelpicker.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QStandardItemModel>
#include <QThread>

#include "gui/widgets/modelfolders.h"

namespace tempo::gui {

ModelPicker::ModelPicker(const ModelPickerSettings& settings, QWidget* parent) : QWidget(parent), settings_(settings)
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(8);
    layout->addWidget(new QLabel(tr("Model"), this));
    model_ = new QComboBox(this);
    model_->setObjectName(QStringLiteral("modelBox"));
    model_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    model_->setMinimumContentsLength(24);
    layout->addWidget(model_, 1);
    open_ = new QPushButton(QIcon(QStringLiteral(":/icons/folder.svg")), tr("Open folder…"), this);
    open_->setObjectName(QStringLiteral("openModelFolder"));
    layout->addWidget(open_);
    layout->addSpacing(8);
    layout->addWidget(new QLabel(tr("Device"), this));
    device_ = new QComboBox(this);
    device_->setObjectName(QStringLiteral("deviceBox"));
    device_->addItems({QStringLiteral("cpu"), QStringLiteral("cuda")});
    layout->addWidget(device_);
    layout->addWidget(new QLabel(tr("Dtype"), this));
    dtype_ = new QComboBox(this);
    dtype_->setObjectName(QStringLiteral("dtypeBox"));
    dtype_->addItems({QStringLiteral("f32"), QStringLiteral("bf16"), QStringLiteral("f16")});
    layout->addWidget(dtype_);
    device_->setCurrentText(settings_.device);
    dtype_->setCurrentText(settings_.dtype);

    connect(open_, &QPushButton::clicked, this, &ModelPicker::openFolder);
    connect(model_, &QComboBox::currentIndexChanged, this, [this] {
        model_->setToolTip(modelFolder());
        emit modelChanged(modelFolder());
    });
    rescan();
}

void ModelPicker::applySettings(const ModelPickerSettings& settings)
{
    settings_ = settings;
    rescan();
}

ModelPicker::~ModelPicker()
{
    if (scanCancelled_)
        scanCancelled_->store(true);
    for (const QPointer<QThread>& scan : scans_)
        if (scan)
            scan->wait();
}

void ModelPicker::rescan()
{
    const QString previous = modelFolder();
    {
        const QSignalBlocker blocker(model_);
        model_->clear();
        QString whyNot;
        const QString bundled = bundledModelFolderOrEmpty(&whyNot);
        if (!bundled.isEmpty())
            model_->addItem(QIcon(QStringLiteral(":/icons/app.svg")), bundledModelLabel(), bundled);
        const QString chosen = settings_.defaultModel;
        if (isModelFolder(chosen) && QFileInfo(chosen).absoluteFilePath() != bundled)
            model_->addItem(QFileInfo(chosen).fileName() + tr(" (default)"), QFileInfo(chosen).absoluteFilePath());
        if (model_->count() == 0)
            model_->setPlaceholderText(tr("No model found: open a folder"));
        int index = previous.isEmpty() ? -1 : model_->findData(previous);
        if (index < 0 && isModelFolder(chosen))
            index = model_->findData(QFileInfo(chosen).absoluteFilePath());
        model_->setCurrentIndex(index >= 0 ? index : (model_->count() ? 0 : -1));
        model_->setToolTip(modelFolder());
    }
    // A cache snapshot chosen before the rescan is chosen again when the scan lists it.
    scanCache(previous.isEmpty() || model_->findData(previous) >= 0 ? QString() : previous);
}

void ModelPicker::scanCache(const QString& wanted)
{
    const int generation = ++scanGeneration_;
    if (scanCancelled_)
        scanCancelled_->store(true); // an older scan's result would be dropped anyway
    scanCancelled_ = std::make_shared<std::atomic<bool>>(false);
    const std::filesystem::path hub = tempo::huggingFaceHubCache(); // the environment, read on this thread
    auto result = std::make_shared<std::vector<tempo::ModelCatalogEntry>>();
    QThread* thread = QThread::create([hub, result, cancelled = scanCancelled_] {
        try {
            *result = tempo::scanHuggingFaceCache(hub, cancelled.get());
        } catch (const std::exception&) {
            // A cache that cannot be walked lists nothing; every model can still be opened as a folder.
        }
    });
    connect(thread, &QThread::finished, this, [this, result, generation, wanted] {
        if (generation != scanGeneration_)
            return;
        addCacheEntries(*result, wanted);
    });
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    scans_.removeAll(nullptr);
    scans_.append(thread); // an older scan, cancelled above, stops at its next snapshot
    thread->start();
}

void ModelPicker::addCacheEntries(const std::vector<tempo::ModelCatalogEntry>& entries, const QString& wanted)
{
    const QString before = modelFolder();
    {
        const QSignalBlocker blocker(model_);
        auto* items = qobject_cast<QStandardItemModel*>(model_->model());
        for (const tempo::ModelCatalogEntry& entry : entries) {
            const QString folder = QString::fromStdString(entry.folder.string());
            if (model_->findData(folder) >= 0)
                continue; // already listed (opened as a folder or the settings' default)
            model_->addItem(catalogEntryLabel(entry), folder);
            const int row = model_->count() - 1;
            model_->setItemData(row, catalogEntryToolTip(entry), Qt::ToolTipRole);
            if (!entry.usable() && items) {
                QStandardItem* item = items->item(row);
                item->setFlags(item->flags() & ~(Qt::ItemIsEnabled | Qt::ItemIsSelectable));
            }
        }
        int index = wanted.isEmpty() ? -1 : model_->findData(wanted);
        if (index >= 0 && items && !items->item(index)->isEnabled())
            index = -1;
        if (index < 0 && model_->currentIndex() < 0) {
            for (int row = 0; row < model_->count() && index < 0; ++row)
                if (!items || items->item(row)->isEnabled())
                    index = row;
        }
        if (index >= 0)
            model_->setCurrentIndex(index);
        model_->setToolTip(modelFolder());
    }
    if (modelFolder() != before)
        emit modelChanged(modelFolder());
    emit cacheScanned(static_cast<int>(entries.size()));
}

QString ModelPicker::modelFolder() const
{
    return model_->currentData().toString();
}

void ModelPicker::selectFolder(const QString& folder, const QString& label)
{
    const QString absolute = QFileInfo(folder).absoluteFilePath();
    int index = model_->findData(absolute);
    if (index < 0) {
        model_->addItem(label.isEmpty() ? QFileInfo(absolute).fileName() : label, absolute);
        index = model_->count() - 1;
    }
    model_->setCurrentIndex(index);
}

void ModelPicker::openFolder()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Open a Hugging Face model folder"),
                                                             modelFolder().isEmpty() ? QDir::homePath() : modelFolder());
    if (folder.isEmpty())
        return;
    if (!isModelFolder(folder)) {
        QMessageBox::warning(this, tr("Not a model folder"),
                             tr("%1 has no config.json. A model folder holds config.json, the weights "
                                "(*.safetensors) and tokenizer.json.")
                                 .arg(folder));
        return;
    }
    selectFolder(folder);
}

tempo::ComputeOptions ModelPicker::computeOptions() const
{
    tempo::ComputeOptions options;
    options.device = tempo::ComputeOptions::parseDevice(device_->currentText().toStdString());
    options.dtype = tempo::ComputeOptions::parseDtype(dtype_->currentText().toStdString());
    options.threads = settings_.threads;
    return options;
}

} // namespace tempo::gui
