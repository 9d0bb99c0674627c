-- Schema version 3: findings reports of a sweep (issue 7). A report belongs to a run, a run group
-- or a sweep; existing reports keep sweep_id NULL.
ALTER TABLE reports ADD COLUMN sweep_id INTEGER REFERENCES sweeps(id) ON DELETE CASCADE;
CREATE INDEX reports_by_sweep ON reports (sweep_id);
