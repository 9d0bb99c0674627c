-- Schema version 4: a set member's probability may be NULL (issue 14). A run on weights that give
-- NaN logits still selects a member (selection falls back to token 0 or the argmax) whose
-- probability is NaN; SQLite stores a bound NaN as NULL, which the NOT NULL column refused, so the
-- run and its failed `finite` check were lost. NULL reads back as NaN (Notebook::steps).
-- SQLite cannot drop a NOT NULL constraint in place: the table is rebuilt with the same rows.
CREATE TABLE step_members_v4 (
    step_id       INTEGER NOT NULL REFERENCES steps(id) ON DELETE CASCADE,
    member        INTEGER NOT NULL,        -- 0-based order inside the set
    token_id      INTEGER NOT NULL,
    token_text    TEXT NOT NULL DEFAULT '',
    probability   REAL,                    -- NULL: not a number (non-finite logits)
    physical_slot INTEGER NOT NULL,        -- KV cache index
    PRIMARY KEY (step_id, member)
) WITHOUT ROWID;
INSERT INTO step_members_v4 (step_id, member, token_id, token_text, probability, physical_slot)
    SELECT step_id, member, token_id, token_text, probability, physical_slot FROM step_members;
DROP TABLE step_members;
ALTER TABLE step_members_v4 RENAME TO step_members;
