#include "gui/pages/notes/noteseditor.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHideEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "gui/shell/labcontext.h"
#include "gui/widgets/pagestyle.h"

namespace tempo::gui {

namespace style = pagestyle;

namespace {
// Tags the analyses set ("verdict:C") describe the data; users may still remove them, but they are
// drawn apart so it is clear they were not typed.
bool isSystemTag(const QString& tag) { return tag.startsWith("verdict:"); }
} // namespace

NotesEditor::NotesEditor(LabContext& context, QWidget* parent) : QWidget(parent), context_(context)
{
    fetchStores();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(style::kPageMargin, style::kPageMargin, style::kPageMargin, style::kPageMargin);
    layout->setSpacing(style::kSpacing);
    auto* titleRow = new QHBoxLayout;
    heading_ = style::pageTitle(tr("Notes and tags"), this);
    status_ = new QLabel(this);
    status_->setObjectName("notesStatus");
    status_->setForegroundRole(QPalette::PlaceholderText);
    titleRow->addWidget(heading_);
    titleRow->addStretch(1);
    titleRow->addWidget(status_);
    layout->addLayout(titleRow);
    layout->addWidget(style::subtitle(tr("Markdown on the left, preview on the right. Notes are saved as you type "
                                         "and are found by the history's search."),
                                      this));

    layout->addWidget(buildTagsCard());
    layout->addWidget(buildEditorAndPreview(), 1);

    saveTimer_ = new QTimer(this);
    saveTimer_->setSingleShot(true);
    saveTimer_->setInterval(kSaveDelayMs);
    connect(saveTimer_, &QTimer::timeout, this, &NotesEditor::saveNow);
    connect(editor_, &QPlainTextEdit::textChanged, this, &NotesEditor::textEdited);
    connect(&context_, &LabContext::notebookChanged, this, [this] {
        fetchStores();
        // The old notebook is already closed: pending text cannot be saved there any more.
        dirty_ = false;
        saveTimer_->stop();
        runId_ = 0;
        showRun(0);
    });
    showRun(0);
}

void NotesEditor::fetchStores()
{
    runs_ = &context_.notebook().runs();
    notes_ = &context_.notebook().notes();
    tags_ = &context_.notebook().tags();
}

// The run's tags as chips, and a field that adds one on Enter.
QFrame* NotesEditor::buildTagsCard()
{
    QFrame* tagsCard = style::card(this);
    auto* tagsRow = new QHBoxLayout;
    tagsRow->setSpacing(6);
    tagsRow->addWidget(style::sectionTitle(tr("Tags"), tagsCard));
    tagChips_ = new QWidget(tagsCard);
    tagLayout_ = new QHBoxLayout(tagChips_);
    tagLayout_->setContentsMargins(0, 0, 0, 0);
    tagLayout_->setSpacing(6);
    tagsRow->addWidget(tagChips_, 1);
    tagField_ = new QLineEdit(tagsCard);
    tagField_->setObjectName("tagField");
    tagField_->setPlaceholderText(tr("new tag \u23ce"));
    tagField_->setClearButtonEnabled(true);
    tagField_->setMaximumWidth(240);
    tagsRow->addWidget(tagField_);
    style::cardLayout(tagsCard)->addLayout(tagsRow);
    connect(tagField_, &QLineEdit::returnPressed, this, [this] {
        addTag(tagField_->text());
        tagField_->clear();
    });
    return tagsCard;
}

// The Markdown editor beside its preview (and the run's other notes below it).
QSplitter* NotesEditor::buildEditorAndPreview()
{
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setChildrenCollapsible(false);
    editor_ = new QPlainTextEdit(splitter);
    editor_->setObjectName("notesEditor");
    editor_->setPlaceholderText(tr("Write what you observed, what to try next\u2026\n\n# Headings, **bold**, - lists, `code`"));
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    editor_->setFont(mono);
    auto* previewColumn = new QWidget(splitter);
    auto* previewLayout = new QVBoxLayout(previewColumn);
    previewLayout->setContentsMargins(0, 0, 0, 0);
    preview_ = new QTextBrowser(previewColumn);
    preview_->setObjectName("notesPreview");
    preview_->setOpenExternalLinks(true);
    previewLayout->addWidget(preview_, 1);
    otherNotes_ = new QLabel(previewColumn);
    otherNotes_->setWordWrap(true);
    otherNotes_->setTextFormat(Qt::PlainText);
    otherNotes_->setForegroundRole(QPalette::PlaceholderText);
    otherNotes_->setVisible(false);
    previewLayout->addWidget(otherNotes_);
    splitter->addWidget(editor_);
    splitter->addWidget(previewColumn);
    splitter->setSizes({1, 1});
    return splitter;
}

NotesEditor::~NotesEditor()
{
    // Normally saved already (hide, run switch); this covers a window torn down mid-edit.
    if (dirty_) {
        try {
            saveNow();
        } catch (...) {
        }
    }
}

void NotesEditor::showRun(qint64 runId)
{
    saveNow();
    runId_ = runId;
    noteId_ = 0;
    loading_ = true;
    bool present = false;
    try {
        present = runId != 0 && runs_->find(runId).has_value();
    } catch (const NotebookError&) {
        present = true; // the run is there, only its stored configuration cannot be read: notes still work
    }
    editor_->setEnabled(present);
    tagField_->setEnabled(present);
    QString text;
    QStringList others;
    if (present) {
        heading_->setText(tr("Notes \u00b7 run #%1").arg(runId));
        const auto notes = notes_->ofRun(runId);
        if (!notes.empty()) {
            noteId_ = notes.front().id;
            text = QString::fromStdString(notes.front().markdown);
            for (size_t i = 1; i < notes.size(); ++i)
                others << QString::fromStdString(notes[i].createdAt) + "\n" + QString::fromStdString(notes[i].markdown);
        }
        status_->setText(notes.empty() ? tr("no note yet") : tr("saved %1").arg(QString::fromStdString(notes.front().editedAt)));
    } else {
        heading_->setText(tr("Notes and tags"));
        status_->setText(tr("select a run"));
    }
    editor_->setPlainText(text);
    otherNotes_->setText(others.isEmpty() ? QString() : tr("Other notes on this run:\n\n") + others.join("\n\n"));
    otherNotes_->setVisible(!others.isEmpty());
    refreshPreview();
    refreshTags();
    dirty_ = false;
    loading_ = false;
}

void NotesEditor::hideEvent(QHideEvent* event)
{
    saveNow();
    QWidget::hideEvent(event);
}

void NotesEditor::textEdited()
{
    if (loading_)
        return;
    dirty_ = true;
    status_->setText(tr("editing\u2026"));
    refreshPreview();
    saveTimer_->start(); // restarts: saves kSaveDelayMs after the last keystroke
}

void NotesEditor::refreshPreview() { preview_->setMarkdown(editor_->toPlainText()); }

void NotesEditor::saveNow()
{
    saveTimer_->stop();
    if (!dirty_ || runId_ == 0)
        return;
    dirty_ = false;
    const std::string markdown = editor_->toPlainText().toStdString();
    try {
        if (noteId_ == 0) {
            if (markdown.empty())
                return;
            noteId_ = notes_->add(runId_, markdown);
        } else if (markdown.empty()) {
            notes_->remove(noteId_);
            noteId_ = 0;
        } else {
            notes_->edit(noteId_, markdown);
        }
    } catch (const tempo::Error& error) {
        dirty_ = true;
        status_->setText(tr("not saved: %1").arg(QString::fromUtf8(error.what())));
        return;
    }
    status_->setText(tr("saved %1").arg(QTime::currentTime().toString("HH:mm:ss")));
    emit saved(runId_);
    context_.announceRunsChanged();
}

void NotesEditor::addTag(const QString& tag)
{
    const QString trimmed = tag.trimmed();
    if (runId_ == 0 || trimmed.isEmpty())
        return;
    try {
        tags_->add(runId_, trimmed.toStdString());
    } catch (const tempo::Error& error) {
        status_->setText(tr("tag not added: %1").arg(QString::fromUtf8(error.what())));
        return;
    }
    refreshTags();
    context_.announceRunsChanged();
}

void NotesEditor::removeTag(const QString& tag)
{
    if (runId_ == 0)
        return;
    tags_->remove(runId_, tag.toStdString());
    refreshTags();
    context_.announceRunsChanged();
}

void NotesEditor::refreshTags()
{
    while (QLayoutItem* item = tagLayout_->takeAt(0)) {
        if (item->widget())
            item->widget()->deleteLater();
        delete item;
    }
    if (runId_ == 0) {
        tagLayout_->addStretch(1);
        return;
    }
    const auto tags = tags_->ofRun(runId_);
    if (tags.empty()) {
        auto* none = new QLabel(tr("no tags"), tagChips_);
        none->setForegroundRole(QPalette::PlaceholderText);
        tagLayout_->addWidget(none);
    }
    for (const auto& name : tags) {
        const QString tag = QString::fromStdString(name);
        auto* chip = new QToolButton(tagChips_);
        chip->setObjectName("tagChip");
        chip->setText(tag + QString::fromUtf8("  \u00d7"));
        chip->setToolTip(isSystemTag(tag) ? tr("Set by the analyses; click to remove") : tr("Click to remove"));
        chip->setAutoRaise(false);
        chip->setStyleSheet(QString("QToolButton { border-radius: 10px; padding: 2px 10px; border: 1px solid palette(mid);"
                                    " background: %1; }")
                                .arg(isSystemTag(tag) ? "rgba(245,166,35,60)" : "rgba(52,120,246,40)"));
        connect(chip, &QToolButton::clicked, this, [this, tag] { removeTag(tag); });
        tagLayout_->addWidget(chip);
    }
    tagLayout_->addStretch(1);
}

} // namespace tempo::gui
