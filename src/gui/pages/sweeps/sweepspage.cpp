#include "gui/pages/sweeps/sweepspage.h"

#include <algorithm>
#include <cmath>

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include "core/experiment/presetcatalog.h"
#include "core/runrecord/tempoconfig.h"
#include "core/notebook/notebook.h"
#include "gui/shell/labcontext.h"
#include "gui/shell/labsettings.h"
#include "gui/widgets/pagestyle.h"
#include "gui/widgets/thresholdfield.h"

namespace tempo::gui {

using nlohmann::json;
namespace style = pagestyle;

namespace {

constexpr int kMetricColumn = 0;

double numberOr(const json& value, double fallback)
{
    return value.is_number() ? value.get<double>() : fallback;
}

QString formatNumber(double value)
{
    if (!std::isfinite(value))
        return QStringLiteral("n/a");
    return QString::number(value, 'g', 4);
}

// "0.412  [0.301, 0.523]" (n < 2: just the mean).
QString statisticText(const json& statistic)
{
    const double mean = numberOr(statistic.value("mean", json()), NAN);
    const double low = numberOr(statistic.value("ci95_low", json()), NAN);
    const double high = numberOr(statistic.value("ci95_high", json()), NAN);
    if (!std::isfinite(low) || !std::isfinite(high))
        return formatNumber(mean);
    return QString("%1  [%2, %3]").arg(formatNumber(mean), formatNumber(low), formatNumber(high));
}

QString statisticTooltip(const json& statistic)
{
    return QString("n = %1 (non-finite left out: %2)\nmean %3, sd %4\n95% CI [%5, %6] (percentile bootstrap)")
        .arg(statistic.value("n", 0))
        .arg(statistic.value("non_finite", 0))
        .arg(formatNumber(numberOr(statistic.value("mean", json()), NAN)))
        .arg(formatNumber(numberOr(statistic.value("std", json()), NAN)))
        .arg(formatNumber(numberOr(statistic.value("ci95_low", json()), NAN)))
        .arg(formatNumber(numberOr(statistic.value("ci95_high", json()), NAN)));
}

// Means with 95% CI bars at `x` (a point without an interval is drawn without a bar).
void addIntervals(QCustomPlot* plot, const QString& name, const QVector<double>& x, const QVector<double>& mean,
                  const QVector<double>& low, const QVector<double>& high, const QColor& color)
{
    QCPGraph* graph = plot->addGraph();
    graph->setName(name);
    graph->setData(x, mean);
    graph->setPen(QPen(color, 2));
    graph->setLineStyle(QCPGraph::lsNone);
    graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, 8));
    auto* bars = new QCPErrorBars(plot->xAxis, plot->yAxis);
    bars->removeFromLegend();
    bars->setDataPlottable(graph);
    QVector<double> below, above;
    for (int i = 0; i < mean.size(); ++i) {
        below << (std::isfinite(low[i]) ? mean[i] - low[i] : 0.0);
        above << (std::isfinite(high[i]) ? high[i] - mean[i] : 0.0);
    }
    bars->setData(below, above);
    bars->setPen(QPen(color, 1.5));
    bars->setWhiskerWidth(10);
}

} // namespace

void SweepsPage::fetchStores()
{
    sweeps_ = &context_.notebook().sweeps();
    presets_ = &context_.notebook().presets();
}

SweepsPage::SweepsPage(LabContext& context, QWidget* parent) : QWidget(parent), context_(context)
{
    fetchStores();
    worker_ = new SweepWorker;
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(style::kPageMargin, style::kPageMargin, style::kPageMargin, style::kPageMargin);
    layout->setSpacing(style::kSpacing);
    layout->addWidget(style::pageTitle(tr("Sweeps"), this));
    layout->addWidget(style::subtitle(tr("One preset over a prompt suite and several thresholds. Every metric is "
                                         "summarised per threshold with its mean and a 95% bootstrap interval "
                                         "(never outside the values seen)."),
                                      this));

    auto* columns = new QHBoxLayout;
    columns->setSpacing(style::kSpacing);
    layout->addLayout(columns, 1);
    columns->addWidget(buildLaunchForm());
    columns->addLayout(buildResults(), 1);

    connectWorker();
    connect(&context_, &LabContext::notebookChanged, this, [this] {
        fetchStores();
        sweepId_ = 0;
        aggregate_ = json();
        reloadPresets();
        reloadSweeps();
        fillAggregate();
        fillCharts();
    });

    const auto model = context_.defaultModelFolder();
    modelField_->setText(QString::fromStdString(model.string()));
    reloadPresets();
    reloadSweeps();
    fillAggregate();
    fillCharts();
}

// Left: the launch form (preset, prompts, thresholds, max steps, model; Run and Cancel; progress).
QFrame* SweepsPage::buildLaunchForm()
{
    QFrame* form = style::card(this);
    form->setFixedWidth(330);
    style::cardLayout(form)->addWidget(style::sectionTitle(tr("New sweep"), form));
    style::cardLayout(form)->addLayout(buildLaunchFields(form));
    auto* buttons = new QHBoxLayout;
    runButton_ = new QPushButton(QIcon(":/icons/run.svg"), tr("Run sweep"), form);
    runButton_->setObjectName("sweepRun");
    runButton_->setDefault(true);
    cancelButton_ = new QPushButton(QIcon(":/icons/cancel.svg"), tr("Cancel"), form);
    cancelButton_->setObjectName("sweepCancel");
    cancelButton_->setEnabled(false);
    buttons->addWidget(runButton_, 1);
    buttons->addWidget(cancelButton_);
    style::cardLayout(form)->addLayout(buttons);
    progress_ = new QProgressBar(form);
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setTextVisible(false);
    progress_->setFixedHeight(8);
    progressText_ = new QLabel(tr("Idle"), form);
    progressText_->setObjectName("sweepProgressText");
    progressText_->setWordWrap(true);
    progressText_->setForegroundRole(QPalette::PlaceholderText);
    style::cardLayout(form)->addWidget(progress_);
    style::cardLayout(form)->addWidget(progressText_);
    style::cardLayout(form)->addStretch(1);

    connect(runButton_, &QPushButton::clicked, this, &SweepsPage::launch);
    connect(cancelButton_, &QPushButton::clicked, this, &SweepsPage::cancel);
    return form;
}

// The launch form's fields; "From file…" and the folder button open their dialogs.
QFormLayout* SweepsPage::buildLaunchFields(QFrame* form)
{
    auto* fields = new QFormLayout;
    fields->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    fields->setLabelAlignment(Qt::AlignLeft);
    presetPicker_ = new QComboBox(form);
    presetPicker_->setObjectName("sweepPreset");
    suitePicker_ = new QComboBox(form);
    suitePicker_->setObjectName("sweepSuite");
    suitePicker_->addItem(tr("Shipped suite (%1 prompts)").arg(QString(defaultSuiteText()).count('\n')), QString());
    suitePicker_->addItem(tr("From file\u2026"), QStringLiteral("file"));
    thresholdsField_ = new QLineEdit("0.05, 0.1, 0.2", form);
    thresholdsField_->setObjectName("sweepThresholds");
    thresholdsField_->setToolTip(tr("Thresholds separated by commas or spaces, each in (0, 1]"));
    maxStepsField_ = new QSpinBox(form);
    maxStepsField_->setObjectName("sweepMaxSteps");
    maxStepsField_->setRange(0, 4096);
    maxStepsField_->setSpecialValueText(tr("preset's"));
    modelField_ = new QLineEdit(form);
    modelField_->setObjectName("sweepModel");
    modelField_->setPlaceholderText(tr("model folder"));
    auto* browseModel = new QPushButton(QIcon(":/icons/folder.svg"), QString(), form);
    browseModel->setToolTip(tr("Choose a model folder"));
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(modelField_, 1);
    modelRow->addWidget(browseModel);
    fields->addRow(tr("Preset"), presetPicker_);
    fields->addRow(tr("Prompts"), suitePicker_);
    fields->addRow(tr("Thresholds"), thresholdsField_);
    fields->addRow(tr("Max steps"), maxStepsField_);
    fields->addRow(tr("Model"), modelRow);
    connect(browseModel, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Model folder"), modelField_->text());
        if (!folder.isEmpty())
            modelField_->setText(folder);
    });
    connect(suitePicker_, &QComboBox::activated, this, [this](int index) {
        if (suitePicker_->itemData(index).toString() != "file")
            return;
        const QString file = QFileDialog::getOpenFileName(this, tr("Prompt suite"), QString(),
                                                          tr("JSON lines (*.jsonl *.json);;All files (*)"));
        if (file.isEmpty())
            suitePicker_->setCurrentIndex(0);
        else
            useSuiteFile(file);
    });
    return fields;
}

// Right: a stored sweep's aggregate (picker, table) over its two confidence-interval charts.
QVBoxLayout* SweepsPage::buildResults()
{
    auto* results = new QVBoxLayout;
    results->setSpacing(8);
    auto* pickRow = new QHBoxLayout;
    pickRow->addWidget(style::sectionTitle(tr("Results"), this));
    sweepPicker_ = new QComboBox(this);
    sweepPicker_->setObjectName("sweepPicker");
    sweepPicker_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    sweepPicker_->setMinimumContentsLength(24);
    sweepPicker_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    pickRow->addWidget(sweepPicker_, 1);
    results->addLayout(pickRow);
    sweepInfo_ = new QLabel(this);
    sweepInfo_->setObjectName("sweepInfo");
    sweepInfo_->setWordWrap(true);
    sweepInfo_->setForegroundRole(QPalette::PlaceholderText);
    results->addWidget(sweepInfo_);
    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    table_ = new QTableWidget(0, 1, splitter);
    table_->setObjectName("sweepAggregate");
    table_->verticalHeader()->setVisible(false);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setAlternatingRowColors(true);
    table_->setMinimumHeight(140);
    QWidget* charts = buildCharts(splitter);
    splitter->addWidget(table_);
    splitter->addWidget(charts);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    results->addWidget(splitter, 1);

    connect(sweepPicker_, &QComboBox::currentIndexChanged, this, [this] {
        if (!updating_ && sweepPicker_->currentData().toLongLong() != 0)
            showSweep(sweepPicker_->currentData().toLongLong());
    });
    connect(table_, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (updating_ || row < 0 || !table_->item(row, kMetricColumn))
            return;
        metric_ = table_->item(row, kMetricColumn)->text();
        fillCharts();
    });
    return results;
}

// The picked metric by threshold (all categories) and by category (all thresholds).
QWidget* SweepsPage::buildCharts(QWidget* parent)
{
    auto* charts = new QWidget(parent);
    auto* chartLayout = new QVBoxLayout(charts);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartTitle_ = style::sectionTitle(tr("Confidence intervals"), charts);
    chartLayout->addWidget(chartTitle_);
    auto* chartRow = new QHBoxLayout;
    thresholdPlot_ = style::chart(charts);
    thresholdPlot_->setObjectName("sweepThresholdPlot");
    thresholdPlot_->xAxis->setLabel(tr("threshold (all categories)"));
    thresholdPlot_->legend->setVisible(false); // the axis labels say what each chart pools
    categoryPlot_ = style::chart(charts);
    categoryPlot_->setObjectName("sweepCategoryPlot");
    categoryPlot_->xAxis->setLabel(tr("category (all thresholds)"));
    categoryPlot_->legend->setVisible(false);
    chartRow->addWidget(thresholdPlot_, 1);
    chartRow->addWidget(categoryPlot_, 1);
    chartLayout->addLayout(chartRow, 1);
    return charts;
}

// Progress, the end of a sweep and its failure, from the worker thread (queued).
void SweepsPage::connectWorker()
{
    connect(worker_, &SweepWorker::pointFinished, this, [this](qint64 done, qint64 points, double eta) {
        progress_->setRange(0, static_cast<int>(points));
        progress_->setValue(static_cast<int>(done));
        QString text = tr("%1 of %2 points").arg(done).arg(points);
        if (eta >= 0)
            text += tr(" \u00b7 about %1 s left").arg(std::ceil(eta));
        progressText_->setText(text);
    });
    connect(worker_, &SweepWorker::finished, this, [this](qint64 sweepId, bool cancelled) {
        setRunning(false);
        progressText_->setText(cancelled ? tr("Cancelled: finished points are kept; run the same sweep again to resume.")
                                         : tr("Finished sweep #%1.").arg(sweepId));
        context_.announceRunsChanged();
        reloadSweeps();
        showSweep(sweepId);
        emit sweepFinished(sweepId);
    });
    connect(worker_, &SweepWorker::failed, this, [this](const QString& message) {
        setRunning(false);
        progressText_->setText(tr("The sweep stopped: %1").arg(message));
        context_.announceRunsChanged();
        reloadSweeps();
    });
}

SweepsPage::~SweepsPage() { delete worker_; } // cancels and joins its thread

void SweepsPage::reloadPresets()
{
    const QString current = presetPicker_->currentData().toString();
    presetPicker_->clear();
    for (const auto& entry : listPresets(presets_)) {
        const QString id = QString::fromStdString(entry.preset.id);
        presetPicker_->addItem(QString("%1 \u00b7 %2").arg(id, QString::fromStdString(entry.preset.name)), id);
        presetPicker_->setItemData(presetPicker_->count() - 1, QString::fromStdString(entry.preset.description),
                                   Qt::ToolTipRole);
    }
    const int index = presetPicker_->findData(current.isEmpty() ? QStringLiteral("2") : current);
    presetPicker_->setCurrentIndex(std::max(0, index));
}

void SweepsPage::useSuiteFile(const QString& path)
{
    suiteFile_ = path;
    if (suitePicker_->count() > 2)
        suitePicker_->removeItem(2);
    suitePicker_->addItem(QFileInfo(path).fileName(), path);
    suitePicker_->setItemData(2, path, Qt::ToolTipRole);
    suitePicker_->setCurrentIndex(2);
}

void SweepsPage::launch()
{
    if (worker_->isRunning())
        return;
    SweepLaunch launch;
    launch.presetId = presetPicker_->currentData().toString();
    launch.modelFolder = modelField_->text().trimmed();
    launch.maxSteps = maxStepsField_->value();
    launch.device = LabSettings::device();
    launch.dtype = LabSettings::dtype();
    launch.threads = LabSettings::threads();
    QString error;
    launch.thresholds = parseThresholdField(thresholdsField_->text(), &error);
    if (launch.thresholds.isEmpty()) {
        progressText_->setText(error);
        return;
    }
    if (launch.modelFolder.isEmpty()) {
        progressText_->setText(tr("Choose a model folder first."));
        return;
    }
    const QString file = suitePicker_->currentIndex() >= 2 ? suitePicker_->currentData().toString() : QString();
    if (file.isEmpty()) {
        launch.suiteText = QString::fromUtf8(defaultSuiteText());
        launch.suiteSource = tr("shipped prompt suite");
    } else {
        QFile in(file); // a suite is a few KB: read here, parsed and validated on the worker
        if (!in.open(QIODevice::ReadOnly)) {
            progressText_->setText(tr("Cannot read the prompt suite %1: %2").arg(file, in.errorString()));
            return;
        }
        launch.suiteText = QString::fromUtf8(in.readAll());
        launch.suiteSource = tr("prompt suite '%1'").arg(file);
    }
    setRunning(true);
    progress_->setRange(0, 0); // busy until the first point reports
    progressText_->setText(tr("Loading the model\u2026"));
    worker_->start(launch, context_.notebookPath());
}

void SweepsPage::cancel()
{
    worker_->cancel();
    progressText_->setText(tr("Cancelling after the current forward\u2026"));
}

void SweepsPage::setRunning(bool running)
{
    runButton_->setEnabled(!running);
    cancelButton_->setEnabled(running);
    if (!running && progress_->maximum() == 0)
        progress_->setRange(0, 1);
}

void SweepsPage::reloadSweeps()
{
    updating_ = true;
    sweepPicker_->clear();
    auto ids = sweeps_->all();
    std::sort(ids.rbegin(), ids.rend());
    if (ids.empty())
        sweepPicker_->addItem(tr("no sweeps yet"), qint64{0});
    for (std::int64_t id : ids) {
        const auto sweep = sweeps_->find(id);
        const json state = sweep ? json::parse(sweep->specJson, nullptr, false) : json();
        QString preset, status;
        int thresholds = 0, prompts = 0;
        if (state.is_object()) {
            status = QString::fromStdString(state.value("status", ""));
            const json spec = state.value("spec", json::object());
            if (spec.contains("preset") && spec["preset"].is_object()) {
                preset = QString::fromStdString(spec["preset"].value("id", ""));
                // A sweep of the artifact control: its preset names the mechanism (never a TEMPO result).
                if (spec["preset"].value(kMechanismKey, "tempo") == "artifact_control")
                    preset += QStringLiteral(" \u00b7 CONTROL");
            }
            thresholds = static_cast<int>(spec.value("thresholds", json::array()).size());
            prompts = static_cast<int>(spec.value("suite", json::array()).size());
        }
        sweepPicker_->addItem(tr("sweep #%1 \u00b7 preset %2 \u00b7 %3 prompts \u00d7 %4 thresholds \u00b7 %5")
                                  .arg(id)
                                  .arg(preset)
                                  .arg(prompts)
                                  .arg(thresholds)
                                  .arg(status),
                              qint64{id});
    }
    const int index = sweepPicker_->findData(sweepId_);
    sweepPicker_->setCurrentIndex(std::max(0, index));
    updating_ = false;
    if (sweepId_ == 0 && !ids.empty())
        showSweep(ids.front());
}

void SweepsPage::showSweep(qint64 sweepId)
{
    sweepId_ = sweepId;
    aggregate_ = json();
    const auto sweep = sweeps_->find(sweepId);
    if (sweep) {
        const json state = json::parse(sweep->specJson, nullptr, false);
        if (state.is_object())
            aggregate_ = state.value("aggregate", json());
        const json spec = state.is_object() ? state.value("spec", json::object()) : json::object();
        const bool control = aggregate_.is_object() && aggregate_.contains("control") && aggregate_["control"].is_string();
        sweepInfo_->setText((control ? QString::fromStdString(aggregate_["control"].get<std::string>()) + QStringLiteral(" \u00b7 ")
                                     : QString()) +
                            tr("%1 \u00b7 %2 runs \u00b7 created %3 \u00b7 unit: %4 \u00b7 %5")
                                .arg(QString::fromStdString(state.value("status", "")))
                                .arg(sweep->runs.size())
                                .arg(QString::fromStdString(sweep->createdAt))
                                .arg(QString::fromStdString(aggregate_.is_object() ? aggregate_.value("unit", "") : ""))
                                .arg(QString::fromStdString(spec.value("model_folder", ""))));
    } else {
        sweepInfo_->setText(tr("Run a sweep to see its aggregate here."));
    }
    updating_ = true;
    const int index = sweepPicker_->findData(sweepId);
    if (index >= 0)
        sweepPicker_->setCurrentIndex(index);
    updating_ = false;
    fillAggregate();
    fillCharts();
}

void SweepsPage::fillAggregate()
{
    updating_ = true;
    table_->clear();
    table_->setRowCount(0);
    const json byThreshold = aggregate_.is_object() ? aggregate_.value("by_threshold", json::array()) : json::array();
    const json all = aggregate_.is_object() ? aggregate_.value("all_thresholds", json::object()) : json::object();
    const json overall = all.is_object() ? all.value("overall", json::object()) : json::object();
    QStringList headers{tr("Metric")};
    for (const auto& entry : byThreshold)
        headers << tr("t = %1 (%2)").arg(numberOr(entry.value("threshold", json()), NAN)).arg(entry.value("points", 0));
    headers << tr("all thresholds");
    table_->setColumnCount(headers.size());
    table_->setHorizontalHeaderLabels(headers);
    table_->setRowCount(static_cast<int>(overall.size()));
    int row = 0;
    int metricRow = -1;
    for (const auto& [name, statistic] : overall.items()) {
        const QString metric = QString::fromStdString(name);
        table_->setItem(row, kMetricColumn, new QTableWidgetItem(metric));
        int column = 1;
        for (const auto& entry : byThreshold) {
            const json metrics = entry.value("overall", json::object());
            auto* item = new QTableWidgetItem(metrics.contains(name) ? statisticText(metrics[name]) : QString("\u2014"));
            if (metrics.contains(name))
                item->setToolTip(statisticTooltip(metrics[name]));
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            table_->setItem(row, column++, item);
        }
        auto* allItem = new QTableWidgetItem(statisticText(statistic));
        allItem->setToolTip(statisticTooltip(statistic));
        allItem->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        table_->setItem(row, column, allItem);
        if (metric == metric_)
            metricRow = row;
        ++row;
    }
    // Metric names are long ("cross_parallel.mean_sibling_mass"): every column fits its contents
    // and the table scrolls sideways rather than cutting names.
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->horizontalHeader()->setStretchLastSection(false);
    // Keep the chosen metric; else a headline one: the first of a preference list that is present.
    if (metricRow < 0) {
        for (const char* preferred : {"distribution.max_abs_diff", "attention.max_abs_diff", "run.max_width",
                                      "run.multi_member_steps", "run.steps"}) {
            const auto found = table_->findItems(preferred, Qt::MatchExactly);
            if (!found.isEmpty()) {
                metricRow = found.front()->row();
                break;
            }
        }
        if (metricRow < 0 && table_->rowCount() > 0)
            metricRow = 0;
        metric_ = metricRow >= 0 ? table_->item(metricRow, kMetricColumn)->text() : QString();
    }
    if (metricRow >= 0)
        table_->setCurrentCell(metricRow, kMetricColumn);
    updating_ = false;
}

void SweepsPage::fillCharts()
{
    for (QCustomPlot* plot : {thresholdPlot_, categoryPlot_}) {
        plot->clearPlottables();
        plot->clearItems();
    }
    chartTitle_->setText(metric_.isEmpty() ? tr("Confidence intervals")
                                           : tr("%1: mean and 95% confidence interval").arg(metric_));
    const std::string name = metric_.toStdString();
    const json byThreshold = aggregate_.is_object() ? aggregate_.value("by_threshold", json::array()) : json::array();
    QVector<double> x, mean, low, high;
    for (const auto& entry : byThreshold) {
        const json metrics = entry.value("overall", json::object());
        if (!metrics.contains(name))
            continue;
        x << numberOr(entry.value("threshold", json()), NAN);
        mean << numberOr(metrics[name].value("mean", json()), NAN);
        low << numberOr(metrics[name].value("ci95_low", json()), NAN);
        high << numberOr(metrics[name].value("ci95_high", json()), NAN);
    }
    if (!x.isEmpty()) {
        addIntervals(thresholdPlot_, tr("all categories"), x, mean, low, high, style::runAColor());
        thresholdPlot_->rescaleAxes();
        const double span = std::max(0.02, x.back() - x.front());
        thresholdPlot_->xAxis->setRange(x.front() - span * 0.15, x.back() + span * 0.15);
        QCPRange y = thresholdPlot_->yAxis->range();
        for (int i = 0; i < x.size(); ++i) {
            if (std::isfinite(low[i]))
                y.expand(low[i]);
            if (std::isfinite(high[i]))
                y.expand(high[i]);
        }
        const double pad = std::max(1e-6, y.size() * 0.12);
        thresholdPlot_->yAxis->setRange(y.lower - pad, y.upper + pad);
    }

    const json all = aggregate_.is_object() ? aggregate_.value("all_thresholds", json::object()) : json::object();
    const json categories = all.is_object() ? all.value("categories", json::object()) : json::object();
    QVector<double> cx, cmean, clow, chigh;
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    int position = 0;
    for (const auto& [category, entry] : categories.items()) {
        const json metrics = entry.value("metrics", json::object());
        if (!metrics.contains(name))
            continue;
        cx << position;
        cmean << numberOr(metrics[name].value("mean", json()), NAN);
        clow << numberOr(metrics[name].value("ci95_low", json()), NAN);
        chigh << numberOr(metrics[name].value("ci95_high", json()), NAN);
        ticker->addTick(position, QString::fromStdString(category));
        ++position;
    }
    categoryPlot_->xAxis->setTicker(ticker);
    if (!cx.isEmpty()) {
        addIntervals(categoryPlot_, tr("categories"), cx, cmean, clow, chigh, style::runBColor());
        categoryPlot_->xAxis->setRange(-0.6, position - 0.4);
        QCPRange y(cmean.front(), cmean.front());
        for (int i = 0; i < cx.size(); ++i)
            for (double v : {cmean[i], clow[i], chigh[i]})
                if (std::isfinite(v))
                    y.expand(v);
        const double pad = std::max(1e-6, y.size() * 0.12);
        categoryPlot_->yAxis->setRange(y.lower - pad, y.upper + pad);
    }
    thresholdPlot_->replot();
    categoryPlot_->replot();
}

} // namespace tempo::gui
