-- Migration 008_import_sources, frozen as it ships: never edit this file (tests/test_migrations.py
-- checks its hash); change the schema with a new step.
-- Import read positions keyed by the file (a hash of its resolved path) and checked by a hash of
-- its first bytes (memlab.imports.ledger).

CREATE TABLE import_sources (
    importer    TEXT NOT NULL,
    source      TEXT NOT NULL,
    name        TEXT NOT NULL,
    head_sha256 TEXT NOT NULL,
    head_length INTEGER NOT NULL CHECK (head_length >= 0),
    size        INTEGER NOT NULL,
    byte_offset INTEGER NOT NULL,
    line_count  INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (importer, source)
) WITHOUT ROWID;
