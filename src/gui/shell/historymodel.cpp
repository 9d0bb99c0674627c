#include "gui/shell/historymodel.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QRegularExpression>

#include "core/notebook/database.h"
#include "core/notebook/notebook.h"
#include "core/runrecord/tempoconfig.h"

namespace tempo::gui {

bool HistoryFilter::operator==(const HistoryFilter& other) const
{
    return search == other.search && presetId == other.presetId && mode == other.mode && status == other.status &&
           tag == other.tag && model == other.model && withinDays == other.withinDays;
}

QString fullTextQuery(const QString& text)
{
    QStringList terms;
    for (QString word : text.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts)) {
        const bool prefix = word.size() > 1 && word.endsWith('*');
        if (prefix)
            word.chop(1);
        word.replace('"', QStringLiteral("\"\""));
        terms << '"' + word + '"' + (prefix ? QStringLiteral("*") : QString());
    }
    return terms.join(' ');
}

HistoryModel::HistoryModel(QObject* parent) : QAbstractTableModel(parent) {}

void HistoryModel::setNotebook(tempo::notebook::Notebook* notebook)
{
    notebook_ = notebook;
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
    exhausted_ = notebook_ == nullptr;
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

std::vector<HistoryModel::Row> HistoryModel::queryPage(int offset, int limit) const
{
    using tempo::notebook::Statement;
    static const char* const kSortSql[ColumnCount] = {
        "r.id", "r.preset_id", "mode", "r.status", "r.started_at", "model", "steps", "r.generated_text", "tags"};
    // The mode is read in SQL (sorting and filtering a page of thousands of runs) from the stored shape
    // core/runrecord/runconfig.h documents ("tempo": {"mode": ...}); a config that is not JSON lists
    // with no mode instead of failing the whole query (the run page says what is wrong with it).
    QString sql = QStringLiteral(
        "SELECT r.id, r.preset_id,"
        " coalesce(CASE WHEN json_valid(r.config_json) THEN json_extract(r.config_json, '$.tempo.mode') END, '') AS mode,"
        " r.status,"
        " r.started_at, coalesce(m.name, '') AS model, (SELECT count(*) FROM steps s WHERE s.run_id = r.id) AS steps,"
        " r.prompt, r.generated_text,"
        " coalesce((SELECT group_concat(name, ', ') FROM (SELECT t.name FROM run_tags rt JOIN tags t ON t.id = rt.tag_id"
        "   WHERE rt.run_id = r.id ORDER BY t.name)), '') AS tags, r.error_text,"
        " coalesce(CASE WHEN json_valid(r.config_json) THEN json_extract(r.config_json, '$.tempo.mechanism') END, '')"
        "   = 'artifact_control' AS control"
        " FROM runs r LEFT JOIN models m ON m.id = r.model_id WHERE 1");
    std::vector<std::string> values;
    auto where = [&](const QString& clause, const QString& value) {
        values.push_back(value.toStdString());
        sql += QStringLiteral(" AND ") + QString(clause).replace(QStringLiteral("?"), '?' + QString::number(values.size()));
    };
    const QString fts = fullTextQuery(filter_.search);
    if (!fts.isEmpty())
        where(QStringLiteral("r.id IN (SELECT rowid FROM run_search WHERE run_search MATCH ?)"), fts);
    if (!filter_.presetId.isEmpty())
        where(QStringLiteral("r.preset_id = ?"), filter_.presetId);
    if (!filter_.mode.isEmpty())
        where(QStringLiteral("CASE WHEN json_valid(r.config_json) THEN json_extract(r.config_json, '$.tempo.mode') END = ?"),
              filter_.mode);
    if (!filter_.status.isEmpty())
        where(QStringLiteral("r.status = ?"), filter_.status);
    if (!filter_.tag.isEmpty())
        where(QStringLiteral("r.id IN (SELECT rt.run_id FROM run_tags rt JOIN tags t ON t.id = rt.tag_id WHERE t.name = ?)"),
              filter_.tag);
    if (!filter_.model.isEmpty())
        where(QStringLiteral("m.name = ?"), filter_.model);
    if (filter_.withinDays > 0) {
        const QDateTime since = QDateTime::currentDateTimeUtc().addDays(-filter_.withinDays);
        where(QStringLiteral("r.started_at >= ?"), since.toString(Qt::ISODateWithMs));
    }
    const QString direction = sortOrder_ == Qt::AscendingOrder ? QStringLiteral(" ASC") : QStringLiteral(" DESC");
    sql += QStringLiteral(" ORDER BY ") + kSortSql[sortColumn_] + direction + QStringLiteral(", r.id") + direction;
    sql += QStringLiteral(" LIMIT %1 OFFSET %2").arg(limit).arg(offset);

    Statement statement = notebook_->database().prepare(sql.toStdString());
    for (std::size_t i = 0; i < values.size(); ++i)
        statement.bind(static_cast<int>(i + 1), values[i]);
    std::vector<Row> rows;
    while (statement.step()) {
        Row row;
        row.id = statement.int64(0);
        row.presetId = QString::fromStdString(statement.text(1));
        row.mode = QString::fromStdString(statement.text(2));
        row.status = QString::fromStdString(statement.text(3));
        row.startedAt = QString::fromStdString(statement.text(4));
        row.model = QString::fromStdString(statement.text(5));
        row.steps = statement.integer(6);
        row.prompt = QString::fromStdString(statement.text(7));
        row.text = QString::fromStdString(statement.text(8));
        row.tags = QString::fromStdString(statement.text(9));
        row.error = QString::fromStdString(statement.text(10));
        row.artifactControl = statement.int64(11) != 0;
        rows.push_back(std::move(row));
    }
    return rows;
}

QStringList HistoryModel::distinctPresets() const
{
    QStringList values;
    if (!notebook_)
        return values;
    auto statement = notebook_->database().prepare("SELECT DISTINCT preset_id FROM runs ORDER BY preset_id");
    while (statement.step())
        values << QString::fromStdString(statement.text(0));
    return values;
}

QStringList HistoryModel::distinctModels() const
{
    QStringList values;
    if (!notebook_)
        return values;
    auto statement = notebook_->database().prepare(
        "SELECT DISTINCT m.name FROM models m WHERE m.id IN (SELECT model_id FROM runs) ORDER BY m.name");
    while (statement.step())
        values << QString::fromStdString(statement.text(0));
    return values;
}

QStringList HistoryModel::distinctTags() const
{
    QStringList values;
    if (!notebook_)
        return values;
    auto statement = notebook_->database().prepare(
        "SELECT name FROM tags WHERE id IN (SELECT tag_id FROM run_tags) ORDER BY name");
    while (statement.step())
        values << QString::fromStdString(statement.text(0));
    return values;
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
    return !parent.isValid() && notebook_ && !exhausted_;
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
