#pragma once
// The left side of the window: the search box, the filters (preset, mode, status, tag, model,
// date) and the virtualized run table (sortable by any column, multi-select).

#include <QList>
#include <QWidget>

class QComboBox;
class QGridLayout;
class QLineEdit;
class QTableView;
class QTimer;

namespace tempo::notebook {
class RunStore;
class TagStore;
}

namespace tempo::gui {

class HistoryModel;
class LabContext;

class HistorySidebar : public QWidget {
    Q_OBJECT
public:
    explicit HistorySidebar(LabContext& context, QWidget* parent = nullptr);

    HistoryModel& model() { return *model_; }
    QTableView& table() { return *table_; }
    QLineEdit& searchBox() { return *search_; }
    QList<qint64> selectedRunIds() const;
    void selectRun(qint64 runId);
    void focusSearch();

    // Filter boxes by name: "preset", "mode", "status", "tag", "model", "date".
    QComboBox* filterBox(const QString& name) const;

public slots:
    void refresh(); // reload rows and the filter values, keeping the selection

signals:
    void runActivated(qint64 runId);
    void compareRequested(qint64 runA, qint64 runB);
    void selectionChanged(const QList<qint64>& runIds);

private:
    QGridLayout* buildFilters();
    QTableView* buildTable();
    void fetchStores(); // from the context's notebook, again after every switch
    void applyFilter();
    void refillFilterValues();
    void showContextMenu(const QPoint& position);
    QComboBox* addFilter(const QString& name, const QString& anyText);

    LabContext& context_;
    tempo::notebook::RunStore* runs_ = nullptr;
    tempo::notebook::TagStore* tags_ = nullptr;
    HistoryModel* model_;
    QLineEdit* search_;
    QTableView* table_;
    QTimer* searchDelay_;
    QList<QComboBox*> filters_;
};

} // namespace tempo::gui
