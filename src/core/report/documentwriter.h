#pragma once
// Appends headings, paragraphs, lists, tables and figures to a ReportDocument. Shared by the
// run/group/sweep report (reportsections.cpp) and the study report (studyreport.cpp), which add
// their own figure kinds on top through append().

#include <cstdint>
#include <string>
#include <vector>

#include "core/report/reportbuilder.h"

namespace tempo::report {

class DocumentWriter {
public:
    explicit DocumentWriter(ReportDocument& document) : doc_(document) {}

    void heading(int level, const std::string& title, const std::string& anchor = "");
    void paragraph(Inline spans);
    void paragraph(const std::string& value);
    // Nothing is written for an empty list or a table without rows.
    void bullets(std::vector<Inline> items);
    void table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows);
    void append(Block block);

    ReportDocument& document() { return doc_; }

private:
    ReportDocument& doc_;
};

// "512 B", "3.5 KiB", "12.1 MiB", "1.23 GiB".
std::string bytesText(std::int64_t bytes);

} // namespace tempo::report
