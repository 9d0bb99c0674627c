#pragma once
// The run history as a table model over the notebook, virtualized: rows arrive a page at a time
// (canFetchMore/fetchMore, 100 rows a page) as the view scrolls, and filtering and sorting happen
// in SQL, so a notebook of 100,000 runs costs what one page costs. The search box uses the
// notebook's full-text index (run_search: prompt, generated text, notes, tags).

#include <optional>
#include <vector>

#include <QAbstractTableModel>
#include <QDate>
#include <QString>

namespace tempo::notebook {
class RunStore;
class TagStore;
}

namespace tempo::gui {

struct HistoryFilter {
    QString search;  // words, all must occur; a trailing * searches a prefix
    QString presetId;
    QString mode;    // "isolated" | "visible"
    QString status;  // "finished" | "failed" | ...
    QString tag;
    QString model;   // model name
    int withinDays = 0; // 0: any time; else runs started in the last N days
    bool operator==(const HistoryFilter& other) const;
};

class HistoryModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { IdColumn, PresetColumn, ModeColumn, StatusColumn, StartedColumn, ModelColumn, StepsColumn,
                  TextColumn, TagsColumn, ColumnCount };
    static constexpr int kRunIdRole = Qt::UserRole + 1;
    static constexpr int kStatusRole = Qt::UserRole + 2;
    // true for an artifact-control run: its Mode cell reads "control · <mode>", its text starts
    // with the control label, and its row is tinted (a control, never a TEMPO result).
    static constexpr int kArtifactControlRole = Qt::UserRole + 3;
    static constexpr int kPageSize = 100;

    explicit HistoryModel(QObject* parent = nullptr);

    // The stores of the open notebook (the history's query is RunStore::history). They change when
    // the notebook is switched; the model never owns them. Null: no rows.
    void setStores(const tempo::notebook::RunStore* runs, const tempo::notebook::TagStore* tags);
    void setFilter(const HistoryFilter& filter);
    const HistoryFilter& filter() const { return filter_; }
    // Drops every loaded row and starts again from the first page (new runs, edits).
    void reload();

    qint64 runIdAt(int row) const;
    int rowOfRun(qint64 runId) const; // -1 when not loaded
    int loadedRows() const { return static_cast<int>(rows_.size()); }

    // Values for the filter boxes, from the whole notebook.
    QStringList distinctPresets() const;
    QStringList distinctModels() const;
    QStringList distinctTags() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;
    void sort(int column, Qt::SortOrder order) override;

private:
    struct Row {
        qint64 id = 0;
        QString presetId, mode, status, startedAt, model, prompt, text, tags, error;
        int steps = 0;
        bool artifactControl = false; // stored "tempo"."mechanism" is "artifact_control"
    };
    std::vector<Row> queryPage(int offset, int limit) const;

    const tempo::notebook::RunStore* runs_ = nullptr;
    const tempo::notebook::TagStore* tags_ = nullptr;
    HistoryFilter filter_;
    int sortColumn_ = StartedColumn;
    Qt::SortOrder sortOrder_ = Qt::DescendingOrder;
    std::vector<Row> rows_;
    bool exhausted_ = false;
};

} // namespace tempo::gui
