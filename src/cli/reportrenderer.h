#pragma once
// The renderer `tempo-lab-cli report` draws charts and writes HTML and PDF with: Qt builds
// register one (src/cli/qt/reportrenderer.cpp, over src/render); a Qt-free build has none and
// writes Markdown only, each chart named but not drawn (core/report/reportoutput.h).

#include <memory>

#include "core/report/reportoutput.h"

namespace tempo::cli {

using ReportRendererFactory = std::unique_ptr<report::ReportRenderer> (*)();

struct ReportRendererRegistration {
    explicit ReportRendererRegistration(ReportRendererFactory factory);
};

bool hasReportRenderer();
// A new renderer (it may hold the QApplication charts are drawn under); nullptr without Qt.
std::unique_ptr<report::ReportRenderer> makeReportRenderer();

} // namespace tempo::cli
