#pragma once
// Report page: the findings report of a run, a group, a sweep or a study rendered in the window (its
// Markdown in a QTextBrowser with the charts as images), Regenerate, and Export to a Markdown
// bundle, one HTML file or a PDF.
//
// Threads: the report data is read and the Markdown built on a short-lived thread with its own
// read-only Notebook connection. The charts are QCustomPlot widgets, which Qt allows on the UI
// thread only, so they are rendered there one per event-loop turn (the window stays responsive
// between charts). Writing the files (HTML assembly, PDF layout on QPdfWriter, bundle) runs on a
// thread again. Exported reports are also stored in the notebook with their subject.

#include <functional>
#include <memory>

#include <QWidget>

#include "render/export/reportexport.h"

class QHBoxLayout;
class QLabel;
class QPushButton;
class QTextBrowser;

namespace tempo::gui {

class LabContext;

class ReportPage : public QWidget {
    Q_OBJECT
public:
    explicit ReportPage(LabContext& context, QWidget* parent = nullptr);
    ~ReportPage() override;

    void showRun(qint64 runId);
    void showGroup(qint64 groupId);
    void showSweep(qint64 sweepId);
    void showStudy(qint64 studyId); // its findings report (core/report/studyreport.h)

    // Where an export goes: by default a QFileDialog; tests put a function here. An empty path
    // cancels the export.
    using LocationChooser = std::function<QString(reportexport::ReportFormat format, const QString& suggestedName)>;
    void setLocationChooser(LocationChooser chooser) { chooseLocation_ = std::move(chooser); }
    // Asked before an export would replace files (reportexport::existingOutputs); false keeps
    // them and cancels the export. By default a question box; tests put a function here.
    using OverwriteQuestion = std::function<bool(const QString& path, const QStringList& replaced)>;
    void setOverwriteQuestion(OverwriteQuestion question) { askOverwrite_ = std::move(question); }

    // Writes the shown report (once it is ready) to `path` off the UI thread; emits exported or
    // exportFailed.
    void exportTo(reportexport::ReportFormat format, const QString& path);

    bool isReady() const { return ready_; }
    // What the page shows or is building: "run:12", "group:3", "sweep:1", "study:2"; "" before a subject.
    QString subjectText() const;
    QString markdown() const;
    QTextBrowser* view() const { return view_; }
    QPushButton* exportButton(reportexport::ReportFormat format) const;
    QPushButton* regenerateButton() const { return regenerate_; }

signals:
    void reportReady();
    void exported(const QString& path);
    void exportFailed(const QString& message);

public slots:
    void regenerate();

private:
    struct Built; // the report as read and built on the worker thread
    QHBoxLayout* buildTitleRow();
    void useFileDialogs();
    void load(const report::SubjectId& subject);
    void built(std::shared_ptr<Built> result, int generation);
    void renderNextChart(int generation);
    void present();
    void exportClicked(reportexport::ReportFormat format);
    void setBusy(const QString& text);
    void fetchStores(); // from the context's notebook, again after every switch

    LabContext& context_;
    // Where an exported report is kept. Reports are read on a worker thread through a connection
    // of its own (opened by path), never through the UI thread's stores.
    tempo::notebook::ReportStore* reports_ = nullptr;
    QLabel* title_ = nullptr;
    QLabel* status_ = nullptr;
    QTextBrowser* view_ = nullptr;
    QPushButton* exportMarkdown_ = nullptr;
    QPushButton* exportHtml_ = nullptr;
    QPushButton* exportPdf_ = nullptr;
    QPushButton* regenerate_ = nullptr;
    LocationChooser chooseLocation_;
    OverwriteQuestion askOverwrite_;

    bool hasSubject_ = false;
    report::SubjectId subject_;
    int generation_ = 0; // a newer request makes older results stale
    std::shared_ptr<Built> current_;
    std::size_t chartsRendered_ = 0;
    reportexport::ChartImages charts_;
    bool ready_ = false;
    bool stored_ = false; // stored in the notebook since the last generation
    int exportsRunning_ = 0;
};

} // namespace tempo::gui
