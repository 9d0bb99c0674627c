#pragma once
// Shared by the page tests (compare, notes, report, sweeps, attention): a peaked tiny model and a
// notebook in a temporary folder, experiments recorded into it by tempo::ExperimentRunner on the
// test thread (before any page opens), and a LabContext over the notebook. Header-only so every
// gui.<stem> executable stays one .cpp.

#include <optional>
#include <string>

#include <QApplication>
#include <QCoreApplication>
#include <QDir>
#include <QStandardPaths>
#include <QString>
#include <QTemporaryDir>
#include <QWidget>

#include "core/experiment/experimentrunner.h"
#include "core/experiment/presetcatalog.h"
#include "core/notebook/notebook.h"
#include "core/testmodel/testmodel.h"
#include "gui/widgets/theme.h"

namespace tempo::gui::testing {

// Settings of the tests never touch the user's (QSettings under the test-mode locations); the
// window's icons and light theme are applied so page grabs look like the application.
inline void isolateSettings(const char* testName)
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("TEMPO Lab tests");
    QCoreApplication::setApplicationName(testName);
    initGuiResources();
    if (auto* app = qobject_cast<QApplication*>(QCoreApplication::instance()))
        applyTheme(*app, ThemeKind::Light);
}

class PagesFixture {
public:
    PagesFixture()
    {
        modelFolder = dir.filePath("peaked-model");
        notebookPath = dir.filePath("notebook.sqlite");
        TestModelSpec spec;
        spec.peaked = true; // next-token distributions often put several tokens over 0.05
        writeTestModel(modelFolder.toStdString(), spec);
    }

    // Runs a shipped preset for exactly `steps` steps (no stop at eos) with optional overrides
    // ("threshold=0.05") and returns what the runner recorded.
    ExperimentResult run(const std::string& presetId, int64_t steps, const std::vector<std::string>& overrides = {},
                         const std::string& prompt = "")
    {
        CatalogEntry entry{*shippedPreset(presetId), true};
        entry.preset = applyOverrides(entry.preset, overrides);
        entry.preset.maxSteps = steps;
        entry.preset.stopAtEos = false;
        if (!prompt.empty())
            entry.preset.prompt = prompt;
        ComputeOptions options;
        options.threads = 1;
        notebook::Notebook notebook(notebookPath.toStdString());
        ExperimentRunner runner(notebook);
        return runner.run(ExperimentRequest{entry, modelFolder.toStdString(), options});
    }

    // Saves a picture of `widget` at the window's reference size (1280x800 minus the history
    // sidebar when `sidebar` is true) under /tmp for a person to look at.
    static void grab(QWidget& widget, const QString& name, bool sidebar = true)
    {
        widget.resize(sidebar ? 960 : 1280, sidebar ? 760 : 800);
        widget.show();
        QCoreApplication::processEvents();
        widget.grab().save(QDir::temp().filePath("tempo-page-" + name + ".png"));
    }

    QTemporaryDir dir;
    QString modelFolder;
    QString notebookPath;
};

} // namespace tempo::gui::testing
