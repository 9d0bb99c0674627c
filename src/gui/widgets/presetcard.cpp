#include "gui/widgets/presetcard.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QStyle>
#include <QTimer>
#include <QVBoxLayout>

#include "core/tempo/runlimits.h"
#include "gui/widgets/modellimits.h"

namespace tempo::gui {

namespace {
// The preset's question: the description up to its first question mark (or first sentence).
QString questionOf(const QString& description)
{
    int end = description.indexOf('?');
    if (end < 0)
        end = description.indexOf(QStringLiteral(". "));
    return end < 0 ? description : description.left(end + 1);
}
} // namespace

PresetCard::PresetCard(const tempo::CatalogEntry& entry, QWidget* parent) : QFrame(parent), entry_(entry)
{
    const Preset& preset = entry.preset;
    setObjectName(QStringLiteral("card"));
    setProperty("presetId", QString::fromStdString(preset.id));
    setAttribute(Qt::WA_StyledBackground);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 14, 16, 14);
    layout->setSpacing(8);

    buildHeading(layout);
    layout->addLayout(buildSettings());
    layout->addLayout(buildButtons());

    promptPause_ = new QTimer(this);
    promptPause_->setSingleShot(true);
    promptPause_->setInterval(150);
    connect(promptPause_, &QTimer::timeout, this, &PresetCard::updateLimit);
    connect(prompt_, &QLineEdit::textChanged, promptPause_, qOverload<>(&QTimer::start));
    for (QSpinBox* box : {steps_, maxWidth_})
        connect(box, &QSpinBox::valueChanged, this, &PresetCard::updateLimit);
    connect(threshold_, &QDoubleSpinBox::valueChanged, this, &PresetCard::updateLimit);
    load(preset);
}

// Title ("1a · name") and the preset's question, with the whole description as its tooltip.
void PresetCard::buildHeading(QVBoxLayout* layout)
{
    const Preset& preset = entry_.preset;
    const QString description = QString::fromStdString(preset.description);
    auto* title = new QLabel(QStringLiteral("%1 · %2%3")
                                 .arg(QString::fromStdString(preset.id), QString::fromStdString(preset.name),
                                      entry_.shipped ? QString() : tr(" (your copy)")),
                             this);
    title->setObjectName(QStringLiteral("cardTitle"));
    title->setWordWrap(true);
    layout->addWidget(title);
    auto* question = new QLabel(questionOf(description), this);
    question->setObjectName(QStringLiteral("cardQuestion"));
    question->setWordWrap(true);
    question->setToolTip(QStringLiteral("<p>%1</p>").arg(description.toHtmlEscaped()));
    layout->addWidget(question);
}

// Prompt, steps, threshold, width, the model limit line, mode, readout and captures.
QFormLayout* PresetCard::buildSettings()
{
    auto* form = new QFormLayout;
    form->setHorizontalSpacing(10);
    form->setVerticalSpacing(6);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    prompt_ = new QLineEdit(this);
    prompt_->setObjectName(QStringLiteral("prompt"));
    form->addRow(tr("Prompt"), prompt_);

    auto* numbers = new QHBoxLayout;
    steps_ = new QSpinBox(this);
    steps_->setObjectName(QStringLiteral("steps"));
    steps_->setRange(1, 4096);
    steps_->setToolTip(tr("Decoding steps (each feeds one parallel set)"));
    threshold_ = new QDoubleSpinBox(this);
    threshold_->setObjectName(QStringLiteral("threshold"));
    threshold_->setDecimals(3);
    threshold_->setRange(0.001, 1.5);
    threshold_->setSingleStep(0.01);
    threshold_->setToolTip(tr("Every token with probability >= threshold joins the parallel set; above 1 is greedy"));
    maxWidth_ = new QSpinBox(this);
    maxWidth_->setObjectName(QStringLiteral("maxWidth"));
    maxWidth_->setRange(1, 1024);
    maxWidth_->setToolTip(tr("The most members a parallel set keeps"));
    numbers->addWidget(steps_);
    numbers->addWidget(new QLabel(tr("threshold"), this));
    numbers->addWidget(threshold_);
    numbers->addWidget(new QLabel(tr("width"), this));
    numbers->addWidget(maxWidth_);
    form->addRow(tr("Steps"), numbers);
    limit_ = new QLabel(this);
    limit_->setObjectName(QStringLiteral("muted"));
    limit_->setWordWrap(true);
    limit_->hide();
    form->addRow(QString(), limit_);

    auto* modes = new QHBoxLayout;
    mode_ = new QComboBox(this);
    mode_->setObjectName(QStringLiteral("mode"));
    mode_->addItem(tr("isolated"), QStringLiteral("isolated"));
    mode_->addItem(tr("visible"), QStringLiteral("visible"));
    mode_->addItem(tr("both (pair)"), QStringLiteral("both"));
    mode_->setToolTip(tr("isolated: members never see their siblings; visible: a member sees the siblings before "
                         "it; both: a group of the two runs"));
    readout_ = new QComboBox(this);
    readout_->setObjectName(QStringLiteral("readout"));
    readout_->addItem(tr("mean"), QStringLiteral("mean"));
    readout_->addItem(tr("last"), QStringLiteral("last"));
    readout_->setToolTip(tr("Next distribution: mean of the members' distributions, or the last member's"));
    modes->addWidget(mode_, 1);
    modes->addWidget(new QLabel(tr("readout"), this));
    modes->addWidget(readout_, 1);
    form->addRow(tr("Mode"), modes);

    auto* captureRow = new QHBoxLayout;
    for (const std::string& name : knownCaptures()) {
        auto* box = new QCheckBox(QString::fromStdString(name), this);
        box->setObjectName(QStringLiteral("capture_") + QString::fromStdString(name));
        captures_.append(box);
        captureRow->addWidget(box);
    }
    captureRow->addStretch(1);
    form->addRow(tr("Capture"), captureRow);
    return form;
}

// Defaults, Save as… and Run.
QHBoxLayout* PresetCard::buildButtons()
{
    auto* buttons = new QHBoxLayout;
    auto* reset = new QPushButton(tr("Defaults"), this);
    reset->setToolTip(tr("Put back the preset's own settings"));
    auto* save = new QPushButton(QIcon(QStringLiteral(":/icons/save.svg")), tr("Save as…"), this);
    save->setObjectName(QStringLiteral("saveButton"));
    save->setToolTip(tr("Save these settings as your own preset in this notebook"));
    runButton_ = new QPushButton(QIcon(QStringLiteral(":/icons/launch.svg")), tr("Run"), this);
    runButton_->setObjectName(QStringLiteral("runButton"));
    runButton_->setDefault(true);
    buttons->addWidget(reset);
    buttons->addWidget(save);
    buttons->addStretch(1);
    buttons->addWidget(runButton_);
    connect(reset, &QPushButton::clicked, this, &PresetCard::resetToDefaults);
    connect(runButton_, &QPushButton::clicked, this, [this] {
        try {
            emit runRequested(CatalogEntry{editedPreset(), entry_.shipped});
        } catch (const std::exception& error) {
            QMessageBox::warning(this, tr("Preset %1").arg(presetId()), QString::fromStdString(error.what()));
        }
    });
    connect(save, &QPushButton::clicked, this, [this] {
        try {
            emit saveRequested(editedPreset());
        } catch (const std::exception& error) {
            QMessageBox::warning(this, tr("Preset %1").arg(presetId()), QString::fromStdString(error.what()));
        }
    });
    return buttons;
}

const QString PresetCard::presetId() const
{
    return QString::fromStdString(entry_.preset.id);
}

void PresetCard::load(const Preset& preset)
{
    prompt_->setText(QString::fromStdString(preset.prompt));
    steps_->setValue(static_cast<int>(preset.maxSteps));
    threshold_->setValue(preset.threshold);
    maxWidth_->setValue(static_cast<int>(preset.maxWidth));
    mode_->setCurrentIndex(mode_->findData(QString::fromStdString(presetModeName(preset.mode))));
    readout_->setCurrentIndex(readout_->findData(QString::fromStdString(readoutName(preset.readout))));
    for (QCheckBox* box : captures_)
        box->setChecked(preset.wantsCapture(box->text().toStdString()));
}

void PresetCard::resetToDefaults()
{
    load(entry_.preset);
}

Preset PresetCard::editedPreset() const
{
    // Through presetToJson/parsePreset so an edit is validated exactly like a preset file.
    nlohmann::json json = presetToJson(entry_.preset);
    json["prompt"] = prompt_->text().toStdString();
    json["max_steps"] = steps_->value();
    json["threshold"] = threshold_->value();
    json["max_width"] = maxWidth_->value();
    json["mode"] = mode_->currentData().toString().toStdString();
    json["readout"] = readout_->currentData().toString().toStdString();
    nlohmann::json captures = nlohmann::json::array();
    for (QCheckBox* box : captures_)
        if (box->isChecked())
            captures.push_back(box->text().toStdString());
    json["captures"] = captures;
    return parsePreset(json, "preset " + entry_.preset.id + " as edited");
}

void PresetCard::setRunEnabled(bool enabled)
{
    runEnabled_ = enabled;
    runButton_->setEnabled(runEnabled_ && fits_);
}

void PresetCard::setModelLimits(std::shared_ptr<const ModelLimits> limits)
{
    limits_ = std::move(limits);
    updateLimit();
}

QString PresetCard::limitText() const
{
    return limit_->isHidden() ? QString() : limit_->text();
}

void PresetCard::updateLimit()
{
    promptPause_->stop();
    if (!limits_) {
        fits_ = true;
        stepLimit_ = -1;
        limit_->hide();
        setRunEnabled(runEnabled_);
        return;
    }
    // The same rule the engine applies before a run row exists (core/tempo/runlimits.h).
    TempoConfig config;
    config.threshold = threshold_->value();
    config.maxWidth = maxWidth_->value();
    config.maxSteps = steps_->value();
    const auto promptTokens = static_cast<int64_t>(limits_->tokenizer->encode(prompt_->text().toStdString(), true).size());
    stepLimit_ = maxStepsFor(limits_->config, promptTokens, config);
    const int64_t positions = limits_->config.maxPositionEmbeddings;
    fits_ = steps_->value() <= stepLimit_ && config.maxWidth <= limits_->config.vocabSize;
    QString text;
    if (stepLimit_ <= 0)
        text = tr("This prompt has %1 tokens: too long for %2, which has %3 positions.")
                   .arg(promptTokens)
                   .arg(limits_->modelName)
                   .arg(positions);
    else if (config.maxWidth > limits_->config.vocabSize)
        text = tr("Width %1 is wider than the vocabulary of %2 (%3 tokens).")
                   .arg(config.maxWidth)
                   .arg(limits_->modelName)
                   .arg(limits_->config.vocabSize);
    else if (!fits_)
        text = tr("%1 steps do not fit: at most %2 for this prompt (%3 tokens) at this threshold and width on "
                  "%4 (%5 positions).")
                   .arg(steps_->value())
                   .arg(stepLimit_)
                   .arg(promptTokens)
                   .arg(limits_->modelName)
                   .arg(positions);
    else
        text = tr("Up to %1 steps fit this prompt (%2 tokens) at this threshold and width on %3.")
                   .arg(stepLimit_)
                   .arg(promptTokens)
                   .arg(limits_->modelName);
    limit_->setText(text);
    const QString look = fits_ ? QStringLiteral("muted") : QStringLiteral("limitWarning");
    if (limit_->objectName() != look) {
        limit_->setObjectName(look); // the application style sheet colours it (app.qss)
        limit_->style()->unpolish(limit_);
        limit_->style()->polish(limit_);
    }
    limit_->show();
    runButton_->setToolTip(fits_ ? QString() : text);
    setRunEnabled(runEnabled_);
}

} // namespace tempo::gui
