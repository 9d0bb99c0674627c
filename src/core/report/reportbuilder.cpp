// Markdown rendering of a report document, escaping and number formatting. The sections
// themselves are assembled in reportsections.cpp.
#include "core/report/reportbuilder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <locale>
#include <sstream>

namespace tempo::report {

namespace {

// Characters that can open or close Markdown syntax anywhere in a line (emphasis, code, links,
// raw HTML, entities, table cells). With '[' and ']' escaped no link or image can form, so '(' and
// '!' stay as they are. ASCII punctuation may always be backslash-escaped in CommonMark.
bool escapedAnywhere(char c) { return std::strchr("\\`*_[]<>|~&", c) != nullptr; }
// Characters that are syntax only at the start of a line (lists, headings, block quotes).
bool escapedAtStart(char c) { return std::strchr("-+#=>", c) != nullptr; }

std::string renderInline(const Inline& spans)
{
    std::string out;
    for (const auto& span : spans) {
        switch (span.style) {
        case Span::Style::Plain: out += escapeMarkdown(span.text); break;
        case Span::Style::Bold: {
            // "**text: **" does not close in CommonMark: trailing spaces go after the markers.
            const auto end = span.text.find_last_not_of(' ');
            const std::string text = end == std::string::npos ? std::string() : span.text.substr(0, end + 1);
            out += "**" + escapeMarkdown(text) + "**" + std::string(span.text.size() - text.size(), ' ');
            break;
        }
        case Span::Style::Code:
            // Only report-made identifiers are styled as code; a backtick (or a line break) inside
            // falls back to escaped text so it can never close the span early.
            if (span.text.find_first_of("`\r\n") == std::string::npos && !span.text.empty())
                out += "`" + span.text + "`";
            else
                out += escapeMarkdown(span.text);
            break;
        }
    }
    return out;
}

std::string tableRow(const std::vector<std::string>& cells)
{
    std::string row = "|";
    for (const auto& cell : cells)
        row += " " + (cell.empty() ? std::string() : escapeMarkdown(cell)) + " |";
    return row + "\n";
}

} // namespace

std::string escapeMarkdown(const std::string& text)
{
    std::string out;
    out.reserve(text.size() + text.size() / 4);
    // Leading digits followed by '.' or ')' and a space would start an ordered list.
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n' || c == '\r' || c == '\t') {
            out += ' ';
            continue;
        }
        if (escapedAnywhere(c) || (i == 0 && escapedAtStart(c)) ||
            (i == digits && digits > 0 && (c == '.' || c == ')') &&
             (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\t')))
            out += '\\';
        out += c;
    }
    return out;
}

std::string formatNumber(double value, int significant)
{
    if (std::isnan(value))
        return "n/a";
    if (std::isinf(value))
        return value > 0 ? "inf" : "-inf";
    if (value == 0.0)
        return "0";
    std::ostringstream out;
    out.imbue(std::locale::classic());
    const double magnitude = std::fabs(value);
    if (magnitude < 1e-4 || magnitude >= 1e6) {
        out << std::scientific << std::setprecision(std::max(0, significant - 1)) << value;
        std::string text = out.str(); // "1.230e-05": trim zeros of the mantissa
        const auto e = text.find('e');
        std::string mantissa = text.substr(0, e), exponent = text.substr(e);
        if (mantissa.find('.') != std::string::npos) {
            while (mantissa.back() == '0')
                mantissa.pop_back();
            if (mantissa.back() == '.')
                mantissa.pop_back();
        }
        return mantissa + exponent;
    }
    const int integerDigits = static_cast<int>(std::floor(std::log10(magnitude))) + 1;
    const int decimals = std::max(0, significant - integerDigits);
    out << std::fixed << std::setprecision(decimals) << value;
    std::string text = out.str();
    if (text.find('.') != std::string::npos) {
        while (text.back() == '0')
            text.pop_back();
        if (text.back() == '.')
            text.pop_back();
    }
    return text == "-0" ? "0" : text;
}

std::string renderMarkdown(const ReportDocument& document)
{
    std::string out;
    int figure = 0;
    for (const auto& block : document.blocks) {
        switch (block.kind) {
        case Block::Kind::Heading:
            out += std::string(static_cast<size_t>(std::clamp(block.level, 1, 6)), '#') + " " + renderInline(block.text) + "\n\n";
            break;
        case Block::Kind::Paragraph:
            out += renderInline(block.text) + "\n\n";
            break;
        case Block::Kind::Bullets:
            for (const auto& item : block.items)
                out += "- " + renderInline(item) + "\n";
            out += "\n";
            break;
        case Block::Kind::Table: {
            out += tableRow(block.header);
            out += "|";
            for (size_t i = 0; i < block.header.size(); ++i)
                out += " --- |";
            out += "\n";
            for (const auto& row : block.rows)
                out += tableRow(row);
            out += "\n";
            break;
        }
        case Block::Kind::Figure:
            ++figure;
            if (document.drawing == ChartDrawing::Drawn)
                out += "![" + escapeMarkdown(block.imageAlt) + "](" + block.imagePath + ")\n\n";
            else
                out += "Chart not drawn (`" + block.imagePath + "`): this report was written by a build without Qt; " +
                       "`tempo-lab-cli report` in a Qt build draws it from the same notebook.\n\n";
            out += "*Figure " + std::to_string(figure) + ": " + renderInline(block.text) + "*\n\n";
            break;
        }
    }
    // One trailing newline exactly.
    while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n')
        out.pop_back();
    return out;
}

std::string buildMarkdown(const ReportData& data) { return renderMarkdown(buildReportDocument(data)); }

} // namespace tempo::report
