// CheckStore: recording and reading a run's checks.

#include "core/notebook/checkstore.h"

#include "core/notebook/database.h"

namespace tempo::notebook {

void CheckStore::record(std::int64_t runId, const std::vector<CheckRecord>& checks)
{
    requireWritable("recording checks");
    Transaction transaction(database());
    requireRunExists(runId);
    Statement insert = database().prepare("INSERT INTO checks (run_id, name, passed, value, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
    for (const CheckRecord& check : checks) {
        insert.reset();
        insert.bind(1, runId).bind(2, check.name).bind(3, check.passed ? 1 : 0).bind(4, check.value).bind(5, check.detail);
        insert.run();
    }
    transaction.commit();
}

std::vector<CheckRecord> CheckStore::ofRun(std::int64_t runId) const
{
    // A check that did not apply was recorded with value NaN, which SQLite keeps as NULL: read
    // back as NaN, so that it stays "not applicable" (CheckRecord::notApplicable), not a pass of 0.
    Statement query = database().prepare("SELECT name, passed, value, detail FROM checks WHERE run_id = ?1 ORDER BY id");
    query.bind(1, runId);
    std::vector<CheckRecord> checks;
    while (query.step())
        checks.push_back({query.text(0), query.int64(1) != 0, query.realOrNaN(2), query.text(3)});
    return checks;
}

} // namespace tempo::notebook
