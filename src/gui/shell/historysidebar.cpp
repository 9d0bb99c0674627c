#include "gui/shell/historysidebar.h"

#include <algorithm>

#include <QAction>
#include <QComboBox>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include "core/notebook/notebook.h"
#include "gui/shell/historymodel.h"
#include "gui/shell/labcontext.h"

namespace tempo::gui {

HistorySidebar::HistorySidebar(LabContext& context, QWidget* parent)
    : QWidget(parent), context_(context), model_(new HistoryModel(this))
{
    setObjectName(QStringLiteral("historySidebar"));
    setAttribute(Qt::WA_StyledBackground);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 12, 12, 12);
    layout->setSpacing(8);

    auto* title = new QLabel(tr("Runs"), this);
    title->setObjectName(QStringLiteral("sectionTitle"));
    layout->addWidget(title);

    search_ = new QLineEdit(this);
    search_->setObjectName(QStringLiteral("historySearch"));
    search_->setPlaceholderText(tr("Search prompts, text, notes, tags"));
    search_->setClearButtonEnabled(true);
    search_->addAction(QIcon(QStringLiteral(":/icons/search.svg")), QLineEdit::LeadingPosition);
    layout->addWidget(search_);

    layout->addLayout(buildFilters());
    layout->addWidget(buildTable(), 1);

    searchDelay_ = new QTimer(this);
    searchDelay_->setSingleShot(true);
    searchDelay_->setInterval(200); // one query after typing pauses, not one per key
    connect(search_, &QLineEdit::textChanged, searchDelay_, qOverload<>(&QTimer::start));
    connect(searchDelay_, &QTimer::timeout, this, &HistorySidebar::applyFilter);
    connect(search_, &QLineEdit::returnPressed, this, &HistorySidebar::applyFilter);

    connect(&context_, &LabContext::runsChanged, this, &HistorySidebar::refresh);
    connect(&context_, &LabContext::notebookChanged, this, [this] {
        fetchStores();
        refillFilterValues();
    });
    fetchStores();
    refillFilterValues();
}

void HistorySidebar::fetchStores()
{
    runs_ = &context_.notebook().runs();
    tags_ = &context_.notebook().tags();
    model_->setStores(runs_, tags_);
}

// Six filters (preset, mode, status, tag, model, date) in two columns; values that depend on the
// notebook are filled by refillFilterValues().
QGridLayout* HistorySidebar::buildFilters()
{
    auto* filterGrid = new QGridLayout;
    filterGrid->setSpacing(6);
    const QList<QPair<QString, QString>> filters = {{"preset", tr("Any preset")}, {"mode", tr("Any mode")},
                                                    {"status", tr("Any status")}, {"tag", tr("Any tag")},
                                                    {"model", tr("Any model")},   {"date", tr("Any time")}};
    for (int i = 0; i < filters.size(); ++i)
        filterGrid->addWidget(addFilter(filters[i].first, filters[i].second), i / 2, i % 2);
    filterBox("mode")->addItems({QStringLiteral("isolated"), QStringLiteral("visible")});
    filterBox("status")->addItems({QStringLiteral("finished"), QStringLiteral("running"), QStringLiteral("cancelled"),
                                   QStringLiteral("failed"), QStringLiteral("interrupted")});
    QComboBox* date = filterBox("date");
    date->addItem(tr("Last 24 hours"), 1);
    date->addItem(tr("Last 7 days"), 7);
    date->addItem(tr("Last 30 days"), 30);
    return filterGrid;
}

// The run table: sortable, most columns sized to fit, hidden columns one right-click away.
QTableView* HistorySidebar::buildTable()
{
    table_ = new QTableView(this);
    table_->setObjectName(QStringLiteral("historyTable"));
    table_->setModel(model_);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->setSortingEnabled(true);
    table_->horizontalHeader()->setSortIndicator(HistoryModel::StartedColumn, Qt::DescendingOrder);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(26);
    table_->setShowGrid(false);
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->setTextElideMode(Qt::ElideRight);
    table_->setContextMenuPolicy(Qt::CustomContextMenu);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    // A sidebar shows what tells runs apart; the rest is one right-click on the header away.
    for (int column : {int(HistoryModel::ModelColumn), int(HistoryModel::TagsColumn), int(HistoryModel::StepsColumn)})
        table_->setColumnHidden(column, true);
    // Widths that fit each header and its values at the default font; Text takes the rest.
    table_->setColumnWidth(HistoryModel::IdColumn, 34);
    table_->setColumnWidth(HistoryModel::PresetColumn, 58);
    table_->setColumnWidth(HistoryModel::ModeColumn, 60);
    table_->setColumnWidth(HistoryModel::StatusColumn, 68);
    table_->setColumnWidth(HistoryModel::StartedColumn, 66);
    table_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff); // Text stretches into what is left
    table_->horizontalHeader()->setSectionResizeMode(HistoryModel::TextColumn, QHeaderView::Stretch);
    table_->horizontalHeader()->setMinimumSectionSize(36);
    table_->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(table_->horizontalHeader(), &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
        QMenu menu;
        for (int column = 0; column < HistoryModel::ColumnCount; ++column) {
            QAction* action = menu.addAction(model_->headerData(column, Qt::Horizontal, Qt::DisplayRole).toString());
            action->setCheckable(true);
            action->setChecked(!table_->isColumnHidden(column));
            connect(action, &QAction::toggled, this, [this, column](bool on) { table_->setColumnHidden(column, !on); });
        }
        menu.exec(table_->horizontalHeader()->mapToGlobal(at));
    });

    connect(table_, &QTableView::activated, this, [this](const QModelIndex& index) {
        emit runActivated(model_->runIdAt(index.row()));
    });
    connect(table_, &QTableView::clicked, this, [this](const QModelIndex& index) {
        emit runActivated(model_->runIdAt(index.row()));
    });
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            [this] { emit selectionChanged(selectedRunIds()); });
    connect(table_, &QWidget::customContextMenuRequested, this, &HistorySidebar::showContextMenu);
    return table_;
}

QComboBox* HistorySidebar::addFilter(const QString& name, const QString& anyText)
{
    auto* box = new QComboBox(this);
    box->setObjectName(name + QStringLiteral("Filter"));
    box->addItem(anyText, QString());
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(8);
    connect(box, &QComboBox::currentIndexChanged, this, &HistorySidebar::applyFilter);
    filters_.append(box);
    return box;
}

QComboBox* HistorySidebar::filterBox(const QString& name) const
{
    for (QComboBox* box : filters_)
        if (box->objectName() == name + QStringLiteral("Filter"))
            return box;
    return nullptr;
}

void HistorySidebar::applyFilter()
{
    auto value = [this](const char* name) {
        QComboBox* box = filterBox(QLatin1String(name));
        return box->currentIndex() <= 0 ? QString() : box->currentText();
    };
    HistoryFilter filter;
    filter.search = search_->text().trimmed();
    filter.presetId = value("preset");
    filter.mode = value("mode");
    filter.status = value("status");
    filter.tag = value("tag");
    filter.model = value("model");
    filter.withinDays = filterBox("date")->currentData().toInt();
    model_->setFilter(filter);
}

void HistorySidebar::refillFilterValues()
{
    auto refill = [](QComboBox* box, const QStringList& values) {
        const QString current = box->currentIndex() > 0 ? box->currentText() : QString();
        const QSignalBlocker blocker(box);
        while (box->count() > 1)
            box->removeItem(1);
        box->addItems(values);
        const int index = current.isEmpty() ? 0 : box->findText(current);
        box->setCurrentIndex(index < 0 ? 0 : index);
    };
    refill(filterBox("preset"), model_->distinctPresets());
    refill(filterBox("tag"), model_->distinctTags());
    refill(filterBox("model"), model_->distinctModels());
}

void HistorySidebar::refresh()
{
    const QList<qint64> selected = selectedRunIds();
    refillFilterValues();
    model_->reload();
    for (qint64 id : selected) {
        const int row = model_->rowOfRun(id);
        if (row >= 0)
            table_->selectionModel()->select(model_->index(row, 0),
                                             QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
}

QList<qint64> HistorySidebar::selectedRunIds() const
{
    QList<qint64> ids;
    for (const QModelIndex& index : table_->selectionModel()->selectedRows())
        ids << model_->runIdAt(index.row());
    std::sort(ids.begin(), ids.end());
    return ids;
}

void HistorySidebar::selectRun(qint64 runId)
{
    const int row = model_->rowOfRun(runId);
    if (row < 0)
        return;
    table_->selectionModel()->select(model_->index(row, 0),
                                     QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    table_->scrollTo(model_->index(row, 0));
}

void HistorySidebar::focusSearch()
{
    search_->setFocus(Qt::ShortcutFocusReason);
    search_->selectAll();
}

void HistorySidebar::showContextMenu(const QPoint& position)
{
    const QList<qint64> ids = selectedRunIds();
    if (ids.isEmpty())
        return;
    QMenu menu(this);
    QAction* open = menu.addAction(QIcon(QStringLiteral(":/icons/run.svg")), tr("Open run %1").arg(ids.first()));
    QAction* compare = menu.addAction(QIcon(QStringLiteral(":/icons/compare.svg")), tr("Compare the two runs"));
    compare->setEnabled(ids.size() == 2);
    menu.addSeparator();
    QAction* remove = menu.addAction(tr("Delete %n run(s)…", nullptr, int(ids.size())));
    QAction* chosen = menu.exec(table_->viewport()->mapToGlobal(position));
    if (chosen == open) {
        emit runActivated(ids.first());
    } else if (chosen == compare) {
        emit compareRequested(ids[0], ids[1]);
    } else if (chosen == remove) {
        if (QMessageBox::question(this, tr("Delete runs"),
                                  tr("Delete %n run(s) with their steps, captures, notes and tags?", nullptr,
                                     int(ids.size()))) != QMessageBox::Yes)
            return;
        for (qint64 id : ids)
            runs_->remove(id);
        context_.announceRunsChanged();
    }
}

} // namespace tempo::gui
