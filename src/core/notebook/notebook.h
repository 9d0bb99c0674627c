#pragma once
// The notebook: one SQLite file (WAL) holding every run with its configuration, steps, checks,
// metrics, captured tensors, notes, tags, groups, reports, sweeps and studies. Schema: db/*.sql.
// The Notebook opens the file (checks, migration, recovery) and owns the connection; one store
// per kind of record reads and writes it (runs(), steps(), checks(), ... below).
//
// Writing a run (what `tempo-lab-cli run --notebook F` and the run worker do):
//     Notebook notebook(path);
//     RunRecord run; run.presetId = "1a"; run.prompt = ...; run.provenance = ...;
//     run.modelId = notebook.models().upsert(model);
//     std::int64_t runId = notebook.runs().create(run);         // before the first forward
//     notebook.steps().append(runId, step, capturedTensors);     // each step, committed at once
//     notebook.checks().record(runId, checks);  notebook.metrics().record(runId, metrics);
//     notebook.runs().finish(runId, RunStatus::Finished, text, timingsJson, "");
// A process killed between any two calls leaves every committed step; the next read-write open
// marks the run `interrupted`.
//
// Threads: a Notebook is one SQLite connection; use it from one thread at a time. Readers on
// other threads open their own Notebook (ReadOnly) on the same file; WAL lets them read while
// the writer writes, and the busy timeout absorbs the short exclusive moments.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/notebook/checkstore.h"
#include "core/notebook/groupstore.h"
#include "core/notebook/metricstore.h"
#include "core/notebook/modelstore.h"
#include "core/notebook/notestore.h"
#include "core/notebook/presetstore.h"
#include "core/notebook/records.h"
#include "core/notebook/reportstore.h"
#include "core/notebook/runstore.h"
#include "core/notebook/stepstore.h"
#include "core/notebook/studystore.h"
#include "core/notebook/sweepstore.h"
#include "core/notebook/tagstore.h"
#include "core/notebook/tensorstore.h"

namespace tempo::notebook {

class Database;

enum class OpenMode {
    ReadWrite, // create if missing, migrate to the latest schema, recover interrupted runs
    ReadOnly,  // never writes: no migration, no recovery; the file must exist at the latest schema
    // ReadOnly that also creates nothing next to the file: no -wal or -shm (SQLite's immutable
    // open), so it works in a folder the user cannot write and leaves the folder as it was. For
    // short reads with no writer at work (tempo-lab-cli's reading commands). When a -wal file
    // exists (a writer has the notebook open, or one stopped before folding it in) it opens as
    // ReadOnly instead, so the commits in the WAL are read.
    ReadOnlyUntouched,
};

class Notebook {
public:
    // Opens or creates the notebook at `path`. Throws NotebookError with what was expected, what
    // was found and the path for: a file that is not SQLite, a SQLite file of another program, a
    // corrupt file, a schema newer than this build, a read-only file opened ReadWrite. The file
    // is never overwritten or truncated on the way.
    explicit Notebook(const std::string& path, OpenMode mode = OpenMode::ReadWrite);
    ~Notebook();
    Notebook(const Notebook&) = delete;
    Notebook& operator=(const Notebook&) = delete;

    // $XDG_DATA_HOME/tempo-lab/notebook.sqlite, or ~/.local/share/tempo-lab/notebook.sqlite.
    static std::string defaultPath();
    static int latestSchemaVersion();

    const std::string& path() const;
    bool isReadOnly() const { return mode_ != OpenMode::ReadWrite; }
    int schemaVersion() const;
    // Runs this open found `running` with a dead writer and marked `interrupted`.
    const std::vector<std::int64_t>& runsInterruptedOnOpen() const { return interruptedOnOpen_; }
    // Studies this open found `running` with a dead writer and marked `interrupted`.
    const std::vector<std::int64_t>& studiesInterruptedOnOpen() const { return studiesInterruptedOnOpen_; }
    // The underlying connection, for tests and tools (size limits, raw checks).
    Database& database() { return *db_; }

    // ---- the stores, one per kind of record, over this notebook's one connection. A store lives
    // as long as its Notebook; writing through a read-only notebook's store throws NotebookError.
    RunStore& runs();
    const RunStore& runs() const;
    StepStore& steps();
    const StepStore& steps() const;
    CheckStore& checks();
    const CheckStore& checks() const;
    MetricStore& metrics();
    const MetricStore& metrics() const;
    TensorStore& tensors();
    const TensorStore& tensors() const;
    ModelStore& models();
    const ModelStore& models() const;
    PresetStore& presets();
    const PresetStore& presets() const;
    NoteStore& notes();
    const NoteStore& notes() const;
    TagStore& tags();
    const TagStore& tags() const;
    GroupStore& groups();
    const GroupStore& groups() const;
    ReportStore& reports();
    const ReportStore& reports() const;
    SweepStore& sweeps();
    const SweepStore& sweeps() const;
    StudyStore& studies();
    const StudyStore& studies() const;

private:
    void checkFileBeforeOpening() const;
    void verifyAndMigrate();
    void markDeadWritersInterrupted();

    std::string path_;
    OpenMode mode_;
    std::unique_ptr<Database> db_;
    std::vector<std::int64_t> interruptedOnOpen_;
    std::vector<std::int64_t> studiesInterruptedOnOpen_;
    struct Stores;
    std::unique_ptr<Stores> stores_;
};

} // namespace tempo::notebook
