#include "gui/pages/compare/comparepage.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "core/runrecord/tempoconfig.h"
#include "gui/shell/labcontext.h"
#include "gui/widgets/pagestyle.h"

namespace tempo::gui {

namespace style = pagestyle;

namespace {

constexpr int kRunListLimit = 500;

enum Column { StepColumn, PositionColumn, SetAColumn, SetBColumn, VerdictColumn, ColumnCount };

// The group, or nullopt when it is missing or its stored comparison cannot be read (the pickers
// and charts leave such a group out; showGroup says why).
std::optional<notebook::RunGroupRecord> readableGroup(const notebook::GroupStore& groups, std::int64_t groupId)
{
    try {
        return groups.find(groupId);
    } catch (const NotebookError&) {
        return std::nullopt;
    }
}

// "cat 0.41 · dog 0.22" for a table cell; the full ids and probabilities go to the tooltip.
QString setText(const notebook::StepRecord& step)
{
    QStringList parts;
    for (size_t i = 0; i < step.tokens.size(); ++i)
        parts << QString("%1 %2").arg(style::visibleToken(step.tokens[i])).arg(step.probabilities.at(i), 0, 'f', 2);
    return parts.join(QString::fromUtf8("  \u00b7  "));
}

QString setTooltip(const notebook::StepRecord& step)
{
    QStringList lines;
    for (size_t i = 0; i < step.tokens.size(); ++i)
        lines << QString("id %1  '%2'  p = %3  slot %4")
                     .arg(step.tokenIds.at(i))
                     .arg(style::visibleToken(step.tokens[i]))
                     .arg(step.probabilities.at(i), 0, 'g', 5)
                     .arg(i < step.physicalSlots.size() ? step.physicalSlots[i] : -1);
    return lines.join('\n');
}

QCustomPlot* makePlot(QWidget* parent)
{
    QCustomPlot* plot = style::chart(parent);
    plot->xAxis->setLabel("step");
    return plot;
}

void addGraph(QCustomPlot* plot, const QString& name, const QVector<double>& x, const QVector<double>& y,
              const QColor& color, bool stepLine)
{
    QCPGraph* graph = plot->addGraph();
    graph->setName(name);
    graph->setData(x, y, true);
    graph->setPen(QPen(color, 2));
    graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, color, 5));
    if (stepLine)
        graph->setLineStyle(QCPGraph::lsStepCenter);
}

// A vertical amber band over the first divergence.
void markDivergence(QCustomPlot* plot, int step)
{
    if (step < 0)
        return;
    auto* band = new QCPItemRect(plot);
    band->topLeft->setTypeX(QCPItemPosition::ptPlotCoords);
    band->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    band->bottomRight->setTypeX(QCPItemPosition::ptPlotCoords);
    band->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    band->topLeft->setCoords(step - 0.5, 0);
    band->bottomRight->setCoords(step + 0.5, 1);
    band->setPen(QPen(style::divergenceColor()));
    band->setBrush(QBrush(style::divergenceFill()));
    band->setLayer("background");
}

} // namespace

void ComparePage::fetchStores()
{
    runs_ = &context_.notebook().runs();
    steps_ = &context_.notebook().steps();
    groups_ = &context_.notebook().groups();
}

ComparePage::ComparePage(LabContext& context, QWidget* parent) : QWidget(parent), context_(context)
{
    fetchStores();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(style::kPageMargin, style::kPageMargin, style::kPageMargin, style::kPageMargin);
    layout->setSpacing(style::kSpacing);
    layout->addWidget(style::pageTitle(tr("Compare runs"), this));
    layout->addWidget(style::subtitle(
        tr("Steps aligned by logical position. The first step whose parallel sets differ is highlighted."), this));

    layout->addWidget(buildPickers());

    banner_ = style::banner(this);
    banner_->setObjectName("divergenceBanner");
    layout->addWidget(banner_);

    layout->addWidget(buildStepsAndCharts(), 1);

    connect(&context_, &LabContext::runsChanged, this, &ComparePage::reloadPickers);
    connect(&context_, &LabContext::notebookChanged, this, [this] {
        fetchStores();
        runA_ = runB_ = groupId_ = 0;
        reloadPickers();
        fillTable();
        fillCharts();
        fillBanner();
    });
    reloadPickers();
    fillBanner();
}

// Run A, run B (in their chart colours) or a group.
QFrame* ComparePage::buildPickers()
{
    QFrame* pickers = style::card(this);
    auto* pickerRow = new QHBoxLayout;
    pickerRow->setSpacing(style::kSpacing);
    runPickerA_ = new QComboBox(pickers);
    runPickerB_ = new QComboBox(pickers);
    groupPicker_ = new QComboBox(pickers);
    for (QComboBox* box : {runPickerA_, runPickerB_, groupPicker_}) {
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        box->setMinimumContentsLength(18);
        box->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    }
    runPickerA_->setObjectName("runPickerA");
    runPickerB_->setObjectName("runPickerB");
    groupPicker_->setObjectName("groupPicker");
    auto* labelA = new QLabel(tr("Run A"), pickers);
    auto* labelB = new QLabel(tr("Run B"), pickers);
    auto* labelGroup = new QLabel(tr("or group"), pickers);
    labelA->setStyleSheet(QString("color: %1; font-weight: 600;").arg(style::runAColor().name()));
    labelB->setStyleSheet(QString("color: %1; font-weight: 600;").arg(style::runBColor().name()));
    pickerRow->addWidget(labelA);
    pickerRow->addWidget(runPickerA_, 3);
    pickerRow->addWidget(labelB);
    pickerRow->addWidget(runPickerB_, 3);
    pickerRow->addWidget(labelGroup);
    pickerRow->addWidget(groupPicker_, 2);
    style::cardLayout(pickers)->addLayout(pickerRow);
    connect(runPickerA_, &QComboBox::currentIndexChanged, this, [this] { pickersChanged(); });
    connect(runPickerB_, &QComboBox::currentIndexChanged, this, [this] { pickersChanged(); });
    connect(groupPicker_, &QComboBox::currentIndexChanged, this, [this] { groupPicked(); });
    return pickers;
}

// The aligned steps over the width and difference charts.
QSplitter* ComparePage::buildStepsAndCharts()
{
    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    table_ = new QTableWidget(0, ColumnCount, splitter);
    table_->setObjectName("alignedSteps");
    table_->setHorizontalHeaderLabels({tr("Step"), tr("Position"), tr("Run A set"), tr("Run B set"), tr("")});
    table_->verticalHeader()->setVisible(false);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->horizontalHeader()->setSectionResizeMode(StepColumn, QHeaderView::ResizeToContents);
    table_->horizontalHeader()->setSectionResizeMode(PositionColumn, QHeaderView::ResizeToContents);
    table_->horizontalHeader()->setSectionResizeMode(SetAColumn, QHeaderView::Stretch);
    table_->horizontalHeader()->setSectionResizeMode(SetBColumn, QHeaderView::Stretch);
    table_->horizontalHeader()->setSectionResizeMode(VerdictColumn, QHeaderView::ResizeToContents);
    table_->setMinimumHeight(150);

    QWidget* charts = buildCharts(splitter);
    splitter->addWidget(table_);
    splitter->addWidget(charts);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    return splitter;
}

// Set width per step for both runs, and their difference per step.
QWidget* ComparePage::buildCharts(QWidget* parent)
{
    auto* charts = new QWidget(parent);
    auto* chartRow = new QHBoxLayout(charts);
    chartRow->setContentsMargins(0, 0, 0, 0);
    chartRow->setSpacing(style::kSpacing);
    auto* widthColumn = new QVBoxLayout;
    widthColumn->addWidget(style::sectionTitle(tr("Set width per step"), charts));
    widthPlot_ = makePlot(charts);
    widthPlot_->setObjectName("widthPlot");
    widthPlot_->yAxis->setLabel("members");
    widthColumn->addWidget(widthPlot_, 1);
    auto* differenceColumn = new QVBoxLayout;
    differenceTitle_ = style::sectionTitle(tr("Difference per step"), charts);
    differenceColumn->addWidget(differenceTitle_);
    differencePlot_ = makePlot(charts);
    differencePlot_->setObjectName("differencePlot");
    differenceColumn->addWidget(differencePlot_, 1);
    chartRow->addLayout(widthColumn, 1);
    chartRow->addLayout(differenceColumn, 1);
    return charts;
}

QString ComparePage::runLabel(qint64 runId) const
{
    std::optional<notebook::RunRecord> run;
    try {
        run = runs_->find(runId);
    } catch (const NotebookError&) {
        return tr("#%1 (its configuration cannot be read)").arg(runId);
    }
    if (!run)
        return tr("#%1 (deleted)").arg(runId);
    return QString("#%1 \u00b7 %2 \u00b7 %3 \u00b7 %4")
        .arg(runId)
        .arg(QString::fromStdString(run->presetId))
        .arg(QString::fromStdString(run->config.modeName()) +
             (run->config.isArtifactControl() ? QStringLiteral(" \u00b7 CONTROL") : QString()))
        .arg(style::elided(QString::fromStdString(run->prompt), 28));
}

void ComparePage::reloadPickers()
{
    updatingPickers_ = true;
    notebook::RunQuery query;
    query.limit = kRunListLimit;
    std::vector<qint64> ids;
    for (const auto& summary : runs_->list(query))
        ids.push_back(summary.id);
    for (qint64 shown : {runA_, runB_})
        if (shown != 0 && std::find(ids.begin(), ids.end(), shown) == ids.end())
            ids.push_back(shown);
    for (QComboBox* box : {runPickerA_, runPickerB_}) {
        box->clear();
        box->addItem(tr("choose a run"), qint64{0});
        for (qint64 id : ids)
            box->addItem(runLabel(id), id);
    }
    runPickerA_->setCurrentIndex(std::max(0, runPickerA_->findData(runA_)));
    runPickerB_->setCurrentIndex(std::max(0, runPickerB_->findData(runB_)));

    groupPicker_->clear();
    groupPicker_->addItem(tr("choose a group"), qint64{0});
    auto groups = groups_->all();
    std::sort(groups.rbegin(), groups.rend()); // newest first
    for (std::int64_t groupId : groups) {
        const auto group = readableGroup(*groups_, groupId);
        if (!group || group->runIds.size() < 2)
            continue;
        const QString preset = QString::fromStdString(group->comparison.presetId);
        groupPicker_->addItem(tr("group #%1 \u00b7 preset %2 \u00b7 runs #%3, #%4")
                                  .arg(groupId)
                                  .arg(preset.isEmpty() ? QString::fromStdString(group->kind) : preset)
                                  .arg(group->runIds[0])
                                  .arg(group->runIds[1]),
                              qint64{groupId});
    }
    groupPicker_->setCurrentIndex(std::max(0, groupPicker_->findData(groupId_)));
    updatingPickers_ = false;
}

void ComparePage::pickersChanged()
{
    if (updatingPickers_)
        return;
    const qint64 a = runPickerA_->currentData().toLongLong();
    const qint64 b = runPickerB_->currentData().toLongLong();
    if (a != 0 && b != 0)
        showRuns(a, b);
}

void ComparePage::groupPicked()
{
    if (updatingPickers_)
        return;
    const qint64 groupId = groupPicker_->currentData().toLongLong();
    if (groupId != 0)
        showGroup(groupId);
}

void ComparePage::showGroup(qint64 groupId)
{
    std::optional<notebook::RunGroupRecord> group;
    try {
        group = groups_->find(groupId);
    } catch (const NotebookError& error) {
        style::setBanner(banner_, "warning", QString::fromStdString(error.what()));
        return;
    }
    if (!group || group->runIds.size() < 2) {
        style::setBanner(banner_, "warning", tr("Group #%1 does not hold two runs to compare.").arg(groupId));
        return;
    }
    showRuns(group->runIds[0], group->runIds[1]);
}

void ComparePage::showRuns(qint64 runA, qint64 runB)
{
    runA_ = runA;
    runB_ = runB;
    // A group that holds both runs carries the stored comparison (divergences per step).
    groupId_ = 0;
    const auto groupsA = groups_->ofRun(runA);
    const auto groupsB = groups_->ofRun(runB);
    for (auto it = groupsA.rbegin(); it != groupsA.rend(); ++it)
        if (std::find(groupsB.begin(), groupsB.end(), *it) != groupsB.end()) {
            groupId_ = *it;
            break;
        }
    alignment_ = alignSteps(steps_->ofRun(runA), steps_->ofRun(runB));
    reloadPickers();
    fillTable();
    fillCharts();
    fillBanner();
}

void ComparePage::fillBanner()
{
    if (runA_ == 0 || runB_ == 0) {
        style::setBanner(banner_, "info", tr("Choose two runs, or a group such as the isolated/visible pair of preset 2."));
        return;
    }
    // An artifact-control run is a control, never a TEMPO result: said before anything else.
    QStringList controls;
    const std::vector<std::pair<QString, qint64>> shownRuns{{QStringLiteral("A"), runA_}, {QStringLiteral("B"), runB_}};
    for (const auto& [name, runId] : shownRuns) {
        try {
            if (const auto run = runs_->find(runId); run && run->config.isArtifactControl())
                controls << name;
        } catch (const NotebookError&) {
            // an unreadable run is reported by the run page
        }
    }
    const QString controlNote = controls.isEmpty()
        ? QString()
        : tr("<b>%1</b>: run %2 %3 the artifact control (%4).<br>")
              .arg(QString::fromUtf8(kArtifactControlLabel), controls.join(tr(" and ")),
                   controls.size() == 1 ? tr("is") : tr("are"), QString::fromUtf8(kArtifactControlMeaning).toHtmlEscaped());
    if (alignment_.rows.empty()) {
        style::setBanner(banner_, "warning", controlNote + tr("Neither run has recorded steps yet."));
        return;
    }
    if (alignment_.firstDivergence < 0) {
        // Under the control no divergence is the artifact itself, not good news.
        style::setBanner(banner_, controls.isEmpty() ? "success" : "info",
                         controlNote + tr("<b>No divergence:</b> both runs selected the same parallel sets at all %1 steps.")
                             .arg(alignment_.rows.size()));
        return;
    }
    const auto& row = *std::find_if(alignment_.rows.begin(), alignment_.rows.end(),
                                    [this](const AlignedStep& r) { return r.step == alignment_.firstDivergence; });
    auto describe = [](const std::optional<notebook::StepRecord>& step) {
        if (!step)
            return tr("(no step: the run had stopped)");
        QStringList tokens;
        for (const auto& token : step->tokens)
            tokens << style::visibleToken(token).toHtmlEscaped();
        return "{" + tokens.join(", ") + "}";
    };
    style::setBanner(banner_, "divergence",
                     controlNote + tr("<b>First divergence at step %1</b> (%2 before it identical): run A selected %3, "
                        "run B selected %4.")
                         .arg(row.step)
                         .arg(row.step == 0 ? tr("no step") : row.step == 1 ? tr("step 0") : tr("steps 0\u2013%1").arg(row.step - 1))
                         .arg(describe(row.a))
                         .arg(describe(row.b)));
}

void ComparePage::fillTable()
{
    table_->setRowCount(0);
    highlightedRow_ = -1;
    table_->setRowCount(static_cast<int>(alignment_.rows.size()));
    const QBrush divergenceBrush(style::divergenceFill());
    for (int r = 0; r < static_cast<int>(alignment_.rows.size()); ++r) {
        const AlignedStep& row = alignment_.rows[r];
        auto* stepItem = new QTableWidgetItem(QString::number(row.step));
        stepItem->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        const auto& any = row.a ? row.a : row.b;
        auto* positionItem = new QTableWidgetItem(QString::number(any->logicalPosition));
        positionItem->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        auto* setA = new QTableWidgetItem(row.a ? setText(*row.a) : tr("\u2014 stopped"));
        auto* setB = new QTableWidgetItem(row.b ? setText(*row.b) : tr("\u2014 stopped"));
        if (row.a)
            setA->setToolTip(setTooltip(*row.a));
        if (row.b)
            setB->setToolTip(setTooltip(*row.b));
        QString mark = row.sameSet ? tr("same") : tr("differs");
        if (row.step == alignment_.firstDivergence)
            mark = tr("first divergence");
        auto* markItem = new QTableWidgetItem(mark);
        table_->setItem(r, StepColumn, stepItem);
        table_->setItem(r, PositionColumn, positionItem);
        table_->setItem(r, SetAColumn, setA);
        table_->setItem(r, SetBColumn, setB);
        table_->setItem(r, VerdictColumn, markItem);
        if (row.step == alignment_.firstDivergence) {
            highlightedRow_ = r;
            for (int c = 0; c < ColumnCount; ++c) {
                table_->item(r, c)->setBackground(divergenceBrush);
                QFont font = table_->item(r, c)->font();
                font.setBold(true);
                table_->item(r, c)->setFont(font);
            }
        } else if (!row.sameSet) {
            markItem->setForeground(QBrush(style::divergenceColor().darker(130)));
        }
    }
    if (highlightedRow_ >= 0)
        table_->scrollToItem(table_->item(highlightedRow_, 0), QAbstractItemView::PositionAtCenter);
}

void ComparePage::fillCharts()
{
    for (QCustomPlot* plot : {widthPlot_, differencePlot_}) {
        plot->clearGraphs();
        plot->clearItems();
    }
    QVector<double> stepsA, widthA, stepsB, widthB, topA, topB;
    for (const auto& row : alignment_.rows) {
        if (row.a) {
            stepsA << row.step;
            widthA << static_cast<double>(row.a->tokenIds.size());
            topA << (row.a->probabilities.empty() ? 0.0 : row.a->probabilities.front());
        }
        if (row.b) {
            stepsB << row.step;
            widthB << static_cast<double>(row.b->tokenIds.size());
            topB << (row.b->probabilities.empty() ? 0.0 : row.b->probabilities.front());
        }
    }
    addGraph(widthPlot_, tr("run A #%1").arg(runA_), stepsA, widthA, style::runAColor(), true);
    addGraph(widthPlot_, tr("run B #%1").arg(runB_), stepsB, widthB, style::runBColor(), true);
    double maxWidth = 1;
    for (double w : widthA + widthB)
        maxWidth = std::max(maxWidth, w);
    widthPlot_->yAxis->setRange(0, maxWidth * 1.45 + 0.5); // headroom for the legend

    // The per-step divergence of the stored comparison, when a group holds both runs.
    QVector<double> jsX, jsY, klX, klY, attX, attY;
    if (groupId_ != 0) {
        const auto group = readableGroup(*groups_, groupId_);
        const bool swapped = group && group->runIds.size() >= 2 && group->runIds[0] == runB_;
        if (group && group->comparison.metrics && !swapped) {
            for (const AnalysisMetric& m : *group->comparison.metrics) {
                if (m.step < 0 || !std::isfinite(m.value) || m.layer >= 0 || m.head >= 0)
                    continue;
                const std::string& name = m.name;
                const double step = static_cast<double>(m.step);
                const double value = m.value;
                if (name == "distribution.by_step.js") {
                    jsX << step;
                    jsY << value;
                } else if (name == "distribution.by_step.kl_ab") {
                    klX << step;
                    klY << value;
                } else if (name == "attention.by_step.max_abs_diff") {
                    attX << step;
                    attY << value;
                }
            }
        }
    }
    if (!jsX.isEmpty()) {
        differenceTitle_->setText(tr("Readout divergence per step (nats)"));
        addGraph(differencePlot_, tr("Jensen\u2013Shannon"), jsX, jsY, QColor(120, 80, 200), false);
        if (!klX.isEmpty())
            addGraph(differencePlot_, tr("KL(A\u2016B)"), klX, klY, QColor(40, 160, 140), false);
        differencePlot_->yAxis->setLabel("nats");
    } else if (!attX.isEmpty()) {
        differenceTitle_->setText(tr("Attention difference per step"));
        addGraph(differencePlot_, tr("max |A \u2212 B|"), attX, attY, QColor(120, 80, 200), false);
        differencePlot_->yAxis->setLabel("probability");
    } else {
        differenceTitle_->setText(tr("Top-member probability, A \u2212 B"));
        QVector<double> x, y;
        for (const auto& row : alignment_.rows)
            if (row.a && row.b && !row.a->probabilities.empty() && !row.b->probabilities.empty()) {
                x << row.step;
                y << row.a->probabilities.front() - row.b->probabilities.front();
            }
        addGraph(differencePlot_, tr("A \u2212 B"), x, y, QColor(120, 80, 200), false);
        differencePlot_->yAxis->setLabel("probability");
    }
    for (QCustomPlot* plot : {widthPlot_, differencePlot_}) {
        markDivergence(plot, alignment_.firstDivergence);
        const double last = alignment_.rows.empty() ? 1.0 : alignment_.rows.back().step;
        plot->xAxis->setRange(-0.6, last + 0.6);
    }
    // The y range from the data itself (every graph, every point), with room for the legend above.
    double low = 0, high = 0;
    for (int g = 0; g < differencePlot_->graphCount(); ++g)
        for (auto it = differencePlot_->graph(g)->data()->constBegin(); it != differencePlot_->graph(g)->data()->constEnd(); ++it)
            if (std::isfinite(it->value)) {
                low = std::min(low, it->value);
                high = std::max(high, it->value);
            }
    const double span = std::max(1e-6, high - low);
    differencePlot_->yAxis->setRange(low - span * 0.08, high + span * 0.35);
    widthPlot_->replot();
    differencePlot_->replot();
}

} // namespace tempo::gui
