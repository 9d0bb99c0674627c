// The run history: pages fetched lazily, full-text search through the search box, each filter
// (preset, mode, status, tag, model, date) alone and combined, sorting by a column, and
// multi-select. The notebook is written directly with known runs, so every expected list comes
// from what the test inserted, not from the model under test.

#include <QComboBox>
#include <QHeaderView>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTableView>
#include <QtTest>

#include "core/notebook/notebook.h"
#include "gui/shell/historymodel.h"
#include "gui/shell/historysidebar.h"
#include "gui/shell/labcontext.h"
#include "guifixture.h"

using namespace tempo;
using namespace tempo::gui;

namespace {

QString isoAgo(qint64 seconds)
{
    return QDateTime::currentDateTimeUtc().addSecs(-seconds).toString(Qt::ISODateWithMs);
}

void fetchAll(HistoryModel& model)
{
    while (model.canFetchMore({}))
        model.fetchMore({});
}

QList<qint64> shownIds(HistoryModel& model)
{
    fetchAll(model);
    QList<qint64> ids;
    for (int row = 0; row < model.loadedRows(); ++row)
        ids << model.runIdAt(row);
    return ids;
}

} // namespace

class HistoryTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void fetchesPagesLazily();
    void searchBoxUsesFullTextSearch_data();
    void searchBoxUsesFullTextSearch();
    void filters_data();
    void filters();
    void sortsByColumn();
    void multiSelect();

private:
    qint64 addRun(notebook::Notebook& notebook, const std::string& preset, const std::string& mode,
                  std::int64_t modelId, const std::string& prompt, const std::string& text,
                  notebook::RunStatus status, qint64 secondsAgo);
    void setFilter(HistorySidebar& sidebar, const QString& name, const QString& value);

    test::GuiFixture fixture_;
    QString path_;
    qint64 a_ = 0, b_ = 0, c_ = 0, d_ = 0;
    QList<qint64> fillers_; // newest first
};

qint64 HistoryTest::addRun(notebook::Notebook& notebook, const std::string& preset, const std::string& mode,
                           std::int64_t modelId, const std::string& prompt, const std::string& text,
                           notebook::RunStatus status, qint64 secondsAgo)
{
    notebook::RunRecord run;
    run.presetId = preset;
    TempoConfig tempo;
    tempo.mode = parseSiblingMode(mode);
    tempo.threshold = 0.1;
    run.config.tempo = tempo;
    run.modelId = modelId;
    run.prompt = prompt;
    run.startedAt = isoAgo(secondsAgo).toStdString();
    const qint64 id = notebook.runs().create(run);
    notebook.runs().finish(id, status, text, "{}", status == notebook::RunStatus::Failed ? "model failed to load" : "");
    return id;
}

void HistoryTest::initTestCase()
{
    fixture_.setUp();
    path_ = fixture_.notebookPath("history");
    notebook::Notebook notebook(path_.toStdString());
    const auto model = [&](const std::string& name) {
        notebook::ModelRecord record;
        record.folder = "/models/" + name;
        record.name = name;
        record.weightsSha256 = name + "-weights";
        return notebook.models().upsert(record);
    };
    const auto alpha = model("alpha"), beta = model("beta"), gamma = model("gamma");
    using notebook::RunStatus;
    a_ = addRun(notebook, "1a", "isolated", alpha, "The cat sat on the", "The cat sat on the mat", RunStatus::Finished, 3600);
    b_ = addRun(notebook, "1b", "visible", alpha, "The cat sat on the", "The cat sat on the [rug/mat]",
                RunStatus::Finished, 7200);
    c_ = addRun(notebook, "2", "isolated", beta, "The quick brown", "The quick brown fox", RunStatus::Failed, 10800);
    d_ = addRun(notebook, "5", "visible", beta, "Hello there", "Hello there friend", RunStatus::Cancelled, 40 * 86400);
    notebook.tags().add(a_, "keep");
    notebook.tags().add(d_, "keep");
    notebook.notes().add(c_, "the zebra crossing case");
    for (int i = 0; i < 230; ++i)
        fillers_ << addRun(notebook, "3", "visible", gamma, "filler prompt " + std::to_string(i), "filler text",
                           RunStatus::Finished, 2 * 86400 + i * 60);
}

void HistoryTest::fetchesPagesLazily()
{
    notebook::Notebook notebook(path_.toStdString(), notebook::OpenMode::ReadOnly);
    HistoryModel model;
    model.setStores(&notebook.runs(), &notebook.tags());
    QCOMPARE(model.loadedRows(), HistoryModel::kPageSize); // one page, not 234 rows
    QVERIFY(model.canFetchMore({}));
    model.fetchMore({});
    QCOMPARE(model.loadedRows(), 2 * HistoryModel::kPageSize);
    model.fetchMore({});
    QCOMPARE(model.loadedRows(), 234);
    QVERIFY(!model.canFetchMore({}));
    // Newest first: a, b, c, the fillers, then d (40 days old).
    QCOMPARE(model.runIdAt(0), a_);
    QCOMPARE(model.runIdAt(1), b_);
    QCOMPARE(model.runIdAt(2), c_);
    QCOMPARE(model.runIdAt(3), fillers_.first());
    QCOMPARE(model.runIdAt(233), d_);
}

void HistoryTest::searchBoxUsesFullTextSearch_data()
{
    QTest::addColumn<QString>("typed");
    QTest::addColumn<QString>("expected"); // run letters, newest first
    QTest::newRow("prompt word") << "cat" << "ab";
    QTest::newRow("generated text word") << "fox" << "c";
    QTest::newRow("note word") << "zebra" << "c";
    QTest::newRow("tag") << "keep" << "ad";
    QTest::newRow("two words, both must occur") << "cat rug" << "b";
    QTest::newRow("prefix") << "frie*" << "d";
    QTest::newRow("punctuation is plain text") << "\"quick\" (brown)" << "c";
    QTest::newRow("no match") << "unicorn" << "";
}

void HistoryTest::searchBoxUsesFullTextSearch()
{
    QFETCH(QString, typed);
    QFETCH(QString, expected);
    LabContext context(path_);
    HistorySidebar sidebar(context);
    sidebar.show();
    QList<qint64> want;
    for (QChar letter : expected)
        want << (letter == 'a' ? a_ : letter == 'b' ? b_ : letter == 'c' ? c_ : d_);
    QVERIFY(shownIds(sidebar.model()) != want); // every run is shown before the search
    QTest::keyClicks(&sidebar.searchBox(), typed);
    // The search runs after typing pauses (200 ms): wait for the rows it asserts on.
    QTRY_COMPARE_WITH_TIMEOUT(shownIds(sidebar.model()), want, 30000);
}

void HistoryTest::filters_data()
{
    QTest::addColumn<QStringList>("settings"); // "filter=value"
    QTest::addColumn<QString>("expected");     // letters; "F" = every filler in order
    QTest::newRow("preset") << QStringList{"preset=1b"} << "b";
    QTest::newRow("mode") << QStringList{"mode=isolated"} << "ac";
    QTest::newRow("status") << QStringList{"status=failed"} << "c";
    QTest::newRow("tag") << QStringList{"tag=keep"} << "ad";
    QTest::newRow("model") << QStringList{"model=beta"} << "cd";
    QTest::newRow("date: last 30 days") << QStringList{"date=Last 30 days"} << "abcF";
    QTest::newRow("date: last 24 hours") << QStringList{"date=Last 24 hours"} << "abc";
    QTest::newRow("tag and mode") << QStringList{"tag=keep", "mode=visible"} << "d";
    QTest::newRow("model and status") << QStringList{"model=alpha", "status=finished"} << "ab";
    QTest::newRow("preset 3 visible") << QStringList{"preset=3", "mode=visible"} << "F";
}

void HistoryTest::setFilter(HistorySidebar& sidebar, const QString& name, const QString& value)
{
    QComboBox* box = sidebar.filterBox(name);
    QVERIFY2(box, qPrintable(name));
    const int index = box->findText(value);
    QVERIFY2(index > 0, qPrintable(name + "=" + value));
    box->setCurrentIndex(index);
}

void HistoryTest::filters()
{
    QFETCH(QStringList, settings);
    QFETCH(QString, expected);
    LabContext context(path_);
    HistorySidebar sidebar(context);
    for (const QString& setting : settings) {
        const QStringList parts = setting.split('=');
        setFilter(sidebar, parts[0], parts[1]);
    }
    QList<qint64> want;
    for (QChar letter : expected) {
        if (letter == 'F')
            want += fillers_;
        else
            want << (letter == 'a' ? a_ : letter == 'b' ? b_ : letter == 'c' ? c_ : d_);
    }
    QCOMPARE(shownIds(sidebar.model()), want);
}

void HistoryTest::sortsByColumn()
{
    LabContext context(path_);
    HistorySidebar sidebar(context);
    sidebar.show();
    // Click the Preset header: ascending by preset id.
    QHeaderView* header = sidebar.table().horizontalHeader();
    header->setSortIndicator(HistoryModel::PresetColumn, Qt::AscendingOrder);
    QList<qint64> ids = shownIds(sidebar.model());
    QCOMPARE(ids.size(), 234);
    QCOMPARE(ids.first(), a_); // "1a" < "1b" < "2" < "3" < "5"
    QCOMPARE(ids[1], b_);
    QCOMPARE(ids[2], c_);
    QCOMPARE(ids.last(), d_);
    header->setSortIndicator(HistoryModel::StartedColumn, Qt::AscendingOrder);
    ids = shownIds(sidebar.model());
    QCOMPARE(ids.first(), d_); // the oldest
    QCOMPARE(ids.last(), a_);
    QCOMPARE(ids[1], fillers_.last());
}

void HistoryTest::multiSelect()
{
    LabContext context(path_);
    HistorySidebar sidebar(context);
    sidebar.resize(400, 600);
    sidebar.show();
    QVERIFY(QTest::qWaitForWindowExposed(&sidebar));
    QTableView& table = sidebar.table();
    QSignalSpy selection(&sidebar, &HistorySidebar::selectionChanged);
    const QRect first = table.visualRect(sidebar.model().index(0, HistoryModel::PresetColumn));
    const QRect third = table.visualRect(sidebar.model().index(2, HistoryModel::PresetColumn));
    QTest::mouseClick(table.viewport(), Qt::LeftButton, Qt::NoModifier, first.center());
    QTest::mouseClick(table.viewport(), Qt::LeftButton, Qt::ControlModifier, third.center());
    QCOMPARE(sidebar.selectedRunIds(), (QList<qint64>{std::min(a_, c_), std::max(a_, c_)}));
    QVERIFY(!selection.isEmpty());
    QCOMPARE(selection.last().first().value<QList<qint64>>().size(), 2);
}

QTEST_MAIN(HistoryTest)
#include "history_test.moc"
