#include "gui/pages/attention/attentionexplorer.h"

#include <algorithm>
#include <map>
#include <set>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "gui/shell/labcontext.h"
#include "gui/widgets/pagestyle.h"

namespace tempo::gui {

namespace style = pagestyle;

namespace {
constexpr const char* kAttentionTensor = "attention"; // tensorname::kAttention (capturestore.h)
constexpr int kMaxLabelledSlots = 48;                 // more slots: label every n-th

// Why a run has no attention to explore, in the words that fit its story: captures are stored
// when a run completes, so a run that failed or stopped early never has them, whatever it asked.
QString noAttentionText(const notebook::RunRecord& run)
{
    const bool asked = run.config.captures.attention;
    const QString firstLine = QString::fromStdString(run.errorText).section('\n', 0, 0);
    switch (run.status) {
    case notebook::RunStatus::Failed:
        return firstLine.isEmpty()
                   ? AttentionExplorer::tr("Run #%1 failed before its attention was stored.").arg(run.id)
                   : AttentionExplorer::tr("Run #%1 failed before its attention was stored:\n%2").arg(run.id).arg(firstLine);
    case notebook::RunStatus::Running:
        return AttentionExplorer::tr("Run #%1 is still going: its attention is stored when it ends.").arg(run.id);
    case notebook::RunStatus::Cancelled:
    case notebook::RunStatus::Interrupted:
        if (asked)
            return AttentionExplorer::tr("Run #%1 was %2 before its attention was stored (captures are kept when a "
                                         "run completes).")
                .arg(run.id)
                .arg(QString::fromStdString(notebook::toString(run.status)));
        break;
    case notebook::RunStatus::Finished:
        break;
    }
    return AttentionExplorer::tr("Run #%1 has no attention capture.\nPresets 1a, 1b, 3 and 5 capture attention; "
                                 "run one of them (or add \u201cattention\u201d to the captures when launching) to "
                                 "explore it here.")
        .arg(run.id);
}

} // namespace

void AttentionExplorer::fetchStores()
{
    runs_ = &context_.notebook().runs();
    stepStore_ = &context_.notebook().steps();
    tensors_ = &context_.notebook().tensors();
}

AttentionExplorer::AttentionExplorer(LabContext& context, QWidget* parent) : QWidget(parent), context_(context)
{
    fetchStores();
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    stack_ = new QStackedWidget(this);
    outer->addWidget(stack_);

    message_ = new QLabel(this);
    message_->setObjectName("attentionMessage");
    message_->setWordWrap(true);
    message_->setAlignment(Qt::AlignCenter);
    message_->setMargin(24);
    message_->setForegroundRole(QPalette::PlaceholderText);
    stack_->addWidget(message_);

    auto* explorer = new QWidget(this);
    auto* layout = new QVBoxLayout(explorer);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(8);
    layout->addLayout(buildControls(explorer));
    layout->addWidget(buildHeatmap(explorer), 1);
    summary_ = new QLabel(explorer);
    summary_->setObjectName("attentionSummary");
    summary_->setWordWrap(true);
    summary_->setTextFormat(Qt::RichText);
    layout->addWidget(summary_);
    stack_->addWidget(explorer);

    connect(stepBox_, &QComboBox::currentIndexChanged, this, [this] { stepChanged(); });
    for (QSpinBox* box : {layerBox_, headBox_})
        connect(box, &QSpinBox::valueChanged, this, [this] { redraw(); });
    connect(memberBox_, &QComboBox::currentIndexChanged, this, [this] { redraw(); });
    connect(&context_, &LabContext::notebookChanged, this, [this] {
        fetchStores();
        showRun(0);
    });

    message_->setText(tr("Select a run to explore its attention."));
}

// Step, member, layer and head pickers over the heatmap.
QHBoxLayout* AttentionExplorer::buildControls(QWidget* explorer)
{
    auto* controls = new QHBoxLayout;
    controls->setSpacing(8);
    stepBox_ = new QComboBox(explorer);
    stepBox_->setObjectName("attentionStep");
    memberBox_ = new QComboBox(explorer);
    memberBox_->setObjectName("attentionMember");
    memberBox_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    memberBox_->setMinimumContentsLength(14);
    layerBox_ = new QSpinBox(explorer);
    layerBox_->setObjectName("attentionLayer");
    headBox_ = new QSpinBox(explorer);
    headBox_->setObjectName("attentionHead");
    controls->addWidget(new QLabel(tr("Step"), explorer));
    controls->addWidget(stepBox_);
    controls->addWidget(new QLabel(tr("Member"), explorer));
    controls->addWidget(memberBox_);
    controls->addWidget(new QLabel(tr("Layer"), explorer));
    controls->addWidget(layerBox_);
    controls->addWidget(new QLabel(tr("Head"), explorer));
    controls->addWidget(headBox_);
    controls->addStretch(1);
    return controls;
}

// The heatmap (query rows x key slots) with the mask overlay in grey and a colour scale.
QCustomPlot* AttentionExplorer::buildHeatmap(QWidget* explorer)
{
    plot_ = new QCustomPlot(explorer);
    plot_->setObjectName("attentionPlot");
    plot_->setMinimumHeight(240);
    const QPalette palette = plot_->palette();
    plot_->setBackground(palette.color(QPalette::Base));
    for (QCPAxis* axis : {plot_->xAxis, plot_->yAxis}) {
        axis->setBasePen(QPen(palette.color(QPalette::Mid)));
        axis->setTickPen(Qt::NoPen);
        axis->setSubTicks(false);
        axis->setTickLabelColor(palette.color(QPalette::Text));
        axis->setLabelColor(palette.color(QPalette::Text));
        axis->grid()->setVisible(false);
    }
    plot_->xAxis->setLabel(tr("key slot (prompt, then each set's members)"));
    plot_->xAxis->setTickLabelRotation(60);
    plot_->yAxis->setRangeReversed(true); // first member on top
    plot_->yAxis->setLabel(tr("query row"));
    heatmap_ = new QCPColorMap(plot_->xAxis, plot_->yAxis);
    heatmap_->setInterpolate(false);
    heatmap_->setTightBoundary(false);
    QCPColorGradient gradient;
    gradient.clearColorStops();
    gradient.setColorStopAt(0.0, QColor(247, 251, 255));
    gradient.setColorStopAt(0.35, QColor(107, 174, 214));
    gradient.setColorStopAt(1.0, QColor(8, 48, 107));
    heatmap_->setGradient(gradient);
    maskOverlay_ = new QCPColorMap(plot_->xAxis, plot_->yAxis);
    maskOverlay_->setInterpolate(false);
    QCPColorGradient maskGradient;
    maskGradient.clearColorStops();
    maskGradient.setColorStopAt(0.0, QColor(0, 0, 0, 0));
    maskGradient.setColorStopAt(1.0, QColor(110, 110, 110, 170));
    maskOverlay_->setGradient(maskGradient);
    maskOverlay_->setDataRange(QCPRange(0, 1));
    auto* scale = new QCPColorScale(plot_);
    plot_->plotLayout()->addElement(0, 1, scale);
    scale->setLabel(tr("attention"));
    scale->axis()->setTickLabelColor(palette.color(QPalette::Text));
    scale->axis()->setLabelColor(palette.color(QPalette::Text));
    heatmap_->setColorScale(scale);
    scale->setGradient(gradient); // the scale's gradient wins over the map's
    auto* group = new QCPMarginGroup(plot_);
    plot_->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    scale->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    return plot_;
}

QSize AttentionExplorer::heatmapCells() const
{
    if (!hasCapture() || values_.empty())
        return {0, 0};
    return {heatmap_->data()->keySize(), heatmap_->data()->valueSize()};
}

QString AttentionExplorer::messageText() const { return stack_->currentWidget() == message_ ? message_->text() : QString(); }

void AttentionExplorer::showRun(qint64 runId)
{
    runId_ = runId;
    forwardSteps_.clear();
    steps_.clear();
    values_.clear();
    shape_.clear();
    loadedStep_ = -2;
    std::optional<notebook::RunRecord> run;
    try {
        run = runId != 0 ? runs_->find(runId) : std::nullopt;
    } catch (const NotebookError& error) { // its stored configuration cannot be read
        message_->setText(tr("Run #%1 cannot be explored: %2").arg(runId).arg(QString::fromStdString(error.what())));
        stack_->setCurrentWidget(message_);
        return;
    }
    if (!run) {
        message_->setText(tr("Select a run to explore its attention."));
        stack_->setCurrentWidget(message_);
        return;
    }
    isolated_ = !(run->config.tempo && run->config.tempo->mode == SiblingMode::Visible);
    promptLength_ = static_cast<std::int64_t>(run->config.promptTokenIds.size());
    steps_ = stepStore_->ofRun(runId);
    std::set<int> stored;
    for (const auto& info : tensors_->infosOfRun(runId))
        if (info.name == kAttentionTensor && info.step && info.shape.size() == 4)
            stored.insert(*info.step);
    forwardSteps_.assign(stored.begin(), stored.end());
    if (forwardSteps_.empty()) {
        message_->setText(noAttentionText(*run));
        stack_->setCurrentWidget(message_);
        return;
    }
    updating_ = true;
    stepBox_->clear();
    for (int step : forwardSteps_) {
        if (step < 0) {
            stepBox_->addItem(tr("prefill"), step);
            continue;
        }
        QString label = tr("step %1").arg(step);
        if (step < static_cast<int>(steps_.size()) && steps_[step].tokens.size() > 1)
            label += tr(" (%1 members)").arg(steps_[step].tokens.size());
        stepBox_->addItem(label, step);
    }
    // Open on the first multi-member set: that is where siblings and the mask matter.
    int initial = 0;
    for (int i = 0; i < stepBox_->count(); ++i) {
        const int step = stepBox_->itemData(i).toInt();
        if (step >= 0 && step < static_cast<int>(steps_.size()) && steps_[step].tokens.size() > 1) {
            initial = i;
            break;
        }
    }
    stepBox_->setCurrentIndex(initial);
    updating_ = false;
    stack_->setCurrentIndex(1);
    stepChanged();
}

void AttentionExplorer::select(int step, int member, int layer, int head)
{
    updating_ = true;
    const int index = stepBox_->findData(step);
    if (index >= 0)
        stepBox_->setCurrentIndex(index);
    updating_ = false;
    stepChanged();
    updating_ = true;
    memberBox_->setCurrentIndex(std::clamp(member, 0, std::max(0, memberBox_->count() - 1)));
    layerBox_->setValue(layer);
    headBox_->setValue(head);
    updating_ = false;
    redraw();
}

QString AttentionExplorer::slotLabel(std::int64_t slot) const
{
    if (slot < promptLength_)
        return QString("p%1").arg(slot);
    for (const auto& step : steps_)
        for (size_t m = 0; m < step.physicalSlots.size(); ++m)
            if (step.physicalSlots[m] == slot)
                return style::visibleToken(step.tokens.at(m));
    return QString::number(slot);
}

void AttentionExplorer::loadForward(int step)
{
    if (step == loadedStep_)
        return;
    loadedStep_ = step;
    values_.clear();
    shape_.clear();
    for (const auto& info : tensors_->infosOfRun(runId_))
        if (info.name == kAttentionTensor && info.step && *info.step == step) {
            const notebook::TensorBlob blob = tensors_->load(info.id);
            values_ = blob.toF32();
            shape_ = blob.shape; // [layers, heads, rows fed, slots so far]
            break;
        }
}

void AttentionExplorer::stepChanged()
{
    if (updating_ || stepBox_->count() == 0)
        return;
    const int step = stepBox_->currentData().toInt();
    loadForward(step);
    if (shape_.size() != 4)
        return;
    updating_ = true;
    memberBox_->clear();
    const std::int64_t rows = shape_[2];
    for (std::int64_t r = 0; r < rows; ++r) {
        if (step >= 0 && step < static_cast<int>(steps_.size()) && r < static_cast<std::int64_t>(steps_[step].tokens.size()))
            memberBox_->addItem(QString("%1  '%2'  p=%3")
                                    .arg(r)
                                    .arg(style::visibleToken(steps_[step].tokens[r]))
                                    .arg(steps_[step].probabilities.at(r), 0, 'f', 2),
                                static_cast<int>(r));
        else
            memberBox_->addItem(tr("prompt token %1").arg(r), static_cast<int>(r));
    }
    layerBox_->setRange(0, static_cast<int>(shape_[0]) - 1);
    headBox_->setRange(0, static_cast<int>(shape_[1]) - 1);
    updating_ = false;
    redraw();
}

void AttentionExplorer::redraw()
{
    if (updating_ || shape_.size() != 4)
        return;
    const int step = loadedStep_;
    const std::int64_t layers = shape_[0], heads = shape_[1], rows = shape_[2], slotCount = shape_[3];
    const int layer = std::clamp(layerBox_->value(), 0, static_cast<int>(layers) - 1);
    const int head = std::clamp(headBox_->value(), 0, static_cast<int>(heads) - 1);
    const int member = std::clamp(memberBox_->currentIndex(), 0, static_cast<int>(rows) - 1);
    const std::int64_t firstSlot = step < 0 ? 0 : slotCount - rows; // the rows fed are the last slots
    const float* matrix = values_.data() + (static_cast<std::int64_t>(layer) * heads + head) * rows * slotCount; // [rows, slots]

    heatmap_->data()->setSize(static_cast<int>(slotCount), static_cast<int>(rows));
    heatmap_->data()->setRange(QCPRange(0, static_cast<double>(slotCount - 1)), QCPRange(0, static_cast<double>(rows - 1)));
    maskOverlay_->data()->setSize(static_cast<int>(slotCount), static_cast<int>(rows));
    maskOverlay_->data()->setRange(heatmap_->data()->keyRange(), heatmap_->data()->valueRange());
    double prior = 0, siblings = 0, self = 0, maskedMass = 0;
    float maxValue = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t rowSlot = firstSlot + r;
        for (std::int64_t c = 0; c < slotCount; ++c) {
            const float value = matrix[r * slotCount + c];
            maxValue = std::max(maxValue, value);
            heatmap_->data()->setCell(static_cast<int>(c), static_cast<int>(r), value);
            bool allowed;
            if (step < 0)
                allowed = c <= r; // causal prefill
            else if (c < firstSlot || c == rowSlot)
                allowed = true;
            else
                allowed = !isolated_ && c >= firstSlot && c < rowSlot;
            maskOverlay_->data()->setCell(static_cast<int>(c), static_cast<int>(r), allowed ? 0.0 : 1.0);
            if (!allowed)
                maskedMass += value;
            if (r == member) {
                if (c < firstSlot)
                    prior += value;
                else if (c == rowSlot)
                    self += value;
                else
                    siblings += value;
            }
        }
    }
    heatmap_->setDataRange(QCPRange(0, std::max(1e-6f, maxValue)));

    plot_->clearItems();
    auto rect = [this](double x0, double y0, double x1, double y1, const QPen& pen) {
        auto* item = new QCPItemRect(plot_);
        item->topLeft->setCoords(x0, y0);
        item->bottomRight->setCoords(x1, y1);
        item->setPen(pen);
        item->setBrush(Qt::NoBrush);
    };
    if (step >= 0)
        rect(firstSlot - 0.5, -0.5, slotCount - 0.5, rows - 0.5, QPen(style::divergenceColor(), 2.5, Qt::DashLine));
    rect(-0.5, member - 0.5, slotCount - 0.5, member + 0.5, QPen(QColor(230, 40, 90), 2));

    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    const std::int64_t every = std::max<std::int64_t>(1, (slotCount + kMaxLabelledSlots - 1) / kMaxLabelledSlots);
    for (std::int64_t c = 0; c < slotCount; c += every)
        ticker->addTick(static_cast<double>(c), slotLabel(c));
    plot_->xAxis->setTicker(ticker);
    auto rowTicker = QSharedPointer<QCPAxisTickerText>::create();
    for (std::int64_t r = 0; r < rows; ++r)
        rowTicker->addTick(static_cast<double>(r), step < 0 ? QString("p%1").arg(r) : slotLabel(firstSlot + r));
    plot_->yAxis->setTicker(rowTicker);
    plot_->xAxis->setRange(-0.5, slotCount - 0.5);
    plot_->yAxis->setRange(-0.5, rows - 0.5);
    plot_->replot();

    const QString where = step < 0 ? tr("the prefill") : tr("step %1").arg(step);
    QString text = tr("<b>%1</b>, layer %2, head %3: %4 rows over %5 slots (%6 mode). ")
                       .arg(where)
                       .arg(layer)
                       .arg(head)
                       .arg(rows)
                       .arg(slotCount)
                       .arg(isolated_ ? tr("isolated") : tr("visible"));
    if (step >= 0)
        text += tr("Member %1 gives %2 to prior context, %3 to its siblings, %4 to itself. ")
                    .arg(member)
                    .arg(prior, 0, 'f', 3)
                    .arg(siblings, 0, 'f', 3)
                    .arg(self, 0, 'f', 3);
    text += tr("Attention on masked cells (grey): %1.").arg(maskedMass, 0, 'g', 3);
    summary_->setText(text);
}

} // namespace tempo::gui
