-- 007: the search side index afresh, kept current from a change log instead of an id watermark.
-- The index is derived data: whatever layout 002, 005 and 006 left (it drifted as those steps'
-- definitions changed after they shipped) is dropped, and the step rebuilds it from the messages.
DROP TRIGGER IF EXISTS search_removed_ad;
DROP TRIGGER IF EXISTS search_removed_au;
DROP TRIGGER IF EXISTS search_scope_sessions;
DROP TRIGGER IF EXISTS search_scope_conversations;
DROP INDEX IF EXISTS search_sessions_user;
DROP INDEX IF EXISTS search_sessions_project;
DROP TABLE IF EXISTS search_terms;
DROP TABLE IF EXISTS search_top;
DROP TABLE IF EXISTS search_days;
DROP TABLE IF EXISTS search_state;
DROP TABLE IF EXISTS search_removed;
DROP TABLE IF EXISTS search_blocks;
DROP TABLE IF EXISTS search_postings;
DROP TABLE IF EXISTS search_messages;

-- Every term's number of indexed messages; ``least``: the least weight in its top list once the
-- list is full (a message not in the list weighs at most that).
CREATE TABLE search_terms (
    term  TEXT PRIMARY KEY,
    docs  INTEGER NOT NULL,
    least REAL
) WITHOUT ROWID;

-- Each common term's best messages by bm25's per-term weight (before idf).
CREATE TABLE search_top (
    term       TEXT NOT NULL,
    impact     REAL NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (term, impact, message_id)
) WITHOUT ROWID;

-- The ids of each day's indexed messages (created_at's date), for time windows.
CREATE TABLE search_days (
    day      TEXT PRIMARY KEY,
    first_id INTEGER NOT NULL,
    last_id  INTEGER NOT NULL
) WITHOUT ROWID;

-- Settings and counters: top_k, min_docs, generation (bumped when the index or a scope changes),
-- changes (bumped when an indexed message is deleted or rewritten), runs, list_avgdl.
CREATE TABLE search_state (
    key   TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;

-- Per term and per part of 2**16 message ids: the messages holding it (uint16 offsets, ascending)
-- and how often (uint8, 255 meaning 255 or more); ids NULL: a byte per offset (a dense term).
CREATE TABLE search_postings (
    term TEXT NOT NULL,
    part INTEGER NOT NULL,
    run  INTEGER NOT NULL,
    ids  BLOB,
    tfs  BLOB NOT NULL,
    PRIMARY KEY (term, part, run)
);

-- Per part, by offset: each indexed message's length in tokens, conversation (conversations.id,
-- uint32) and role (uint8); 0 where no message is indexed.
CREATE TABLE search_messages (
    part          INTEGER PRIMARY KEY,
    lengths       BLOB NOT NULL,
    conversations BLOB NOT NULL,
    roles         BLOB NOT NULL
);

-- A user's or project's conversations, read from the index alone.
CREATE INDEX search_sessions_user ON sessions (user_id, session_id);
CREATE INDEX search_sessions_project ON sessions (project_id, session_id);

-- The change log. Messages whose current text the index doesn't hold yet: added, rewritten or
-- moved since the last refresh (whatever their id: SQLite gives a deleted newest id out again).
CREATE TABLE search_pending (
    message_id INTEGER PRIMARY KEY
);

-- The text the index holds for messages deleted, rewritten or moved since the last refresh, so
-- searches leave their stale entries out and the refresh takes their words out of the counts.
CREATE TABLE search_removed (
    message_id INTEGER NOT NULL,
    content    TEXT NOT NULL
);

CREATE TRIGGER search_pending_ai AFTER INSERT ON messages
BEGIN
    INSERT OR IGNORE INTO search_pending (message_id) VALUES (new.id);
END;

CREATE TRIGGER search_removed_ad AFTER DELETE ON messages
BEGIN
    INSERT INTO search_removed (message_id, content)
    SELECT old.id, old.content WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE message_id = old.id);
    DELETE FROM search_pending WHERE message_id = old.id;
    UPDATE search_state SET value = value + 1 WHERE key = 'changes';
END;

CREATE TRIGGER search_removed_au AFTER UPDATE OF id, content, conversation_id, role ON messages
WHEN new.id IS NOT old.id OR new.content IS NOT old.content
  OR new.conversation_id IS NOT old.conversation_id OR new.role IS NOT old.role
BEGIN
    INSERT INTO search_removed (message_id, content)
    SELECT old.id, old.content WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE message_id = old.id);
    DELETE FROM search_pending WHERE message_id = old.id;
    INSERT OR IGNORE INTO search_pending (message_id) VALUES (new.id);
    UPDATE search_state SET value = value + 1 WHERE key = 'changes';
END;

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
