#pragma once
// The findings report as a structured document (headings, paragraphs, tables, figures), built
// from ReportData alone, and its Markdown text. HTML and PDF (src/render/export) are rendered
// from the same document, never by re-reading the Markdown, so user text (prompts, tokens, notes)
// is escaped once per output format and can never turn into markup.
//
// Sections: title and provenance; Executive summary (failed checks first, then the verdict with its
// numeric basis); Key findings (one subsection per analysis, numbers in tables); Mechanism checks;
// Scenario analysis; Technical details; Limitations (computed from the data); Notes; Files.

#include <optional>
#include <string>
#include <vector>

#include "core/report/chartspec.h"
#include "core/report/reportcharts.h"
#include "core/report/reportdata.h"

namespace tempo::report {

// A piece of text with one style. Text is plain, unescaped user or report text.
struct Span {
    enum class Style { Plain, Bold, Code };
    std::string text;
    Style style = Style::Plain;
};
using Inline = std::vector<Span>;

struct Block {
    enum class Kind { Heading, Paragraph, Bullets, Table, Figure };
    Kind kind = Kind::Paragraph;
    int level = 1;                     // Heading: 1 (title) .. 4
    Inline text;                       // Heading, Paragraph; Figure: its caption
    std::vector<Inline> items;         // Bullets
    std::vector<std::string> header;   // Table (plain text cells)
    std::vector<std::vector<std::string>> rows;
    std::string anchor;                // Heading: stable id ("executive-summary")
    ChartKind chart = ChartKind::SetWidth; // Figure of a run, group or sweep report
    std::optional<ChartSpec> spec;     // Figure drawn from its own numbers (study report): `chart` unused
    std::string imagePath;             // Figure: relative path, "charts/set_width.png"
    std::string imageAlt;              // Figure: alternative text (the chart title)
};

// Whether the charts are drawn next to the report: Drawn, a bundle with charts/*.png (a Qt build;
// the window, HTML and PDF); NotDrawn, a build without Qt, whose Markdown names and captions each
// chart instead of linking an image it could not draw, and whose Files section says so.
enum class ChartDrawing { Drawn, NotDrawn };

struct ReportDocument {
    std::string title;
    std::vector<Block> blocks;
    std::vector<ChartKind> charts; // every Figure's chart kind, in order (figures without a spec)
    ChartDrawing drawing = ChartDrawing::Drawn;
};

ReportDocument buildReportDocument(const ReportData& data, ChartDrawing drawing = ChartDrawing::Drawn);

// Markdown (CommonMark + pipe tables). Every user text is backslash-escaped (so `<script>` and
// `](javascript:x)` stay text), newlines inside cells become spaces. Byte-identical for equal data.
std::string renderMarkdown(const ReportDocument& document);
std::string buildMarkdown(const ReportData& data); // renderMarkdown(buildReportDocument(data))

// Escapes for one inline context: every ASCII punctuation character that Markdown could read as
// syntax gets a backslash; CR/LF/tab become spaces.
std::string escapeMarkdown(const std::string& text);

// Number formatting shared by every output (fixed rules, locale independent): "n/a" for NaN,
// "inf" / "-inf", otherwise up to `significant` significant digits without trailing zeros,
// scientific notation below 1e-4 or from 1e6 on.
std::string formatNumber(double value, int significant = 4);

} // namespace tempo::report
