// Reports of real runs: presets 2 and 5 recorded by the experiment runner on a generated peaked tiny
// model, then reported from the notebook. The Markdown of the same notebook is byte-identical on
// every build (and from a read-only reopen), and the PDF and HTML exports carry every chart.
#include <gtest/gtest.h>

#include "core/report/reportbuilder.h"
#include "core/experiment/experimentrunner.h"
#include "core/experiment/presetcatalog.h"
#include "core/testmodel/testmodel.h"
#include "render/export/reportexport.h"
#include "reportfixture.h"
#include "support/testsupport.h"

namespace tempo::test {
namespace {

using report::SubjectKind;

const std::filesystem::path& peakedModel()
{
    static TempDir dir("tempo-report-model");
    static const bool written = [] {
        TestModelSpec spec;
        spec.seed = 42;
        spec.peaked = true;
        writeTestModel(dir.path(), spec);
        return true;
    }();
    (void)written;
    return dir.path();
}

class ReportRealRuns : public ::testing::TestWithParam<const char*> {
protected:
    ExperimentResult runPreset(notebook::Notebook& book, const std::string& presetId)
    {
        ExperimentRunner runner(book, cache_);
        ExperimentRequest request;
        request.preset = {*shippedPreset(presetId), true};
        request.modelFolder = peakedModel();
        return runner.run(request);
    }
    ModelCache cache_{1};
};

TEST_P(ReportRealRuns, deterministic_and_exported)
{
    TempDir dir("tempo-report-real");
    const std::string path = (dir.path() / "runs.sqlite").string();
    notebook::Notebook book(path);
    const ExperimentResult result = runPreset(book, GetParam());
    ASSERT_TRUE(result.groupId) << "presets 2 and 5 run both modes as a group";
    const report::SubjectId group{SubjectKind::Group, *result.groupId};

    const auto data = report::loadReportData(book, group);
    ASSERT_EQ(data.runs.size(), 2u);
    EXPECT_EQ(data.runs[0].mode, "isolated");
    EXPECT_EQ(data.runs[1].mode, "visible");
    EXPECT_TRUE(data.verdict.present);
    // The readouts were read back from the stored tensors: one entropy per readout p_0 .. p_steps.
    EXPECT_GE(data.runs[0].readoutEntropy.size(), data.runs[0].steps.size());

    const std::string first = report::buildMarkdown(data);
    const std::string second = report::buildMarkdown(report::loadReportData(book, group));
    notebook::Notebook reader(path, notebook::OpenMode::ReadOnly);
    const std::string third = report::buildMarkdown(report::loadReportData(reader, group));
    EXPECT_EQ(first, second);
    EXPECT_EQ(first, third);
    // Run reports too.
    for (std::int64_t runId : result.runIds)
        EXPECT_EQ(report::buildMarkdown(report::loadReportData(book, {SubjectKind::Run, runId})),
                  report::buildMarkdown(report::loadReportData(reader, {SubjectKind::Run, runId})));

    const auto document = report::buildReportDocument(data);
    EXPECT_GE(document.charts.size(), 5u);
    const auto html = dir.path() / "report.html";
    const auto exported = reportexport::exportReport(book, group, reportexport::ReportFormat::Html, QString::fromStdString(html.string()));
    const std::string htmlText = readText(html);
    size_t embedded = 0;
    for (size_t at = htmlText.find("data:image/png;base64,"); at != std::string::npos; at = htmlText.find("data:image/png;base64,", at + 1))
        ++embedded;
    EXPECT_EQ(embedded, exported.document.charts.size());

    const auto pdf = dir.path() / "report.pdf";
    reportexport::exportReport(book, group, reportexport::ReportFormat::Pdf, QString::fromStdString(pdf.string()));
    int status = -1;
    const std::string text = runCommand("pdftotext '" + pdf.string() + "' - 2>&1", &status);
    ASSERT_EQ(status, 0) << text;
    for (const char* title : {"Executive summary", "Mechanism checks", "Limitations"})
        EXPECT_NE(text.find(title), std::string::npos) << title;

    if (const char* keep = std::getenv("TEMPO_REPORT_KEEP")) {
        // For looking at the output by hand: TEMPO_REPORT_KEEP=/some/folder.
        const std::filesystem::path folder = std::filesystem::path(keep) / ("preset" + std::string(GetParam()));
        std::filesystem::create_directories(folder);
        std::filesystem::copy_file(html, folder / "report.html", std::filesystem::copy_options::overwrite_existing);
        std::filesystem::copy_file(pdf, folder / "report.pdf", std::filesystem::copy_options::overwrite_existing);
        reportexport::exportReport(book, group, reportexport::ReportFormat::Markdown, QString::fromStdString((folder / "bundle").string()));
    }
}

INSTANTIATE_TEST_SUITE_P(presets, ReportRealRuns, ::testing::Values("2", "5"),
                         [](const auto& info) { return std::string("preset") + info.param; });

} // namespace
} // namespace tempo::test
