// The report path of a build without Qt (core/report/reportoutput.h, what a Qt-free
// `tempo-lab-cli report` runs): the Markdown bundle of the fixture notebook is the Qt build's
// report.md (golden/group.md, reviewed by hand) with each chart named instead of linked, and nothing
// else changed; html and pdf are refused before anything is written; the report row is stored.
#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/common/errors.h"
#include "core/report/reportbuilder.h"
#include "core/report/reportoutput.h"
#include "reportfixture.h"
#include "support/testsupport.h"

namespace tempo::test {
namespace {

using report::ReportFormat;
using report::SubjectKind;

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

bool startsWith(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

class ReportOutputWithoutQt : public ::testing::Test {
protected:
    void SetUp() override
    {
        book_ = std::make_unique<notebook::Notebook>((dir_.path() / "fixture.sqlite").string());
        ids_ = writeReportFixture(*book_);
    }

    TempDir dir_{"tempo-report-output"};
    std::unique_ptr<notebook::Notebook> book_;
    ReportFixture ids_;
};

TEST_F(ReportOutputWithoutQt, markdown_bundle_is_the_qt_report_with_charts_named_not_linked)
{
    const auto bundle = dir_.path() / "bundle";
    const report::WrittenReport written =
        report::writeReport(*book_, {SubjectKind::Group, ids_.groupId}, ReportFormat::Markdown, bundle.string(), nullptr);
    EXPECT_TRUE(written.charts.empty());
    EXPECT_FALSE(std::filesystem::exists(bundle / "charts")) << "no chart was drawn, so no charts/ folder";
    const std::string writtenMarkdown = readText(bundle / "report.md");
    EXPECT_EQ(writtenMarkdown, written.markdown);

    // The Qt build's report.md of the same notebook, line by line up to its Files section: every
    // figure's image link "![title](charts/x.png)" is "Chart not drawn (`charts/x.png`): ..." here,
    // every other line is equal. The Files section lists report.md and says no chart was written.
    const std::vector<std::string> qt = lines(readText(goldenFolder() / "group.md"));
    const std::vector<std::string> plain = lines(writtenMarkdown);
    ASSERT_FALSE(qt.empty()) << "missing golden file group.md";
    const auto qtFiles = std::find(qt.begin(), qt.end(), "## Files");
    const auto plainFiles = std::find(plain.begin(), plain.end(), "## Files");
    ASSERT_NE(qtFiles, qt.end());
    ASSERT_NE(plainFiles, plain.end());
    ASSERT_EQ(plainFiles - plain.begin(), qtFiles - qt.begin()) << "the Qt-free report has other lines than the Qt one";
    size_t figures = 0;
    for (size_t i = 0; i < static_cast<size_t>(qtFiles - qt.begin()); ++i) {
        if (startsWith(qt[i], "![")) {
            const auto open = qt[i].find("](charts/");
            ASSERT_NE(open, std::string::npos) << "golden line " << i + 1 << ": " << qt[i];
            const std::string image = qt[i].substr(open + 2, qt[i].size() - open - 3); // charts/x.png
            EXPECT_TRUE(startsWith(plain[i], "Chart not drawn (`" + image + "`): ")) << "line " << i + 1 << ": " << plain[i];
            EXPECT_NE(plain[i].find("build without Qt"), std::string::npos) << plain[i];
            ++figures;
        } else {
            EXPECT_EQ(plain[i], qt[i]) << "line " << i + 1;
        }
    }
    EXPECT_EQ(figures, written.document.charts.size());
    EXPECT_GE(figures, 3u) << "the fixture group has set width, entropy and divergence charts";
    EXPECT_EQ(writtenMarkdown.find("]("), std::string::npos) << "no link at all, so no broken image";
    const std::vector<std::string> files(plainFiles, plain.end());
    ASSERT_EQ(files.size(), 4u) << writtenMarkdown.substr(writtenMarkdown.find("## Files"));
    EXPECT_EQ(files[2], "- `report.md`: this report");
    EXPECT_EQ(files[3], "- `charts/`: not written; the " + std::to_string(figures) +
                            " charts named above were not drawn (a build without Qt)");

    // The file front ends check before writing: report.md (no charts) is what a second write would replace.
    EXPECT_EQ(report::existingReportOutputs(bundle.string(), ReportFormat::Markdown),
              std::vector<std::string>{(bundle / "report.md").string()});
}

TEST_F(ReportOutputWithoutQt, markdown_bundle_is_deterministic_and_stored)
{
    const report::SubjectId group{SubjectKind::Group, ids_.groupId};
    const auto first = report::writeReport(*book_, group, ReportFormat::Markdown, (dir_.path() / "a").string(), nullptr);
    const auto second = report::writeReport(*book_, group, ReportFormat::Markdown, (dir_.path() / "b").string(), nullptr);
    EXPECT_EQ(readText(dir_.path() / "a" / "report.md"), readText(dir_.path() / "b" / "report.md"));

    const std::int64_t id = report::storeReport(book_->reports(), first.data, first.markdown, first.charts);
    const auto stored = book_->reports().find(id);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->groupId, std::optional<std::int64_t>(ids_.groupId));
    EXPECT_FALSE(stored->runId.has_value());
    EXPECT_EQ(stored->markdown, second.markdown);
    EXPECT_EQ(stored->title, first.data.title);
    EXPECT_TRUE(stored->images.empty());
}

TEST_F(ReportOutputWithoutQt, html_and_pdf_are_refused_naming_what_this_build_writes)
{
    for (const ReportFormat format : {ReportFormat::Html, ReportFormat::Pdf}) {
        const std::string name = report::reportFormatName(format);
        const auto file = dir_.path() / ("r." + name);
        try {
            report::writeReport(*book_, {SubjectKind::Run, ids_.isolatedRun}, format, file.string(), nullptr);
            ADD_FAILURE() << name << " was written without a renderer";
        } catch (const InvalidArgument& error) {
            const std::string message = error.what();
            EXPECT_NE(message.find("expected md"), std::string::npos) << message;
            EXPECT_NE(message.find("found '" + name + "'"), std::string::npos) << message;
            EXPECT_NE(message.find(name + " needs the Qt build; this build supports: md"), std::string::npos) << message;
        }
        EXPECT_FALSE(std::filesystem::exists(file)) << name;
    }
}

TEST_F(ReportOutputWithoutQt, report_formats_parse_and_name)
{
    EXPECT_EQ(report::parseReportFormat("md"), ReportFormat::Markdown);
    EXPECT_EQ(report::parseReportFormat("markdown"), ReportFormat::Markdown);
    EXPECT_EQ(report::parseReportFormat("html"), ReportFormat::Html);
    EXPECT_EQ(report::parseReportFormat("pdf"), ReportFormat::Pdf);
    EXPECT_EQ(report::reportFormatName(ReportFormat::Pdf), "pdf");
    try {
        report::parseReportFormat("docx");
        ADD_FAILURE() << "docx accepted";
    } catch (const InvalidArgument& error) {
        EXPECT_NE(std::string(error.what()).find("expected md, html or pdf, found 'docx'"), std::string::npos) << error.what();
    }
}

TEST_F(ReportOutputWithoutQt, unwritable_bundle_folder_is_a_config_error_naming_it)
{
    writeFileBytes(dir_.path() / "file", "not a folder");
    const auto bundle = dir_.path() / "file" / "bundle";
    try {
        report::writeMarkdownBundle(bundle.string(), "# x\n", {});
        ADD_FAILURE() << "wrote under a file";
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find(bundle.string()), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("expected a folder that can be created"), std::string::npos) << error.what();
    }
}

} // namespace
} // namespace tempo::test
