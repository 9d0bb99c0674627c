// tempo-lab-cli report as a user meets it: an existing report is never replaced without --force
// (the rule of reportexport::existingOutputs, which the window asks about), a notebook in a
// read-only folder is reported from without touching the folder, and Qt's XDG_RUNTIME_DIR warning
// does not reach the terminal.
#include <sys/stat.h>

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "render/export/reportexport.h"
#include "reportfixture.h"
#include "support/testsupport.h"

namespace tempo::test {
namespace {

class ReportCliOutput : public ::testing::Test {
public:
    void SetUp() override
    {
        notebook::Notebook book(notebookPath());
        ids_ = writeReportFixture(book, "plain text");
    }
    std::string notebookPath() const { return (dir_.path() / "fixture.sqlite").string(); }
    std::filesystem::path out(const std::string& name) const { return dir_.path() / name; }
    // `tempo-lab-cli report ARGS --notebook fixture`, stdout and stderr together.
    std::string report(const std::string& arguments, int* status, const std::string& notebook = "") const
    {
        return runCommand(std::string(TEMPO_CLI_PATH) + " report " + arguments + " --notebook '" +
                              (notebook.empty() ? notebookPath() : notebook) + "' 2>&1",
                          status);
    }

    TempDir dir_{"tempo-report-cli"};
    ReportFixture ids_;
};

// Name -> bytes of every file under `folder`.
std::map<std::string, std::string> filesUnder(const std::filesystem::path& folder)
{
    std::map<std::string, std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(folder))
        if (entry.is_regular_file())
            files[std::filesystem::relative(entry.path(), folder).string()] = readFileBytes(entry.path());
    return files;
}

// A second export of the same run to the same file is refused with exit 2, the message names the
// file and --force, and the file keeps its bytes; --force replaces it.
void expectRefusedThenForced(const ReportCliOutput& test, const std::string& format, const std::filesystem::path& target,
                             const std::string& run)
{
    int status = -1;
    std::string output = test.report(run + " --format " + format + " --out '" + target.string() + "'", &status);
    ASSERT_EQ(status, 0) << output;
    writeFileBytes(target, "the user's own file");
    output = test.report(run + " --format " + format + " --out '" + target.string() + "'", &status);
    EXPECT_EQ(status, 2) << output;
    EXPECT_NE(output.find(target.string()), std::string::npos) << output;
    EXPECT_NE(output.find("--force"), std::string::npos) << output;
    EXPECT_EQ(readFileBytes(target), "the user's own file");
    output = test.report(run + " --format " + format + " --out '" + target.string() + "' --force", &status);
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(readFileBytes(target), "the user's own file");
}

TEST_F(ReportCliOutput, existing_outputs_lists_the_files_a_report_would_replace)
{
    using reportexport::ReportFormat;
    const QString html = QString::fromStdString(out("r.html").string());
    EXPECT_TRUE(reportexport::existingOutputs(html, ReportFormat::Html).isEmpty());
    writeFileBytes(out("r.html"), "x");
    EXPECT_EQ(reportexport::existingOutputs(html, ReportFormat::Html), QStringList{html});

    const QString bundle = QString::fromStdString(out("bundle").string());
    EXPECT_TRUE(reportexport::existingOutputs(bundle, ReportFormat::Markdown).isEmpty()) << "no folder yet";
    std::filesystem::create_directories(out("bundle") / "charts");
    writeFileBytes(out("bundle") / "notes.txt", "the user's, not a report file");
    EXPECT_TRUE(reportexport::existingOutputs(bundle, ReportFormat::Markdown).isEmpty()) << "other files are not replaced";
    writeFileBytes(out("bundle") / "report.md", "x");
    writeFileBytes(out("bundle") / "charts" / "set_width.png", "x");
    EXPECT_EQ(reportexport::existingOutputs(bundle, ReportFormat::Markdown),
              (QStringList{bundle + "/report.md", bundle + "/charts/set_width.png"}));
}

TEST_F(ReportCliOutput, html_report_over_an_existing_file_is_refused_without_force)
{
    expectRefusedThenForced(*this, "html", out("r.html"), std::to_string(ids_.failedRun));
}

TEST_F(ReportCliOutput, pdf_report_over_an_existing_file_is_refused_without_force)
{
    expectRefusedThenForced(*this, "pdf", out("r.pdf"), std::to_string(ids_.failedRun));
}

TEST_F(ReportCliOutput, markdown_bundle_over_an_existing_report_is_refused_without_force)
{
    const auto bundle = out("bundle");
    const std::string run = std::to_string(ids_.failedRun);
    int status = -1;
    std::string output = report(run + " --out '" + bundle.string() + "'", &status);
    ASSERT_EQ(status, 0) << output;
    writeFileBytes(bundle / "report.md", "edited by hand");
    const auto before = filesUnder(bundle);
    output = report(run + " --out '" + bundle.string() + "'", &status);
    EXPECT_EQ(status, 2) << output;
    EXPECT_NE(output.find((bundle / "report.md").string()), std::string::npos) << output;
    EXPECT_NE(output.find("--force"), std::string::npos) << output;
    EXPECT_EQ(filesUnder(bundle), before) << "nothing in the bundle changed";
    output = report(run + " --out '" + bundle.string() + "' --force", &status);
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(readFileBytes(bundle / "report.md"), "edited by hand");
}

TEST_F(ReportCliOutput, notebook_in_a_read_only_folder_is_reported_without_touching_the_folder)
{
    // Root writes anywhere, so the CLI honours the folder's permission bits, as it does the
    // file's: a folder with no write bit is read-only for everyone, and the notebook is opened
    // without -wal/-shm files and without storing the report.
    const auto folder = dir_.path() / "shared";
    std::filesystem::create_directories(folder);
    std::filesystem::rename(notebookPath(), folder / "lab.sqlite");
    const std::string notebook = (folder / "lab.sqlite").string();
    const auto before = filesUnder(folder);
    ASSERT_EQ(::chmod(folder.c_str(), 0555), 0);
    struct stat folderBefore {};
    ::stat(folder.c_str(), &folderBefore);

    int status = -1;
    const std::string output =
        report(std::to_string(ids_.failedRun) + " --format html --out '" + out("r.html").string() + "'", &status, notebook);
    struct stat folderAfter {};
    ::stat(folder.c_str(), &folderAfter);
    ::chmod(folder.c_str(), 0755);
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(output.find("not stored"), std::string::npos) << output;
    EXPECT_GT(std::filesystem::file_size(out("r.html")), 1000u);
    EXPECT_EQ(filesUnder(folder), before) << "no -wal/-shm, the notebook's bytes unchanged";
    EXPECT_EQ(folderAfter.st_mtim.tv_sec, folderBefore.st_mtim.tv_sec);
    EXPECT_EQ(folderAfter.st_mtim.tv_nsec, folderBefore.st_mtim.tv_nsec) << "nothing was created in the folder";
}

TEST_F(ReportCliOutput, no_xdg_runtime_dir_warning_without_a_session)
{
    int status = -1;
    const std::string output = runCommand("env -u XDG_RUNTIME_DIR " + std::string(TEMPO_CLI_PATH) + " report " +
                                              std::to_string(ids_.failedRun) + " --format html --out '" +
                                              out("r.html").string() + "' --notebook '" + notebookPath() + "' 2>&1",
                                          &status);
    EXPECT_EQ(status, 0) << output;
    EXPECT_EQ(output.find("XDG_RUNTIME_DIR"), std::string::npos) << output;
    EXPECT_NE(output.find("wrote "), std::string::npos) << output;
}

} // namespace
} // namespace tempo::test
