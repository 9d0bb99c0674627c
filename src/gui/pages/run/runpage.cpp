#include "gui/pages/run/runpage.h"

#include <cmath>
#include <memory>

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "gui/shell/labcontext.h"
#include "gui/widgets/flowlayout.h"
#include "gui/widgets/tokenchips.h"

#include <qcustomplot.h>

#include "core/report/reportdata.h"
#include "render/charts/chartbuilders.h"
#include "gui/widgets/interactiveplot.h"

#include "gui/pages/attention/attentionexplorer.h"

namespace tempo::gui {

namespace {

QLabel* sectionTitle(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    label->setObjectName(QStringLiteral("sectionTitle"));
    return label;
}

QString checkValue(double value)
{
    if (std::isnan(value))
        return QStringLiteral("n/a");
    if (value == std::floor(value) && std::abs(value) < 1e9)
        return QString::number(static_cast<long long>(value));
    return QString::number(value, 'g', 3);
}

// What each check proves, for its badge's tooltip.
QString checkMeaning(const std::string& name)
{
    if (name == "all_members_cached")
        return QObject::tr("Every member of every set reached the KV cache (value: cache slots).");
    if (name == "shared_positions")
        return QObject::tr("All members of a set were fed with one RoPE position id (value: forwards that break it).");
    if (name == "sibling_attention")
        return QObject::tr("Isolated: attention to siblings is exactly 0 (value: its max). Visible: earlier siblings "
                           "get attention > 0 (value: its min).");
    if (name == "rope_rotation")
        return QObject::tr("Cached keys carry the rotation of their logical position (value: max abs error).");
    if (name == "finite")
        return QObject::tr("No NaN or Inf in logits and distributions (value: non-finite values).");
    return {};
}

} // namespace

QString plainFailure(const QString& engineMessage)
{
    QString what = QObject::tr("The run could not finish.");
    const QString lower = engineMessage.toLower();
    if (lower.contains(QLatin1String("config.json")) || lower.contains(QLatin1String("checkpoint")) ||
        lower.contains(QLatin1String("safetensors")))
        what = QObject::tr("The model could not be loaded: its folder is missing a file or holds a damaged one.");
    else if (lower.contains(QLatin1String("tokenizer")))
        what = QObject::tr("The model's tokenizer could not be read.");
    else if (lower.contains(QLatin1String("cuda")))
        what = QObject::tr("The chosen device is not available on this machine.");
    else if (lower.contains(QLatin1String("f16")) || lower.contains(QLatin1String("dtype")))
        what = QObject::tr("The chosen precision cannot run on this device.");
    else if (lower.contains(QLatin1String("notebook")) || lower.contains(QLatin1String("sqlite")))
        what = QObject::tr("The notebook could not record the run.");
    else if (lower.contains(QLatin1String("preset")) || lower.contains(QLatin1String("expected")))
        what = QObject::tr("A setting of the preset is out of range.");
    return what + QStringLiteral("\n") + QObject::tr("Details: ") + engineMessage;
}

RunPage::RunPage(LabContext& context, QWidget* parent) : QWidget(parent), context_(context)
{
    fetchStores();
    // The shown run belonged to the old notebook (the same id may be another run in the new one).
    connect(&context_, &LabContext::notebookChanged, this, [this] {
        fetchStores();
        showNoRun(tr("No run selected"));
        emptyHint_->show();
    });
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    // The page scrolls down only: its sections follow the window's width (charts and tables
    // resize), and a few pixels of minimum width over the viewport at 1280x800 otherwise showed a
    // horizontal bar that scrolled nothing useful.
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    outer->addWidget(scroll);
    body_ = new QWidget(scroll);
    scroll->setWidget(body_);
    auto* layout = new QVBoxLayout(body_);
    layout->setContentsMargins(20, 16, 20, 16);
    layout->setSpacing(8);

    buildHeader(layout);
    buildSections(layout);
    layout->addStretch(1);
    clear();
}

void RunPage::fetchStores()
{
    auto& notebook = context_.notebook();
    runs_ = &notebook.runs();
    stepStore_ = &notebook.steps();
    checks_ = &notebook.checks();
    models_ = &notebook.models();
    groups_ = &notebook.groups();
    reportSource_ = &notebook;
}

// Title, Compare the pair, provenance, the failure banner and the hint shown with no run.
void RunPage::buildHeader(QVBoxLayout* layout)
{
    auto* headerRow = new QHBoxLayout;
    title_ = new QLabel(tr("No run selected"), body_);
    title_->setObjectName(QStringLiteral("pageTitle"));
    title_->setWordWrap(true);
    headerRow->addWidget(title_, 1);
    compareButton_ = new QPushButton(QIcon(QStringLiteral(":/icons/compare.svg")), tr("Compare the pair"), body_);
    compareButton_->setObjectName(QStringLiteral("compareButton"));
    compareButton_->hide();
    connect(compareButton_, &QPushButton::clicked, this, [this] { emit compareRequested(groupId_); });
    headerRow->addWidget(compareButton_);
    layout->addLayout(headerRow);

    provenance_ = new QLabel(body_);
    provenance_->setObjectName(QStringLiteral("muted"));
    provenance_->setWordWrap(true);
    provenance_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(provenance_);

    controlBanner_ = new QLabel(body_);
    controlBanner_->setObjectName(QStringLiteral("controlBanner"));
    controlBanner_->setWordWrap(true);
    controlBanner_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    controlBanner_->hide();
    layout->addWidget(controlBanner_);

    failureBanner_ = new QFrame(body_);
    failureBanner_->setObjectName(QStringLiteral("failureBanner"));
    auto* bannerLayout = new QVBoxLayout(failureBanner_);
    bannerLayout->setContentsMargins(12, 8, 12, 8);
    failureText_ = new QLabel(failureBanner_);
    failureText_->setWordWrap(true);
    failureText_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    bannerLayout->addWidget(failureText_);
    failureBanner_->hide();
    layout->addWidget(failureBanner_);

    emptyHint_ = new QLabel(tr("Pick a run in the history, or launch one from the Launch page."), body_);
    emptyHint_->setObjectName(QStringLiteral("muted"));
    layout->addWidget(emptyHint_);
}

// Generated text, mechanism checks, charts, the attention explorer and the step table.
void RunPage::buildSections(QVBoxLayout* layout)
{
    layout->addWidget(sectionTitle(tr("Generated text"), body_));
    textSummary_ = new QLabel(body_);
    textSummary_->setObjectName(QStringLiteral("muted"));
    layout->addWidget(textSummary_);
    chips_ = new TokenChips(body_);
    layout->addWidget(chips_);

    layout->addWidget(sectionTitle(tr("Mechanism checks"), body_));
    checksBox_ = new QWidget(body_);
    checksFlow_ = new FlowLayout(checksBox_, 6, 6);
    layout->addWidget(checksBox_);

    layout->addWidget(sectionTitle(tr("Charts"), body_));
    chartsBox_ = new QWidget(body_);
    chartsLayout_ = new QVBoxLayout(chartsBox_);
    chartsLayout_->setContentsMargins(0, 0, 0, 0);
    chartsLayout_->setSpacing(12);
    layout->addWidget(chartsBox_);

    layout->addWidget(sectionTitle(tr("Attention explorer"), body_));
    explorer_ = new AttentionExplorer(context_, body_);
    explorer_->setMinimumHeight(420);
    layout->addWidget(explorer_);

    layout->addWidget(sectionTitle(tr("Steps"), body_));
    steps_ = new QTableWidget(0, 6, body_);
    steps_->setObjectName(QStringLiteral("stepTable"));
    steps_->setHorizontalHeaderLabels({tr("Step"), tr("Position"), tr("Slots"), tr("Members"), tr("Probabilities"),
                                       tr("ms")});
    steps_->verticalHeader()->hide();
    steps_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    steps_->setSelectionBehavior(QAbstractItemView::SelectRows);
    steps_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    steps_->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
    steps_->setMinimumHeight(220);
    layout->addWidget(steps_);
}

void RunPage::clear()
{
    runId_ = 0;
    shownSteps_ = 0;
    generatedText_.clear();
    chips_->clear();
    checksFlow_->clear();
    while (QLayoutItem* item = chartsLayout_->takeAt(0)) {
        if (item->widget())
            item->widget()->deleteLater();
        delete item;
    }
    chartCount_ = 0;
    ++chartGeneration_;
    steps_->setRowCount(0);
    failureBanner_->hide();
    controlBanner_->hide();
    controlBanner_->clear();
    compareButton_->hide();
    textSummary_->clear();
}

QString RunPage::controlText() const
{
    return controlBanner_->isHidden() ? QString() : controlBanner_->text();
}

void RunPage::showHeader(qint64 runId)
{
    using tempo::notebook::toString;
    std::optional<tempo::notebook::RunRecord> run;
    try {
        run = runs_->find(runId);
    } catch (const NotebookError& error) { // its stored configuration cannot be read: say so, show the rest
        title_->setText(tr("Run %1 cannot be read").arg(runId));
        provenance_->clear();
        showFailure(QString::fromStdString(error.what()));
        return;
    }
    if (!run) {
        title_->setText(tr("Run %1 is not in this notebook").arg(runId));
        provenance_->clear();
        return;
    }
    emptyHint_->hide();
    QString mode, threshold, steps; // empty for a run refused before decoding
    if (const auto& tempo = run->config.tempo) {
        mode = QString::fromStdString(siblingModeName(tempo->mode));
        threshold = QString::number(tempo->threshold);
        steps = QString::number(tempo->maxSteps);
    }
    const bool control = run->config.isArtifactControl();
    title_->setText(tr("Run %1 · preset %2%3 · %4")
                        .arg(run->id)
                        .arg(QString::fromStdString(run->presetId), mode.isEmpty() ? QString() : " · " + mode,
                             QString::fromStdString(toString(run->status)))
                    + (control ? QStringLiteral(" · CONTROL") : QString()));
    controlBanner_->setVisible(control);
    if (control)
        controlBanner_->setText(QStringLiteral("%1: %2. Its mechanism checks fail by design.")
                                    .arg(QString::fromUtf8(kArtifactControlLabel), QString::fromUtf8(kArtifactControlMeaning)));
    QString modelText = tr("unknown model");
    if (run->modelId) {
        if (const auto model = models_->find(*run->modelId))
            modelText = QString::fromStdString(model->name.empty() ? model->folder : model->name) +
                        QStringLiteral(" (weights %1…)").arg(QString::fromStdString(model->weightsSha256.substr(0, 12)));
    }
    const auto& p = run->provenance;
    QStringList lines;
    lines << tr("Model %1 · threshold %2 · max steps %3").arg(modelText, threshold, steps);
    lines << tr("%1 · %2 · %3 threads · LibTorch %4 · TEMPO Lab %5 (%6)")
                 .arg(QString::fromStdString(p.device), QString::fromStdString(p.dtype))
                 .arg(p.threads)
                 .arg(QString::fromStdString(p.libtorchVersion), QString::fromStdString(p.appVersion),
                      QString::fromStdString(p.gitCommit));
    lines << tr("Started %1%2 · uuid %3")
                 .arg(QString::fromStdString(run->startedAt),
                      run->endedAt.empty() ? QString() : tr(" · ended %1").arg(QString::fromStdString(run->endedAt)),
                      QString::fromStdString(run->uuid));
    provenance_->setText(lines.join('\n'));
    if (!run->errorText.empty())
        showFailure(QString::fromStdString(run->errorText));
    const std::vector<std::int64_t> groups = groups_->ofRun(runId);
    groupId_ = groups.empty() ? 0 : groups.front();
    compareButton_->setVisible(groupId_ != 0);
    if (chips_->stepCount() == 0 && shownSteps_ == 0)
        chips_->setPrompt(QString::fromStdString(run->prompt));
    generatedText_ = QString::fromStdString(run->generatedText);
}

void RunPage::addStepRows(const std::vector<tempo::notebook::StepRecord>& steps)
{
    for (const auto& step : steps) {
        if (step.step < shownSteps_)
            continue;
        chips_->appendStep(step);
        const int row = steps_->rowCount();
        steps_->insertRow(row);
        QStringList slotList, members, probabilities;
        for (std::size_t i = 0; i < step.tokenIds.size(); ++i) {
            if (i < step.physicalSlots.size())
                slotList << QString::number(step.physicalSlots[i]);
            const QString token = i < step.tokens.size() ? readableToken(step.tokens[i]) : QString();
            members << QStringLiteral("%1 “%2”").arg(step.tokenIds[i]).arg(token.trimmed().isEmpty() ? token : token);
            if (i < step.probabilities.size())
                probabilities << QString::number(step.probabilities[i], 'f', 3);
        }
        const QStringList cells = {QString::number(step.step), QString::number(step.logicalPosition), slotList.join(", "),
                                   members.join("  "), probabilities.join(", "),
                                   QString::number(step.elapsedMs, 'f', 1)};
        for (int column = 0; column < cells.size(); ++column)
            steps_->setItem(row, column, new QTableWidgetItem(cells[column]));
        shownSteps_ = step.step + 1;
    }
    textSummary_->setText(tr("%n step(s)", nullptr, chips_->stepCount()) + " · " +
                          tr("%n parallel set(s) of two or more tokens (outlined; hover for ids and probabilities)",
                             nullptr, chips_->parallelSetCount()));
}

void RunPage::showChecks(qint64 runId)
{
    checksFlow_->clear();
    const auto checks = checks_->ofRun(runId);
    if (checks.empty()) {
        auto* none = new QLabel(tr("No checks recorded (the run did not finish)."), checksBox_);
        none->setObjectName(QStringLiteral("muted"));
        checksFlow_->addWidget(none);
        return;
    }
    for (const auto& check : checks) {
        auto* badge = new QLabel(checksBox_);
        badge->setObjectName(QStringLiteral("checkBadge"));
        badge->setProperty("passed", check.passed);
        badge->setProperty("notApplicable", check.notApplicable());
        badge->setProperty("checkName", QString::fromStdString(check.name));
        badge->setText(QStringLiteral("%1 %2 · %3")
                           .arg(check.notApplicable() ? QStringLiteral("–")
                                : check.passed         ? QStringLiteral("✓")
                                                       : QStringLiteral("✗"),
                                QString::fromStdString(check.name), checkValue(check.value)));
        QString tip = checkMeaning(check.name);
        if (!check.detail.empty())
            tip += QStringLiteral("\n") + QString::fromStdString(check.detail);
        badge->setToolTip(tip);
        checksFlow_->addWidget(badge);
    }
}

void RunPage::showCharts(qint64 runId)
{
    std::shared_ptr<const report::ReportData> data;
    try {
        data = std::make_shared<const report::ReportData>(
            report::loadReportData(*reportSource_, {report::SubjectKind::Run, runId}));
    } catch (const std::exception& error) {
        auto* problem = new QLabel(tr("The charts could not be drawn: %1").arg(QString::fromStdString(error.what())),
                                   chartsBox_);
        problem->setWordWrap(true);
        chartsLayout_->addWidget(problem);
        return;
    }
    const std::vector<report::ChartKind> kinds = report::chartsFor(*data);
    if (kinds.empty()) {
        auto* none = new QLabel(tr("This run captured nothing the charts draw."), chartsBox_);
        none->setObjectName(QStringLiteral("muted"));
        chartsLayout_->addWidget(none);
        return;
    }
    // One chart per event-loop turn: QCustomPlot draws on the UI thread, and a page of charts
    // drawn at once would hold it for longer than a frame or two.
    const int generation = ++chartGeneration_;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        const report::ChartKind kind = kinds[i];
        QTimer::singleShot(int(i), this, [this, data, kind, generation] {
            if (generation != chartGeneration_)
                return; // another run is shown now
            auto* caption = new QLabel(charts::chartTitle(kind), chartsBox_);
            caption->setObjectName(QStringLiteral("muted"));
            chartsLayout_->addWidget(caption);
            auto* plot = new QCustomPlot(chartsBox_);
            plot->setObjectName(QStringLiteral("chart_") + QString::fromStdString(report::chartKindName(kind)));
            plot->setMinimumHeight(300); // room for the title, the legend and a vertical axis title
            charts::drawChart(*plot, kind, *data);
            makeInteractive(*plot);
            plot->replot();
            chartsLayout_->addWidget(plot);
            ++chartCount_;
        });
    }
}

void RunPage::showRun(qint64 runId)
{
    clear();
    runId_ = runId;
    showHeader(runId);
    addStepRows(stepStore_->ofRun(runId));
    showChecks(runId);
    showCharts(runId);
    explorer_->showRun(runId);
}

void RunPage::showNoRun(const QString& title)
{
    clear();
    explorer_->showRun(0);
    title_->setText(title);
    provenance_->clear();
}

void RunPage::beginLiveRun(qint64 runId)
{
    clear();
    runId_ = runId;
    showHeader(runId);
    textSummary_->setText(tr("Running…"));
    auto* waiting = new QLabel(tr("Checks are computed when the run finishes."), checksBox_);
    waiting->setObjectName(QStringLiteral("muted"));
    checksFlow_->addWidget(waiting);
}

void RunPage::appendSteps(const QList<tempo::StepUpdate>& updates)
{
    // Steps of this run are committed before the worker reports them: read the new ones back
    // (with their token texts and slots) rather than decoding ids on the UI thread.
    bool ours = false;
    for (const StepUpdate& update : updates)
        ours = ours || update.runId == runId_;
    if (!ours || runId_ == 0)
        return;
    addStepRows(stepStore_->ofRun(runId_));
}

void RunPage::showFailure(const QString& message)
{
    failureText_->setText(plainFailure(message));
    failureBanner_->show();
}

QString RunPage::failureText() const
{
    return failureBanner_->isHidden() ? QString() : failureText_->text();
}

QList<QLabel*> RunPage::checkBadges() const
{
    QList<QLabel*> badges; // from the layout: replaced badges may still await deletion
    for (int i = 0; i < checksFlow_->count(); ++i)
        if (auto* label = qobject_cast<QLabel*>(checksFlow_->itemAt(i)->widget()))
            if (label->objectName() == QLatin1String("checkBadge"))
                badges << label;
    return badges;
}

} // namespace tempo::gui
