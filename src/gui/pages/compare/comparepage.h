#pragma once
// Compare page: two runs side by side. Two run pickers (or a group picker for an isolated/visible
// pair), the steps aligned by logical step in one table, the first divergence highlighted in the
// table, the banner and the charts, and difference charts: set width per step for both runs, and
// the per-step divergence the group's comparison stored (Jensen-Shannon/KL of the readouts, or the
// attention difference), else the top-member probability difference read from the steps.
//
// Everything shown comes from notebook queries (ms-fast, UI thread).

#include <QWidget>

#include "gui/pages/compare/stepalignment.h"

class QComboBox;
class QCustomPlot;
class QFrame;
class QLabel;
class QSplitter;
class QTableWidget;

namespace tempo::notebook {
class GroupStore;
class RunStore;
class StepStore;
}

namespace tempo::gui {

class LabContext;

class ComparePage : public QWidget {
    Q_OBJECT
public:
    explicit ComparePage(LabContext& context, QWidget* parent = nullptr);

    void showRuns(qint64 runA, qint64 runB);
    // The pair of a group (preset 2: isolated first, visible second).
    void showGroup(qint64 groupId);

    // What is on screen (tests and the report read these).
    qint64 runA() const { return runA_; }
    qint64 runB() const { return runB_; }
    const StepAlignment& alignment() const { return alignment_; }
    int firstDivergence() const { return alignment_.firstDivergence; }
    QTableWidget* stepTable() const { return table_; }
    // The table row showing the first divergence (-1: none).
    int highlightedRow() const { return highlightedRow_; }

public slots:
    void reloadPickers();

private:
    QFrame* buildPickers();
    QSplitter* buildStepsAndCharts();
    QWidget* buildCharts(QWidget* parent);
    void pickersChanged();
    void groupPicked();
    void fillTable();
    void fillCharts();
    void fillBanner();
    QString runLabel(qint64 runId) const;
    void fetchStores(); // from the context's notebook, again after every switch

    LabContext& context_;
    tempo::notebook::RunStore* runs_ = nullptr;
    tempo::notebook::StepStore* steps_ = nullptr;
    tempo::notebook::GroupStore* groups_ = nullptr;
    QComboBox* runPickerA_ = nullptr;
    QComboBox* runPickerB_ = nullptr;
    QComboBox* groupPicker_ = nullptr;
    QLabel* banner_ = nullptr;
    QTableWidget* table_ = nullptr;
    QCustomPlot* widthPlot_ = nullptr;
    QCustomPlot* differencePlot_ = nullptr;
    QLabel* differenceTitle_ = nullptr;

    qint64 runA_ = 0;
    qint64 runB_ = 0;
    qint64 groupId_ = 0; // a group holding both runs, when there is one
    StepAlignment alignment_;
    int highlightedRow_ = -1;
    bool updatingPickers_ = false;
};

} // namespace tempo::gui
