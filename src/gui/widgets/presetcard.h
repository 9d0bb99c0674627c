#pragma once
// One preset on the Launch page: its question and defaults, with every setting editable
// (prompt, steps, threshold, mode, readout, captures, max width), Run, and Save as a user copy.

#include <memory>

#include <QFrame>

#include "core/experiment/presetcatalog.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QTimer;
class QPushButton;
class QSpinBox;
class QVBoxLayout;

namespace tempo::gui {

struct ModelLimits;

class PresetCard : public QFrame {
    Q_OBJECT
public:
    explicit PresetCard(const tempo::CatalogEntry& entry, QWidget* parent = nullptr);

    const QString presetId() const;
    // The preset with the card's edits applied and validated like a preset file (throws
    // InvalidArgument naming the field).
    tempo::Preset editedPreset() const;
    bool shipped() const { return entry_.shipped; }
    QPushButton* runButton() const { return runButton_; }
    QLineEdit* promptEdit() const { return prompt_; }
    QSpinBox* stepsBox() const { return steps_; }
    QSpinBox* maxWidthBox() const { return maxWidth_; }
    QDoubleSpinBox* thresholdBox() const { return threshold_; }
    // Run is enabled when the window allows a run and the settings fit the model.
    void setRunEnabled(bool enabled);

    // The chosen model's limits (null: unknown, nothing shown). The card then shows, as the user
    // types, how many steps this prompt, threshold and width allow on that model, and holds Run
    // back while the steps asked for do not fit.
    void setModelLimits(std::shared_ptr<const ModelLimits> limits);
    QString limitText() const;    // "" while no model is known
    bool fitsModel() const { return fits_; }
    qint64 stepLimit() const { return stepLimit_; } // -1 while no model is known

public slots:
    void resetToDefaults();

signals:
    void runRequested(tempo::CatalogEntry entry);
    void saveRequested(tempo::Preset preset);

private:
    void buildHeading(QVBoxLayout* layout);
    QFormLayout* buildSettings();
    QHBoxLayout* buildButtons();
    void load(const tempo::Preset& preset);
    void updateLimit();

    tempo::CatalogEntry entry_;
    QLineEdit* prompt_;
    QSpinBox* steps_;
    QDoubleSpinBox* threshold_;
    QSpinBox* maxWidth_;
    QComboBox* mode_;
    QComboBox* readout_;
    QList<QCheckBox*> captures_;
    QPushButton* runButton_;
    QLabel* limit_;
    QTimer* promptPause_; // the prompt is tokenized once typing pauses
    std::shared_ptr<const ModelLimits> limits_;
    bool runEnabled_ = true;
    bool fits_ = true;
    qint64 stepLimit_ = -1;
};

} // namespace tempo::gui
