"""The lake: memlab's tables as columns for DuckDB and Parquet, one schema for both.

Each table is read from a memlab file by ``sql/duckdb/tables/<name>.sql`` (DuckDB's sqlite
scanner over the file, its path a parameter) and has exactly the columns and DuckDB types below, which is also the
Parquet schema of ``memlab export parquet`` (docs/parquet.md). ``source_db`` names the memlab
file a row came from: ids are unique only within one file, so joins match it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sqlfiles import read_sql

TEXT, INT, REAL, BOOL, TIME = "VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "TIMESTAMPTZ"


@dataclass(frozen=True)
class Table:
    """A lake table: its columns (name -> DuckDB type) and the time that picks its month."""

    name: str
    time: str
    columns: dict[str, str]

    def select(self) -> str:
        """The SELECT that reads this table from the memlab file at parameter ``$path``,
        naming it ``$source_db`` in every row."""
        return read_sql(f"duckdb/tables/{self.name}")

    def empty(self) -> str:
        """A SELECT of no rows with this table's columns and types (a table no file has)."""
        cols = ", ".join(f"CAST(NULL AS {kind}) AS {name}" for name, kind in self.columns.items())
        return f"SELECT {cols} WHERE false"


def _table(name: str, time: str, **columns: str) -> Table:
    return Table(name, time, {"source_db": TEXT, **columns})


TABLES: dict[str, Table] = {t.name: t for t in (
    _table("sessions", "created_at", session_id=TEXT, user_id=TEXT, project_id=TEXT, status=TEXT,
           created_at=TIME, last_active_at=TIME, metadata=TEXT),
    _table("conversations", "created_at", id=INT, conversation_id=TEXT, session_id=TEXT, title=TEXT,
           created_at=TIME, updated_at=TIME, metadata=TEXT),
    _table("messages", "created_at", id=INT, conversation_id=TEXT, session_id=TEXT, user_id=TEXT,
           project_id=TEXT, role=TEXT, content=TEXT, token_count=INT, is_summarized=BOOL, created_at=TIME,
           metadata=TEXT),
    _table("agent_interactions", "started_at", id=INT, session_id=TEXT, conversation_id=TEXT, agent_name=TEXT,
           task=TEXT, status=TEXT, started_at=TIME, completed_at=TIME, duration_ms=REAL, input_tokens=INT,
           output_tokens=INT, error=TEXT, metadata=TEXT),
    _table("routing_decisions", "created_at", id=INT, session_id=TEXT, conversation_id=TEXT, request=TEXT,
           selected_agent=TEXT, confidence=REAL, candidates=TEXT, reasoning=TEXT, outcome=TEXT,
           created_at=TIME),
    _table("cost_tracking", "created_at", id=INT, session_id=TEXT, agent_interaction_id=INT, model=TEXT,
           input_tokens=INT, output_tokens=INT, cache_read_tokens=INT, cache_write_tokens=INT, cost_usd=REAL,
           created_at=TIME, request_id=TEXT, metadata=TEXT),
    _table("user_preferences", "created_at", id=INT, user_id=TEXT, key=TEXT, value=TEXT, confidence=REAL,
           source=TEXT, created_at=TIME, updated_at=TIME),
    _table("learned_patterns", "first_seen_at", id=INT, pattern_type=TEXT, pattern_key=TEXT, data=TEXT,
           occurrence_count=INT, confidence=REAL, first_seen_at=TIME, last_seen_at=TIME),
    _table("session_handoffs", "created_at", id=INT, from_session_id=TEXT, to_session_id=TEXT, summary=TEXT,
           context=TEXT, created_at=TIME, resumed_at=TIME),
    _table("memory_metrics", "created_at", id=INT, metric_name=TEXT, value=REAL, unit=TEXT, session_id=TEXT,
           tags=TEXT, created_at=TIME),
)}
