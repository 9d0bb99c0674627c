#pragma once
// The runs of a notebook: one row per run with its configuration, provenance, status, prompt and
// generated text. A run's steps, checks, metrics, tensors, notes and tags live in their own stores
// and go with the run when it is removed.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class RunStore : public Store {
public:
    explicit RunStore(const StoreContext& context) : Store(context) {}

    // Inserts the run (status as given, normally Running) and returns its id. Fills in a UUID and
    // a start time when empty. A running run records this process as its writer.
    std::int64_t create(const RunRecord& run);
    // Ends a run: any status but Running; stores the generated text, timings and error.
    void finish(std::int64_t runId, RunStatus status, const std::string& generatedText,
                const std::string& timingsJson, const std::string& errorText);

    std::optional<RunRecord> find(std::int64_t runId) const;
    std::optional<std::int64_t> findByUuid(const std::string& uuid) const;
    // Accepts an integer id, a full UUID or a unique UUID prefix (at least 4 characters).
    // Throws InvalidArgument when nothing or more than one run matches.
    std::int64_t resolve(const std::string& idOrUuid) const;
    std::vector<RunSummary> list(const RunQuery& query = {}) const;
    std::int64_t count() const;
    // One page of the window's history list. The mode is read in SQL from the stored shape
    // core/runrecord/runconfig.h documents ("tempo": {"mode": ...}); a configuration that is not
    // JSON lists with no mode instead of failing the query (the run page says what is wrong).
    std::vector<RunHistoryRow> history(const RunHistoryQuery& query) const;
    std::vector<std::string> presetIds() const;  // distinct preset ids of the runs, sorted
    std::vector<std::string> modelNames() const; // names of the models runs were made with, sorted

    // Removes the run with its steps, checks, metrics, tensors, notes, tags and reports, and
    // gives the freed pages back to the file system (incremental vacuum + passive checkpoint).
    void remove(std::int64_t runId);
};

} // namespace tempo::notebook
