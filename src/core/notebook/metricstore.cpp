// MetricStore: recording and reading a run's metrics.

#include "core/notebook/metricstore.h"

#include <limits>

#include "core/notebook/database.h"

namespace tempo::notebook {

void MetricStore::record(std::int64_t runId, const std::vector<MetricRecord>& metrics)
{
    requireWritable("recording metrics");
    Transaction transaction(database());
    requireRunExists(runId);
    Statement insert = database().prepare(
        "INSERT INTO metrics (run_id, name, value, step, layer, head) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (const MetricRecord& metric : metrics) {
        insert.reset();
        insert.bind(1, runId).bind(2, metric.name).bind(3, metric.value).bind(4, metric.step).bind(5, metric.layer)
            .bind(6, metric.head);
        insert.run();
    }
    transaction.commit();
}

std::vector<MetricRecord> MetricStore::ofRun(std::int64_t runId) const
{
    Statement query = database().prepare(
        "SELECT name, coalesce(value, 0), step, layer, head FROM metrics WHERE run_id = ?1 ORDER BY id");
    query.bind(1, runId);
    std::vector<MetricRecord> metrics;
    auto optionalInt = [&](int column) -> std::optional<int> {
        if (query.isNull(column))
            return std::nullopt;
        return query.integer(column);
    };
    while (query.step())
        metrics.push_back({query.text(0), query.real(1), optionalInt(2), optionalInt(3), optionalInt(4)});
    return metrics;
}

std::vector<MetricRecord> MetricStore::withPrefix(std::int64_t runId, const std::string& prefix) const
{
    Statement query = database().prepare("SELECT name, value, step, layer, head FROM metrics"
                                         " WHERE run_id = ?1 AND substr(name, 1, length(?2)) = ?2 ORDER BY id");
    query.bind(1, runId).bind(2, prefix);
    std::vector<MetricRecord> metrics;
    auto optionalInt = [&](int column) -> std::optional<int> {
        if (query.isNull(column))
            return std::nullopt;
        return query.integer(column);
    };
    while (query.step())
        metrics.push_back({query.text(0), query.isNull(1) ? std::numeric_limits<double>::quiet_NaN() : query.real(1),
                           optionalInt(2), optionalInt(3), optionalInt(4)});
    return metrics;
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
