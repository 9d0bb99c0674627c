-- Schema version 5: studies (issue 16). A study is the whole TEMPO investigation rerun as one
-- object: a model, a prompt suite, the presets and thresholds (spec_json, core/runrecord/
-- studyrecord.h), and the sweeps it made (one per preset, plus the artifact control's).

CREATE TABLE studies (
    id           INTEGER PRIMARY KEY,
    uuid         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL DEFAULT '',
    model_folder TEXT NOT NULL DEFAULT '',
    spec_json    TEXT NOT NULL DEFAULT '{}',
    status       TEXT NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'finished', 'cancelled', 'interrupted', 'failed', 'partial')),
    summary_json TEXT NOT NULL DEFAULT '{}',
    created_at   TEXT NOT NULL,
    finished_at  TEXT,
    -- Who runs a running study (as for runs): on open, a running study whose writer process is
    -- gone becomes 'interrupted' and `study resume` continues it.
    writer_host  TEXT NOT NULL DEFAULT '',
    writer_pid   INTEGER NOT NULL DEFAULT 0,
    writer_token TEXT NOT NULL DEFAULT ''
);

-- The sweeps of a study in the order it runs them; role 'control' marks the artifact control's.
CREATE TABLE study_sweeps (
    study_id  INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    sweep_id  INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    preset_id TEXT NOT NULL,
    role      TEXT NOT NULL CHECK (role IN ('tempo', 'control')),
    position  INTEGER NOT NULL,
    PRIMARY KEY (study_id, sweep_id)
) WITHOUT ROWID;
CREATE INDEX study_sweeps_by_sweep ON study_sweeps (sweep_id);

-- A study's findings reports, linked like report_sweeps.
CREATE TABLE report_studies (
    report_id INTEGER PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
    study_id  INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE
);
CREATE INDEX report_studies_by_study ON report_studies (study_id);
