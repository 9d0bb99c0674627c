#pragma once
// A findings report exported as a Markdown bundle (folder with report.md and charts/*.png, relative
// links), one self-contained HTML file (charts as data: URIs, all text escaped) or a PDF (A4,
// QTextDocument + QPdfWriter, charts included, text selectable), and stored in the notebook with
// its run, group or sweep. Chart rendering needs a QApplication (offscreen is fine).

#include <cstdint>
#include <map>
#include <string>

#include <QByteArray>
#include <QString>
#include <QStringList>

#include "core/report/reportbuilder.h"
#include "core/report/reportdata.h"

namespace tempo::notebook {
class Notebook;
}

namespace tempo::reportexport {

enum class ReportFormat { Markdown, Html, Pdf };
// "md" | "markdown" | "html" | "pdf"; throws InvalidArgument naming the accepted words.
ReportFormat parseReportFormat(const std::string& text);

// Chart file name ("set_width.png") -> PNG bytes, for every chart of the document.
using ChartImages = std::map<std::string, QByteArray>;
ChartImages renderCharts(const report::ReportData& data, const report::ReportDocument& document);

// HTML document (UTF-8) with the charts embedded as data: URIs; no script, no external resource.
std::string renderHtml(const report::ReportDocument& document, const ChartImages& charts);
std::string escapeHtml(const std::string& text);

// Writes `folder`/report.md and `folder`/charts/*.png (the folder is created; existing files with
// the same names are replaced).
void writeMarkdownBundle(const QString& folder, const std::string& markdown, const ChartImages& charts);
void writeHtml(const QString& file, const std::string& html);
// A4 PDF from the same document (QTextDocument laid out on QPdfWriter pages).
void writePdf(const QString& file, const report::ReportDocument& document, const ChartImages& charts);

// The files that writing a report in `format` to `path` would replace: for Markdown the folder's
// report.md and charts/*.png (chart names depend on the report, so every PNG there counts), for
// HTML and PDF the file itself. Empty when nothing would be overwritten. Front ends call it before
// exporting and ask (GUI) or refuse without --force (CLI); the writers below replace silently.
QStringList existingOutputs(const QString& path, ReportFormat format);

// Builds the report of `subject` and writes it in `format` to `path` (a folder for Markdown, a
// file otherwise). Returns what was built. Throws NotebookError / InvalidArgument / ConfigError.
struct ExportResult {
    report::ReportData data;
    report::ReportDocument document;
    std::string markdown;
    ChartImages charts;
};
ExportResult exportReport(notebook::Notebook& notebook, const report::SubjectId& subject, ReportFormat format,
                          const QString& path);

// Stores the Markdown and chart PNGs in the notebook with the run (run subject), the group (group
// subject) or the sweep (sweep subject). Returns the report id.
std::int64_t storeReport(notebook::Notebook& notebook, const report::ReportData& data, const std::string& markdown,
                         const ChartImages& charts);

} // namespace tempo::reportexport
