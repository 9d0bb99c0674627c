#pragma once
// Run: one run as a page — the provenance header, the generated text as chips (parallel sets
// outlined, ids and probabilities in the tooltips), the mechanism checks as green/red badges
// with their values, the report's charts (interactive: drag to pan, wheel to zoom, hover for
// values), the attention explorer and the per-step table. An artifact-control run carries a
// banner under its title (and "CONTROL" in it): a control, never a TEMPO result.
//
// While a run is going, beginLiveRun() shows its header and appendSteps() adds each committed
// step as the worker reports it (read back from the notebook: ms-fast), so the text grows live.

#include <QList>
#include <QWidget>

#include "app/runworker.h"

class QLabel;
class QFrame;
class QPushButton;
class QTableWidget;
class QVBoxLayout;

namespace tempo::notebook {
class CheckStore;
class GroupStore;
class ModelStore;
class Notebook;
class RunStore;
class StepStore;
}

namespace tempo::gui {

class AttentionExplorer;
class FlowLayout;
class LabContext;
class TokenChips;

class RunPage : public QWidget {
    Q_OBJECT
public:
    explicit RunPage(LabContext& context, QWidget* parent = nullptr);

    qint64 runId() const { return runId_; }
    void showRun(qint64 runId);
    // No run to show (a run refused before its row existed): an empty page under `title`.
    void showNoRun(const QString& title);
    void beginLiveRun(qint64 runId);
    void appendSteps(const QList<tempo::StepUpdate>& steps);
    // Shows `message` (the engine's words, put plainly) in the failure banner.
    void showFailure(const QString& message);

    // For tests and screenshots.
    TokenChips& chips() { return *chips_; }
    QTableWidget& stepTable() { return *steps_; }
    QList<QLabel*> checkBadges() const;
    QString generatedText() const { return generatedText_; }
    int chartCount() const { return chartCount_; }
    QString failureText() const; // "" when no failure is shown
    // The label of an artifact-control run ("" when the shown run is not a control).
    QString controlText() const;
    AttentionExplorer& attentionExplorer() { return *explorer_; }

signals:
    void compareRequested(qint64 groupId);

private:
    void buildHeader(QVBoxLayout* layout);
    void buildSections(QVBoxLayout* layout);
    void clear();
    void showHeader(qint64 runId);
    void addStepRows(const std::vector<tempo::notebook::StepRecord>& steps);
    void showChecks(qint64 runId);
    void showCharts(qint64 runId);
    void fetchStores(); // from the context's notebook, again after every switch

    LabContext& context_;
    tempo::notebook::RunStore* runs_ = nullptr;
    tempo::notebook::StepStore* stepStore_ = nullptr;
    tempo::notebook::CheckStore* checks_ = nullptr;
    tempo::notebook::ModelStore* models_ = nullptr;
    tempo::notebook::GroupStore* groups_ = nullptr;
    tempo::notebook::Notebook* reportSource_ = nullptr; // the charts read the run as its report does
    qint64 runId_ = 0;
    int shownSteps_ = 0;
    QString generatedText_;
    QLabel* title_;
    QLabel* provenance_;
    QLabel* controlBanner_; // shown for an artifact-control run only
    QFrame* failureBanner_;
    QLabel* failureText_;
    QPushButton* compareButton_;
    qint64 groupId_ = 0;
    TokenChips* chips_;
    QLabel* textSummary_;
    QWidget* checksBox_;
    FlowLayout* checksFlow_;
    QWidget* chartsBox_;
    QVBoxLayout* chartsLayout_;
    int chartCount_ = 0;
    int chartGeneration_ = 0; // charts queued for an earlier run are dropped
    AttentionExplorer* explorer_ = nullptr;
    QTableWidget* steps_;
    QLabel* emptyHint_;
    QWidget* body_;
};

// An engine message in words a researcher understands: what happened, then the engine's own text.
QString plainFailure(const QString& engineMessage);

} // namespace tempo::gui
