-- Migration 002_search_index, frozen as it ships: never edit this file (tests/test_migrations.py
-- checks its hash); change the schema with a new step.
-- The search index's tables beside FTS5 (memlab.search.index).

CREATE TABLE search_terms (
    term TEXT PRIMARY KEY,
    docs INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE search_top (
    term       TEXT NOT NULL,
    impact     REAL NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (term, impact, message_id)
) WITHOUT ROWID;
CREATE TABLE search_days (
    day      TEXT PRIMARY KEY,
    first_id INTEGER NOT NULL,
    last_id  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE search_state (
    key   TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;
