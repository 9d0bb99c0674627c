// The findings report of a real study: a tiny study (two families, one threshold, 3 steps, every
// preset and the artifact control) run by the StudyRunner on the generated peaked tiny model, read
// back with loadStudyReportData, written in three formats, stored with the study, and reported by
// `tempo-lab-cli report study:N`. The golden Markdown is of constructed data
// (tests/core/report/golden/study.md): a real study's timings and dates differ on every run.
#include <gtest/gtest.h>

#include "core/experiment/study.h"
#include "core/report/studyreport.h"
#include "core/testmodel/testmodel.h"
#include "render/export/reportexport.h"
#include "reportfixture.h"
#include "support/testsupport.h"

namespace tempo::test {
namespace {

const std::filesystem::path& studyModel()
{
    static TempDir dir("tempo-study-model");
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

TEST(StudyRealRun, ReportOfATinyStudyInThreeFormats)
{
    TempDir dir("tempo-study-real");
    const std::string path = (dir.path() / "study.sqlite").string();
    std::int64_t studyId = 0;
    {
        notebook::Notebook book(path);
        ModelCache cache(1);
        StudyRequest request;
        request.modelFolder = studyModel();
        request.name = "tiny";
        request.spec.suiteName = "tiny";
        request.spec.prompts = {{"narrative", "The cat sat on the", std::nullopt}, {"code", "The quick brown", std::nullopt}};
        request.spec.thresholds = {0.1};
        request.spec.stepsOverride = 3;
        studyId = StudyRunner(book, cache).run(request).studyId;
    }
    notebook::Notebook book(path);
    const report::StudyReportData data = report::loadStudyReportData(book, studyId);
    EXPECT_EQ(data.studyId, studyId);
    EXPECT_EQ(data.prompts(), 2);
    ASSERT_EQ(data.sweeps.size(), 7u) << "six presets and the control";
    EXPECT_EQ(data.sweeps.back().role, "control");
    for (const auto& s : data.sweeps)
        EXPECT_EQ(s.pointsFinished, 2) << "sweep " << s.sweepId << " preset " << s.presetId;
    EXPECT_EQ(data.tempoChecksFailed(), 0);
    EXPECT_TRUE(data.exp1.present && data.exp2.present && data.exp3.present && data.exp4.present && data.exp5.present);
    EXPECT_EQ(data.exp2.pairs, 2);
    EXPECT_EQ(data.exp4.runs.size(), 2u);
    EXPECT_FALSE(data.exp5.widths.empty());
    EXPECT_GT(data.provenance.parameters, 0);
    EXPECT_EQ(data.provenance.weightsSha256.size(), 64u);
    // The control reproduces the artifact: isolated == visible at every point.
    ASSERT_TRUE(data.control.present);
    ASSERT_FALSE(data.control.rows.empty());
    EXPECT_EQ(data.control.rows.back().controlPoints, 2);
    EXPECT_EQ(data.control.rows.back().controlIdentical, 2);
    EXPECT_GT(data.control.controlChecksFailed, 0) << "the control's checks fail, saying why";

    // Deterministic: the same notebook (also read-only) gives byte-identical Markdown.
    const std::string markdown = report::buildStudyMarkdown(data);
    EXPECT_EQ(markdown, report::buildStudyMarkdown(report::loadStudyReportData(book, studyId)));
    {
        notebook::Notebook reader(path, notebook::OpenMode::ReadOnly);
        EXPECT_EQ(markdown, report::buildStudyMarkdown(report::loadStudyReportData(reader, studyId)));
    }
    EXPECT_NE(markdown.find("**The control reproduces the artifact.**"), std::string::npos);

    const reportexport::QtReportRenderer renderer;
    const auto md = report::writeStudyReport(data, report::ReportFormat::Markdown, (dir.path() / "md").string(), &renderer);
    EXPECT_FALSE(md.charts.empty());
    EXPECT_EQ(readText(dir.path() / "md" / "report.md"), md.markdown);
    report::writeStudyReport(data, report::ReportFormat::Html, (dir.path() / "study.html").string(), &renderer);
    EXPECT_NE(readText(dir.path() / "study.html").find("data:image/png;base64,"), std::string::npos);
    report::writeStudyReport(data, report::ReportFormat::Pdf, (dir.path() / "study.pdf").string(), &renderer);
    EXPECT_EQ(readText(dir.path() / "study.pdf").substr(0, 5), "%PDF-");

    const std::int64_t reportId = report::storeStudyReport(book.reports(), data, md.markdown, md.charts);
    EXPECT_EQ(book.reports().ofStudy(studyId), std::vector<std::int64_t>{reportId});
    const auto stored = book.reports().find(reportId);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->studyId, studyId);
    EXPECT_EQ(stored->markdown, md.markdown);
    EXPECT_EQ(stored->images.size(), md.charts.size());
}

TEST(StudyRealRun, CliWritesAndStoresTheStudyReport)
{
    TempDir dir("tempo-study-cli");
    const std::string path = (dir.path() / "study.sqlite").string();
    std::int64_t studyId = 0;
    {
        notebook::Notebook book(path);
        ModelCache cache(1);
        StudyRequest request;
        request.modelFolder = studyModel();
        request.spec.suiteName = "tiny";
        request.spec.prompts = {{"narrative", "The cat sat on the", std::nullopt}};
        request.spec.thresholds = {0.1};
        request.spec.presets = {"2"};
        request.spec.stepsOverride = 2;
        studyId = StudyRunner(book, cache).run(request).studyId;
    }
    int status = -1;
    const std::string out = (dir.path() / "study.pdf").string();
    const std::string output = runCommand(std::string(TEMPO_CLI_PATH) + " report study:" + std::to_string(studyId) +
                                              " --format pdf --out '" + out + "' --notebook '" + path + "' 2>&1",
                                          &status);
    ASSERT_EQ(status, 0) << output;
    EXPECT_NE(output.find("stored as report"), std::string::npos) << output;
    EXPECT_EQ(readText(out).substr(0, 5), "%PDF-");
    notebook::Notebook book(path, notebook::OpenMode::ReadOnly);
    EXPECT_EQ(book.reports().ofStudy(studyId).size(), 1u);
    // An unknown study is refused by name.
    const std::string refused = runCommand(std::string(TEMPO_CLI_PATH) + " report study:99 --format md --out '" +
                                               (dir.path() / "none").string() + "' --notebook '" + path + "' 2>&1",
                                           &status);
    EXPECT_NE(status, 0);
    EXPECT_NE(refused.find("study 99"), std::string::npos) << refused;
}

} // namespace
} // namespace tempo::test
