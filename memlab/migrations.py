"""The schema, as an append-only list of named sqlite-utils migrations.

Each step is recorded in ``_sqlite_migrations`` when it is applied. Never edit or reorder a
step that has shipped: add a new one. The number of applied steps is the schema version.
Table DDL is written as SQL because sqlite-utils' ``create()`` can't express CHECK
constraints or partial indexes; the FTS index is made by sqlite-utils so that its search
conventions (``sqlite-utils search``, Datasette) hold.
"""

from __future__ import annotations

import sqlite3
from typing import Iterator

from sqlite_utils import Database, Migrations

from .sqlfiles import read_sql

migrations = Migrations("memlab")

# The tables memlab owns, in dependency order (parents first). Identifiers used in SQL built
# by memlab come from fixed lists like this one, never from user input.
TABLES = (
    "sessions",
    "conversations",
    "messages",
    "agent_interactions",
    "routing_decisions",
    "cost_tracking",
    "user_preferences",
    "learned_patterns",
    "session_handoffs",
    "memory_metrics",
)

VIEWS = ("v_active_sessions", "v_daily_cost_by_model")

_JSON = "CHECK ({col} IS NULL OR json_valid({col}))"


def _json(col: str) -> str:
    return _JSON.format(col=col)


SCHEMA_V1 = f"""
CREATE TABLE sessions (
    session_id     TEXT PRIMARY KEY NOT NULL CHECK (length(session_id) > 0),
    user_id        TEXT,
    project_id     TEXT,
    status         TEXT NOT NULL DEFAULT 'active'
                   CHECK (status IN ('active', 'paused', 'completed', 'archived')),
    created_at     TEXT NOT NULL,
    last_active_at TEXT NOT NULL,
    metadata       TEXT {_json('metadata')}
);
CREATE INDEX idx_sessions_active ON sessions (user_id, last_active_at DESC)
    WHERE status = 'active';
CREATE INDEX idx_sessions_user ON sessions (user_id, created_at);
CREATE INDEX idx_sessions_project ON sessions (project_id, created_at);
CREATE INDEX idx_sessions_status_last_active ON sessions (status, last_active_at);

CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL UNIQUE CHECK (length(conversation_id) > 0),
    session_id      TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    title           TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    metadata        TEXT {_json('metadata')}
);
CREATE INDEX idx_conversations_session ON conversations (session_id, created_at);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (conversation_id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
    content         TEXT NOT NULL,
    token_count     INTEGER NOT NULL DEFAULT 0 CHECK (token_count >= 0),
    is_summarized   INTEGER NOT NULL DEFAULT 0 CHECK (is_summarized IN (0, 1)),
    created_at      TEXT NOT NULL,
    metadata        TEXT {_json('metadata')}
);
CREATE INDEX idx_messages_conversation ON messages (conversation_id, created_at);
CREATE INDEX idx_messages_recent ON messages (conversation_id, created_at DESC)
    WHERE is_summarized = 0;
CREATE INDEX idx_messages_summarized ON messages (created_at)
    WHERE is_summarized = 1;

CREATE TABLE agent_interactions (
    id              INTEGER PRIMARY KEY,
    session_id      TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    conversation_id TEXT REFERENCES conversations (conversation_id) ON DELETE SET NULL,
    agent_name      TEXT NOT NULL CHECK (length(agent_name) > 0),
    task            TEXT,
    status          TEXT NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'success', 'failure', 'timeout', 'cancelled')),
    started_at      TEXT NOT NULL,
    completed_at    TEXT,
    duration_ms     REAL CHECK (duration_ms IS NULL OR duration_ms >= 0),
    input_tokens    INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens   INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    error           TEXT,
    metadata        TEXT {_json('metadata')}
);
CREATE INDEX idx_agent_interactions_session ON agent_interactions (session_id, started_at);
CREATE INDEX idx_agent_interactions_conversation ON agent_interactions (conversation_id, started_at);
CREATE INDEX idx_agent_interactions_agent ON agent_interactions (agent_name, started_at);

CREATE TABLE routing_decisions (
    id              INTEGER PRIMARY KEY,
    session_id      TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    conversation_id TEXT REFERENCES conversations (conversation_id) ON DELETE SET NULL,
    request         TEXT NOT NULL,
    selected_agent  TEXT NOT NULL CHECK (length(selected_agent) > 0),
    confidence      REAL CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
    candidates      TEXT {_json('candidates')},
    reasoning       TEXT,
    outcome         TEXT CHECK (outcome IS NULL OR outcome IN ('success', 'failure', 'partial')),
    created_at      TEXT NOT NULL
);
CREATE INDEX idx_routing_decisions_session ON routing_decisions (session_id, created_at);
CREATE INDEX idx_routing_decisions_agent ON routing_decisions (selected_agent, created_at);

CREATE TABLE cost_tracking (
    id                   INTEGER PRIMARY KEY,
    session_id           TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    agent_interaction_id INTEGER REFERENCES agent_interactions (id) ON DELETE SET NULL,
    model                TEXT NOT NULL CHECK (length(model) > 0),
    input_tokens         INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens        INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    cache_read_tokens    INTEGER NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
    cache_write_tokens   INTEGER NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0),
    cost_usd             REAL CHECK (cost_usd IS NULL OR cost_usd >= 0),
    created_at           TEXT NOT NULL,
    request_id           TEXT UNIQUE,
    metadata             TEXT {_json('metadata')}
);
CREATE INDEX idx_cost_tracking_session ON cost_tracking (session_id, created_at);
CREATE INDEX idx_cost_tracking_interaction ON cost_tracking (agent_interaction_id);
CREATE INDEX idx_cost_tracking_created ON cost_tracking (created_at);

CREATE TABLE user_preferences (
    id         INTEGER PRIMARY KEY,
    user_id    TEXT NOT NULL CHECK (length(user_id) > 0),
    key        TEXT NOT NULL CHECK (length(key) > 0),
    value      TEXT {_json('value')},
    confidence REAL NOT NULL DEFAULT 1.0 CHECK (confidence >= 0 AND confidence <= 1),
    source     TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (user_id, key)
);

CREATE TABLE learned_patterns (
    id               INTEGER PRIMARY KEY,
    pattern_type     TEXT NOT NULL CHECK (length(pattern_type) > 0),
    pattern_key      TEXT NOT NULL CHECK (length(pattern_key) > 0),
    data             TEXT {_json('data')},
    occurrence_count INTEGER NOT NULL DEFAULT 1 CHECK (occurrence_count >= 0),
    confidence       REAL NOT NULL DEFAULT 0.5 CHECK (confidence >= 0 AND confidence <= 1),
    first_seen_at    TEXT NOT NULL,
    last_seen_at     TEXT NOT NULL,
    UNIQUE (pattern_type, pattern_key)
);
CREATE INDEX idx_learned_patterns_top ON learned_patterns (pattern_type, occurrence_count DESC);

CREATE TABLE session_handoffs (
    id              INTEGER PRIMARY KEY,
    from_session_id TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    to_session_id   TEXT REFERENCES sessions (session_id) ON DELETE SET NULL,
    summary         TEXT,
    context         TEXT {_json('context')},
    created_at      TEXT NOT NULL,
    resumed_at      TEXT
);
CREATE INDEX idx_session_handoffs_from ON session_handoffs (from_session_id, created_at);
CREATE INDEX idx_session_handoffs_to ON session_handoffs (to_session_id, created_at);

CREATE TABLE memory_metrics (
    id          INTEGER PRIMARY KEY,
    metric_name TEXT NOT NULL CHECK (length(metric_name) > 0),
    value       REAL NOT NULL,
    unit        TEXT,
    session_id  TEXT REFERENCES sessions (session_id) ON DELETE SET NULL,
    tags        TEXT {_json('tags')},
    created_at  TEXT NOT NULL
);
CREATE INDEX idx_memory_metrics_name ON memory_metrics (metric_name, created_at);
CREATE INDEX idx_memory_metrics_session ON memory_metrics (session_id);
"""

# sqlite-utils' update trigger re-indexes on any UPDATE; memlab updates is_summarized and
# metadata far more often than content, so re-index only when content changes.
_MESSAGES_AU = """
DROP TRIGGER messages_au;
CREATE TRIGGER messages_au AFTER UPDATE OF content ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
  INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
"""


def statements(script: str) -> Iterator[str]:
    """Split a script into complete statements, a line at a time.

    sqlite-utils' executescript tests completeness after every character (quadratic): it was
    most of the time it took to create a database.
    """
    buffer: list[str] = []
    for line in script.splitlines(keepends=True):
        buffer.append(line)
        candidate = "".join(buffer)
        if sqlite3.complete_statement(candidate):
            yield candidate.strip()
            buffer = []
    if "".join(buffer).strip():
        raise ValueError("incomplete SQL statement at the end of a migration script")


def run_script(db: Database, script: str) -> None:
    """Execute each statement of a script inside the migration's transaction."""
    for statement in statements(script):
        db.execute(statement)


@migrations(name="001_initial_schema")
def initial_schema(db: Database) -> None:
    run_script(db, SCHEMA_V1)
    db["messages"].enable_fts(["content"], tokenize="porter unicode61", create_triggers=True)
    run_script(db, _MESSAGES_AU)
    # Fewer, larger merges: measured 1.3x faster single-row inserts with the FTS trigger.
    db.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 16)")
    for view in VIEWS:
        run_script(db, read_sql(view))


def known_names() -> list[str]:
    """Every migration this memlab knows, in order."""
    return [m.name for m in migrations._migrations]


@migrations(name="002_search_index")
def search_index(db: Database) -> None:
    """The search index's tables beside FTS5 (see memlab.search_index); 005 builds it."""
    from . import search_index as index

    run_script(db, index.SCHEMA)


@migrations(name="003_analytics_rollups")
def analytics_rollups(db: Database) -> None:
    """Hourly cost and per-metric totals kept by triggers, and metric values in index order
    (see memlab.analytics.rollups), filled from the rows already stored."""
    from .analytics import rollups

    run_script(db, rollups.SCHEMA)
    run_script(db, rollups.BACKFILL)


# What importers (memlab.imports) remember between runs: how far each source file was read,
# and the source's own ids already stored (message uuids, tool-call ids), so a re-run adds only
# what is new even when a file was rewritten or its read position lost.
IMPORT_STATE = """
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
"""


@migrations(name="004_import_state")
def import_state(db: Database) -> None:
    run_script(db, IMPORT_STATE)


@migrations(name="005_search_blocks")
def search_blocks(db: Database) -> None:
    """The record of messages deleted or rewritten since the search index's last refresh (see
    memlab.search_index). Until 006 this step also made per-block score bounds and built the
    index; 006 drops those bounds (the postings answer what they did, faster) and builds."""
    from . import search_index as index

    run_script(db, index.REMOVALS_SCHEMA)


@migrations(name="006_search_postings")
def search_postings(db: Database) -> None:
    """Each term's messages and frequencies beside FTS5, each message's length and conversation,
    and indexes to list a user's or project's conversations (see memlab.search_postings), so
    searches of several words, prefixes and scoped searches are ranked exactly without FTS5's
    full ranking; then the index is (re)built from the messages already stored."""
    from . import search_index as index
    from . import search_postings as postings

    db.execute("DROP TABLE IF EXISTS search_blocks")
    run_script(db, index.LEAST_SCHEMA)
    run_script(db, postings.SCHEMA)
    filled = db.execute("SELECT EXISTS (SELECT 1 FROM messages)").fetchone()[0]
    index.build(db.conn, progress=None if filled else False)  # a bar on a terminal for a long upgrade


@migrations(name="009_message_vectors")
def message_vectors(db: Database) -> None:
    """Each message's embedding for semantic recall, deleted with its message (see
    memlab.recall.vectors); filled by ``memlab embed``, never at write time."""
    run_script(db, _MESSAGE_VECTORS)


_MESSAGE_VECTORS = """
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
"""
