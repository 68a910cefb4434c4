-- Migration 009_message_vectors, frozen as it ships: never edit this file (tests/test_migrations.py
-- checks its hash); change the schema with a new step.
-- Each message's embedding for semantic recall (memlab.recall.vectors), deleted with its message.

CREATE TABLE message_vectors (
    seq        INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    model      TEXT NOT NULL,
    vector     BLOB NOT NULL
);
CREATE TABLE message_vectors_state (
    key   TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;
INSERT INTO message_vectors_state (key, value) VALUES ('removed', 0);

-- Also without PRAGMA foreign_keys (plain sqlite3 sessions): a message's vector goes with it.
CREATE TRIGGER message_vectors_message_ad AFTER DELETE ON messages BEGIN
    DELETE FROM message_vectors WHERE message_id = old.id;
END;
CREATE TRIGGER message_vectors_message_au AFTER UPDATE OF content ON messages
WHEN new.content IS NOT old.content BEGIN
    DELETE FROM message_vectors WHERE message_id = old.id;
END;
-- Readers keep vectors in memory: a removal tells them to read them all again.
CREATE TRIGGER message_vectors_ad AFTER DELETE ON message_vectors BEGIN
    UPDATE message_vectors_state SET value = value + 1 WHERE key = 'removed';
END;
