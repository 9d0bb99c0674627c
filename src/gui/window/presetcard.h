#pragma once
// One preset on the Launch page: its question and defaults, with every setting editable
// (prompt, steps, threshold, mode, readout, captures, max width), Run, and Save as a user copy.

#include <QFrame>

#include "core/experiment/presetcatalog.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace tempo::gui {

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
    void setRunEnabled(bool enabled);

public slots:
    void resetToDefaults();

signals:
    void runRequested(tempo::CatalogEntry entry);
    void saveRequested(tempo::Preset preset);

private:
    void load(const tempo::Preset& preset);

    tempo::CatalogEntry entry_;
    QLineEdit* prompt_;
    QSpinBox* steps_;
    QDoubleSpinBox* threshold_;
    QSpinBox* maxWidth_;
    QComboBox* mode_;
    QComboBox* readout_;
    QList<QCheckBox*> captures_;
    QPushButton* runButton_;
};

} // namespace tempo::gui
