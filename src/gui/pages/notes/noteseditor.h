#pragma once
// Notes and tags of one run. A Markdown editor with a live preview (QTextBrowser::setMarkdown),
// saved automatically into the notebook a moment after typing stops (and at once when another run
// is shown), and the run's tags as removable chips with a field to add one. Every save announces
// runsChanged so the history (search covers notes and tags) refreshes.
//
// A run's note is its first note; further notes (imported or merged from other notebooks) are shown
// read-only under the preview.

#include <QWidget>

class QFrame;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSplitter;
class QTextBrowser;
class QTimer;
class QHBoxLayout;

namespace tempo::notebook {
class NoteStore;
class RunStore;
class TagStore;
}

namespace tempo::gui {

class LabContext;

class NotesEditor : public QWidget {
    Q_OBJECT
public:
    explicit NotesEditor(LabContext& context, QWidget* parent = nullptr);
    ~NotesEditor() override;

    void showRun(qint64 runId);
    qint64 runId() const { return runId_; }

    static constexpr int kSaveDelayMs = 600; // after the last keystroke

    QPlainTextEdit* editor() const { return editor_; }
    QTextBrowser* preview() const { return preview_; }
    QLineEdit* tagField() const { return tagField_; }
    // Writes pending edits now (also done on showRun and destruction).
    void saveNow();
    void addTag(const QString& tag);
    void removeTag(const QString& tag);

signals:
    void saved(qint64 runId);

protected:
    void hideEvent(QHideEvent* event) override; // leaving the page saves at once

private:
    QFrame* buildTagsCard();
    QSplitter* buildEditorAndPreview();
    void textEdited();
    void refreshPreview();
    void refreshTags();
    void fetchStores(); // from the context's notebook, again after every switch

    LabContext& context_;
    tempo::notebook::RunStore* runs_ = nullptr;
    tempo::notebook::NoteStore* notes_ = nullptr;
    tempo::notebook::TagStore* tags_ = nullptr;
    QLabel* heading_ = nullptr;
    QLabel* status_ = nullptr;
    QPlainTextEdit* editor_ = nullptr;
    QTextBrowser* preview_ = nullptr;
    QLabel* otherNotes_ = nullptr;
    QWidget* tagChips_ = nullptr;
    QHBoxLayout* tagLayout_ = nullptr;
    QLineEdit* tagField_ = nullptr;
    QTimer* saveTimer_ = nullptr;

    qint64 runId_ = 0;
    qint64 noteId_ = 0; // 0: the run has no note yet
    bool dirty_ = false;
    bool loading_ = false;
};

} // namespace tempo::gui
