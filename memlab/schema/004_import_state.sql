-- Migration 004_import_state, frozen as it ships: never edit this file (tests/test_migrations.py
-- checks its hash); change the schema with a new step.
-- What importers (memlab.imports) remember between runs: how far each source file was
-- read, and the source's own ids already stored.

CREATE TABLE import_files (
    importer    TEXT NOT NULL,
    path        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    byte_offset INTEGER NOT NULL,
    line_count  INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (importer, path)
) WITHOUT ROWID;

CREATE TABLE import_keys (
    importer TEXT NOT NULL,
    key      TEXT NOT NULL,
    value    TEXT,
    PRIMARY KEY (importer, key)
) WITHOUT ROWID;
