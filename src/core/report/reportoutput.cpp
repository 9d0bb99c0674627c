#include "core/report/reportoutput.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "core/report/studyreport.h"

namespace tempo::report {

namespace fs = std::filesystem;

namespace {

void writeReportBytes(const std::string& path, const char* bytes, std::size_t size)
{
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file)
        throw ConfigError(expectedFound("report output '" + path + "'", "a writable file", std::strerror(errno)));
    file.write(bytes, static_cast<std::streamsize>(size));
    file.close();
    if (!file)
        throw ConfigError(expectedFound("report output '" + path + "'", std::to_string(size) + " bytes written",
                                        std::strerror(errno)));
}

void createReportFolder(const std::string& folder)
{
    std::error_code error;
    fs::create_directories(folder, error);
    if (error || !fs::is_directory(folder))
        throw ConfigError(expectedFound("report folder '" + folder + "'", "a folder that can be created",
                                        error ? error.message() : "not a folder"));
}

} // namespace

ReportFormat parseReportFormat(const std::string& text)
{
    if (text == "md" || text == "markdown")
        return ReportFormat::Markdown;
    if (text == "html")
        return ReportFormat::Html;
    if (text == "pdf")
        return ReportFormat::Pdf;
    throw InvalidArgument(expectedFound("report format", "md, html or pdf", "'" + text + "'"));
}

std::string reportFormatName(ReportFormat format)
{
    switch (format) {
    case ReportFormat::Markdown: return "md";
    case ReportFormat::Html: return "html";
    case ReportFormat::Pdf: return "pdf";
    }
    return "md";
}

std::vector<std::string> existingReportOutputs(const std::string& path, ReportFormat format)
{
    std::vector<std::string> existing;
    std::error_code error;
    if (format != ReportFormat::Markdown) {
        if (fs::exists(path, error))
            existing.push_back(path);
        return existing;
    }
    const fs::path folder(path);
    if (fs::exists(folder / "report.md", error))
        existing.push_back((folder / "report.md").string());
    std::vector<std::string> charts;
    const fs::path chartFolder = folder / "charts";
    if (fs::is_directory(chartFolder, error)) {
        for (const auto& entry : fs::directory_iterator(chartFolder, error))
            if (entry.is_regular_file(error) && entry.path().extension() == ".png")
                charts.push_back(entry.path().string());
    }
    std::sort(charts.begin(), charts.end());
    existing.insert(existing.end(), charts.begin(), charts.end());
    return existing;
}

void writeReportFile(const std::string& path, const std::string& bytes)
{
    writeReportBytes(path, bytes.data(), bytes.size());
}

void writeMarkdownBundle(const std::string& folder, const std::string& markdown, const ChartFiles& charts)
{
    createReportFolder(folder);
    if (!charts.empty())
        createReportFolder((fs::path(folder) / "charts").string());
    writeReportFile((fs::path(folder) / "report.md").string(), markdown);
    for (const auto& [name, png] : charts)
        writeReportBytes((fs::path(folder) / "charts" / name).string(), reinterpret_cast<const char*>(png.data()),
                         png.size());
}

void requireWritableFormat(ReportFormat format, const ReportRenderer* renderer)
{
    if (format == ReportFormat::Markdown || renderer)
        return;
    const std::string name = reportFormatName(format);
    throw InvalidArgument(expectedFound("report format", "md (the format this build writes)",
                                        "'" + name + "' (" + name + " needs the Qt build; this build supports: md)"));
}

WrittenReport writeReport(notebook::Notebook& notebook, const SubjectId& subject, ReportFormat format,
                          const std::string& path, const ReportRenderer* renderer)
{
    requireWritableFormat(format, renderer);
    WrittenReport report;
    report.data = loadReportData(notebook, subject);
    report.document = buildReportDocument(report.data, renderer ? ChartDrawing::Drawn : ChartDrawing::NotDrawn);
    if (renderer)
        report.charts = renderer->drawCharts(report.data, report.document);
    report.markdown = renderMarkdown(report.document);
    if (format == ReportFormat::Markdown)
        writeMarkdownBundle(path, report.markdown, report.charts);
    else
        renderer->writeDocument(format, path, report.document, report.charts);
    return report;
}

WrittenStudyReport writeStudyReport(const StudyReportData& data, ReportFormat format, const std::string& path,
                                    const ReportRenderer* renderer)
{
    requireWritableFormat(format, renderer);
    WrittenStudyReport report;
    report.document = buildStudyReportDocument(data, renderer ? ChartDrawing::Drawn : ChartDrawing::NotDrawn);
    if (renderer)
        report.charts = renderer->drawFigures(report.document);
    report.markdown = renderMarkdown(report.document);
    if (format == ReportFormat::Markdown)
        writeMarkdownBundle(path, report.markdown, report.charts);
    else
        renderer->writeDocument(format, path, report.document, report.charts);
    return report;
}

std::int64_t storeStudyReport(notebook::ReportStore& reports, const StudyReportData& data, const std::string& markdown,
                              const ChartFiles& charts)
{
    notebook::ReportRecord record;
    record.studyId = data.studyId;
    record.title = studyReportTitle(data);
    record.markdown = markdown;
    for (const auto& [name, png] : charts)
        record.images["charts/" + name] = png;
    return reports.add(record);
}

std::int64_t storeReport(notebook::ReportStore& reports, const ReportData& data, const std::string& markdown,
                         const ChartFiles& charts)
{
    notebook::ReportRecord record;
    switch (data.subject.kind) {
    case SubjectKind::Run: record.runId = data.subject.id; break;
    case SubjectKind::Group: record.groupId = data.subject.id; break;
    case SubjectKind::Sweep: record.sweepId = data.subject.id; break;
    case SubjectKind::Study:
        throw InvalidArgument(expectedFound("stored report subject", "a run, group or sweep", "a study (storeStudyReport)"));
    }
    record.title = data.title;
    record.markdown = markdown;
    for (const auto& [name, png] : charts)
        record.images["charts/" + name] = png;
    return reports.add(record);
}

} // namespace tempo::report
