// Report page: the report of a preset 2 group renders in the window with its charts, and the Export
// buttons write a Markdown bundle, an HTML file with every chart embedded as a PNG data URI, and a
// PDF; the exported report is stored with the group.

#include <QDir>
#include <QFile>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTextBrowser>
#include <QtTest>

#include "gui/pages/report/reportpage.h"
#include "gui/shell/labcontext.h"
#include "pagesfixture.h"

using namespace tempo;
using namespace tempo::gui;
using reportexport::ReportFormat;

class ReportTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void exportFromTheWindow();

private:
    std::optional<testing::PagesFixture> fixture_;
    int64_t groupId_ = 0;
};

void ReportTest::initTestCase()
{
    testing::isolateSettings("gui.report");
    fixture_.emplace();
    groupId_ = fixture_->run("2", 6, {"threshold=0.05"}).groupId.value();
}

void ReportTest::exportFromTheWindow()
{
    LabContext context(fixture_->notebookPath);
    ReportPage page(context);
    page.resize(960, 760);
    page.show();
    page.showGroup(groupId_);
    QTRY_VERIFY_WITH_TIMEOUT(page.isReady(), 120000);

    // The Markdown links its charts as images; the view shows the text and resolves every image.
    const QString markdown = page.markdown();
    QRegularExpression imageLink(R"re(!\[[^\]]*\]\((charts/[^)]+\.png)\))re");
    QStringList images;
    for (auto it = imageLink.globalMatch(markdown); it.hasNext();)
        images << it.next().captured(1);
    qInfo("report: %lld characters of Markdown, %lld charts", static_cast<long long>(markdown.size()),
          static_cast<long long>(images.size()));
    QVERIFY(images.size() >= 2); // a group has at least set width and the divergence chart
    QVERIFY(page.view()->toPlainText().contains("Executive summary"));
    for (const QString& image : images) {
        const QVariant resource = page.view()->loadResource(QTextDocument::ImageResource, QUrl(image));
        QVERIFY2(resource.canConvert<QImage>() && !resource.value<QImage>().isNull(), qPrintable(image));
    }
    testing::PagesFixture::grab(page, "report");

    // Export through the buttons; the location chooser stands in for the file dialog.
    const QString html = fixture_->dir.filePath("out/report.html");
    const QString pdf = fixture_->dir.filePath("out/report.pdf");
    const QString bundle = fixture_->dir.filePath("out/bundle");
    QDir().mkpath(fixture_->dir.filePath("out"));
    page.setLocationChooser([&](ReportFormat format, const QString&) {
        return format == ReportFormat::Html ? html : format == ReportFormat::Pdf ? pdf : bundle;
    });
    QSignalSpy exported(&page, &ReportPage::exported);
    QSignalSpy failed(&page, &ReportPage::exportFailed);
    for (ReportFormat format : {ReportFormat::Html, ReportFormat::Pdf, ReportFormat::Markdown}) {
        const int before = exported.count();
        QTRY_VERIFY_WITH_TIMEOUT(page.exportButton(format)->isEnabled(), 30000);
        QTest::mouseClick(page.exportButton(format), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(exported.count() == before + 1 || failed.count() > 0, 60000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
    }

    // HTML: one PNG data URI per chart, each a decodable image.
    QFile htmlFile(html);
    QVERIFY(htmlFile.open(QIODevice::ReadOnly));
    const QString htmlText = QString::fromUtf8(htmlFile.readAll());
    QRegularExpression dataUri(R"re(src="data:image/png;base64,([A-Za-z0-9+/=]+)")re");
    int embedded = 0;
    for (auto it = dataUri.globalMatch(htmlText); it.hasNext();) {
        const QImage image = QImage::fromData(QByteArray::fromBase64(it.next().captured(1).toLatin1()), "PNG");
        QVERIFY(!image.isNull());
        ++embedded;
    }
    QCOMPARE(embedded, images.size());
    QVERIFY(!htmlText.contains("src=\"charts/"));

    // PDF: a real PDF file of some size.
    QFile pdfFile(pdf);
    QVERIFY(pdfFile.open(QIODevice::ReadOnly));
    const QByteArray pdfBytes = pdfFile.readAll();
    QVERIFY(pdfBytes.startsWith("%PDF-"));
    QVERIFY(pdfBytes.size() > 10000);
    qInfo("exported HTML %lld bytes, PDF %lld bytes", static_cast<long long>(htmlText.size()),
          static_cast<long long>(pdfBytes.size()));

    // Markdown bundle: report.md and every linked chart.
    QVERIFY(QFile::exists(bundle + "/report.md"));
    for (const QString& image : images)
        QVERIFY2(QFile::exists(bundle + "/" + image), qPrintable(image));

    // Exporting over files already there asks first: "no" keeps them untouched and exports
    // nothing, "yes" replaces them.
    {
        QFile mine(html);
        QVERIFY(mine.open(QIODevice::WriteOnly | QIODevice::Truncate));
        mine.write("my own notes, not a report");
    }
    QStringList asked;
    bool answer = false;
    page.setOverwriteQuestion([&](const QString&, const QStringList& replaced) {
        asked = replaced;
        return answer;
    });
    const int exportsBefore = exported.count();
    QTRY_VERIFY_WITH_TIMEOUT(page.exportButton(ReportFormat::Html)->isEnabled(), 30000);
    QTest::mouseClick(page.exportButton(ReportFormat::Html), Qt::LeftButton);
    QCOMPARE(asked, QStringList{html});
    QCOMPARE(exported.count(), exportsBefore); // asked synchronously; nothing started
    {
        QFile mine(html);
        QVERIFY(mine.open(QIODevice::ReadOnly));
        QCOMPARE(mine.readAll(), QByteArray("my own notes, not a report"));
    }
    asked.clear();
    answer = true;
    QTest::mouseClick(page.exportButton(ReportFormat::Html), Qt::LeftButton);
    QCOMPARE(asked, QStringList{html});
    QTRY_VERIFY_WITH_TIMEOUT(exported.count() == exportsBefore + 1 || failed.count() > 0, 60000);
    QVERIFY(failed.isEmpty());
    {
        QFile replacedFile(html);
        QVERIFY(replacedFile.open(QIODevice::ReadOnly));
        QVERIFY(replacedFile.readAll().contains("data:image/png;base64,"));
    }

    // Stored once with the group.
    notebook::Notebook notebook(fixture_->notebookPath.toStdString(), notebook::OpenMode::ReadOnly);
    QCOMPARE(notebook.reports().ofGroup(groupId_).size(), size_t{1});
}

QTEST_MAIN(ReportTest)
#include "report_test.moc"
