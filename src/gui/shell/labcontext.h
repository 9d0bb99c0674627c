#pragma once
// LabContext: what every page of one notebook window shares — the open notebook (a UI-thread
// handle for ms-fast queries), the settings, and the RunWorker that runs experiments on its own
// thread. Pages hold a reference to it and listen to its signals instead of to each other.
//
// Stores: a page holds pointers to the stores it uses (RunStore, NoteStore, ...), fetched from
// notebook(); switchNotebook() destroys the old notebook with its stores, so every holder fetches
// them again first thing in its notebookChanged handler, before it reads anything.
//
// Threads: notebook() is used on the UI thread only (queries, notes, tags). Runs never go through
// it: the worker opens its own connection on its own thread, and the WAL lets both work at once.

#include <filesystem>
#include <memory>

#include <QObject>
#include <QString>

#include "app/runworker.h"
#include "core/notebook/notebook.h"

namespace tempo::gui {

class LabContext : public QObject {
    Q_OBJECT
public:
    // Opens (or creates) the notebook at `notebookPath`; throws NotebookError like Notebook does.
    explicit LabContext(const QString& notebookPath, QObject* parent = nullptr);
    ~LabContext() override;

    tempo::notebook::Notebook& notebook(); // UI-thread handle; queries are ms-fast
    QString notebookPath() const;
    // The default model of the settings when set and present, else the bundled model's folder
    // (empty when neither exists).
    std::filesystem::path defaultModelFolder() const;
    tempo::RunWorker& worker();

    // Closes the current notebook and opens (or creates) `path`; emits notebookChanged (stores
    // held from the old notebook dangle until their holders fetch them again there). On failure
    // the current notebook stays open and the NotebookError propagates.
    void switchNotebook(const QString& path);

    // Pages that change runs (notes, tags, deletion) call these so every view refreshes.
    void announceRunsChanged() { emit runsChanged(); }
    void selectRun(qint64 runId) { emit runSelected(runId); }
    void selectGroup(qint64 groupId) { emit groupSelected(groupId); }

signals:
    void notebookChanged();          // switched/reopened notebook
    void runsChanged();              // runs added, deleted, tagged, annotated
    void runSelected(qint64 runId);
    void groupSelected(qint64 groupId);

private:
    std::unique_ptr<tempo::notebook::Notebook> notebook_;
    std::unique_ptr<tempo::RunWorker> worker_;
};

} // namespace tempo::gui
