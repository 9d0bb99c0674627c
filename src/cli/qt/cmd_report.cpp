// tempo-lab-cli report: a findings report of a run, a group or a sweep, built from the notebook and
// written as a Markdown bundle, an HTML file or a PDF. Charts are drawn by QCustomPlot, which needs
// a QApplication: one is made here (offscreen platform unless QT_QPA_PLATFORM says otherwise).

#include <sys/stat.h>

#include <iostream>
#include <memory>

#include <QApplication>

#include "app/report/reportdata.h"
#include "cli/args.h"
#include "cli/command.h"
#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "gui/reportexport/reportexport.h"

namespace tempo::cli {

namespace {

// Widgets need an application object; the CLI has none of its own.
std::unique_ptr<QApplication> ensureApplication()
{
    if (QCoreApplication::instance())
        return nullptr;
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    static int argc = 1;
    static char name[] = "tempo-lab-cli";
    static char* argv[] = {name, nullptr};
    return std::make_unique<QApplication>(argc, argv);
}

int runReport(const std::vector<std::string>& words)
{
    Args args(words, {"--format", "--out", "--notebook"}, {"--no-store"});
    if (args.positional().size() != 1)
        throw InvalidArgument(expectedFound("report arguments", "exactly one ID (run:N, group:N, sweep:N or N)",
                                            std::to_string(args.positional().size()) + " words"));
    const report::SubjectId subject = report::parseSubjectId(args.positional().front());
    const reportexport::ReportFormat format = reportexport::parseReportFormat(args.valueOr("--format", "md"));
    const std::string out = args.required("--out");
    const std::string path = args.valueOr("--notebook", notebook::Notebook::defaultPath());
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        throw NotebookError("notebook '" + path + "': " + expectedFound("the file", "an existing notebook", "no file"));
    const bool store = !args.has("--no-store");
    notebook::Notebook book(path, store ? notebook::OpenMode::ReadWrite : notebook::OpenMode::ReadOnly);

    auto application = ensureApplication();
    const auto result = reportexport::exportReport(book, subject, format, QString::fromStdString(out));
    std::cout << "wrote " << (format == reportexport::ReportFormat::Markdown ? "bundle " : "") << out << " ("
              << result.charts.size() << " charts";
    if (store)
        std::cout << ", stored as report " << reportexport::storeReport(book, result.data, result.markdown, result.charts);
    std::cout << ")\n";
    if (result.data.failedCheckCount() > 0)
        std::cerr << "note: " << result.data.failedCheckCount()
                  << " mechanism check(s) failed in this subject; the report says so at the top\n";
    return kExitOk;
}

CommandRegistration reportCommand{
    {"report", "write a findings report (Markdown bundle, HTML or PDF) of a run, group or sweep",
     "Usage: tempo-lab-cli report ID --out PATH [--format md|html|pdf] [--notebook F] [--no-store]\n"
     "  ID             run:N, group:N or sweep:N; a plain number N means run N\n"
     "                 (group and sweep ids are listed by `tempo-lab-cli show` and `sweep`)\n"
     "  --format       md (default): a folder PATH with report.md and charts/*.png (relative links);\n"
     "                 html: one self-contained file (charts embedded, no scripts);\n"
     "                 pdf: an A4 PDF with the charts, text selectable\n"
     "  --out PATH     the folder (md) or file (html, pdf) to write\n"
     "  --notebook F   notebook file (default $XDG_DATA_HOME/tempo-lab/notebook.sqlite)\n"
     "  --no-store     do not store the report in the notebook (opens it read-only)\n"
     "The report is built from the notebook only; the same data gives byte-identical Markdown.\n"
     "Charts are drawn offscreen (QT_QPA_PLATFORM=offscreen unless set).\n",
     true, &runReport}};

} // namespace

} // namespace tempo::cli
