#pragma once
// Cluster fan-out of a sweep as a Slurm array job. writeSlurmArray() writes into a folder:
//   sweep.json    the manifest: the resolved preset, absolute model folder, device, dtype, threads,
//                 suite, thresholds, the sweep's UUID and the task count
//   sweep.sbatch  the array job: task i runs `tempo-lab-cli sweep --manifest sweep.json --slice i/N`
//                 into its own notebook shard, shards/shard-<i>.sqlite
//   merge.sh      merges every shard into one notebook (tempo-lab-cli merge), which reassembles the
//                 sweep (shards share its UUID) and recomputes its aggregate
// Slices are contiguous ranges of the sweep's fixed work-item order (see sweep.h), so the merged
// sweep holds exactly the points, runs and aggregate of the same sweep run on one machine.

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/experiment/sweep.h"

namespace tempo {

struct SlurmArrayOptions {
    int64_t tasks = 0;              // array size; 0 = one task per point; capped at the point count
    std::filesystem::path cliPath;  // tempo-lab-cli as the compute nodes see it (absolute)
};

struct SlurmArrayFiles {
    std::filesystem::path manifest;
    std::filesystem::path script;
    std::filesystem::path mergeScript;
    int64_t tasks = 0;
    int64_t points = 0;
    std::string sweepUuid;
};

// Writes the three files into `folder` (created when missing). Refuses a folder that already holds
// a sweep.json (nothing is overwritten) and a model folder without config.json.
SlurmArrayFiles writeSlurmArray(const SweepRequest& request, const std::filesystem::path& folder,
                                const SlurmArrayOptions& options);

// The request a manifest describes (slice 0/1; the caller sets the slice). Throws InvalidArgument
// naming the manifest and the field when it is not one writeSlurmArray() wrote.
SweepRequest readSweepManifest(const std::filesystem::path& manifest);

// `text` as one word for a POSIX shell ('...' with embedded quotes escaped).
std::string shellQuote(const std::string& text);

} // namespace tempo
