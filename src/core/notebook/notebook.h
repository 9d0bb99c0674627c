#pragma once
// The notebook: one SQLite file (WAL) holding every run with its configuration, steps, checks,
// metrics, captured tensors, notes, tags, groups, reports and sweeps. Schema: db/*.sql.
//
// Writing a run (what `tempo-lab-cli run --notebook F` and the run worker do):
//     Notebook notebook(path);
//     RunRecord run; run.presetId = "1a"; run.prompt = ...; run.provenance = ...;
//     run.modelId = notebook.upsertModel(model);
//     std::int64_t runId = notebook.createRun(run);            // before the first forward
//     notebook.appendStep(runId, step, capturedTensors);        // each step, committed at once
//     notebook.recordChecks(runId, checks);  notebook.recordMetrics(runId, metrics);
//     notebook.finishRun(runId, RunStatus::Finished, text, timingsJson, "");
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

#include "core/notebook/records.h"

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
    // The underlying connection, for tests and tools (size limits, raw checks).
    Database& database() { return *db_; }

    // ---- models and presets
    // Returns the id of the model with the same folder and hashes, inserting it if new.
    std::int64_t upsertModel(const ModelRecord& model);
    std::optional<ModelRecord> model(std::int64_t modelId) const;
    void upsertPreset(const PresetRecord& preset);
    std::optional<PresetRecord> preset(const std::string& presetId) const;

    // ---- writing a run
    // Inserts the run (status as given, normally Running) and returns its id. Fills in a UUID and
    // a start time when empty. A running run records this process as its writer.
    std::int64_t createRun(const RunRecord& run);
    // Commits one step (its parallel set and the tensors captured at it) in one short transaction.
    // Tensors without a step get this step's index.
    void appendStep(std::int64_t runId, const StepRecord& step, const std::vector<TensorBlob>& tensors = {});
    void recordChecks(std::int64_t runId, const std::vector<CheckRecord>& checks);
    void recordMetrics(std::int64_t runId, const std::vector<MetricRecord>& metrics);
    // Tensors not tied to one step (or added after the run); returns their ids.
    std::vector<std::int64_t> addTensors(std::int64_t runId, const std::vector<TensorBlob>& tensors);
    void finishRun(std::int64_t runId, RunStatus status, const std::string& generatedText,
                   const std::string& timingsJson, const std::string& errorText);

    // ---- reading runs
    std::optional<RunRecord> run(std::int64_t runId) const;
    std::optional<std::int64_t> findRunByUuid(const std::string& uuid) const;
    // Accepts an integer id, a full UUID or a unique UUID prefix (at least 4 characters).
    // Throws InvalidArgument when nothing or more than one run matches.
    std::int64_t resolveRun(const std::string& idOrUuid) const;
    std::vector<RunSummary> listRuns(const RunQuery& query = {}) const;
    std::int64_t runCount() const;
    std::vector<StepRecord> steps(std::int64_t runId) const;
    std::vector<CheckRecord> checks(std::int64_t runId) const;
    std::vector<MetricRecord> metrics(std::int64_t runId) const;
    std::vector<TensorInfo> tensorInfos(std::int64_t runId) const;
    TensorBlob tensor(std::int64_t tensorId) const;

    // Removes the run with its steps, checks, metrics, tensors, notes, tags and reports, and
    // gives the freed pages back to the file system (incremental vacuum + passive checkpoint).
    void deleteRun(std::int64_t runId);

    // ---- notes and tags
    std::int64_t addNote(std::int64_t runId, const std::string& markdown);
    // Keeps the note's times when given (import and merge); empty times mean now.
    std::int64_t addNote(std::int64_t runId, const NoteRecord& note);
    void editNote(std::int64_t noteId, const std::string& markdown);
    void deleteNote(std::int64_t noteId);
    std::vector<NoteRecord> notes(std::int64_t runId) const;
    void addTag(std::int64_t runId, const std::string& tag);
    void removeTag(std::int64_t runId, const std::string& tag);
    std::vector<std::string> tags(std::int64_t runId) const; // sorted

    // ---- groups, reports, sweeps
    std::int64_t createGroup(const RunGroupRecord& group);
    std::optional<RunGroupRecord> group(std::int64_t groupId) const;
    std::optional<std::int64_t> findGroupByUuid(const std::string& uuid) const;
    std::vector<std::int64_t> groupsOfRun(std::int64_t runId) const;
    std::vector<std::int64_t> allGroups() const;

    std::int64_t addReport(const ReportRecord& report);
    std::optional<ReportRecord> report(std::int64_t reportId) const;
    std::vector<std::int64_t> reportsOfRun(std::int64_t runId) const;
    std::vector<std::int64_t> reportsOfGroup(std::int64_t groupId) const;
    std::vector<std::int64_t> reportsOfSweep(std::int64_t sweepId) const;

    std::int64_t createSweep(const SweepRecord& sweep);
    std::optional<SweepRecord> sweep(std::int64_t sweepId) const;
    std::optional<std::int64_t> findSweepByUuid(const std::string& uuid) const;
    std::vector<std::int64_t> allSweeps() const;
    void addRunToSweep(std::int64_t sweepId, std::int64_t runId, const std::string& pointJson);

private:
    void checkFileBeforeOpening() const;
    void verifyAndMigrate();
    void markDeadWritersInterrupted();
    void requireWritable(const char* operation) const;
    void requireRunExists(std::int64_t runId) const;
    void insertTensors(std::int64_t runId, const std::vector<TensorBlob>& tensors, std::optional<int> defaultStep,
                       std::vector<std::int64_t>* ids);

    std::string path_;
    OpenMode mode_;
    std::unique_ptr<Database> db_;
    std::vector<std::int64_t> interruptedOnOpen_;
};

} // namespace tempo::notebook
