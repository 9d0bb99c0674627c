#pragma once
// Moving runs between notebooks: how runs made on a GPU server or a cluster job come home.
// A transfer copies runs with everything they own (model row, preset row, steps, checks, metrics,
// tensors, notes, tags, reports), then the groups and sweeps among them, then the studies whose
// sweeps all came along (with their reports; a merge carries every study). Ids are remapped; run,
// group and sweep UUIDs stay, and a UUID already present in the destination is skipped with a
// message (so merging twice changes nothing). Each run is copied in one transaction: a failure
// leaves whole runs only, and running the transfer again completes it.
// A sweep whose UUID is already in the destination gains the source's runs it does not have yet:
// this is how the notebook shards of one sweep run as a cluster array job come back together.
// A point's "group_id" (sweep_runs.point_json) is rewritten to the group's destination id, and
// the run ids a group's comparison names ("isolated_run", "visible_run") to the runs' new ids.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tempo::notebook {

class Notebook;

struct TransferResult {
    int runsCopied = 0;
    int runsSkipped = 0; // already present (same UUID)
    int groupsCopied = 0;
    int groupsSkipped = 0;
    int sweepsCopied = 0;
    int sweepsSkipped = 0;
    int sweepsExtended = 0;                         // already present (same UUID), gained runs
    std::vector<std::int64_t> sweepsChanged;        // destination ids of sweeps created or extended
    int studiesCopied = 0;
    int studiesSkipped = 0;                         // already present (same UUID): sweeps linked only
    std::vector<std::string> messages;            // one line per skipped item or dropped member
    std::map<std::int64_t, std::int64_t> runIds; // source run id -> destination run id
    std::map<std::int64_t, std::int64_t> groupIds; // source group id -> destination group id
    std::map<std::int64_t, std::int64_t> sweepIds; // source sweep id -> destination sweep id
};

// Writes `runIds` to a new standalone notebook at `outPath` (with the groups and sweeps of `source`
// whose members are all among them). Refuses an existing `outPath`: nothing is ever overwritten.
TransferResult exportRuns(const Notebook& source, const std::vector<std::int64_t>& runIds, const std::string& outPath);
// Writes a group with all its member runs to a new standalone notebook.
TransferResult exportGroup(const Notebook& source, std::int64_t groupId, const std::string& outPath);
// Copies every run, group and sweep of the notebook at `sourcePath` (opened read-only) into
// `destination`. Import of an exported file and merge of a whole notebook are this one operation.
TransferResult mergeNotebook(Notebook& destination, const std::string& sourcePath);

} // namespace tempo::notebook
