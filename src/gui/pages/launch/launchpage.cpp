#include "gui/pages/launch/launchpage.h"

#include <QApplication>
#include <QGridLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QThread>
#include <QVBoxLayout>

#include "core/notebook/notebook.h"
#include "gui/pages/launch/studypanel.h"
#include "gui/shell/labcontext.h"
#include "gui/shell/labsettings.h"
#include "gui/widgets/modellimits.h"
#include "gui/widgets/modelpicker.h"
#include "gui/widgets/presetcard.h"

namespace tempo::gui {

LaunchPage::LaunchPage(LabContext& context, QWidget* parent) : QWidget(parent), context_(context)
{
    fetchStores();
    connect(&context_, &LabContext::notebookChanged, this, &LaunchPage::fetchStores); // before anything reloads
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(20, 16, 20, 8);
    layout->setSpacing(10);
    auto* title = new QLabel(tr("Launch an experiment"), this);
    title->setObjectName(QStringLiteral("pageTitle"));
    layout->addWidget(title);
    auto* hint = new QLabel(tr("Run the whole study (every preset over a prompt suite), or one preset from its card: its question, "
                               "its settings (edit any of them) and Run. "
                               "Runs go to the notebook and appear at the top of the history."),
                            this);
    hint->setObjectName(QStringLiteral("muted"));
    hint->setWordWrap(true);
    layout->addWidget(hint);
    picker_ = new ModelPicker(LabSettings::modelPicker(), this);
    layout->addWidget(picker_);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    // The study panel first, where a researcher looks first, then the preset cards.
    auto* holder = new QWidget(scroll);
    auto* column = new QVBoxLayout(holder);
    column->setContentsMargins(0, 4, 4, 8);
    column->setSpacing(14);
    study_ = new StudyPanel(context_, *picker_, holder);
    column->addWidget(study_);
    auto* cardsHolder = new QWidget(holder);
    grid_ = new QGridLayout(cardsHolder);
    grid_->setContentsMargins(0, 0, 0, 0);
    grid_->setSpacing(14);
    column->addWidget(cardsHolder, 1);
    scroll->setWidget(holder);
    layout->addWidget(scroll, 1);

    connect(&context_, &LabContext::notebookChanged, this, &LaunchPage::reloadPresets);
    connect(picker_, &ModelPicker::modelChanged, this, &LaunchPage::readModelLimits);
    reloadPresets();
    readModelLimits(picker_->modelFolder());
}

void LaunchPage::fetchStores()
{
    presets_ = &context_.notebook().presets();
}

LaunchPage::~LaunchPage()
{
    for (const QPointer<QThread>& thread : limitReads_)
        if (thread)
            thread->wait();
}

void LaunchPage::readModelLimits(const QString& folder)
{
    const int generation = ++limitsGeneration_;
    limits_.reset();
    for (PresetCard* card : cards_)
        card->setModelLimits(nullptr);
    if (folder.isEmpty())
        return;
    auto result = std::make_shared<std::shared_ptr<const ModelLimits>>();
    QThread* thread = QThread::create([folder, result] {
        try {
            *result = gui::readModelLimits(folder);
        } catch (const std::exception&) {
            // An unreadable model shows no limits; the run itself reports what is wrong with it.
        }
    });
    connect(thread, &QThread::finished, this, [this, result, generation] {
        if (generation != limitsGeneration_)
            return;
        limits_ = *result;
        for (PresetCard* card : cards_)
            card->setModelLimits(limits_);
    });
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    limitReads_.removeAll(nullptr);
    limitReads_.append(thread);
    thread->start();
}

void LaunchPage::reloadPresets()
{
    const QString lastId = lastRun_ ? lastRun_->presetId() : QString();
    for (PresetCard* card : cards_)
        card->deleteLater();
    cards_.clear();
    lastRun_ = nullptr;
    const std::vector<CatalogEntry> entries = listPresets(presets_);
    int index = 0;
    for (const CatalogEntry& entry : entries) {
        auto* card = new PresetCard(entry, grid_->parentWidget());
        card->setRunEnabled(!running_);
        card->setModelLimits(limits_);
        grid_->addWidget(card, index / 2, index % 2);
        ++index;
        cards_.append(card);
        if (card->presetId() == lastId)
            lastRun_ = card;
        connect(card, &PresetCard::runRequested, this,
                [this, card](const CatalogEntry& edited) { requestRun(card, edited); });
        connect(card, &PresetCard::saveRequested, this, &LaunchPage::savePreset);
    }
    grid_->setRowStretch(grid_->rowCount(), 1);
}

PresetCard* LaunchPage::card(const QString& presetId) const
{
    for (PresetCard* card : cards_)
        if (card->presetId() == presetId)
            return card;
    return nullptr;
}

PresetCard* LaunchPage::currentCard() const
{
    for (PresetCard* card : cards_)
        if (card->isAncestorOf(QApplication::focusWidget()))
            return card;
    return lastRun_ ? lastRun_ : (cards_.isEmpty() ? nullptr : cards_.first());
}

void LaunchPage::setRunning(bool running)
{
    running_ = running;
    for (PresetCard* card : cards_)
        card->setRunEnabled(!running);
}

void LaunchPage::requestRun(PresetCard* card, const CatalogEntry& entry)
{
    const QString folder = picker_->modelFolder();
    if (folder.isEmpty()) {
        QMessageBox::information(this, tr("No model"),
                                 tr("Choose a model first: the bundled model, a Hugging Face cache folder, or "
                                    "\"Open folder…\" for a folder holding config.json, *.safetensors and "
                                    "tokenizer.json."));
        return;
    }
    ExperimentRequest request;
    request.preset = entry;
    request.modelFolder = folder.toStdString();
    try {
        request.options = picker_->computeOptions();
    } catch (const std::exception& error) {
        QMessageBox::warning(this, tr("Device or dtype"), QString::fromStdString(error.what()));
        return;
    }
    lastRun_ = card;
    emit runRequested(request);
}

void LaunchPage::savePreset(const Preset& preset)
{
    bool ok = false;
    const QString suggested = QString::fromStdString(preset.id) + QStringLiteral("-mine");
    const QString id = QInputDialog::getText(this, tr("Save preset"),
                                             tr("Save these settings as your own preset, under the id:"),
                                             QLineEdit::Normal, suggested, &ok).trimmed();
    if (!ok || id.isEmpty())
        return;
    Preset copy = preset;
    copy.id = id.toStdString();
    try {
        saveUserPreset(*presets_, copy);
    } catch (const std::exception& error) {
        QMessageBox::warning(this, tr("Save preset"), QString::fromStdString(error.what()));
        return;
    }
    reloadPresets();
}

} // namespace tempo::gui
