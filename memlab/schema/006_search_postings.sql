-- Migration 006_search_postings, frozen as it ships: never edit this file (tests/test_migrations.py
-- checks its hash); change the schema with a new step.
-- Postings and per-message lengths, conversations and roles beside FTS5, scope indexes
-- and triggers (memlab.search.postings); drops 005's first per-block bounds. The index
-- itself is derived data, built by a later step.

DROP TABLE IF EXISTS search_blocks;

-- 005 as first shipped (1ed863e) made those bounds and no record of removed messages: such a
-- database gets the record here, as 005 makes it now (a no-op where 005 already did).
CREATE TABLE IF NOT EXISTS search_removed (
    message_id INTEGER NOT NULL,
    content    TEXT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS search_removed_ad AFTER DELETE ON messages
WHEN old.id <= (SELECT value FROM search_state WHERE key = 'watermark')
BEGIN
    INSERT INTO search_removed (message_id, content) VALUES (old.id, old.content);
END;

ALTER TABLE search_terms ADD COLUMN least REAL;

-- Per term and per part of 2**16 message ids: the messages holding the term (uint16 offsets from
-- part * 65536, ascending, little-endian) and how often (uint8, 255 meaning 255 or more). ids is
-- NULL for a term in over a third of the part's messages: tfs then has a byte per offset (0: not
-- there), which is smaller and is read by offset. Each refresh adds a run (its messages only,
-- so it rewrites nothing); a term's runs in a part hold different messages and are merged into
-- one past MAX_RUNS.
CREATE TABLE search_postings (
    term TEXT NOT NULL,
    part INTEGER NOT NULL,
    run  INTEGER NOT NULL,
    ids  BLOB,
    tfs  BLOB NOT NULL,
    PRIMARY KEY (term, part, run)
);

-- Per part, by offset (0 where there is no message): each message's length in tokens as FTS5
-- counts it and its conversation's integer id (conversations.id), uint32 little-endian, and its
-- role (uint8: see ROLE_CODES), so a search inside a user, project, session, conversation or
-- role is a lookup, not a join per match.
CREATE TABLE search_messages (
    part          INTEGER PRIMARY KEY,
    lengths       BLOB NOT NULL,
    conversations BLOB NOT NULL,
    roles         BLOB NOT NULL
);

-- A user's or project's conversations, read from the index alone (no row lookup per session).
CREATE INDEX search_sessions_user ON sessions (user_id, session_id);
CREATE INDEX search_sessions_project ON sessions (project_id, session_id);

-- A conversation moved to another session, or a session given to another user or project,
-- changes which messages a scope holds: readers forget the scopes they remembered.
CREATE TRIGGER search_scope_sessions AFTER UPDATE OF user_id, project_id ON sessions
WHEN new.user_id IS NOT old.user_id OR new.project_id IS NOT old.project_id
BEGIN
    UPDATE search_state SET value = value + 1 WHERE key = 'generation';
END;

CREATE TRIGGER search_scope_conversations AFTER UPDATE OF session_id ON conversations
WHEN new.session_id IS NOT old.session_id
BEGIN
    UPDATE search_state SET value = value + 1 WHERE key = 'generation';
END;

-- A message moved to another conversation or given another role is taken out and indexed
-- again, like a rewritten one.
DROP TRIGGER IF EXISTS search_removed_au;
CREATE TRIGGER search_removed_au AFTER UPDATE OF content, conversation_id, role ON messages
WHEN old.id <= (SELECT value FROM search_state WHERE key = 'watermark')
 AND (new.content IS NOT old.content OR new.conversation_id IS NOT old.conversation_id OR new.role IS NOT old.role)
BEGIN
    INSERT INTO search_removed (message_id, content) VALUES (old.id, old.content);
END;
