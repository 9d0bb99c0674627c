// tempo-lab: the TEMPO Lab notebook window.
//   tempo-lab [--notebook FILE] [--model DIR] [--screenshots DIR [--page run:ID] [--group ID]]
// --notebook opens (or creates) that notebook instead of the one in the settings; --model puts a
// model folder in the picker and selects it; --screenshots saves a PNG of every page into DIR
// and quits (tools/screenshots.sh).

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QMessageBox>
#include <QTimer>

#include "core/notebook/notebook.h"
#include "gui/pages/launch/launchpage.h"
#include "gui/shell/historymodel.h"
#include "gui/shell/historysidebar.h"
#include "gui/shell/labcontext.h"
#include "gui/shell/labsettings.h"
#include "gui/shell/mainwindow.h"
#include "gui/widgets/modelpicker.h"
#include "gui/widgets/theme.h"

using namespace tempo::gui;

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("TEMPO Lab"));
    QApplication::setApplicationName(QStringLiteral("tempo-lab"));
    QApplication::setApplicationDisplayName(QStringLiteral("TEMPO Lab"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("TEMPO Lab: a lab notebook for TEMPO parallel-decoding experiments"));
    parser.addHelpOption();
    QCommandLineOption notebookOption("notebook", "Open (or create) this notebook file.", "file");
    QCommandLineOption modelOption("model", "Select this model folder in the model picker.", "dir");
    QCommandLineOption screenshotsOption("screenshots", "Save a PNG of every page into dir, then quit.", "dir");
    QCommandLineOption sizeOption("size", "Window size for --screenshots (default 1280x800).", "WxH", "1280x800");
    parser.addOptions({notebookOption, modelOption, screenshotsOption, sizeOption});
    parser.process(app);

    applyTheme(app, preferredThemeKind());

    QString notebookPath = parser.isSet(notebookOption) ? parser.value(notebookOption) : LabSettings::notebookPath();
    notebookPath = QFileInfo(notebookPath).absoluteFilePath();
    QDir().mkpath(QFileInfo(notebookPath).absolutePath());
    std::unique_ptr<LabContext> context;
    try {
        context = std::make_unique<LabContext>(notebookPath);
    } catch (const std::exception& error) {
        QMessageBox::critical(nullptr, QStringLiteral("TEMPO Lab"),
                              QStringLiteral("The notebook %1 could not be opened.\n\n%2")
                                  .arg(notebookPath, QString::fromStdString(error.what())));
        return 3;
    }
    if (!parser.isSet(notebookOption))
        LabSettings::rememberNotebook(notebookPath);

    MainWindow window(*context);
    if (parser.isSet(modelOption))
        window.launchPage().modelPicker().selectFolder(parser.value(modelOption));

    if (parser.isSet(screenshotsOption)) {
        const QStringList size = parser.value(sizeOption).split('x');
        window.resize(size.value(0).toInt(), size.value(1).toInt());
        window.show();
        // The newest finished run on the Run page (and its group on Compare), so every page has content.
        const auto runs = context->notebook().runs().list({"", "", tempo::notebook::RunStatus::Finished, 20, 0});
        QTimer::singleShot(300, &window, [&] {
            const auto sweeps = context->notebook().sweeps().all();
            if (!sweeps.empty())
                window.openSweep(sweeps.back());
            for (const auto& run : runs) {
                const auto groups = context->notebook().groups().ofRun(run.id);
                if (!groups.empty()) {
                    window.openGroup(groups.front());
                    break;
                }
            }
            if (!runs.empty())
                window.openRun(runs.front().id);
            const QStringList written = window.saveScreenshots(parser.value(screenshotsOption));
            for (const QString& file : written)
                qInfo("%s", qPrintable(file));
            app.exit(written.isEmpty() ? 1 : 0);
        });
        return app.exec();
    }
    window.show();
    return app.exec();
}
