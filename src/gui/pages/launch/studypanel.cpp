#include "gui/pages/launch/studypanel.h"

#include <algorithm>
#include <cmath>

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QVBoxLayout>

#include "core/experiment/presetcatalog.h"
#include "core/experiment/shippedsuites.h"
#include "core/notebook/notebook.h"
#include "core/runrecord/studyrecord.h"
#include "gui/shell/labcontext.h"
#include "gui/widgets/modelpicker.h"
#include "gui/widgets/pagestyle.h"
#include "gui/widgets/thresholdfield.h"

namespace tempo::gui {

namespace style = pagestyle;

namespace {

// The bar counts points in these units, so the current run's steps move it between points.
constexpr int kStudyBarUnitsPerPoint = 100;

QString studyEtaText(double seconds)
{
    if (seconds < 0)
        return QObject::tr("estimating the time left");
    if (seconds < 90)
        return QObject::tr("about %1 s left").arg(std::max(1, int(std::ceil(seconds))));
    if (seconds < 5400)
        return QObject::tr("about %1 min left").arg(qRound(seconds / 60.0));
    return QObject::tr("about %1 h left").arg(seconds / 3600.0, 0, 'f', 1);
}

QString joinedNumbers(const std::vector<double>& values)
{
    QStringList parts;
    for (double value : values)
        parts << QString::number(value, 'g', 6);
    return parts.join(QStringLiteral(", "));
}

int countSuitePrompts(const QString& text)
{
    int prompts = 0;
    for (const QString& line : text.split('\n'))
        prompts += line.trimmed().isEmpty() ? 0 : 1;
    return prompts;
}

// A resumable study: stopped before its end, and not being written by a live process.
bool studyResumable(notebook::StudyStatus status)
{
    return status != notebook::StudyStatus::Finished && status != notebook::StudyStatus::Running;
}

} // namespace

StudyPanel::StudyPanel(LabContext& context, ModelPicker& picker, QWidget* parent)
    : QFrame(parent), context_(context), picker_(picker)
{
    worker_ = new StudyWorker;
    setObjectName("studyPanel");
    setFrameShape(QFrame::StyledPanel);
    setStyleSheet("QFrame#studyPanel { background: palette(base); border: 1px solid palette(mid); border-radius: 8px; }");
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(14, 12, 14, 12);
    layout->setSpacing(8);
    auto* title = new QLabel(tr("Run the whole study"), this);
    title->setObjectName("cardTitle");
    layout->addWidget(title);
    layout->addWidget(style::subtitle(tr("The whole investigation in one action: every preset below (1a, 1b, 2, 3, 4, 5) "
                                         "and the artifact control, each over the prompt suite at every threshold, "
                                         "on the model chosen above. Finished runs are kept: a cancelled or "
                                         "interrupted study resumes where it stopped. Its findings report opens "
                                         "on the Report page."),
                                      this));
    buildFields();
    buildControls();
    connectWorker();
    connect(&context_, &LabContext::notebookChanged, this, &StudyPanel::reloadStudies);
    reloadStudies();
}

StudyPanel::~StudyPanel() { delete worker_; } // cancels within one forward and joins its thread

// Suite, thresholds, steps, presets and the control switch, in two rows.
void StudyPanel::buildFields()
{
    auto* fields = new QGridLayout;
    fields->setHorizontalSpacing(10);
    fields->setVerticalSpacing(6);
    suitePicker_ = new QComboBox(this);
    suitePicker_->setObjectName("studySuite");
    for (const std::string& file : shippedSuiteNames()) {
        const QString name = QString::fromStdString(file);
        const QString label = name == QLatin1String("default.jsonl")   ? tr("Default suite")
                              : name == QLatin1String("general.jsonl") ? tr("General suite")
                                                                       : name;
        const QString text = QString::fromStdString(shippedSuiteText(file).value_or(std::string()));
        suitePicker_->addItem(tr("%1 (%2 prompts)").arg(label).arg(countSuitePrompts(text)),
                              QStringLiteral("shipped:") + name);
    }
    suitePicker_->addItem(tr("From file\u2026"), QStringLiteral("file"));
    suitePicker_->setToolTip(tr("JSON lines {\"family\": ..., \"prompt\": ..., \"steps\": N}; steps optional"));
    thresholdsField_ = new QLineEdit(joinedNumbers(defaultStudyThresholds()), this);
    thresholdsField_->setObjectName("studyThresholds");
    thresholdsField_->setToolTip(tr("Thresholds separated by commas or spaces, each in (0, 1]"));
    stepsField_ = new QSpinBox(this);
    stepsField_->setObjectName("studySteps");
    stepsField_->setRange(0, 4096);
    stepsField_->setSpecialValueText(tr("suite's"));
    stepsField_->setToolTip(tr("Steps every prompt decodes; \"suite's\": each prompt's own (else its preset's)"));
    // The grid would squeeze it below its text ("suite's" showed as "suite'"): its size hint
    // counts the special text, so hold it there.
    stepsField_->setMinimumWidth(stepsField_->sizeHint().width());
    QStringList presets;
    for (const std::string& id : defaultStudyPresets())
        presets << QString::fromStdString(id);
    presetsField_ = new QLineEdit(presets.join(QStringLiteral(", ")), this);
    presetsField_->setObjectName("studyPresets");
    presetsField_->setToolTip(tr("Preset ids, shipped or your own, separated by commas or spaces"));
    controlBox_ = new QCheckBox(tr("Artifact control (preset 2, labelled as a control)"), this);
    controlBox_->setObjectName("studyControl");
    controlBox_->setChecked(true);
    controlBox_->setToolTip(tr("Also runs preset 2 with the original project's method (only the last member of "
                               "each set reaches the model), so the report can set it beside the real mechanism"));
    auto label = [this](const QString& text) { return new QLabel(text, this); };
    fields->addWidget(label(tr("Suite")), 0, 0);
    fields->addWidget(suitePicker_, 0, 1);
    fields->addWidget(label(tr("Thresholds")), 0, 2);
    fields->addWidget(thresholdsField_, 0, 3);
    fields->addWidget(label(tr("Steps")), 0, 4);
    fields->addWidget(stepsField_, 0, 5);
    fields->addWidget(label(tr("Presets")), 1, 0);
    fields->addWidget(presetsField_, 1, 1);
    fields->addWidget(controlBox_, 1, 2, 1, 4);
    fields->setColumnStretch(1, 2);
    fields->setColumnStretch(3, 3);
    static_cast<QVBoxLayout*>(layout())->addLayout(fields);

    // The suite follows the model until one is picked by hand: the bundled model's own domain for
    // the bundled model, the general suite for any other.
    auto followModel = [this](const QString& folder) {
        if (suitePicked_ || folder.isEmpty())
            return;
        const int index = suitePicker_->findData(
            QStringLiteral("shipped:") + QString::fromStdString(defaultStudySuiteName(folder.toStdString())));
        if (index >= 0)
            suitePicker_->setCurrentIndex(index);
    };
    connect(&picker_, &ModelPicker::modelChanged, this, followModel);
    followModel(picker_.modelFolder());
    connect(suitePicker_, &QComboBox::activated, this, [this](int index) {
        suitePicked_ = true;
        if (suitePicker_->itemData(index).toString() != QLatin1String("file"))
            return;
        const QString file = QFileDialog::getOpenFileName(this, tr("Prompt suite"), QString(),
                                                          tr("JSON lines (*.jsonl *.json);;All files (*)"));
        if (file.isEmpty())
            suitePicker_->setCurrentIndex(0);
        else
            useSuiteFile(file);
    });
}

// Run / Cancel / Resume with the progress bar, the status line, and the stored studies with Open report.
void StudyPanel::buildControls()
{
    auto* buttons = new QHBoxLayout;
    runButton_ = new QPushButton(QIcon(":/icons/run.svg"), tr("Run the whole study"), this);
    runButton_->setObjectName("studyRun");
    cancelButton_ = new QPushButton(QIcon(":/icons/cancel.svg"), tr("Cancel"), this);
    cancelButton_->setObjectName("studyCancel");
    resumeButton_ = new QPushButton(QIcon(":/icons/run.svg"), tr("Resume"), this);
    resumeButton_->setObjectName("studyResume");
    resumeButton_->setToolTip(tr("Continue the study picked below, reusing every finished run"));
    progress_ = new QProgressBar(this);
    progress_->setObjectName("studyProgress");
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setTextVisible(false);
    progress_->setFixedHeight(10);
    buttons->addWidget(runButton_);
    buttons->addWidget(cancelButton_);
    buttons->addWidget(resumeButton_);
    buttons->addWidget(progress_, 1);
    auto* box = static_cast<QVBoxLayout*>(layout());
    box->addLayout(buttons);
    status_ = new QLabel(tr("Idle"), this);
    status_->setObjectName("studyStatus");
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->addWidget(status_);

    auto* stored = new QHBoxLayout;
    stored->addWidget(new QLabel(tr("Stored studies"), this));
    studyPicker_ = new QComboBox(this);
    studyPicker_->setObjectName("studyPicker");
    studyPicker_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    studyPicker_->setMinimumContentsLength(30);
    studyPicker_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    reportButton_ = new QPushButton(QIcon(":/icons/report.svg"), tr("Open report"), this);
    reportButton_->setObjectName("studyReport");
    reportButton_->setToolTip(tr("The study's findings report on the Report page (export: Markdown, HTML, PDF)"));
    stored->addWidget(studyPicker_, 1);
    stored->addWidget(reportButton_);
    box->addLayout(stored);

    connect(runButton_, &QPushButton::clicked, this, &StudyPanel::runStudy);
    connect(cancelButton_, &QPushButton::clicked, this, &StudyPanel::cancelStudy);
    connect(resumeButton_, &QPushButton::clicked, this, &StudyPanel::resumeStudy);
    connect(reportButton_, &QPushButton::clicked, this, [this] {
        if (pickedStudy() > 0)
            emit reportRequested(pickedStudy());
    });
    connect(studyPicker_, &QComboBox::currentIndexChanged, this, &StudyPanel::updateButtons);
    setRunning(false);
}

// The worker's signals arrive queued on the UI thread.
void StudyPanel::connectWorker()
{
    connect(worker_, &StudyWorker::started, this, [this](qint64 studyId) {
        runningStudy_ = studyId;
        reloadStudies();
        emit studyStarted(studyId);
    });
    connect(worker_, &StudyWorker::progress, this,
            [this](qint64 done, qint64 points, qint64 sweepIndex, qint64 sweeps, const QString& presetId, bool control,
                   qint64 runDone, qint64 runTotal, double eta) {
                if (!running_)
                    return;
                const qint64 units = std::max<qint64>(points, 1) * kStudyBarUnitsPerPoint;
                const qint64 within = runTotal > 0 && done < points
                                          ? std::min<qint64>(runDone, runTotal) * kStudyBarUnitsPerPoint / runTotal
                                          : 0;
                progress_->setRange(0, int(std::min<qint64>(units, INT32_MAX)));
                progress_->setValue(int(std::min(done * kStudyBarUnitsPerPoint + within, units)));
                QString text = tr("%1 of %2 points done \u00b7 sweep %3 of %4: %5")
                                   .arg(done)
                                   .arg(points)
                                   .arg(sweepIndex + 1)
                                   .arg(sweeps)
                                   .arg(control ? tr("preset %1, artifact control").arg(presetId)
                                                : tr("preset %1").arg(presetId));
                if (runTotal > 0 && done < points)
                    text += tr(" \u00b7 this run: step %1 of %2").arg(runDone).arg(runTotal);
                text += QStringLiteral(" \u00b7 ") + studyEtaText(eta);
                showStatus(text);
            });
    connect(worker_, &StudyWorker::finished, this,
            [this](qint64 studyId, const QString& status, qint64 pointsRun, qint64 pointsReused) {
                setRunning(false);
                if (status == QLatin1String("finished")) {
                    progress_->setValue(progress_->maximum());
                    showStatus(tr("Study #%1 finished: %2 point(s) run here, %3 reused from before. Open report shows its "
                                  "findings.")
                                   .arg(studyId)
                                   .arg(pointsRun)
                                   .arg(pointsReused));
                } else if (status == QLatin1String("cancelled")) {
                    showStatus(tr("Study #%1 cancelled: its %2 finished point(s) are kept; Resume continues it.")
                                   .arg(studyId)
                                   .arg(pointsRun + pointsReused));
                } else {
                    showStatus(tr("Study #%1 stopped (%2); Resume continues it.").arg(studyId).arg(status));
                }
                context_.announceRunsChanged();
                reloadStudies();
                const int index = studyPicker_->findData(studyId);
                if (index >= 0)
                    studyPicker_->setCurrentIndex(index);
                emit studyFinished(studyId, status);
            });
    connect(worker_, &StudyWorker::failed, this, [this](qint64 studyId, const QString& message) {
        setRunning(false);
        showError(studyId > 0 ? tr("Study #%1 stopped: %2").arg(studyId).arg(message)
                              : tr("The study did not start: %1").arg(message));
        context_.announceRunsChanged();
        reloadStudies();
        emit studyFailed(message);
    });
}

qint64 StudyPanel::pickedStudy() const { return studyPicker_->currentData().toLongLong(); }

void StudyPanel::useSuiteFile(const QString& path)
{
    suitePicked_ = true;
    const int fileItem = suitePicker_->findData(QStringLiteral("file"));
    while (suitePicker_->count() > fileItem + 1)
        suitePicker_->removeItem(fileItem + 1);
    suitePicker_->addItem(QFileInfo(path).fileName(), path);
    suitePicker_->setItemData(suitePicker_->count() - 1, path, Qt::ToolTipRole);
    suitePicker_->setCurrentIndex(suitePicker_->count() - 1);
}

QStringList StudyPanel::parsePresets(QString* error) const
{
    QStringList known;
    for (const CatalogEntry& entry : listPresets(&context_.notebook().presets()))
        known << QString::fromStdString(entry.preset.id);
    QStringList ids;
    for (const QString& id : presetsField_->text().split(QRegularExpression("[,;\\s]+"), Qt::SkipEmptyParts)) {
        if (!known.contains(id)) {
            *error = tr("Presets: expected ids among %1, found '%2'").arg(known.join(QStringLiteral(", ")), id);
            return {};
        }
        if (!ids.contains(id))
            ids << id;
    }
    if (ids.isEmpty())
        *error = tr("Presets: expected at least one id, e.g. 1a, found none");
    return ids;
}

void StudyPanel::runStudy()
{
    if (running_ || worker_->isRunning())
        return;
    StudyLaunch launch;
    launch.modelFolder = picker_.modelFolder();
    if (launch.modelFolder.isEmpty()) {
        showError(tr("Choose a model above first."));
        return;
    }
    QString error;
    launch.thresholds = parseThresholdField(thresholdsField_->text(), &error);
    if (launch.thresholds.isEmpty()) {
        showError(error);
        return;
    }
    launch.presets = parsePresets(&error);
    if (launch.presets.isEmpty()) {
        showError(error);
        return;
    }
    try {
        const ComputeOptions options = picker_.computeOptions();
        launch.device = QString::fromStdString(ComputeOptions::deviceName(options.device));
        launch.dtype = QString::fromStdString(ComputeOptions::dtypeName(options.dtype));
        launch.threads = options.threads;
    } catch (const std::exception& exception) {
        showError(QString::fromUtf8(exception.what()));
        return;
    }
    const QString source = suitePicker_->currentData().toString();
    if (source == QLatin1String("file")) {
        showError(tr("Choose the suite file first (Suite: From file\u2026)."));
        return;
    }
    if (source.startsWith(QLatin1String("shipped:"))) {
        launch.suiteName = source.mid(8);
        launch.suiteText = QString::fromStdString(shippedSuiteText(launch.suiteName.toStdString()).value_or(std::string()));
    } else {
        QFile in(source); // a suite is a few KB: read here, parsed and checked on the worker
        if (!in.open(QIODevice::ReadOnly)) {
            showError(tr("Cannot read the prompt suite %1: %2").arg(source, in.errorString()));
            return;
        }
        launch.suiteText = QString::fromUtf8(in.readAll());
        launch.suiteName = source;
    }
    launch.steps = stepsField_->value();
    launch.control = controlBox_->isChecked();
    runningStudy_ = 0;
    setRunning(true);
    showStatus(tr("Reading the suite and loading the model\u2026"));
    worker_->start(launch, context_.notebookPath());
}

void StudyPanel::resumeStudy()
{
    const qint64 studyId = pickedStudy();
    if (running_ || worker_->isRunning() || studyId <= 0)
        return;
    runningStudy_ = studyId;
    setRunning(true);
    showStatus(tr("Resuming study #%1: finding its finished runs\u2026").arg(studyId));
    worker_->resume(studyId, context_.notebookPath());
}

void StudyPanel::cancelStudy()
{
    if (!running_)
        return;
    worker_->cancel();
    cancelButton_->setEnabled(false);
    showStatus(tr("Cancelling after the current forward pass\u2026"));
}

void StudyPanel::setRunning(bool running)
{
    running_ = running;
    if (running) {
        progress_->setRange(0, 0); // busy until the first progress
    } else if (progress_->maximum() == 0) {
        progress_->setRange(0, 1);
        progress_->setValue(0);
    }
    for (QWidget* field : std::initializer_list<QWidget*>{suitePicker_, thresholdsField_, stepsField_, presetsField_,
                                                          controlBox_})
        field->setEnabled(!running);
    updateButtons();
}

void StudyPanel::updateButtons()
{
    runButton_->setEnabled(!running_);
    cancelButton_->setEnabled(running_);
    bool resumable = false;
    const qint64 picked = pickedStudy();
    if (picked > 0 && !running_) {
        const auto study = context_.notebook().studies().find(picked);
        resumable = study && studyResumable(study->status);
    }
    resumeButton_->setEnabled(resumable);
    reportButton_->setEnabled(picked > 0 && !(running_ && picked == runningStudy_));
}

void StudyPanel::showStatus(const QString& text)
{
    status_->setStyleSheet(QString());
    status_->setText(text);
}

void StudyPanel::showError(const QString& text)
{
    status_->setStyleSheet(QStringLiteral("QLabel { color: rgb(200, 50, 50); }"));
    status_->setText(text);
}

// The notebook's studies, newest first; the running one, else the one picked, stays picked.
void StudyPanel::reloadStudies()
{
    const qint64 keep = runningStudy_ > 0 ? runningStudy_ : pickedStudy();
    QSignalBlocker blocker(studyPicker_);
    studyPicker_->clear();
    std::vector<notebook::StudyRecord> studies;
    try {
        studies = context_.notebook().studies().list();
    } catch (const std::exception& error) {
        showError(tr("The notebook's studies could not be read: %1").arg(QString::fromUtf8(error.what())));
    }
    std::reverse(studies.begin(), studies.end());
    for (const notebook::StudyRecord& study : studies) {
        studyPicker_->addItem(tr("study #%1 \u00b7 %2 \u00b7 %3 \u00b7 %4 of %5 points")
                                  .arg(study.id)
                                  .arg(QString::fromStdString(study.name))
                                  .arg(QString::fromStdString(notebook::toString(study.status)))
                                  .arg(study.summary.pointsDone)
                                  .arg(study.summary.points),
                              qint64{study.id});
    }
    if (studies.empty())
        studyPicker_->addItem(tr("no studies yet"), qint64{0});
    const int index = studyPicker_->findData(keep);
    studyPicker_->setCurrentIndex(std::max(0, index));
    updateButtons();
}

} // namespace tempo::gui
