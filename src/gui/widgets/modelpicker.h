#pragma once
// The model, device and dtype a run uses: the bundled model, Hugging Face cache snapshots, the
// settings' default, and any folder opened with "Open folder…".

#include <QWidget>

#include "core/model/computeoptions.h"

class QComboBox;
class QLabel;
class QPushButton;

namespace tempo::gui {

class ModelPicker : public QWidget {
    Q_OBJECT
public:
    explicit ModelPicker(QWidget* parent = nullptr);

    QString modelFolder() const; // "" when none is available
    // Adds `folder` (when not listed yet) and selects it.
    void selectFolder(const QString& folder, const QString& label = {});
    tempo::ComputeOptions computeOptions() const;
    QComboBox* modelBox() const { return model_; }
    QComboBox* deviceBox() const { return device_; }
    QComboBox* dtypeBox() const { return dtype_; }

public slots:
    void rescan(); // bundled model, cache, settings default
    void openFolder();

signals:
    void modelChanged(const QString& folder);

private:
    QComboBox* model_;
    QComboBox* device_;
    QComboBox* dtype_;
    QPushButton* open_;
};

} // namespace tempo::gui
