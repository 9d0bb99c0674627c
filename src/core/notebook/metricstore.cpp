// MetricStore: recording and reading a run's metrics.

#include "core/notebook/metricstore.h"

#include <iterator>

#include "core/notebook/database.h"

namespace tempo::notebook {

namespace {

// "INSERT INTO metrics ... VALUES (?1, ?2, ..., ?6), (?1, ?7, ..., ?11), ...": `rows` metrics of
// one run per execution. A run records ~400 metrics (cross_parallel.by_head.*); one execution per
// row was most of MetricStore's time on the bundled model (issue 18 point 4).
std::string metricInsertSql(std::size_t rows)
{
    std::string sql = "INSERT INTO metrics (run_id, name, value, step, layer, head) VALUES ";
    for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t first = 2 + 5 * r;
        sql += r ? ", (?1" : "(?1";
        for (std::size_t c = 0; c < 5; ++c)
            sql += ", ?" + std::to_string(first + c);
        sql += ")";
    }
    return sql;
}

// Rows per execution: chunks of the largest size that fits, so a run's metrics take a handful of
// executions and the connection keeps only these four statements (64 rows: 321 parameters, under
// SQLite's oldest limit of 999).
constexpr std::size_t kMetricRowsPerInsert[] = {64, 16, 4, 1};

const std::string& metricInsertSqlOf(std::size_t chunk)
{
    static const std::string sql[] = {metricInsertSql(kMetricRowsPerInsert[0]), metricInsertSql(kMetricRowsPerInsert[1]),
                                      metricInsertSql(kMetricRowsPerInsert[2]), metricInsertSql(kMetricRowsPerInsert[3])};
    return sql[chunk];
}

// The rows of a "SELECT name, value, step, layer, head" query. A NaN value (an undefined statistic)
// was stored as NULL and reads back as NaN, not as 0.
std::vector<MetricRecord> metricRows(Statement& query)
{
    auto optionalInt = [&](int column) -> std::optional<int> {
        if (query.isNull(column))
            return std::nullopt;
        return query.integer(column);
    };
    std::vector<MetricRecord> metrics;
    while (query.step())
        metrics.push_back({query.text(0), query.realOrNaN(1), optionalInt(2), optionalInt(3), optionalInt(4)});
    return metrics;
}

} // namespace

void MetricStore::record(std::int64_t runId, const std::vector<MetricRecord>& metrics)
{
    requireWritable("recording metrics");
    Transaction transaction(database());
    requireRunExists(runId);
    std::size_t next = 0;
    for (std::size_t chunk = 0; chunk < std::size(kMetricRowsPerInsert); ++chunk) {
        const std::size_t rows = kMetricRowsPerInsert[chunk];
        if (metrics.size() - next < rows)
            continue;
        Statement insert = database().prepare(metricInsertSqlOf(chunk));
        while (metrics.size() - next >= rows) {
            insert.reset();
            insert.bind(1, runId);
            for (std::size_t r = 0; r < rows; ++r, ++next) {
                const MetricRecord& metric = metrics[next];
                const int first = static_cast<int>(2 + 5 * r);
                insert.bind(first, metric.name).bind(first + 1, metric.value).bind(first + 2, metric.step)
                    .bind(first + 3, metric.layer).bind(first + 4, metric.head);
            }
            insert.run();
        }
    }
    transaction.commit();
}

std::vector<MetricRecord> MetricStore::ofRun(std::int64_t runId) const
{
    Statement query =
        database().prepare("SELECT name, value, step, layer, head FROM metrics WHERE run_id = ?1 ORDER BY id");
    query.bind(1, runId);
    return metricRows(query);
}

std::vector<MetricRecord> MetricStore::withPrefix(std::int64_t runId, const std::string& prefix) const
{
    Statement query = database().prepare("SELECT name, value, step, layer, head FROM metrics"
                                         " WHERE run_id = ?1 AND substr(name, 1, length(?2)) = ?2 ORDER BY id");
    query.bind(1, runId).bind(2, prefix);
    return metricRows(query);
}

bool MetricStore::hasPrefix(std::int64_t runId, const std::string& prefix) const
{
    Statement query = database().prepare(
        "SELECT 1 FROM metrics WHERE run_id = ?1 AND substr(name, 1, length(?2)) = ?2 LIMIT 1");
    query.bind(1, runId).bind(2, prefix);
    return query.step();
}

void MetricStore::replacePrefix(std::int64_t runId, const std::string& prefix, const std::vector<MetricRecord>& metrics)
{
    requireWritable("replacing metrics");
    Transaction transaction(database());
    requireRunExists(runId);
    Statement remove = database().prepare("DELETE FROM metrics WHERE run_id = ?1 AND substr(name, 1, length(?2)) = ?2");
    remove.bind(1, runId).bind(2, prefix);
    remove.run();
    record(runId, metrics); // nested: joins this transaction
    transaction.commit();
}

} // namespace tempo::notebook
