// Exports of the fixture notebook's reports: HTML (every chart embedded, hostile text inert), PDF
// (poppler's pdfinfo/pdftotext read it), the Markdown bundle, storage in the notebook, the charts
// themselves and the CLI command.
#include <regex>
#include <set>

#include <QBuffer>
#include <QImage>

#include <gtest/gtest.h>

#include "core/report/reportbuilder.h"
#include "render/charts/chartbuilders.h"
#include "render/export/reportexport.h"
#include "reportfixture.h"
#include "support/testsupport.h"

namespace tempo::test {
namespace {

using report::ChartKind;
using report::SubjectKind;

const char* kHostile = "<script>alert(1)</script> ](javascript:x) <img src=x onerror=alert(3)> \"quoted' & </td></table>";

class ReportExport : public ::testing::Test {
protected:
    void SetUp() override
    {
        book_ = std::make_unique<notebook::Notebook>((dir_.path() / "fixture.sqlite").string());
        ids_ = writeReportFixture(*book_, kHostile);
    }
    std::filesystem::path out(const std::string& name) const { return dir_.path() / name; }

    TempDir dir_{"tempo-report-export"};
    std::unique_ptr<notebook::Notebook> book_;
    ReportFixture ids_;
};

// Every tag in `html` (name only), for the allow-list check.
std::multiset<std::string> tagNames(const std::string& html)
{
    std::multiset<std::string> names;
    const std::regex tag("<\\s*/?\\s*([A-Za-z0-9!]+)");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), tag); it != std::sregex_iterator(); ++it)
        names.insert((*it)[1].str());
    return names;
}

TEST_F(ReportExport, html_embeds_every_chart_and_nothing_else)
{
    const auto data = report::loadReportData(*book_, {SubjectKind::Group, ids_.groupId});
    const auto document = report::buildReportDocument(data);
    // The fixture group has data for every run and pair chart (written by hand in reportfixture.cpp).
    const std::vector<ChartKind> expected{ChartKind::SetWidth,          ChartKind::EntropyTopProbability, ChartKind::Divergence,
                                          ChartKind::AttentionDifference, ChartKind::LayerCorrelation,     ChartKind::SiblingVsPrior,
                                          ChartKind::LayerHeadHeatmap,  ChartKind::SlotPositionMap};
    ASSERT_EQ(document.charts, expected);
    const auto charts = reportexport::renderCharts(data, document);
    const std::string html = reportexport::renderHtml(document, charts);

    const std::string marker = "<img src=\"data:image/png;base64,";
    std::vector<QImage> images;
    for (size_t at = html.find(marker); at != std::string::npos; at = html.find(marker, at + 1)) {
        const size_t begin = at + marker.size();
        const size_t end = html.find('"', begin);
        images.push_back(QImage::fromData(QByteArray::fromBase64(QByteArray::fromStdString(html.substr(begin, end - begin))), "PNG"));
    }
    ASSERT_EQ(images.size(), expected.size());
    for (const auto& image : images) {
        EXPECT_EQ(image.size(), charts::defaultChartSize());
    }
    // No external resource and no script of any kind.
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST_F(ReportExport, html_keeps_hostile_text_inert)
{
    const auto data = report::loadReportData(*book_, {SubjectKind::Run, ids_.failedRun});
    const auto document = report::buildReportDocument(data);
    const std::string html = reportexport::renderHtml(document, reportexport::renderCharts(data, document));
    // Only the tags the exporter writes itself; the hostile <script>, <img onerror>, </td></table> are text.
    const std::set<std::string> allowed{"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4",
                                        "p", "ul", "li", "strong", "code", "table", "thead", "tbody", "tr", "th", "td",
                                        "figure", "img", "figcaption"};
    for (const auto& name : tagNames(html))
        EXPECT_TRUE(allowed.count(name)) << "unexpected tag <" << name << ">";
    // Every <img> is one of ours: a data: URI chart, never the hostile <img onerror>.
    for (size_t at = html.find("<img"); at != std::string::npos; at = html.find("<img", at + 1))
        EXPECT_EQ(html.compare(at, 32, "<img src=\"data:image/png;base64,"), 0) << html.substr(at, 60);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(html.find("&lt;img src=x onerror=alert(3)&gt;"), std::string::npos);
    EXPECT_NE(html.find("&quot;quoted&#39; &amp; &lt;/td&gt;&lt;/table&gt;"), std::string::npos);
    EXPECT_EQ(html.find("href"), std::string::npos) << "the report makes no links";
    // The tables stay balanced: the hostile </td></table> closed nothing.
    const auto tags = tagNames(html);
    EXPECT_EQ(tags.count("table"), 2 * (tags.count("table") / 2));
    EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
}

TEST_F(ReportExport, pdf_opens_with_every_section)
{
    const auto pdf = out("group.pdf");
    reportexport::exportReport(*book_, {SubjectKind::Group, ids_.groupId}, reportexport::ReportFormat::Pdf,
                               QString::fromStdString(pdf.string()));
    int status = -1;
    const std::string info = runCommand("pdfinfo '" + pdf.string() + "' 2>&1", &status);
    ASSERT_EQ(status, 0) << info;
    std::smatch pages;
    ASSERT_TRUE(std::regex_search(info, pages, std::regex("Pages:\\s+(\\d+)"))) << info;
    EXPECT_GE(std::stoi(pages[1].str()), 1);
    EXPECT_NE(info.find("A4"), std::string::npos) << info;
    const std::string text = runCommand("pdftotext -layout '" + pdf.string() + "' - 2>&1", &status);
    ASSERT_EQ(status, 0);
    for (const char* title : {"Executive summary", "Key findings", "Mechanism checks", "Scenario analysis", "Technical details",
                              "Limitations", "Files", "Verdict: scenario C"})
        EXPECT_NE(text.find(title), std::string::npos) << "pdftotext did not find '" << title << "'";
    // The charts are in it as images.
    const std::string images = runCommand("pdfimages -list '" + pdf.string() + "' 2>&1", &status);
    if (status == 0) {
        int rows = 0;
        std::istringstream lines(images);
        for (std::string line; std::getline(lines, line);)
            rows += std::regex_search(line, std::regex("^\\s*\\d+\\s+\\d+\\s+image")) ? 1 : 0;
        EXPECT_GE(rows, 8) << images;
    }
}

TEST_F(ReportExport, markdown_bundle_links_resolve)
{
    const auto folder = out("bundle");
    const auto result = reportexport::exportReport(*book_, {SubjectKind::Group, ids_.groupId},
                                                   reportexport::ReportFormat::Markdown, QString::fromStdString(folder.string()));
    const std::string md = readText(folder / "report.md");
    EXPECT_EQ(md, result.markdown);
    const std::regex link("!\\[[^\\]]*\\]\\((charts/[a-z_]+\\.png)\\)");
    int links = 0;
    for (auto it = std::sregex_iterator(md.begin(), md.end(), link); it != std::sregex_iterator(); ++it, ++links) {
        const auto file = folder / (*it)[1].str();
        ASSERT_TRUE(std::filesystem::exists(file)) << file;
        EXPECT_FALSE(QImage(QString::fromStdString(file.string())).isNull()) << file;
    }
    EXPECT_EQ(links, 8);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder / "charts"), std::filesystem::directory_iterator()), 8);
}

TEST_F(ReportExport, stored_with_run_group_and_sweep)
{
    for (const report::SubjectId subject : {report::SubjectId{SubjectKind::Run, ids_.failedRun},
                                            report::SubjectId{SubjectKind::Group, ids_.groupId},
                                            report::SubjectId{SubjectKind::Sweep, ids_.sweepId}}) {
        const auto data = report::loadReportData(*book_, subject);
        const auto document = report::buildReportDocument(data);
        const std::string md = report::renderMarkdown(document);
        const auto charts = reportexport::renderCharts(data, document);
        const std::int64_t id = reportexport::storeReport(book_->reports(), data, md, charts);
        std::vector<std::int64_t> listed = subject.kind == SubjectKind::Run     ? book_->reports().ofRun(subject.id)
                                           : subject.kind == SubjectKind::Group ? book_->reports().ofGroup(subject.id)
                                                                                : book_->reports().ofSweep(subject.id);
        ASSERT_EQ(listed, std::vector<std::int64_t>{id}) << report::subjectIdText(subject);
        const auto stored = book_->reports().find(id);
        ASSERT_TRUE(stored);
        EXPECT_EQ(stored->markdown, md);
        EXPECT_EQ(stored->images.size(), charts.size());
        for (const auto& [name, png] : charts)
            EXPECT_EQ(stored->images.at("charts/" + name), std::vector<std::uint8_t>(png.begin(), png.end()));
    }
}

// Pixels of an Okabe-Ito colour (exact, as drawn by the pen) in the image.
int pixelsOf(const QImage& image, QColor colour)
{
    int count = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            count += image.pixelColor(x, y).rgb() == colour.rgb() ? 1 : 0;
    return count;
}

TEST_F(ReportExport, charts_draw_their_series_in_the_palette)
{
    const auto data = report::loadReportData(*book_, {SubjectKind::Group, ids_.groupId});
    const QColor blue(0x00, 0x72, 0xB2), vermillion(0xD5, 0x5E, 0x00);
    for (ChartKind kind : {ChartKind::SetWidth, ChartKind::Divergence, ChartKind::SiblingVsPrior}) {
        const QImage image = charts::renderChartImage(kind, data, {800, 500});
        EXPECT_GT(pixelsOf(image, blue), 50) << report::chartKindName(kind);
        EXPECT_GT(pixelsOf(image, vermillion), 50) << report::chartKindName(kind);
    }
    // Rendering is a pure function of the data.
    EXPECT_EQ(charts::renderChartPng(ChartKind::LayerHeadHeatmap, data), charts::renderChartPng(ChartKind::LayerHeadHeatmap, data));
    // A chart without data says so instead of drawing an empty frame silently.
    const auto sweep = report::loadReportData(*book_, {SubjectKind::Sweep, ids_.sweepId});
    EXPECT_EQ(report::chartsFor(sweep), std::vector<ChartKind>{ChartKind::SweepCategoryMeans});
    const QImage means = charts::renderChartImage(ChartKind::SweepCategoryMeans, sweep, {800, 500});
    EXPECT_GT(pixelsOf(means, blue), 500);
    if (const char* keep = std::getenv("TEMPO_REPORT_KEEP")) // for looking at it by hand
        charts::renderChartImage(ChartKind::SweepCategoryMeans, sweep).save(QString::fromUtf8(keep) + "/sweep_means.png");
}

TEST_F(ReportExport, cli_writes_every_format_for_run_group_and_sweep)
{
    book_.reset(); // the CLI opens the file itself
    const std::string notebookPath = (dir_.path() / "fixture.sqlite").string();
    for (const std::string& id : {std::to_string(ids_.failedRun), "group:" + std::to_string(ids_.groupId),
                                 "sweep:" + std::to_string(ids_.sweepId)}) {
        for (const std::string format : {"md", "html", "pdf"}) { // const char* -> string
            const auto target = out("cli-" + id.substr(0, id.find(':')) + "." + format);
            int status = -1;
            const std::string output = runCommand(std::string(TEMPO_CLI_PATH) + " report " + id + " --format " + format +
                                                      " --out '" + target.string() + "' --notebook '" + notebookPath + "' 2>&1",
                                                  &status);
            EXPECT_EQ(status, 0) << id << " " << format << ": " << output;
            const auto file = format == "md" ? target / "report.md" : target;
            EXPECT_TRUE(std::filesystem::exists(file)) << file;
            EXPECT_GT(std::filesystem::file_size(file), 1000u) << file;
        }
    }
    notebook::Notebook reader(notebookPath, notebook::OpenMode::ReadOnly);
    EXPECT_EQ(reader.reports().ofGroup(ids_.groupId).size(), 3u) << "each CLI report is stored with its subject";
    EXPECT_EQ(reader.reports().ofSweep(ids_.sweepId).size(), 3u);
    int status = -1;
    const std::string output = runCommand(std::string(TEMPO_CLI_PATH) + " report thing:1 --out x --notebook '" + notebookPath + "' 2>&1", &status);
    EXPECT_EQ(status, 2) << output;
    EXPECT_NE(output.find("run:N, group:N, sweep:N"), std::string::npos) << output;
}

} // namespace
} // namespace tempo::test
