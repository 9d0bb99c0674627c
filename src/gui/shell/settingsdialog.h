#pragma once
// Settings (ui/settingsdialog.ui): the notebook (open, create, switch), the default model,
// device, dtype and threads, and the keyboard shortcuts. OK stores them in QSettings.

#include <memory>

#include <QDialog>

namespace Ui {
class SettingsDialog;
}

namespace tempo::gui {

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(const QString& currentNotebook, QWidget* parent = nullptr);
    ~SettingsDialog() override;

    // The notebook chosen (may equal the current one).
    QString notebookPath() const;
    // Writes everything but the notebook (the window switches it and stores it when that works).
    void store() const;

private:
    void load();
    void restoreDefaults();

    std::unique_ptr<Ui::SettingsDialog> ui_;
};

} // namespace tempo::gui
