// The study report rendered: every figure drawn from its own numbers (PNG, not blank), the HTML
// with every chart embedded, the PDF readable by poppler with every section and the charts as
// images, and the Markdown bundle through core's writeStudyReport with the Qt renderer. The data is
// the constructed small study of tests/core/report/studyfixture.h.
#include <regex>
#include <set>
#include <sstream>

#include "core/common/errors.h"

#include <QImage>

#include <gtest/gtest.h>

#include "core/report/studyreport.h"
#include "render/charts/chartbuilders.h"
#include "render/export/reportexport.h"
#include "reportfixture.h"
#include "studyfixture.h"
#include "support/testsupport.h"

namespace tempo::test {
namespace {

// Distinct colours in a sample of the image: a blank or single-colour chart has one or two.
int sampledColours(const QImage& image)
{
    std::set<QRgb> colours;
    for (int y = 0; y < image.height(); y += 7)
        for (int x = 0; x < image.width(); x += 7)
            colours.insert(image.pixel(x, y));
    return static_cast<int>(colours.size());
}

TEST(StudyExport, everyFigureIsDrawnFromItsNumbers)
{
    const auto document = report::buildStudyReportDocument(tinyStudyReportData());
    const auto images = reportexport::renderFigures(document);
    ASSERT_EQ(images.size(), 10u);
    for (const auto& block : document.blocks) {
        if (block.kind != report::Block::Kind::Figure)
            continue;
        const auto found = images.find(block.spec->id + ".png");
        ASSERT_NE(found, images.end()) << block.spec->id;
        const QImage image = QImage::fromData(found->second, "PNG");
        ASSERT_FALSE(image.isNull()) << block.spec->id;
        EXPECT_EQ(image.size(), charts::defaultChartSize()) << block.spec->id;
        // Title, axes, several series colours and the legend: far more than a blank canvas.
        EXPECT_GT(sampledColours(image), 20) << block.spec->id;
    }
    // Equal data, equal pictures.
    EXPECT_EQ(reportexport::renderFigures(document), images);
}

TEST(StudyExport, htmlEmbedsEveryChart)
{
    const auto document = report::buildStudyReportDocument(tinyStudyReportData());
    const std::string html = reportexport::renderHtml(document, reportexport::renderFigures(document));
    std::size_t embedded = 0;
    for (auto at = html.find("src=\"data:image/png;base64,"); at != std::string::npos;
         at = html.find("src=\"data:image/png;base64,", at + 1))
        ++embedded;
    EXPECT_EQ(embedded, 10u);
    EXPECT_EQ(html.find("src=\"\""), std::string::npos) << "a figure without its image";
    EXPECT_NE(html.find("<strong>Verdict: scenario B (subtle cross-attention).</strong>"), std::string::npos);
}

TEST(StudyExport, pdfAndBundleThroughTheRenderer)
{
    TempDir dir("tempo-study-export");
    const reportexport::QtReportRenderer renderer;
    const auto data = tinyStudyReportData();
    const auto pdf = dir.path() / "study.pdf";
    const auto written = report::writeStudyReport(data, report::ReportFormat::Pdf, pdf.string(), &renderer);
    EXPECT_EQ(written.charts.size(), 10u);
    int status = -1;
    const std::string info = runCommand("pdfinfo '" + pdf.string() + "' 2>&1", &status);
    ASSERT_EQ(status, 0) << info;
    std::smatch pages;
    ASSERT_TRUE(std::regex_search(info, pages, std::regex("Pages:\\s+(\\d+)"))) << info;
    EXPECT_GE(std::stoi(pages[1].str()), 5);
    const std::string text = runCommand("pdftotext -layout '" + pdf.string() + "' - 2>&1", &status);
    ASSERT_EQ(status, 0);
    for (const char* title : {"Executive summary", "Experiments 1a and 1b", "Experiment 2", "Experiment 3", "Experiment 4",
                              "Experiment 5", "Scenario analysis", "Artifact control vs real mechanism", "Technical details",
                              "Recommendations", "Limitations", "Files", "Verdict: scenario B"})
        EXPECT_NE(text.find(title), std::string::npos) << "pdftotext did not find '" << title << "'";
    const std::string images = runCommand("pdfimages -list '" + pdf.string() + "' 2>&1", &status);
    if (status == 0) {
        int rows = 0;
        std::istringstream lines(images);
        for (std::string line; std::getline(lines, line);)
            rows += std::regex_search(line, std::regex("^\\s*\\d+\\s+\\d+\\s+image")) ? 1 : 0;
        EXPECT_GE(rows, 10) << images;
    }

    const auto bundle = dir.path() / "bundle";
    const auto md = report::writeStudyReport(data, report::ReportFormat::Markdown, bundle.string(), &renderer);
    EXPECT_EQ(readText(bundle / "report.md"), md.markdown);
    for (const auto& [name, png] : md.charts) {
        EXPECT_NE(md.markdown.find("](charts/" + name + ")"), std::string::npos) << name;
        EXPECT_EQ(std::filesystem::file_size(bundle / "charts" / name), png.size()) << name;
    }
    // The Markdown with drawn charts is the golden one's text.
    EXPECT_EQ(md.markdown, report::buildStudyMarkdown(data));
}

TEST(StudyExport, withoutARendererOnlyMarkdownIsWritten)
{
    TempDir dir("tempo-study-export-noqt");
    const auto data = tinyStudyReportData();
    EXPECT_THROW(report::writeStudyReport(data, report::ReportFormat::Html, (dir.path() / "x.html").string(), nullptr),
                 InvalidArgument);
    const auto md = report::writeStudyReport(data, report::ReportFormat::Markdown, (dir.path() / "md").string(), nullptr);
    EXPECT_TRUE(md.charts.empty());
    EXPECT_NE(md.markdown.find("Chart not drawn (`charts/exp1_sibling_prior.png`)"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "md" / "charts"));
}

} // namespace
} // namespace tempo::test
