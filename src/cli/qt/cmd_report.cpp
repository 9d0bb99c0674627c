// tempo-lab-cli report: a findings report of a run, a group or a sweep, built from the notebook and
// written as a Markdown bundle, an HTML file or a PDF. Charts are drawn by QCustomPlot, which needs
// a QApplication: one is made here (offscreen platform unless QT_QPA_PLATFORM says otherwise).
// An existing report is never replaced without --force (reportexport::existingOutputs, the rule
// the window asks the user about).

#include <sys/stat.h>

#include <iostream>
#include <memory>

#include <QApplication>

#include "core/report/reportdata.h"
#include "cli/args.h"
#include "cli/command.h"
#include "cli/notebookfile.h"
#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "render/export/reportexport.h"

namespace tempo::cli {

namespace {

// Qt warns on every start without XDG_RUNTIME_DIR (a login without a session: ssh, cron, a
// container), and the CLI never uses the runtime folder (no sockets, no caches): that one message
// is dropped, every other message goes to the handler that was there before.
QtMessageHandler gPreviousMessageHandler = nullptr;

void dropRuntimeDirWarning(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    if (type == QtWarningMsg && message.startsWith(QLatin1String("QStandardPaths: XDG_RUNTIME_DIR not set")))
        return;
    if (gPreviousMessageHandler)
        gPreviousMessageHandler(type, context, message);
}

// Widgets need an application object; the CLI has none of its own.
std::unique_ptr<QApplication> ensureApplication()
{
    if (QCoreApplication::instance())
        return nullptr;
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    if (!gPreviousMessageHandler)
        gPreviousMessageHandler = qInstallMessageHandler(dropRuntimeDirWarning);
    static int argc = 1;
    static char name[] = "tempo-lab-cli";
    static char* argv[] = {name, nullptr};
    return std::make_unique<QApplication>(argc, argv);
}

int runReport(const std::vector<std::string>& words)
{
    Args args(words, {"--format", "--out", "--notebook"}, {"--no-store", "--force", "--read-only"});
    if (args.positional().size() != 1)
        throw InvalidArgument(expectedFound("report arguments", "exactly one ID (run:N, group:N, sweep:N or N)",
                                            std::to_string(args.positional().size()) + " words"));
    const report::SubjectId subject = report::parseSubjectId(args.positional().front());
    const reportexport::ReportFormat format = reportexport::parseReportFormat(args.valueOr("--format", "md"));
    const std::string out = args.required("--out");
    if (!args.has("--force")) {
        const QStringList existing = reportexport::existingOutputs(QString::fromStdString(out), format);
        if (!existing.isEmpty()) {
            std::string found = std::to_string(existing.size()) + " existing file(s): " + existing.front().toStdString();
            if (existing.size() > 1)
                found += ", " + existing[1].toStdString() + (existing.size() > 2 ? ", ..." : "");
            throw InvalidArgument(expectedFound("report output '" + out + "'", "nothing to overwrite", found) +
                                  "; choose another path, or pass --force to replace them (nothing was written)");
        }
    }
    const std::string path = args.valueOr("--notebook", notebook::Notebook::defaultPath());
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        throw NotebookError("notebook '" + path + "': " + expectedFound("the file", "an existing notebook", "no file"));
    // Storing the report writes to the notebook: only when it may be written and the user did not
    // ask for --no-store or --read-only.
    const notebook::OpenMode mode = readingMode(path, args.has("--read-only") || args.has("--no-store"));
    const bool store = mode == notebook::OpenMode::ReadWrite;
    if (!store && !args.has("--no-store") && !args.has("--read-only"))
        std::cerr << "note: notebook '" << path
                  << "' (or its folder) is not writable: it is opened read-only and the report is not stored in it\n";
    notebook::Notebook book(path, mode);

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
     "Usage: tempo-lab-cli report ID --out PATH [--format md|html|pdf] [--notebook F] [--no-store] [--force]\n"
     "                            [--read-only]\n"
     "  ID             run:N, group:N or sweep:N; a plain number N means run N\n"
     "                 (group and sweep ids are listed by `tempo-lab-cli show` and `sweep`)\n"
     "  --format       md (default): a folder PATH with report.md and charts/*.png (relative links);\n"
     "                 html: one self-contained file (charts embedded, no scripts);\n"
     "                 pdf: an A4 PDF with the charts, text selectable\n"
     "  --out PATH     the folder (md) or file (html, pdf) to write; an existing report there (report.md,\n"
     "                 charts/*.png, or the file) is refused unless --force\n"
     "  --force        replace an existing report at PATH\n"
     "  --notebook F   notebook file (default $XDG_DATA_HOME/tempo-lab/notebook.sqlite)\n"
     "  --no-store     do not store the report in the notebook (opens it read-only)\n"
     "  --read-only    as --no-store, and create nothing next to the notebook (no -wal/-shm files);\n"
     "                 automatic when the notebook or its folder is not writable\n"
     "The report is built from the notebook only; the same data gives byte-identical Markdown.\n"
     "Charts are drawn offscreen (QT_QPA_PLATFORM=offscreen unless set).\n",
     true, &runReport}};

} // namespace

} // namespace tempo::cli
