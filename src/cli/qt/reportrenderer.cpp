// The Qt half of `tempo-lab-cli report` (Qt builds only): charts drawn by QCustomPlot and HTML and
// PDF written by src/render/export, under a QApplication made here (offscreen platform unless
// QT_QPA_PLATFORM says otherwise). The command itself is src/cli/cmd_report.cpp.

#include <memory>

#include <QApplication>

#include "cli/reportrenderer.h"
#include "render/export/reportexport.h"

namespace tempo::cli {

namespace {

// Qt warns on every start without XDG_RUNTIME_DIR (a login without a session: ssh, cron, a
// container), and the CLI never uses the runtime folder (no sockets, no caches): that one message
// is dropped, every other message goes to the handler that was there before.
QtMessageHandler gPreviousMessageHandler = nullptr;

void dropRuntimeDirWarning(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    if (type == QtWarningMsg && message.startsWith(QLatin1String("QStandardPaths: XDG_RUNTIME_DIR not set")))
        return;
    if (gPreviousMessageHandler)
        gPreviousMessageHandler(type, context, message);
}

// Widgets need an application object; the CLI has none of its own.
std::unique_ptr<QApplication> ensureApplication()
{
    if (QCoreApplication::instance())
        return nullptr;
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    if (!gPreviousMessageHandler)
        gPreviousMessageHandler = qInstallMessageHandler(dropRuntimeDirWarning);
    static int argc = 1;
    static char name[] = "tempo-lab-cli";
    static char* argv[] = {name, nullptr};
    return std::make_unique<QApplication>(argc, argv);
}

// src/render's renderer, with the application it draws under for as long as it lives.
class CliReportRenderer final : public report::ReportRenderer {
public:
    CliReportRenderer() : application_(ensureApplication()) {}

    report::ChartFiles drawCharts(const report::ReportData& data, const report::ReportDocument& document) const override
    {
        return renderer_.drawCharts(data, document);
    }
    report::ChartFiles drawFigures(const report::ReportDocument& document) const override
    {
        return renderer_.drawFigures(document);
    }
    void writeDocument(report::ReportFormat format, const std::string& path, const report::ReportDocument& document,
                       const report::ChartFiles& charts) const override
    {
        renderer_.writeDocument(format, path, document, charts);
    }

private:
    std::unique_ptr<QApplication> application_;
    reportexport::QtReportRenderer renderer_;
};

ReportRendererRegistration qtReportRenderer{[]() -> std::unique_ptr<report::ReportRenderer> {
    return std::make_unique<CliReportRenderer>();
}};

} // namespace

} // namespace tempo::cli
