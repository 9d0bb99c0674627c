-- Schema version 3: findings reports of a sweep (issue 7). A report belongs to a run, a run group
-- or a sweep; the sweep link lives in its own table so reports written before keep their rows as
-- they are.
CREATE TABLE report_sweeps (
    report_id INTEGER PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
    sweep_id  INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE
);
CREATE INDEX report_sweeps_by_sweep ON report_sweeps (sweep_id);
