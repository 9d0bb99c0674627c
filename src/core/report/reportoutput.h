#pragma once
// Writing a findings report without Qt: the output formats, the files a report would replace, the
// Markdown bundle (report.md and charts/*.png) and the report row stored in the notebook. Used by
// every build of `tempo-lab-cli report` and, through src/render/export, by the window. Drawing the
// charts and HTML/PDF need Qt (src/render): a Qt-free build writes the Markdown with each chart
// named and captioned but not drawn (ChartDrawing::NotDrawn).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/report/reportbuilder.h"
#include "core/report/reportdata.h"
#include "core/report/studyreportdata.h"

namespace tempo::notebook {
class Notebook;
class ReportStore;
}

namespace tempo::report {

enum class ReportFormat { Markdown, Html, Pdf };
// "md" | "markdown" | "html" | "pdf"; throws InvalidArgument naming the accepted words.
ReportFormat parseReportFormat(const std::string& text);
std::string reportFormatName(ReportFormat format); // "md" | "html" | "pdf"

// Chart file name ("set_width.png") -> PNG bytes, for every chart drawn (none in a Qt-free build).
using ChartFiles = std::map<std::string, std::vector<std::uint8_t>>;

// The files that writing a report in `format` to `path` would replace: for Markdown the folder's
// report.md and charts/*.png (chart names depend on the report, so every PNG there counts), for
// HTML and PDF the file itself. Empty when nothing would be overwritten. Front ends call it before
// exporting and ask (GUI) or refuse without --force (CLI); the writers below replace silently.
// Sorted by name (report.md first, then the charts).
std::vector<std::string> existingReportOutputs(const std::string& path, ReportFormat format);

// Writes `folder`/report.md and `folder`/charts/*.png (the folder is created, charts/ when there
// are charts; existing files with the same names are replaced). Throws ConfigError.
void writeMarkdownBundle(const std::string& folder, const std::string& markdown, const ChartFiles& charts);
// Writes `bytes` to `path` (replaced). Throws ConfigError naming the file and the system's reason.
void writeReportFile(const std::string& path, const std::string& bytes);

// Stores the Markdown and chart PNGs in a notebook's reports with the run (run subject), the group
// (group subject) or the sweep (sweep subject). Returns the report id.
std::int64_t storeReport(notebook::ReportStore& reports, const ReportData& data, const std::string& markdown,
                         const ChartFiles& charts);

// What a Qt build adds to writing a report: the charts drawn as PNG, and the HTML and PDF files
// (src/render/export: QCustomPlot, QTextDocument, QPdfWriter). Core never draws.
class ReportRenderer {
public:
    virtual ~ReportRenderer() = default;
    // PNG bytes of every chart of the document (report::chartFileName -> bytes).
    virtual ChartFiles drawCharts(const ReportData& data, const ReportDocument& document) const = 0;
    // PNG bytes of every figure that carries its own numbers (Block::spec: the study report),
    // named "<spec id>.png".
    virtual ChartFiles drawFigures(const ReportDocument& document) const = 0;
    // Writes `document` as HTML or PDF (never Markdown) to the file `path`, with `charts` embedded.
    virtual void writeDocument(ReportFormat format, const std::string& path, const ReportDocument& document,
                               const ChartFiles& charts) const = 0;
};

// Refuses a format that needs a renderer when there is none (a Qt-free build): InvalidArgument
// "report format: expected md (...), found 'html' (html needs the Qt build; this build supports: md)".
void requireWritableFormat(ReportFormat format, const ReportRenderer* renderer);

// Builds the report of `subject` from the notebook and writes it in `format` to `path` (a folder
// for Markdown, a file otherwise). With a renderer the Markdown links the charts it drew
// (charts/*.png); without one (Qt-free build) only Markdown can be written, and each chart is
// named and captioned but not drawn (ChartDrawing::NotDrawn). Returns what was built and
// written; storing it is the caller's choice (storeReport). Throws NotebookError, InvalidArgument
// or ConfigError.
struct WrittenReport {
    ReportData data;
    ReportDocument document;
    std::string markdown;
    ChartFiles charts; // empty without a renderer
};
WrittenReport writeReport(notebook::Notebook& notebook, const SubjectId& subject, ReportFormat format,
                          const std::string& path, const ReportRenderer* renderer);

// The findings report of a study (studyreport.h) written in `format` to `path` (a folder for
// Markdown, a file otherwise): the figures drawn by the renderer (none without one: Markdown only,
// each chart named). Throws InvalidArgument (a format this build cannot write) or ConfigError.
struct WrittenStudyReport {
    ReportDocument document;
    std::string markdown;
    ChartFiles charts; // empty without a renderer
};
WrittenStudyReport writeStudyReport(const StudyReportData& data, ReportFormat format, const std::string& path,
                                    const ReportRenderer* renderer);
// Stores a study report's Markdown and chart PNGs in the notebook, linked to the study
// (report_studies). Returns the report id.
std::int64_t storeStudyReport(notebook::ReportStore& reports, const StudyReportData& data, const std::string& markdown,
                              const ChartFiles& charts);

} // namespace tempo::report
