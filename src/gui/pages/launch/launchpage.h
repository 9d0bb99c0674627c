#pragma once
// Launch: the model picker, the study panel ("Run the whole study": every preset over a prompt
// suite, studypanel.h), then one card per preset (shipped 1a..5, then the notebook's own copies);
// Run on a card asks the window to start that preset.

#include <memory>

#include <QList>
#include <QPointer>
#include <QWidget>

#include "core/experiment/experimentrunner.h"

class QGridLayout;
class QThread;

namespace tempo::notebook {
class PresetStore;
}

namespace tempo::gui {

class LabContext;
class ModelPicker;
class PresetCard;
class StudyPanel;
struct ModelLimits;

class LaunchPage : public QWidget {
    Q_OBJECT
public:
    explicit LaunchPage(LabContext& context, QWidget* parent = nullptr);
    ~LaunchPage() override; // waits for a model read still going

    ModelPicker& modelPicker() { return *picker_; }
    StudyPanel& studyPanel() { return *study_; }
    PresetCard* card(const QString& presetId) const;
    QList<PresetCard*> cards() const { return cards_; }
    // The card the Run shortcut starts: the one holding focus, else the last one run, else 1a.
    PresetCard* currentCard() const;
    void setRunning(bool running);
    // The chosen model's limits as the cards use them (null until read, or when unreadable).
    std::shared_ptr<const ModelLimits> modelLimits() const { return limits_; }

public slots:
    void reloadPresets();

signals:
    void runRequested(const tempo::ExperimentRequest& request);

private:
    void requestRun(PresetCard* card, const tempo::CatalogEntry& entry);
    void savePreset(const tempo::Preset& preset);
    void fetchStores(); // from the context's notebook, again after every switch
    // Reads the model's config and tokenizer off the UI thread, then hands them to every card.
    void readModelLimits(const QString& folder);

    LabContext& context_;
    tempo::notebook::PresetStore* presets_ = nullptr; // the user presets of the open notebook
    ModelPicker* picker_;
    StudyPanel* study_;
    QGridLayout* grid_;
    QList<PresetCard*> cards_;
    PresetCard* lastRun_ = nullptr;
    bool running_ = false;
    std::shared_ptr<const ModelLimits> limits_;
    int limitsGeneration_ = 0; // a read for an earlier model choice is dropped
    QList<QPointer<QThread>> limitReads_;
};

} // namespace tempo::gui
