// tempo-lab-cli report: a findings report of a run, a group or a sweep, built from the notebook and
// written as a Markdown bundle, an HTML file or a PDF. Every build writes Markdown
// (core/report/reportoutput.h); charts, HTML and PDF are drawn with Qt and come from the renderer a
// Qt build registers (src/cli/qt/reportrenderer.cpp). A Qt-free build (GPU servers) writes the
// Markdown with each chart named and captioned but not drawn, and refuses html and pdf up front.
// An existing report is never replaced without --force (report::existingReportOutputs, the rule
// the window asks the user about).

#include <sys/stat.h>

#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/notebookfile.h"
#include "cli/reportrenderer.h"
#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "core/report/reportdata.h"
#include "core/report/reportoutput.h"
#include "core/report/studyreport.h"

namespace tempo::cli {

namespace {

// Set by a Qt build's registration during static initialisation; constant-initialised, so it is
// null before any registration runs.
ReportRendererFactory gReportRendererFactory = nullptr;

// `report study:N`: the findings report of a study (core/report/studyreport.h), stored with it.
int writeStudy(notebook::Notebook& book, std::int64_t studyId, report::ReportFormat format, const std::string& out,
               const report::ReportRenderer* renderer, bool store)
{
    const report::StudyReportData data = report::loadStudyReportData(book, studyId);
    const report::WrittenStudyReport written = report::writeStudyReport(data, format, out, renderer);
    std::int64_t figures = 0;
    for (const auto& block : written.document.blocks)
        figures += block.kind == report::Block::Kind::Figure ? 1 : 0;
    std::cout << "wrote " << (format == report::ReportFormat::Markdown ? "bundle " : "") << out << " (";
    if (renderer)
        std::cout << written.charts.size() << " charts";
    else
        std::cout << figures << " charts named, not drawn: this build has no Qt";
    if (store)
        std::cout << ", stored as report " << report::storeStudyReport(book.reports(), data, written.markdown, written.charts);
    std::cout << ")\n";
    if (data.tempoChecksFailed() > 0)
        std::cerr << "note: " << data.tempoChecksFailed()
                  << " mechanism check(s) failed in the study's TEMPO sweeps; the report says so at the top\n";
    return kExitOk;
}

int runReport(const std::vector<std::string>& words)
{
    Args args(words, {"--format", "--out", "--notebook"}, {"--no-store", "--force", "--read-only"});
    if (args.positional().size() != 1)
        throw InvalidArgument(expectedFound("report arguments", "exactly one ID (run:N, group:N, sweep:N, study:N or N)",
                                            std::to_string(args.positional().size()) + " words"));
    const report::SubjectId subject = report::parseSubjectId(args.positional().front());
    const report::ReportFormat format = report::parseReportFormat(args.valueOr("--format", "md"));
    // html and pdf in a Qt-free build: refused before anything is opened or written.
    if (!hasReportRenderer())
        report::requireWritableFormat(format, nullptr);
    const std::string out = args.required("--out");
    if (!args.has("--force")) {
        const std::vector<std::string> existing = report::existingReportOutputs(out, format);
        if (!existing.empty()) {
            std::string found = std::to_string(existing.size()) + " existing file(s): " + existing.front();
            if (existing.size() > 1)
                found += ", " + existing[1] + (existing.size() > 2 ? ", ..." : "");
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

    const std::unique_ptr<report::ReportRenderer> renderer = makeReportRenderer();
    if (subject.kind == report::SubjectKind::Study)
        return writeStudy(book, subject.id, format, out, renderer.get(), store);
    const report::WrittenReport result = report::writeReport(book, subject, format, out, renderer.get());
    std::cout << "wrote " << (format == report::ReportFormat::Markdown ? "bundle " : "") << out << " (";
    if (renderer)
        std::cout << result.charts.size() << " charts";
    else
        std::cout << result.document.charts.size() << " charts named, not drawn: this build has no Qt";
    if (store)
        std::cout << ", stored as report " << report::storeReport(book.reports(), result.data, result.markdown, result.charts);
    std::cout << ")\n";
    if (result.data.failedCheckCount() > 0)
        std::cerr << "note: " << result.data.failedCheckCount()
                  << " mechanism check(s) failed in this subject; the report says so at the top\n";
    return kExitOk;
}

CommandRegistration reportCommand{
    {"report", "write a findings report (Markdown bundle, HTML or PDF) of a run, group, sweep or study",
     "Usage: tempo-lab-cli report ID --out PATH [--format md|html|pdf] [--notebook F] [--no-store] [--force]\n"
     "                            [--read-only]\n"
     "  ID             run:N, group:N, sweep:N or study:N; a plain number N means run N\n"
     "                 (group and sweep ids are listed by `tempo-lab-cli show` and `sweep`, studies by\n"
     "                 `tempo-lab-cli study list`); study:N writes the study's findings report: the\n"
     "                 verdict, every experiment with 95% intervals across the suite, the scenarios per\n"
     "                 prompt family, the artifact control, recommendations and limitations\n"
     "  --format       md (default): a folder PATH with report.md and charts/*.png (relative links);\n"
     "                 html: one self-contained file (charts embedded, no scripts);\n"
     "                 pdf: an A4 PDF with the charts, text selectable;\n"
     "                 html and pdf need a Qt build; a build without Qt (-DTEMPO_WITH_QT=OFF) writes md\n"
     "                 only, each chart named and captioned but not drawn (its numbers are in the tables)\n"
     "  --out PATH     the folder (md) or file (html, pdf) to write; an existing report there (report.md,\n"
     "                 charts/*.png, or the file) is refused unless --force\n"
     "  --force        replace an existing report at PATH\n"
     "  --notebook F   notebook file (default $XDG_DATA_HOME/tempo-lab/notebook.sqlite)\n"
     "  --no-store     do not store the report in the notebook (opens it read-only)\n"
     "  --read-only    as --no-store, and create nothing next to the notebook (no -wal/-shm files);\n"
     "                 automatic when the notebook or its folder is not writable\n"
     "The report is built from the notebook only; the same data gives byte-identical Markdown.\n"
     "Charts are drawn offscreen (QT_QPA_PLATFORM=offscreen unless set).\n",
     false, &runReport}};

} // namespace

ReportRendererRegistration::ReportRendererRegistration(ReportRendererFactory factory)
{
    gReportRendererFactory = factory;
}

bool hasReportRenderer() { return gReportRendererFactory != nullptr; }

std::unique_ptr<report::ReportRenderer> makeReportRenderer()
{
    return gReportRendererFactory ? gReportRendererFactory() : nullptr;
}

} // namespace tempo::cli
