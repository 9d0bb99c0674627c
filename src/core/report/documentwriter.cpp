#include "core/report/documentwriter.h"

#include <utility>

namespace tempo::report {

void DocumentWriter::heading(int level, const std::string& title, const std::string& anchor)
{
    Block b;
    b.kind = Block::Kind::Heading;
    b.level = level;
    b.text = {Span{title, Span::Style::Plain}};
    b.anchor = anchor;
    doc_.blocks.push_back(std::move(b));
}

void DocumentWriter::paragraph(Inline spans)
{
    Block b;
    b.kind = Block::Kind::Paragraph;
    b.text = std::move(spans);
    doc_.blocks.push_back(std::move(b));
}

void DocumentWriter::paragraph(const std::string& value) { paragraph(Inline{Span{value, Span::Style::Plain}}); }

void DocumentWriter::bullets(std::vector<Inline> items)
{
    if (items.empty())
        return;
    Block b;
    b.kind = Block::Kind::Bullets;
    b.items = std::move(items);
    doc_.blocks.push_back(std::move(b));
}

void DocumentWriter::table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows)
{
    if (rows.empty())
        return;
    Block b;
    b.kind = Block::Kind::Table;
    b.header = std::move(header);
    b.rows = std::move(rows);
    doc_.blocks.push_back(std::move(b));
}

void DocumentWriter::append(Block block) { doc_.blocks.push_back(std::move(block)); }

std::string bytesText(std::int64_t bytes)
{
    if (bytes < 1024)
        return std::to_string(bytes) + " B";
    if (bytes < 1024 * 1024)
        return formatNumber(bytes / 1024.0, 3) + " KiB";
    if (bytes < 1024LL * 1024 * 1024)
        return formatNumber(bytes / (1024.0 * 1024.0), 3) + " MiB";
    return formatNumber(bytes / (1024.0 * 1024.0 * 1024.0), 3) + " GiB";
}

} // namespace tempo::report
