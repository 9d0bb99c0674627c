-- TEMPO Lab notebook, schema version 1.
-- Applied inside one transaction by core/notebook/migrations.cpp, which then sets
-- PRAGMA user_version = 1. Times are ISO-8601 UTC text ("2026-11-28T09:30:00.123Z").
-- JSON columns hold objects exactly as the engine wrote them.

-- A model folder as it was when a run used it; the hashes tell two copies of a folder apart.
CREATE TABLE models (
    id               INTEGER PRIMARY KEY,
    folder           TEXT NOT NULL,
    name             TEXT NOT NULL,
    weights_sha256   TEXT NOT NULL,
    tokenizer_sha256 TEXT NOT NULL,
    config_json      TEXT NOT NULL DEFAULT '{}',
    UNIQUE (folder, weights_sha256, tokenizer_sha256)
);

-- Experiment presets as they were when runs used them (the live copies are JSON files).
CREATE TABLE presets (
    id          TEXT PRIMARY KEY,          -- "1a", "2", or a user preset's id
    name        TEXT NOT NULL DEFAULT '',
    config_json TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    uuid             TEXT NOT NULL UNIQUE,  -- stable across notebooks: import/merge dedupe on it
    preset_id        TEXT NOT NULL DEFAULT '',
    config_json      TEXT NOT NULL DEFAULT '{}',
    model_id         INTEGER REFERENCES models(id) ON DELETE SET NULL,
    status           TEXT NOT NULL DEFAULT 'running'
                     CHECK (status IN ('running', 'finished', 'failed', 'cancelled', 'interrupted')),
    device           TEXT NOT NULL DEFAULT '',
    dtype            TEXT NOT NULL DEFAULT '',
    threads          INTEGER NOT NULL DEFAULT 0,
    libtorch_version TEXT NOT NULL DEFAULT '',
    app_version      TEXT NOT NULL DEFAULT '',
    git_commit       TEXT NOT NULL DEFAULT '',
    started_at       TEXT NOT NULL,
    ended_at         TEXT,
    prompt           TEXT NOT NULL DEFAULT '',
    generated_text   TEXT NOT NULL DEFAULT '',
    error_text       TEXT NOT NULL DEFAULT '',
    timings_json     TEXT NOT NULL DEFAULT '{}',
    -- Who writes a running run: on open, a running run whose writer process is gone (same host,
    -- pid not alive or alive with another start token) becomes 'interrupted'.
    writer_host      TEXT NOT NULL DEFAULT '',
    writer_pid       INTEGER NOT NULL DEFAULT 0,
    writer_token     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_start ON runs (started_at, id);
CREATE INDEX runs_by_status ON runs (status);
CREATE INDEX runs_by_model ON runs (model_id);

-- One decoding step: the parallel set fed at one logical position.
CREATE TABLE steps (
    id               INTEGER PRIMARY KEY,
    run_id           INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step             INTEGER NOT NULL,
    logical_position INTEGER NOT NULL,
    elapsed_ms       REAL NOT NULL DEFAULT 0,
    UNIQUE (run_id, step)
);

-- Members of a step's parallel set, in selection order (probability descending).
CREATE TABLE step_members (
    step_id       INTEGER NOT NULL REFERENCES steps(id) ON DELETE CASCADE,
    member        INTEGER NOT NULL,        -- 0-based order inside the set
    token_id      INTEGER NOT NULL,
    token_text    TEXT NOT NULL DEFAULT '',
    probability   REAL NOT NULL,
    physical_slot INTEGER NOT NULL,        -- KV cache index
    PRIMARY KEY (step_id, member)
) WITHOUT ROWID;

-- Mechanism checks of DESIGN.md section 1 (greedy equivalence, sibling attention, ...).
CREATE TABLE checks (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    passed  INTEGER NOT NULL CHECK (passed IN (0, 1)),
    value   REAL,
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX checks_by_run ON checks (run_id);

-- Named numbers per run, optionally per step, layer and head.
CREATE TABLE metrics (
    id     INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    value  REAL,
    step   INTEGER,
    layer  INTEGER,
    head   INTEGER
);
CREATE INDEX metrics_by_run ON metrics (run_id, name);

-- Captured tensors as typed blobs. data holds byte_size bytes = product(shape) * sizeof(dtype)
-- when compression is 'none'.
CREATE TABLE tensors (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    step        INTEGER,
    dtype       TEXT NOT NULL CHECK (dtype IN ('f32', 'bf16', 'f16', 'i64')),
    shape_json  TEXT NOT NULL,             -- e.g. "[2,8,16]"
    byte_order  TEXT NOT NULL DEFAULT 'le' CHECK (byte_order IN ('le')),
    compression TEXT NOT NULL DEFAULT 'none' CHECK (compression IN ('none')),
    byte_size   INTEGER NOT NULL,
    data        BLOB NOT NULL
);
CREATE INDEX tensors_by_run ON tensors (run_id, step);

CREATE TABLE notes (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    markdown   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    edited_at  TEXT NOT NULL
);
CREATE INDEX notes_by_run ON notes (run_id);

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE run_tags (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (run_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX run_tags_by_tag ON run_tags (tag_id, run_id);

-- Runs that belong together, e.g. kind 'mode-pair': the isolated and visible runs of preset 2.
CREATE TABLE run_groups (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    comparison_json TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL
);

CREATE TABLE run_group_members (
    group_id INTEGER NOT NULL REFERENCES run_groups(id) ON DELETE CASCADE,
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (group_id, run_id)
) WITHOUT ROWID;
CREATE INDEX run_group_members_by_run ON run_group_members (run_id);

-- Findings reports: Markdown plus the chart images it refers to by name.
CREATE TABLE reports (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    group_id   INTEGER REFERENCES run_groups(id) ON DELETE CASCADE,
    title      TEXT NOT NULL DEFAULT '',
    markdown   TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reports_by_run ON reports (run_id);
CREATE INDEX reports_by_group ON reports (group_id);

CREATE TABLE report_images (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    png       BLOB NOT NULL,
    PRIMARY KEY (report_id, name)
) WITHOUT ROWID;

-- Full-text search over prompts, generated text, notes and tags; rowid = runs.id.
-- Kept in step with its sources by the triggers below, so every writer (the app, the CLI,
-- import and merge) keeps it right without knowing it exists.
CREATE VIRTUAL TABLE run_search USING fts5 (prompt, generated_text, notes, tags, tokenize = 'unicode61');

CREATE TRIGGER runs_search_insert AFTER INSERT ON runs BEGIN
    INSERT INTO run_search (rowid, prompt, generated_text, notes, tags)
    VALUES (new.id, new.prompt, new.generated_text, '', '');
END;
CREATE TRIGGER runs_search_update AFTER UPDATE OF prompt, generated_text ON runs BEGIN
    UPDATE run_search SET prompt = new.prompt, generated_text = new.generated_text WHERE rowid = new.id;
END;
CREATE TRIGGER runs_search_delete AFTER DELETE ON runs BEGIN
    DELETE FROM run_search WHERE rowid = old.id;
END;

CREATE TRIGGER notes_search_insert AFTER INSERT ON notes BEGIN
    UPDATE run_search SET notes = (SELECT coalesce(group_concat(markdown, ' '), '') FROM notes WHERE run_id = new.run_id)
    WHERE rowid = new.run_id;
END;
CREATE TRIGGER notes_search_update AFTER UPDATE OF markdown ON notes BEGIN
    UPDATE run_search SET notes = (SELECT coalesce(group_concat(markdown, ' '), '') FROM notes WHERE run_id = new.run_id)
    WHERE rowid = new.run_id;
END;
CREATE TRIGGER notes_search_delete AFTER DELETE ON notes BEGIN
    UPDATE run_search SET notes = (SELECT coalesce(group_concat(markdown, ' '), '') FROM notes WHERE run_id = old.run_id)
    WHERE rowid = old.run_id;
END;

CREATE TRIGGER run_tags_search_insert AFTER INSERT ON run_tags BEGIN
    UPDATE run_search SET tags = (SELECT coalesce(group_concat(t.name, ' '), '') FROM run_tags rt
                                  JOIN tags t ON t.id = rt.tag_id WHERE rt.run_id = new.run_id)
    WHERE rowid = new.run_id;
END;
CREATE TRIGGER run_tags_search_delete AFTER DELETE ON run_tags BEGIN
    UPDATE run_search SET tags = (SELECT coalesce(group_concat(t.name, ' '), '') FROM run_tags rt
                                  JOIN tags t ON t.id = rt.tag_id WHERE rt.run_id = old.run_id)
    WHERE rowid = old.run_id;
END;
