-- Migration 005_search_blocks, frozen as it ships: never edit this file (tests/test_migrations.py
-- checks its hash); change the schema with a new step.
-- The record of messages deleted or rewritten since the search index's last refresh.

-- Indexed messages deleted or rewritten since the last refresh, with the text the index counted,
-- so the next refresh takes their words out of the counts (and folds a rewritten one in again).
CREATE TABLE search_removed (
    message_id INTEGER NOT NULL,
    content    TEXT NOT NULL
);

CREATE TRIGGER search_removed_ad AFTER DELETE ON messages
WHEN old.id <= (SELECT value FROM search_state WHERE key = 'watermark')
BEGIN
    INSERT INTO search_removed (message_id, content) VALUES (old.id, old.content);
END;

CREATE TRIGGER search_removed_au AFTER UPDATE OF content ON messages
WHEN old.id <= (SELECT value FROM search_state WHERE key = 'watermark') AND new.content IS NOT old.content
BEGIN
    INSERT INTO search_removed (message_id, content) VALUES (old.id, old.content);
END;
