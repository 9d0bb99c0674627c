#pragma once
// Launch: one card per preset (shipped 1a..5, then the notebook's own copies) above the model
// picker; Run on a card asks the window to start that preset.

#include <QList>
#include <QWidget>

#include "core/experiment/experimentrunner.h"

class QGridLayout;

namespace tempo::gui {

class LabContext;
class ModelPicker;
class PresetCard;

class LaunchPage : public QWidget {
    Q_OBJECT
public:
    explicit LaunchPage(LabContext& context, QWidget* parent = nullptr);

    ModelPicker& modelPicker() { return *picker_; }
    PresetCard* card(const QString& presetId) const;
    QList<PresetCard*> cards() const { return cards_; }
    // The card the Run shortcut starts: the one holding focus, else the last one run, else 1a.
    PresetCard* currentCard() const;
    void setRunning(bool running);

public slots:
    void reloadPresets();

signals:
    void runRequested(const tempo::ExperimentRequest& request);

private:
    void requestRun(PresetCard* card, const tempo::CatalogEntry& entry);
    void savePreset(const tempo::Preset& preset);

    LabContext& context_;
    ModelPicker* picker_;
    QGridLayout* grid_;
    QList<PresetCard*> cards_;
    PresetCard* lastRun_ = nullptr;
    bool running_ = false;
};

} // namespace tempo::gui
