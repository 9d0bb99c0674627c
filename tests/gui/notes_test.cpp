// Notes editor: typed Markdown is saved by itself (debounced) into the notebook, read back through
// a separate connection, shown again by a fresh editor, and previewed; switching runs saves at
// once; tags are added and removed; every change announces runsChanged.

#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTextBrowser>
#include <QToolButton>
#include <QtTest>

#include "gui/pages/notes/noteseditor.h"
#include "gui/shell/labcontext.h"
#include "pagesfixture.h"

using namespace tempo;
using namespace tempo::gui;

namespace {
std::vector<notebook::NoteRecord> storedNotes(const QString& path, int64_t runId)
{
    notebook::Notebook notebook(path.toStdString(), notebook::OpenMode::ReadOnly);
    return notebook.notes().ofRun(runId);
}
// Types like a person: characters as key clicks, each newline as Return (keyClicks refuses '\n').
void typeText(QWidget* widget, const QString& text)
{
    const QStringList lines = text.split('\n');
    for (int i = 0; i < lines.size(); ++i) {
        if (i > 0)
            QTest::keyClick(widget, Qt::Key_Return);
        if (!lines[i].isEmpty())
            QTest::keyClicks(widget, lines[i]);
    }
}
} // namespace

class NotesTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void typedNotesAreSavedAndReloaded();
    void switchingRunsSavesAtOnce();
    void tagsAddAndRemove();

private:
    std::optional<testing::PagesFixture> fixture_;
    int64_t runA_ = 0;
    int64_t runB_ = 0;
};

void NotesTest::initTestCase()
{
    testing::isolateSettings("gui.notes");
    fixture_.emplace();
    runA_ = fixture_->run("1a", 3).runIds.at(0);
    runB_ = fixture_->run("1b", 3).runIds.at(0);
}

void NotesTest::typedNotesAreSavedAndReloaded()
{
    const QString typed = "# Sibling attention\n\nIsolated mode keeps **members apart**.\n\n- check the mask\n";
    {
        LabContext context(fixture_->notebookPath);
        QSignalSpy runsChanged(&context, &LabContext::runsChanged);
        NotesEditor editor(context);
        editor.showRun(runA_);
        editor.show();
        typeText(editor.editor(), typed);
        QCOMPARE(editor.editor()->toPlainText(), typed);
        // Nothing is written while typing goes on; the save comes kSaveDelayMs after the last key.
        QVERIFY(storedNotes(fixture_->notebookPath, runA_).empty());
        QTRY_COMPARE_WITH_TIMEOUT(storedNotes(fixture_->notebookPath, runA_).size(), size_t{1}, 30000);
        QCOMPARE(QString::fromStdString(storedNotes(fixture_->notebookPath, runA_).front().markdown), typed);
        QVERIFY(runsChanged.count() >= 1);
        // The preview renders the Markdown (a heading and bold text, not the raw markers).
        const QString preview = editor.preview()->toPlainText();
        QVERIFY2(preview.contains("Sibling attention") && !preview.contains("**"), qPrintable(preview));
        QVERIFY(editor.preview()->toHtml().contains("font-weight:700") || editor.preview()->toHtml().contains("font-weight:600"));
        testing::PagesFixture::grab(editor, "notes");

        // An edit replaces the note (still one note).
        typeText(editor.editor(), "- and the positions\n");
        QTRY_COMPARE_WITH_TIMEOUT(QString::fromStdString(storedNotes(fixture_->notebookPath, runA_).front().markdown),
                                  typed + "- and the positions\n", 30000);
        QCOMPARE(storedNotes(fixture_->notebookPath, runA_).size(), size_t{1});
    }
    // A fresh window shows the saved note.
    LabContext context(fixture_->notebookPath);
    NotesEditor editor(context);
    editor.showRun(runA_);
    QCOMPARE(editor.editor()->toPlainText(), typed + "- and the positions\n");
}

void NotesTest::switchingRunsSavesAtOnce()
{
    LabContext context(fixture_->notebookPath);
    NotesEditor editor(context);
    editor.showRun(runB_);
    editor.show();
    QTest::keyClicks(editor.editor(), "visible run note");
    editor.showRun(runA_); // before the debounce fires
    const auto notes = storedNotes(fixture_->notebookPath, runB_);
    QCOMPARE(notes.size(), size_t{1});
    QCOMPARE(QString::fromStdString(notes.front().markdown), QString("visible run note"));
    // The search of the history finds it (notes are in the full-text index).
    notebook::Notebook notebook(fixture_->notebookPath.toStdString(), notebook::OpenMode::ReadOnly);
    notebook::RunQuery query;
    query.search = "visible";
    bool found = false;
    for (const auto& summary : notebook.runs().list(query))
        found = found || summary.id == runB_;
    QVERIFY(found);
}

void NotesTest::tagsAddAndRemove()
{
    LabContext context(fixture_->notebookPath);
    QSignalSpy runsChanged(&context, &LabContext::runsChanged);
    NotesEditor editor(context);
    editor.showRun(runA_);
    editor.show();
    QTest::keyClicks(editor.tagField(), "promising");
    QTest::keyClick(editor.tagField(), Qt::Key_Return);
    auto tags = [this] {
        notebook::Notebook notebook(fixture_->notebookPath.toStdString(), notebook::OpenMode::ReadOnly);
        return notebook.tags().ofRun(runA_);
    };
    auto has = [](const std::vector<std::string>& list, const std::string& tag) {
        return std::find(list.begin(), list.end(), tag) != list.end();
    };
    QVERIFY(has(tags(), "promising"));
    QVERIFY(editor.tagField()->text().isEmpty());
    QCOMPARE(runsChanged.count(), 1);
    // Clicking the tag's chip removes it.
    QToolButton* chip = nullptr;
    for (auto* button : editor.findChildren<QToolButton*>("tagChip"))
        if (button->text().startsWith("promising"))
            chip = button;
    QVERIFY(chip);
    QTest::mouseClick(chip, Qt::LeftButton);
    QVERIFY(!has(tags(), "promising"));
    QCOMPARE(runsChanged.count(), 2);
}

QTEST_MAIN(NotesTest)
#include "notes_test.moc"
