#include "gui/shell/historymodel.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>

#include "core/notebook/runstore.h"
#include "core/notebook/tagstore.h"
#include "core/runrecord/tempoconfig.h"

namespace tempo::gui {

bool HistoryFilter::operator==(const HistoryFilter& other) const
{
    return search == other.search && presetId == other.presetId && mode == other.mode && status == other.status &&
           tag == other.tag && model == other.model && withinDays == other.withinDays;
}

HistoryModel::HistoryModel(QObject* parent) : QAbstractTableModel(parent) {}

void HistoryModel::setStores(const tempo::notebook::RunStore* runs, const tempo::notebook::TagStore* tags)
{
    runs_ = runs;
    tags_ = tags;
    reload();
}

void HistoryModel::setFilter(const HistoryFilter& filter)
{
    if (filter == filter_)
        return;
    filter_ = filter;
    reload();
}

void HistoryModel::reload()
{
    beginResetModel();
    rows_.clear();
    exhausted_ = runs_ == nullptr;
    endResetModel();
    // Views fetch on their own as they lay out; a model without a view gets its first page now.
    if (canFetchMore({}))
        fetchMore({});
}

qint64 HistoryModel::runIdAt(int row) const
{
    return row >= 0 && row < loadedRows() ? rows_[static_cast<std::size_t>(row)].id : 0;
}

int HistoryModel::rowOfRun(qint64 runId) const
{
    for (std::size_t i = 0; i < rows_.size(); ++i)
        if (rows_[i].id == runId)
            return static_cast<int>(i);
    return -1;
}

namespace {
QStringList historyStrings(const std::vector<std::string>& values)
{
    QStringList list;
    for (const std::string& value : values)
        list << QString::fromStdString(value);
    return list;
}
} // namespace

std::vector<HistoryModel::Row> HistoryModel::queryPage(int offset, int limit) const
{
    tempo::notebook::RunHistoryQuery query;
    query.search = filter_.search.toStdString();
    query.presetId = filter_.presetId.toStdString();
    query.mode = filter_.mode.toStdString();
    query.status = filter_.status.toStdString();
    query.tag = filter_.tag.toStdString();
    query.model = filter_.model.toStdString();
    if (filter_.withinDays > 0)
        query.startedSince =
            QDateTime::currentDateTimeUtc().addDays(-filter_.withinDays).toString(Qt::ISODateWithMs).toStdString();
    static_assert(static_cast<int>(tempo::notebook::RunHistorySort::Tags) == TagsColumn, "columns and sorts in one order");
    query.sort = static_cast<tempo::notebook::RunHistorySort>(sortColumn_);
    query.descending = sortOrder_ == Qt::DescendingOrder;
    query.offset = offset;
    query.limit = limit;
    std::vector<Row> rows;
    for (const auto& found : runs_->history(query)) {
        Row row;
        row.id = found.id;
        row.presetId = QString::fromStdString(found.presetId);
        row.mode = QString::fromStdString(found.mode);
        row.status = QString::fromStdString(found.status);
        row.startedAt = QString::fromStdString(found.startedAt);
        row.model = QString::fromStdString(found.model);
        row.steps = found.steps;
        row.prompt = QString::fromStdString(found.prompt);
        row.text = QString::fromStdString(found.generatedText);
        row.tags = QString::fromStdString(found.tags);
        row.error = QString::fromStdString(found.errorText);
        row.artifactControl = found.artifactControl;
        rows.push_back(std::move(row));
    }
    return rows;
}

QStringList HistoryModel::distinctPresets() const
{
    return runs_ ? historyStrings(runs_->presetIds()) : QStringList();
}

QStringList HistoryModel::distinctModels() const
{
    return runs_ ? historyStrings(runs_->modelNames()) : QStringList();
}

QStringList HistoryModel::distinctTags() const
{
    return tags_ ? historyStrings(tags_->inUse()) : QStringList();
}

int HistoryModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : loadedRows();
}

int HistoryModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

namespace {
QString shortTime(const QString& iso)
{
    const QDateTime time = QDateTime::fromString(iso, Qt::ISODateWithMs);
    if (!time.isValid())
        return iso;
    const QDateTime local = time.toLocalTime();
    return local.date() == QDate::currentDate() ? local.toString(QStringLiteral("HH:mm"))
                                                : local.toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

QColor statusColour(const QString& status)
{
    if (status == QLatin1String("finished"))
        return QColor(0x2e, 0x9d, 0x5b);
    if (status == QLatin1String("failed") || status == QLatin1String("interrupted"))
        return QColor(0xd0, 0x45, 0x3b);
    if (status == QLatin1String("cancelled"))
        return QColor(0xb0, 0x80, 0x20);
    return QColor(0x3b, 0x6f, 0xd8); // running
}
} // namespace

QVariant HistoryModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= loadedRows())
        return {};
    const Row& row = rows_[static_cast<std::size_t>(index.row())];
    if (role == kRunIdRole)
        return row.id;
    if (role == kStatusRole)
        return row.status;
    if (role == kArtifactControlRole)
        return row.artifactControl;
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case IdColumn: return row.id;
        case PresetColumn: return row.presetId;
        case ModeColumn: return row.artifactControl ? QStringLiteral("control · ") + row.mode : row.mode;
        case StatusColumn: return row.status;
        case StartedColumn: return shortTime(row.startedAt);
        case ModelColumn: return row.model;
        case StepsColumn: return row.steps;
        case TextColumn: {
            QString text = row.text.isEmpty() ? row.prompt : row.text;
            text.replace('\n', ' ');
            return row.artifactControl ? QStringLiteral("[%1] ").arg(QString::fromUtf8(kArtifactControlLabel)) + text : text;
        }
        case TagsColumn: return row.tags;
        default: return {};
        }
    }
    if (role == Qt::ForegroundRole && index.column() == StatusColumn)
        return QBrush(statusColour(row.status));
    if (role == Qt::BackgroundRole && row.artifactControl)
        return QBrush(QColor(0xb0, 0x80, 0x20, 0x38)); // a translucent amber over either theme
    if (role == Qt::ToolTipRole) {
        QString tip = QStringLiteral("Run %1 · preset %2 · %3\n%4").arg(row.id).arg(row.presetId, row.status, row.startedAt);
        if (row.artifactControl)
            tip += QStringLiteral("\n%1: %2").arg(QString::fromUtf8(kArtifactControlLabel), QString::fromUtf8(kArtifactControlMeaning));
        tip += QStringLiteral("\nPrompt: ") + row.prompt;
        if (!row.text.isEmpty())
            tip += QStringLiteral("\nText: ") + row.text;
        if (!row.error.isEmpty())
            tip += QStringLiteral("\nError: ") + row.error;
        if (!row.tags.isEmpty())
            tip += QStringLiteral("\nTags: ") + row.tags;
        return tip;
    }
    if (role == Qt::TextAlignmentRole && (index.column() == IdColumn || index.column() == StepsColumn))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant HistoryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const kNames[ColumnCount] = {"#", "Preset", "Mode", "Status", "Started", "Model", "Steps",
                                                    "Text", "Tags"};
    return section >= 0 && section < ColumnCount ? tr(kNames[section]) : QVariant();
}

bool HistoryModel::canFetchMore(const QModelIndex& parent) const
{
    return !parent.isValid() && runs_ && !exhausted_;
}

void HistoryModel::fetchMore(const QModelIndex& parent)
{
    if (!canFetchMore(parent))
        return;
    std::vector<Row> page = queryPage(loadedRows(), kPageSize);
    exhausted_ = static_cast<int>(page.size()) < kPageSize;
    if (page.empty())
        return;
    beginInsertRows({}, loadedRows(), loadedRows() + static_cast<int>(page.size()) - 1);
    for (Row& row : page)
        rows_.push_back(std::move(row));
    endInsertRows();
}

void HistoryModel::sort(int column, Qt::SortOrder order)
{
    if (column < 0 || column >= ColumnCount)
        return;
    sortColumn_ = column;
    sortOrder_ = order;
    reload();
}

} // namespace tempo::gui
