#pragma once
// Studies (schema 5): the whole TEMPO investigation as one stored object — its spec, status,
// summary and the sweeps it made (study_sweeps). The study runner (core/experiment/study.h)
// writes them; `tempo-lab-cli study list/show`, the window and the findings report read them.
//
// A study written as running records its writer (like a run); the next read-write open of the
// notebook marks a running study whose writer is gone 'interrupted' (Notebook), so `study resume`
// can take it up. A notebook opened read-only at schema 3 or 4 has no study tables: the readers
// here then return nothing, and writers refuse.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class StudyStore : public Store {
public:
    explicit StudyStore(const StoreContext& context) : Store(context) {}

    // Fills in a UUID and a creation time when empty. A study created 'running' records the
    // calling process as its writer.
    std::int64_t create(const StudyRecord& study);
    std::optional<StudyRecord> find(std::int64_t studyId) const;
    std::optional<std::int64_t> findByUuid(const std::string& uuid) const;
    // Every study, oldest first.
    std::vector<StudyRecord> list() const;
    std::vector<std::int64_t> all() const;

    // Sets the status. Running records the calling process as the writer and clears finished_at;
    // any other status sets finished_at to now. Throws InvalidArgument for an unknown study id.
    void setStatus(std::int64_t studyId, StudyStatus status);
    void setSummary(std::int64_t studyId, const StudySummary& summary);
    // Adds the sweep to the study, or updates its preset, role and position when it is there.
    void addSweep(std::int64_t studyId, const StudySweep& sweep);
    // The study's sweeps by position.
    std::vector<StudySweep> sweepsOf(std::int64_t studyId) const;
    // The studies a sweep belongs to.
    std::vector<std::int64_t> ofSweep(std::int64_t sweepId) const;

    // Running studies whose writer is known to be dead become 'interrupted' (Notebook calls this
    // on a read-write open). Returns their ids.
    std::vector<std::int64_t> markDeadWritersInterrupted();

private:
    bool tablesExist() const;
    void requireStudyExists(std::int64_t studyId) const;
};

} // namespace tempo::notebook
