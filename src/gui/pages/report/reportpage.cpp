#include "gui/pages/report/reportpage.h"

// The report libraries (tempo_render: src/render/charts, src/render/export) are a separate target; a build
// without them gets a page that says so instead of failing to link.

#include <algorithm>
#include <exception>
#include <optional>

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QMap>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollBar>
#include <QStandardPaths>
#include <QTextBrowser>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include "core/report/reportbuilder.h"
#include "core/report/reportoutput.h"
#include "core/report/studyreport.h"
#include "core/notebook/notebook.h"
#include "render/charts/chartbuilders.h"
#include "gui/shell/labcontext.h"
#include "gui/widgets/pagestyle.h"

namespace tempo::gui {

namespace style = pagestyle;
using reportexport::ReportFormat;

namespace {

// A QTextBrowser that resolves the report's image links ("charts/set_width.png") to the charts
// rendered for this report, scaled to the view's width.
class ReportView : public QTextBrowser {
public:
    using QTextBrowser::QTextBrowser;
    QMap<QString, QImage> images;

    QVariant loadResource(int type, const QUrl& name) override
    {
        if (type == QTextDocument::ImageResource) {
            const auto found = images.constFind(name.toString());
            if (found != images.constEnd())
                return *found;
        }
        return QTextBrowser::loadResource(type, name);
    }
};

// The file a figure is drawn under: a study figure's own id, else its chart kind's name.
std::string figureFileName(const report::Block& block)
{
    return block.spec ? block.spec->id + ".png" : report::chartFileName(block.chart);
}

QString formatName(ReportFormat format)
{
    switch (format) {
    case ReportFormat::Markdown: return QStringLiteral("Markdown");
    case ReportFormat::Html: return QStringLiteral("HTML");
    case ReportFormat::Pdf: return QStringLiteral("PDF");
    }
    return {};
}

// Runs `work` on a short-lived thread and `done` on `receiver`'s thread afterwards; when the
// receiver is gone by then, `done` is dropped with the connection.
void runOffUiThread(QObject* receiver, std::function<void()> work, std::function<void()> done)
{
    QThread* thread = QThread::create(std::move(work));
    QObject::connect(thread, &QThread::finished, receiver, std::move(done));
    QObject::connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
}

} // namespace

struct ReportPage::Built {
    report::ReportData data;                        // a run, group or sweep
    std::optional<report::StudyReportData> study;   // a study (data unused)
    std::vector<const report::Block*> figures;      // the figures to draw, in order
    report::ReportDocument document;
    std::string markdown;
    QString error;
};

void ReportPage::fetchStores()
{
    reports_ = &context_.notebook().reports();
}

ReportPage::ReportPage(LabContext& context, QWidget* parent) : QWidget(parent), context_(context)
{
    fetchStores();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(style::kPageMargin, style::kPageMargin, style::kPageMargin, style::kPageMargin);
    layout->setSpacing(style::kSpacing);
    layout->addLayout(buildTitleRow());
    status_ = new QLabel(this);
    status_->setObjectName("reportStatus");
    status_->setWordWrap(true);
    status_->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(status_);

    auto* view = new ReportView(this);
    view_ = view;
    view_->setObjectName("reportView");
    view_->setOpenExternalLinks(true);
    view_->document()->setDocumentMargin(18);
    view_->setStyleSheet("QTextBrowser { border: 1px solid palette(mid); border-radius: 8px; background: palette(base); }");
    layout->addWidget(view_, 1);

    connect(&context_, &LabContext::notebookChanged, this, [this] {
        fetchStores();
        hasSubject_ = false;
        ++generation_;
        ready_ = false;
        current_.reset();
        view_->clear();
        setBusy(QString());
        status_->setText(tr("Select a run, a group, a sweep or a study to read its report."));
    });

    useFileDialogs();
    setBusy(QString());
    status_->setText(tr("Select a run, a group, a sweep or a study to read its report."));
}

ReportPage::~ReportPage() = default;

// The title with Regenerate and the three export buttons.
QHBoxLayout* ReportPage::buildTitleRow()
{
    auto* titleRow = new QHBoxLayout;
    title_ = style::pageTitle(tr("Report"), this);
    titleRow->addWidget(title_, 1);
    regenerate_ = new QPushButton(tr("Regenerate"), this);
    regenerate_->setObjectName("reportRegenerate");
    regenerate_->setToolTip(tr("Read the notebook again and rebuild the report (notes and tags included)"));
    exportMarkdown_ = new QPushButton(QIcon(":/icons/export.svg"), tr("Markdown\u2026"), this);
    exportMarkdown_->setObjectName("reportExportMarkdown");
    exportMarkdown_->setToolTip(tr("Export a folder with report.md and charts/*.png"));
    exportHtml_ = new QPushButton(QIcon(":/icons/export.svg"), tr("HTML\u2026"), this);
    exportHtml_->setObjectName("reportExportHtml");
    exportHtml_->setToolTip(tr("Export one self-contained HTML file (charts embedded)"));
    exportPdf_ = new QPushButton(QIcon(":/icons/export.svg"), tr("PDF\u2026"), this);
    exportPdf_->setObjectName("reportExportPdf");
    exportPdf_->setToolTip(tr("Export an A4 PDF"));
    for (QPushButton* button : {regenerate_, exportMarkdown_, exportHtml_, exportPdf_})
        titleRow->addWidget(button);
    connect(regenerate_, &QPushButton::clicked, this, &ReportPage::regenerate);
    connect(exportMarkdown_, &QPushButton::clicked, this, [this] { exportClicked(ReportFormat::Markdown); });
    connect(exportHtml_, &QPushButton::clicked, this, [this] { exportClicked(ReportFormat::Html); });
    connect(exportPdf_, &QPushButton::clicked, this, [this] { exportClicked(ReportFormat::Pdf); });
    return titleRow;
}

// Where an export goes and whether it may replace files: asked in dialogs (tests put in their own).
void ReportPage::useFileDialogs()
{
    chooseLocation_ = [this](ReportFormat format, const QString& suggestedName) {
        const QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
        const QString suggested = QDir(folder).filePath(suggestedName);
        // The page asks about replacing files itself (for a bundle folder too), so the dialog does not.
        const auto options = QFileDialog::DontConfirmOverwrite;
        switch (format) {
        case ReportFormat::Markdown:
            return QFileDialog::getSaveFileName(this, tr("Export Markdown bundle (a folder)"), suggested, QString(),
                                                nullptr, options);
        case ReportFormat::Html:
            return QFileDialog::getSaveFileName(this, tr("Export HTML"), suggested + ".html", tr("HTML (*.html)"),
                                                nullptr, options);
        case ReportFormat::Pdf:
            return QFileDialog::getSaveFileName(this, tr("Export PDF"), suggested + ".pdf", tr("PDF (*.pdf)"),
                                                nullptr, options);
        }
        return QString();
    };
    askOverwrite_ = [this](const QString& path, const QStringList& replaced) {
        const int shown = 8;
        QStringList lines = replaced.mid(0, shown);
        if (replaced.size() > shown)
            lines << tr("… and %n more", nullptr, int(replaced.size() - shown));
        return QMessageBox::question(this, tr("Replace files?"),
                                     tr("Exporting to %1 replaces %n file(s) already there:\n\n%2\n\nReplace them?",
                                        nullptr, int(replaced.size()))
                                         .arg(QDir::toNativeSeparators(path), lines.join('\n')),
                                     QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel) == QMessageBox::Yes;
    };
}

void ReportPage::showRun(qint64 runId) { load({report::SubjectKind::Run, runId}); }
void ReportPage::showGroup(qint64 groupId) { load({report::SubjectKind::Group, groupId}); }
void ReportPage::showSweep(qint64 sweepId) { load({report::SubjectKind::Sweep, sweepId}); }
void ReportPage::showStudy(qint64 studyId) { load({report::SubjectKind::Study, studyId}); }

void ReportPage::regenerate()
{
    if (hasSubject_)
        load(subject_);
}

QString ReportPage::subjectText() const
{
    return hasSubject_ ? QString::fromStdString(report::subjectIdText(subject_)) : QString();
}

QString ReportPage::markdown() const { return current_ ? QString::fromStdString(current_->markdown) : QString(); }

QPushButton* ReportPage::exportButton(ReportFormat format) const
{
    switch (format) {
    case ReportFormat::Markdown: return exportMarkdown_;
    case ReportFormat::Html: return exportHtml_;
    case ReportFormat::Pdf: return exportPdf_;
    }
    return nullptr;
}

void ReportPage::setBusy(const QString& text)
{
    const bool busy = !text.isEmpty();
    for (QPushButton* button : {exportMarkdown_, exportHtml_, exportPdf_})
        button->setEnabled(!busy && ready_ && exportsRunning_ == 0);
    regenerate_->setEnabled(hasSubject_ && !busy);
    if (busy)
        status_->setText(text);
}

void ReportPage::load(const report::SubjectId& subject)
{
    hasSubject_ = true;
    subject_ = subject;
    ready_ = false;
    stored_ = false;
    const int generation = ++generation_;
    title_->setText(tr("Report \u00b7 %1").arg(QString::fromStdString(report::subjectIdText(subject))));
    setBusy(tr("Reading the notebook\u2026"));
    auto result = std::make_shared<Built>();
    const std::string path = context_.notebookPath().toStdString();
    runOffUiThread(
        this,
        [result, path, subject] {
            try {
                notebook::Notebook notebook(path, notebook::OpenMode::ReadOnly);
                if (subject.kind == report::SubjectKind::Study) {
                    result->study = report::loadStudyReportData(notebook, subject.id);
                    result->document = report::buildStudyReportDocument(*result->study);
                } else {
                    result->data = report::loadReportData(notebook, subject);
                    result->document = report::buildReportDocument(result->data);
                }
                result->markdown = report::renderMarkdown(result->document);
                for (const report::Block& block : result->document.blocks)
                    if (block.kind == report::Block::Kind::Figure)
                        result->figures.push_back(&block);
            } catch (const std::exception& error) {
                result->error = QString::fromUtf8(error.what());
            }
        },
        [this, result, generation] { built(result, generation); });
}

void ReportPage::built(std::shared_ptr<Built> result, int generation)
{
    if (generation != generation_)
        return; // a newer request is on its way
    if (!result->error.isEmpty()) {
        current_.reset();
        view_->clear();
        setBusy(QString());
        status_->setText(tr("The report could not be built: %1").arg(result->error));
        return;
    }
    current_ = std::move(result);
    charts_.clear();
    chartsRendered_ = 0;
    title_->setText(QString::fromStdString(current_->document.title));
    renderNextChart(generation);
}

void ReportPage::renderNextChart(int generation)
{
    if (generation != generation_ || !current_)
        return;
    const auto& figures = current_->figures;
    if (chartsRendered_ >= figures.size()) {
        present();
        return;
    }
    setBusy(tr("Drawing chart %1 of %2\u2026").arg(chartsRendered_ + 1).arg(figures.size()));
    const report::Block& figure = *figures[chartsRendered_++];
    const std::string file = figureFileName(figure);
    if (charts_.find(file) == charts_.end()) // a chart kind shown twice is drawn once
        charts_[file] = figure.spec ? charts::renderChartSpecPng(*figure.spec)
                                    : charts::renderChartPng(figure.chart, current_->data);
    // One chart per event-loop turn: input and repaints get through between charts.
    QTimer::singleShot(0, this, [this, generation] { renderNextChart(generation); });
}

void ReportPage::present()
{
    auto* view = static_cast<ReportView*>(view_);
    view->images.clear();
    const int width = std::max(320, std::min(900, view_->viewport()->width() - 60));
    for (const auto& block : current_->document.blocks) {
        if (block.kind != report::Block::Kind::Figure)
            continue;
        const auto png = charts_.find(figureFileName(block));
        if (png == charts_.end())
            continue;
        QImage image = QImage::fromData(png->second, "PNG");
        view->images.insert(QString::fromStdString(block.imagePath),
                            image.scaledToWidth(width, Qt::SmoothTransformation));
    }
    const int scroll = view_->verticalScrollBar()->value();
    view_->setMarkdown(QString::fromStdString(current_->markdown));
    view_->verticalScrollBar()->setValue(scroll);
    ready_ = true;
    setBusy(QString());
    status_->setText(tr("%1 charts \u00b7 built from the notebook just now \u00b7 Regenerate after adding notes or runs")
                         .arg(charts_.size()));
    emit reportReady();
}

void ReportPage::exportClicked(ReportFormat format)
{
    if (!ready_ || !current_)
        return;
    QString name = QString::fromStdString(report::subjectIdText(subject_));
    name.replace(':', '-');
    const QString path = chooseLocation_ ? chooseLocation_(format, "tempo-report-" + name) : QString();
    if (path.isEmpty())
        return;
    const QStringList replaced = reportexport::existingOutputs(path, format);
    if (!replaced.isEmpty() && !(askOverwrite_ && askOverwrite_(path, replaced))) {
        status_->setText(tr("Not exported: %1 already holds a report, kept as it was.").arg(QDir::toNativeSeparators(path)));
        return;
    }
    exportTo(format, path);
}

void ReportPage::exportTo(ReportFormat format, const QString& path)
{
    if (!ready_ || !current_) {
        emit exportFailed(tr("The report is not ready yet."));
        return;
    }
    ++exportsRunning_;
    setBusy(tr("Writing %1 to %2\u2026").arg(formatName(format), path));
    auto built = current_;
    const reportexport::ChartImages charts = charts_;
    auto error = std::make_shared<QString>();
    runOffUiThread(
        this,
        [built, charts, format, path, error] {
            try {
                switch (format) {
                case ReportFormat::Markdown:
                    reportexport::writeMarkdownBundle(path, built->markdown, charts);
                    break;
                case ReportFormat::Html:
                    reportexport::writeHtml(path, reportexport::renderHtml(built->document, charts));
                    break;
                case ReportFormat::Pdf:
                    reportexport::writePdf(path, built->document, charts);
                    break;
                }
            } catch (const std::exception& exception) {
                *error = QString::fromUtf8(exception.what());
            }
        },
        [this, built, charts, format, path, error] {
            --exportsRunning_;
            setBusy(QString());
            if (!error->isEmpty()) {
                status_->setText(tr("Export failed: %1").arg(*error));
                emit exportFailed(*error);
                return;
            }
            // The exported report is kept with its subject (once per generated report).
            if (!stored_ && built == current_) {
                try {
                    if (built->study)
                        report::storeStudyReport(*reports_, *built->study, built->markdown,
                                                 reportexport::toChartFiles(charts));
                    else
                        reportexport::storeReport(*reports_, built->data, built->markdown, charts);
                    stored_ = true;
                    context_.announceRunsChanged();
                } catch (const std::exception& exception) {
                    status_->setText(tr("Exported, but not stored in the notebook: %1").arg(QString::fromUtf8(exception.what())));
                    emit exported(path);
                    return;
                }
            }
            status_->setText(tr("Exported %1 to %2").arg(formatName(format), QDir::toNativeSeparators(path)));
            emit exported(path);
        });
}

} // namespace tempo::gui

