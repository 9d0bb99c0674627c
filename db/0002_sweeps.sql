-- Schema version 2: parameter sweeps (a later issue fills them; the tables exist now so that
-- notebooks written today already carry them and can be merged with later ones).

-- A sweep: one base configuration and the axes varied over it (spec_json), with its runs.
CREATE TABLE sweeps (
    id         INTEGER PRIMARY KEY,
    uuid       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    spec_json  TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);

CREATE TABLE sweep_runs (
    sweep_id   INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    point_json TEXT NOT NULL DEFAULT '{}',  -- this run's values on the sweep's axes
    PRIMARY KEY (sweep_id, run_id)
) WITHOUT ROWID;
CREATE INDEX sweep_runs_by_run ON sweep_runs (run_id);
