#include "gui/shell/settingsdialog.h"


#include <QFileDialog>
#include <QPushButton>

#include "core/model/computeoptions.h"
#include "core/notebook/notebook.h"
#include "gui/shell/labsettings.h"
#include "ui_settingsdialog.h"

namespace tempo::gui {

SettingsDialog::SettingsDialog(const QString& currentNotebook, QWidget* parent)
    : QDialog(parent), ui_(std::make_unique<Ui::SettingsDialog>())
{
    ui_->setupUi(this);
    ui_->notebookPath->addItem(currentNotebook);
    for (const QString& recent : LabSettings::recentNotebooks())
        if (recent != currentNotebook)
            ui_->notebookPath->addItem(recent);
    ui_->notebookPath->setCurrentIndex(0);
    connect(ui_->openNotebook, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a notebook"), notebookPath(),
                                                          tr("TEMPO Lab notebooks (*.sqlite *.db);;All files (*)"));
        if (!path.isEmpty())
            ui_->notebookPath->setCurrentText(path);
    });
    connect(ui_->newNotebook, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Create a notebook"), notebookPath(),
                                                          tr("TEMPO Lab notebooks (*.sqlite)"));
        if (!path.isEmpty())
            ui_->notebookPath->setCurrentText(path.endsWith(".sqlite") ? path : path + ".sqlite");
    });
    connect(ui_->browseModel, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Default model folder"),
                                                                 ui_->defaultModel->text());
        if (!folder.isEmpty())
            ui_->defaultModel->setText(folder);
    });
    connect(ui_->buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this,
            &SettingsDialog::restoreDefaults);
    load();
}

SettingsDialog::~SettingsDialog() = default;

void SettingsDialog::load()
{
    ui_->defaultModel->setText(LabSettings::defaultModel());
    ui_->device->setCurrentText(LabSettings::device());
    ui_->dtype->setCurrentText(LabSettings::dtype());
    ui_->threads->setMaximum(ComputeOptions::maxThreads()); // this machine's cores
    ui_->threads->setValue(LabSettings::threads());
    ui_->shortcutRun->setKeySequence(LabSettings::shortcut("run"));
    ui_->shortcutCancel->setKeySequence(LabSettings::shortcut("cancel"));
    ui_->shortcutSearch->setKeySequence(LabSettings::shortcut("search"));
    ui_->shortcutExport->setKeySequence(LabSettings::shortcut("export"));
}

void SettingsDialog::restoreDefaults()
{
    ui_->notebookPath->setCurrentText(QString::fromStdString(tempo::notebook::Notebook::defaultPath()));
    ui_->defaultModel->clear();
    ui_->device->setCurrentText(QStringLiteral("cpu"));
    ui_->dtype->setCurrentText(QStringLiteral("f32"));
    ui_->threads->setValue(0);
    ui_->shortcutRun->setKeySequence(LabSettings::defaultShortcut("run"));
    ui_->shortcutCancel->setKeySequence(LabSettings::defaultShortcut("cancel"));
    ui_->shortcutSearch->setKeySequence(LabSettings::defaultShortcut("search"));
    ui_->shortcutExport->setKeySequence(LabSettings::defaultShortcut("export"));
}

QString SettingsDialog::notebookPath() const
{
    return ui_->notebookPath->currentText().trimmed();
}

void SettingsDialog::store() const
{
    LabSettings::setDefaultModel(ui_->defaultModel->text().trimmed());
    LabSettings::setDevice(ui_->device->currentText());
    LabSettings::setDtype(ui_->dtype->currentText());
    LabSettings::setThreads(ui_->threads->value());
    LabSettings::setShortcut("run", ui_->shortcutRun->keySequence());
    LabSettings::setShortcut("cancel", ui_->shortcutCancel->keySequence());
    LabSettings::setShortcut("search", ui_->shortcutSearch->keySequence());
    LabSettings::setShortcut("export", ui_->shortcutExport->keySequence());
}

} // namespace tempo::gui
