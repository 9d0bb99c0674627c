#include "render/export/reportexport.h"

#include <algorithm>
#include <functional>

#include <QFileInfo>
#include <QImage>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QTextDocument>
#include <QUrl>

#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "render/charts/chartbuilders.h"

namespace tempo::reportexport {

namespace {

using report::Block;
using report::ReportDocument;
using report::Span;

std::string renderInlineHtml(const report::Inline& spans)
{
    std::string out;
    for (const auto& span : spans) {
        switch (span.style) {
        case Span::Style::Plain: out += escapeHtml(span.text); break;
        case Span::Style::Bold: out += "<strong>" + escapeHtml(span.text) + "</strong>"; break;
        case Span::Style::Code: out += "<code>" + escapeHtml(span.text) + "</code>"; break;
        }
    }
    return out;
}

// Anchors are made by the report builder from fixed words; anything else is dropped.
std::string safeAnchor(const std::string& anchor)
{
    std::string out;
    for (char c : anchor)
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
            out += c;
    return out;
}

struct HtmlStyle {
    bool forPdf = false;
    // Figure source for a chart file name: a data: URI (HTML) or a resource name (PDF).
    std::function<std::string(const std::string&)> imageSource;
};

// On an A4 page a wide table (the per-step comparisons) gets a smaller font, and a number never
// breaks in the middle ("0.\n09701"): short cells without spaces do not wrap.
std::string pdfCellOpen(const HtmlStyle& style, size_t columns, const std::string& cell)
{
    if (!style.forPdf)
        return "<td>";
    const bool noWrap = cell.size() <= 12 && cell.find(' ') == std::string::npos;
    return std::string("<td") + (noWrap ? " nowrap" : "") + (columns > 6 ? " style=\"font-size: 7pt\"" : "") + ">";
}

std::string renderBody(const ReportDocument& document, const HtmlStyle& style)
{
    std::string out;
    int figure = 0;
    for (const auto& block : document.blocks) {
        switch (block.kind) {
        case Block::Kind::Heading: {
            const std::string level = std::to_string(std::clamp(block.level, 1, 6));
            const std::string anchor = safeAnchor(block.anchor);
            out += "<h" + level + (anchor.empty() ? "" : " id=\"" + anchor + "\"") + ">" + renderInlineHtml(block.text) +
                   "</h" + level + ">\n";
            break;
        }
        case Block::Kind::Paragraph:
            out += "<p>" + renderInlineHtml(block.text) + "</p>\n";
            break;
        case Block::Kind::Bullets:
            out += "<ul>\n";
            for (const auto& item : block.items)
                out += "<li>" + renderInlineHtml(item) + "</li>\n";
            out += "</ul>\n";
            break;
        case Block::Kind::Table:
            out += style.forPdf ? "<table border=\"1\" cellspacing=\"0\" cellpadding=\"3\" width=\"100%\">\n<tr>"
                                : "<table>\n<thead><tr>";
            for (const auto& cell : block.header)
                out += (style.forPdf ? std::string("<th bgcolor=\"#e8e8e8\"") + (block.header.size() > 6 ? " style=\"font-size: 7pt\"" : "") + ">"
                                     : std::string("<th>")) +
                       escapeHtml(cell) + "</th>";
            out += style.forPdf ? "</tr>\n" : "</tr></thead>\n<tbody>\n";
            for (const auto& row : block.rows) {
                out += "<tr>";
                for (const auto& cell : row)
                    out += pdfCellOpen(style, block.header.size(), cell) + escapeHtml(cell) + "</td>";
                out += "</tr>\n";
            }
            out += style.forPdf ? "</table>\n" : "</tbody>\n</table>\n";
            break;
        case Block::Kind::Figure: {
            ++figure;
            // "charts/<file>": the file name the chart was drawn under (a ChartKind's or a spec's id).
            const std::string file = block.imagePath.rfind("charts/", 0) == 0 ? block.imagePath.substr(7)
                                                                              : report::chartFileName(block.chart);
            const std::string alt = escapeHtml(block.imageAlt);
            if (style.forPdf)
                out += "<p align=\"center\"><img src=\"" + escapeHtml(style.imageSource(file)) + "\" width=\"640\" alt=\"" +
                       alt + "\"><br><i>Figure " + std::to_string(figure) + ": " + renderInlineHtml(block.text) + "</i></p>\n";
            else
                out += "<figure><img src=\"" + style.imageSource(file) + "\" alt=\"" + alt + "\"><figcaption>Figure " +
                       std::to_string(figure) + ": " + renderInlineHtml(block.text) + "</figcaption></figure>\n";
            break;
        }
        }
    }
    return out;
}

const char* kHtmlStyle = R"(body { font-family: "DejaVu Sans", Arial, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #0072B2; padding-bottom: .3rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1rem; } h4 { font-size: 1rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #bbb; padding: .2rem .45rem; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
code { background: #f2f2f2; padding: 0 .2rem; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: .85rem; color: #444; })";

} // namespace

std::string escapeHtml(const std::string& text)
{
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

ChartImages renderCharts(const report::ReportData& data, const ReportDocument& document)
{
    ChartImages images;
    for (report::ChartKind kind : document.charts)
        images[report::chartFileName(kind)] = charts::renderChartPng(kind, data);
    return images;
}

ChartImages renderFigures(const ReportDocument& document)
{
    ChartImages images;
    for (const auto& block : document.blocks)
        if (block.kind == Block::Kind::Figure && block.spec)
            images[block.spec->id + ".png"] = charts::renderChartSpecPng(*block.spec);
    return images;
}

std::string renderHtml(const ReportDocument& document, const ChartImages& charts)
{
    HtmlStyle style;
    style.imageSource = [&](const std::string& file) {
        auto found = charts.find(file);
        return found == charts.end() ? std::string() : "data:image/png;base64," + found->second.toBase64().toStdString();
    };
    // No script, no external resource: the policy forbids both should a reader's browser ever meet one.
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\n"
           "<title>" +
           escapeHtml(document.title) + "</title>\n<style>\n" + kHtmlStyle + "\n</style>\n</head>\n<body>\n" +
           renderBody(document, style) + "</body>\n</html>\n";
}

report::ChartFiles toChartFiles(const ChartImages& charts)
{
    report::ChartFiles files;
    for (const auto& [name, png] : charts)
        files[name] = std::vector<std::uint8_t>(png.begin(), png.end());
    return files;
}

ChartImages toChartImages(const report::ChartFiles& charts)
{
    ChartImages images;
    for (const auto& [name, png] : charts)
        images[name] = QByteArray(reinterpret_cast<const char*>(png.data()), static_cast<qsizetype>(png.size()));
    return images;
}

void writeMarkdownBundle(const QString& folder, const std::string& markdown, const ChartImages& charts)
{
    report::writeMarkdownBundle(folder.toStdString(), markdown, toChartFiles(charts));
}

void writeHtml(const QString& file, const std::string& html) { report::writeReportFile(file.toStdString(), html); }

void writePdf(const QString& file, const ReportDocument& document, const ChartImages& charts)
{
    QTextDocument text;
    HtmlStyle style;
    style.forPdf = true;
    style.imageSource = [](const std::string& name) { return "tempo-chart:" + name; };
    for (const auto& [name, png] : charts)
        text.addResource(QTextDocument::ImageResource, QUrl(QStringLiteral("tempo-chart:") + QString::fromStdString(name)),
                         QImage::fromData(png, "PNG"));
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSizeF(9.0);
    // Any letter spacing turns ligatures off in Qt's shaper, so "fi" stays two letters a reader can
    // search and copy from the PDF (Qt 6.4 has no QFont::setFeature).
    font.setLetterSpacing(QFont::AbsoluteSpacing, 0.1);
    text.setDefaultFont(font);
    text.setDefaultStyleSheet(QStringLiteral("h1 { font-size: 17pt; color: #003d66; } h2 { font-size: 14pt; color: #003d66; } "
                                             "h3 { font-size: 11.5pt; } h4 { font-size: 10pt; } th, td { font-size: 8pt; } "
                                             "code { font-family: 'DejaVu Sans Mono'; }"));
    text.setHtml(QString::fromStdString("<html><body>" + renderBody(document, style) + "</body></html>"));

    QPdfWriter writer(file);
    writer.setPageSize(QPageSize(QPageSize::A4));
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout::Millimeter);
    writer.setResolution(300);
    writer.setTitle(QString::fromStdString(document.title));
    writer.setCreator(QStringLiteral("TEMPO Lab"));
    text.print(&writer); // lays the document out on A4 pages; text stays text (selectable)
    if (!QFileInfo::exists(file))
        throw ConfigError(expectedFound("report output '" + file.toStdString() + "'", "a PDF written", "no file"));
}

QStringList existingOutputs(const QString& path, ReportFormat format)
{
    QStringList existing;
    for (const std::string& file : report::existingReportOutputs(path.toStdString(), format))
        existing << QString::fromStdString(file);
    return existing;
}

report::ChartFiles QtReportRenderer::drawCharts(const report::ReportData& data, const ReportDocument& document) const
{
    return toChartFiles(renderCharts(data, document));
}

report::ChartFiles QtReportRenderer::drawFigures(const ReportDocument& document) const
{
    return toChartFiles(renderFigures(document));
}

void QtReportRenderer::writeDocument(ReportFormat format, const std::string& path, const ReportDocument& document,
                                     const report::ChartFiles& charts) const
{
    switch (format) {
    case ReportFormat::Html: writeHtml(QString::fromStdString(path), renderHtml(document, toChartImages(charts))); break;
    case ReportFormat::Pdf: writePdf(QString::fromStdString(path), document, toChartImages(charts)); break;
    case ReportFormat::Markdown:
        throw InvalidArgument(expectedFound("rendered report format", "html or pdf", "md (written by report::writeReport)"));
    }
}

ExportResult exportReport(notebook::Notebook& notebook, const report::SubjectId& subject, ReportFormat format,
                          const QString& path)
{
    const QtReportRenderer renderer;
    report::WrittenReport written = report::writeReport(notebook, subject, format, path.toStdString(), &renderer);
    ExportResult result;
    result.data = std::move(written.data);
    result.document = std::move(written.document);
    result.markdown = std::move(written.markdown);
    result.charts = toChartImages(written.charts);
    return result;
}

std::int64_t storeReport(notebook::ReportStore& reports, const report::ReportData& data, const std::string& markdown,
                         const ChartImages& charts)
{
    return report::storeReport(reports, data, markdown, toChartFiles(charts));
}

} // namespace tempo::reportexport
