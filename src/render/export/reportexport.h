#pragma once
// A findings report exported as a Markdown bundle (folder with report.md and charts/*.png, relative
// links), one self-contained HTML file (charts as data: URIs, all text escaped) or a PDF (A4,
// QTextDocument + QPdfWriter, charts included, text selectable), and stored in the notebook with
// its run, group or sweep. Chart rendering needs a QApplication (offscreen is fine). The Qt-free
// parts (formats, the Markdown bundle, the existing-outputs check, storing) are core's
// (core/report/reportoutput.h); the functions here taking Qt types convert and call them.

#include <cstdint>
#include <map>
#include <string>

#include <QByteArray>
#include <QString>
#include <QStringList>

#include "core/report/reportbuilder.h"
#include "core/report/reportdata.h"
#include "core/report/reportoutput.h"

namespace tempo::notebook {
class Notebook;
}

namespace tempo::reportexport {

// The formats and their parser are core's (core/report/reportoutput.h).
using report::ReportFormat;
using report::parseReportFormat;

// Chart file name ("set_width.png") -> PNG bytes, for every chart of the document.
using ChartImages = std::map<std::string, QByteArray>;
ChartImages renderCharts(const report::ReportData& data, const report::ReportDocument& document);
// PNG bytes of every figure that carries its own numbers (Block::spec, the study report), named
// "<spec id>.png".
ChartImages renderFigures(const report::ReportDocument& document);
report::ChartFiles toChartFiles(const ChartImages& charts);
ChartImages toChartImages(const report::ChartFiles& charts);

// HTML document (UTF-8) with the charts embedded as data: URIs; no script, no external resource.
std::string renderHtml(const report::ReportDocument& document, const ChartImages& charts);
std::string escapeHtml(const std::string& text);

// Writes `folder`/report.md and `folder`/charts/*.png (report::writeMarkdownBundle).
void writeMarkdownBundle(const QString& folder, const std::string& markdown, const ChartImages& charts);
void writeHtml(const QString& file, const std::string& html);
// A4 PDF from the same document (QTextDocument laid out on QPdfWriter pages).
void writePdf(const QString& file, const report::ReportDocument& document, const ChartImages& charts);

// The files that writing a report in `format` to `path` would replace (report::existingReportOutputs).
QStringList existingOutputs(const QString& path, ReportFormat format);

// Charts, HTML and PDF for core's report::writeReport (the CLI's report command). Drawing needs a
// QApplication (offscreen is fine).
class QtReportRenderer final : public report::ReportRenderer {
public:
    report::ChartFiles drawCharts(const report::ReportData& data, const report::ReportDocument& document) const override;
    report::ChartFiles drawFigures(const report::ReportDocument& document) const override;
    void writeDocument(ReportFormat format, const std::string& path, const report::ReportDocument& document,
                       const report::ChartFiles& charts) const override;
};

// Builds the report of `subject` and writes it in `format` to `path` (a folder for Markdown, a
// file otherwise), through report::writeReport with the QtReportRenderer. Returns what was built.
// Throws NotebookError / InvalidArgument / ConfigError.
struct ExportResult {
    report::ReportData data;
    report::ReportDocument document;
    std::string markdown;
    ChartImages charts;
};
ExportResult exportReport(notebook::Notebook& notebook, const report::SubjectId& subject, ReportFormat format,
                          const QString& path);

// Stores the Markdown and chart PNGs in the notebook (report::storeReport). Returns the report id.
std::int64_t storeReport(notebook::ReportStore& reports, const report::ReportData& data, const std::string& markdown,
                         const ChartImages& charts);

} // namespace tempo::reportexport
