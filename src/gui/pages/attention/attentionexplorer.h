#pragma once
// Attention explorer (embedded in the Run page): for one run with an attention capture, choose a
// step (or the prefill), a layer and a head, and see the attention of the rows fed at that forward
// (the members of the step's parallel set) over every slot so far as a heatmap. The set's own slots
// are outlined (siblings), the chosen member's row is outlined, and the cells the mask forbade are
// overlaid in grey (isolated: siblings other than itself; visible: later siblings; prefill: causal).
// Below, the chosen member's attention split into prior context / siblings / itself.
//
// Stored tensor "attention" per forward: f32 [layers, heads, rows fed, slots so far]; one forward is
// read (a few hundred KB for a 3B model) when the step changes.

#include <optional>
#include <vector>

#include <QWidget>

#include "core/notebook/records.h"

class QComboBox;
class QCPColorMap;
class QCustomPlot;
class QHBoxLayout;
class QLabel;
class QSpinBox;
class QStackedWidget;

namespace tempo::notebook {
class RunStore;
class StepStore;
class TensorStore;
}

namespace tempo::gui {

class LabContext;

class AttentionExplorer : public QWidget {
    Q_OBJECT
public:
    explicit AttentionExplorer(LabContext& context, QWidget* parent = nullptr);

    void showRun(qint64 runId);
    // Selects what the heatmap shows; step -1 is the prefill forward.
    void select(int step, int member, int layer, int head);

    bool hasCapture() const { return !forwardSteps_.empty(); }
    // Heatmap size in cells: width = slots so far, height = rows fed (0x0 when nothing is shown).
    QSize heatmapCells() const;
    QCPColorMap* heatmap() const { return heatmap_; }
    QString messageText() const;

private:
    QHBoxLayout* buildControls(QWidget* explorer);
    QCustomPlot* buildHeatmap(QWidget* explorer);
    void stepChanged();
    void redraw();
    void loadForward(int step);
    QString slotLabel(std::int64_t slot) const;
    void fetchStores(); // from the context's notebook, again after every switch

    LabContext& context_;
    tempo::notebook::RunStore* runs_ = nullptr;
    tempo::notebook::StepStore* stepStore_ = nullptr;
    tempo::notebook::TensorStore* tensors_ = nullptr;
    QStackedWidget* stack_ = nullptr;
    QLabel* message_ = nullptr;
    QComboBox* stepBox_ = nullptr;
    QComboBox* memberBox_ = nullptr;
    QSpinBox* layerBox_ = nullptr;
    QSpinBox* headBox_ = nullptr;
    QCustomPlot* plot_ = nullptr;
    QCPColorMap* heatmap_ = nullptr;
    QCPColorMap* maskOverlay_ = nullptr;
    QLabel* summary_ = nullptr;

    qint64 runId_ = 0;
    bool isolated_ = true;
    std::int64_t promptLength_ = 0;
    std::vector<notebook::StepRecord> steps_;
    std::vector<int> forwardSteps_; // steps with a stored attention tensor (-1: prefill)

    // The forward on screen: [layers, heads, rows, slots] row-major.
    int loadedStep_ = -2;
    std::vector<std::int64_t> shape_;
    std::vector<float> values_;
    bool updating_ = false;
};

} // namespace tempo::gui
