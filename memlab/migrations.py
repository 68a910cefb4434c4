"""The schema, as an append-only list of named sqlite-utils migrations.

Each step is recorded in ``_sqlite_migrations`` when it is applied. Never edit or reorder a
step that has shipped: add a new one. The number of applied steps is the schema version.
Each step runs its SQL frozen in ``memlab/schema/<name>.sql`` (hashed by the tests), never SQL
built from live definitions elsewhere, so a step does the same on every database whatever
later code changes. 001's file holds the FTS5 table and triggers as sqlite-utils' enable_fts
wrote them, so its search conventions (``sqlite-utils search``, Datasette) hold.
"""

from __future__ import annotations

import sqlite3
from importlib import resources
from typing import Iterator

from sqlite_utils import Database, Migrations

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


def frozen(name: str) -> str:
    """The SQL of the shipped step ``name``, as frozen in ``memlab/schema/<name>.sql``."""
    return resources.files("memlab").joinpath("schema", f"{name}.sql").read_text(encoding="utf-8")


def known_names() -> list[str]:
    """Every migration this memlab knows, in order."""
    return [m.name for m in migrations._migrations]


@migrations(name="001_initial_schema")
def initial_schema(db: Database) -> None:
    """memlab's tables, the FTS5 index on messages with its triggers, and the two views."""
    run_script(db, frozen("001_initial_schema"))


@migrations(name="002_search_index")
def search_index(db: Database) -> None:
    """The search index's tables beside FTS5 (see memlab.search.index)."""
    run_script(db, frozen("002_search_index"))


@migrations(name="003_analytics_rollups")
def analytics_rollups(db: Database) -> None:
    """Hourly cost and per-metric totals kept by triggers, and metric values in index order
    (see memlab.analytics.rollups), filled from the rows already stored."""
    run_script(db, frozen("003_analytics_rollups"))


@migrations(name="004_import_state")
def import_state(db: Database) -> None:
    """What importers (memlab.imports) remember between runs: how far each source file was
    read, and the source's own ids already stored, so a re-run adds only what is new."""
    run_script(db, frozen("004_import_state"))


@migrations(name="005_search_blocks")
def search_blocks(db: Database) -> None:
    """The record of messages deleted or rewritten since the search index's last refresh. Until
    006 this step also made per-block score bounds and built the index; 006 drops those bounds."""
    run_script(db, frozen("005_search_blocks"))


@migrations(name="006_search_postings")
def search_postings(db: Database) -> None:
    """Each term's messages and frequencies beside FTS5, each message's length, conversation and
    role, and indexes to list a user's or project's conversations (see memlab.search.postings).
    Until now this step also built the index from the stored messages; that derived data is
    (re)built by a later step."""
    run_script(db, frozen("006_search_postings"))


@migrations(name="007_search_change_log")
def search_change_log(db: Database) -> None:
    """The search side index dropped and made afresh (its earlier layouts drifted), kept current
    from a change log that triggers write, whatever ids messages get; then built from the
    messages (see memlab.search.index)."""
    from .search import index

    run_script(db, frozen("007_search_change_log"))
    filled = db.execute("SELECT EXISTS (SELECT 1 FROM messages)").fetchone()[0]
    index.build(db.conn, progress=None if filled else False)  # a bar on a terminal for a long upgrade


@migrations(name="008_import_sources")
def import_sources(db: Database) -> None:
    """Import read positions keyed by the file (a hash of its resolved path), with a hash of its
    first bytes to tell a rewrite (see memlab.imports.ledger): ``import_files`` keyed them by the
    name relative to the import root, so two files of one name shared a position. Its rows are
    taken once each by the ledger, then deleted."""
    run_script(db, frozen("008_import_sources"))


@migrations(name="009_message_vectors")
def message_vectors(db: Database) -> None:
    """Each message's embedding for semantic recall, deleted with its message (see
    memlab.recall.vectors); filled by ``memlab embed``, never at write time."""
    run_script(db, frozen("009_message_vectors"))

