"""Archives: move whole old sessions into one database file per month beside the live file
(``memlab.db`` -> ``memlab-archive-2026-01.db``), and attach those files on request so search
and analytics can include them while the live file stays small.

    report = archive_sessions(db, before="2026-01-01")          # or dry_run=True for counts
    with attach_archives(db) as schemas:                       # ["archive_2025_11", ...]
        db.query(f"SELECT COUNT(*) AS n FROM ({across('messages', schemas)})")

A session moves with everything that belongs to it (conversations, messages, interactions,
routing decisions, costs, handoffs, metrics). Sessions linked to each other (a handoff, an
interaction naming another session's conversation, a cost naming another session's
interaction) move together or not at all, into the period of the latest of them.

Rows keep their integer ids where the archive has them free. SQLite hands the ids of deleted
newest rows out again, so a later batch into a month's file can bring ids the file already
holds: those rows get new ids there, and the integer references to them move along (as do
messages that would land below what the archive's search index has already read).
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from . import validation as v
from .errors import DatabaseFileError, MemlabError, ValidationError
from .migrations import TABLES, VIEWS

# Statuses a session must have to be archived: finished work only.
ARCHIVE_STATUSES = ("completed", "archived")

_IDS = "(SELECT value FROM json_each(:ids))"
# Rows that belong to the sessions in :ids, per table, parents first. {s} is a fixed schema name.
SESSION_ROWS: dict[str, str] = {
    "sessions": f"session_id IN {_IDS}",
    "conversations": f"session_id IN {_IDS}",
    "messages": f"conversation_id IN (SELECT conversation_id FROM {{s}}.conversations WHERE session_id IN {_IDS})",
    "agent_interactions": f"session_id IN {_IDS}",
    "routing_decisions": f"session_id IN {_IDS}",
    "cost_tracking": f"session_id IN {_IDS}",
    "session_handoffs": f"from_session_id IN {_IDS}",
    "memory_metrics": f"session_id IN {_IDS}",
}

# Columns holding another table's integer id (every such foreign key of the tables above):
# when a row gets a new id in the archive, these follow it.
ID_REFERENCES: dict[tuple[str, str], str] = {("cost_tracking", "agent_interaction_id"): "agent_interactions"}

# Old id -> new id of the rows whose id the archive already uses, per table, for one copy.
_NEW_IDS = """
CREATE TEMP TABLE IF NOT EXISTS memlab_archive_ids (
    tbl    TEXT NOT NULL,
    old_id INTEGER NOT NULL,
    new_id INTEGER NOT NULL,
    PRIMARY KEY (tbl, old_id)
) WITHOUT ROWID
"""
_NEW_ID_OF = "(SELECT new_id FROM temp.memlab_archive_ids WHERE tbl = :{param} AND old_id = l.{column})"

# When a session was last active: its heartbeat or its newest message, interaction or cost.
_LAST_ACTIVITY = """
SELECT s.session_id AS session_id, s.status AS status, max(
    s.last_active_at,
    coalesce((SELECT max(m.created_at) FROM conversations c JOIN messages m ON m.conversation_id = c.conversation_id
              WHERE c.session_id = s.session_id), ''),
    coalesce((SELECT max(coalesce(i.completed_at, i.started_at)) FROM agent_interactions i
              WHERE i.session_id = s.session_id), ''),
    coalesce((SELECT max(k.created_at) FROM cost_tracking k WHERE k.session_id = s.session_id), '')
) AS last_activity
FROM sessions s
"""

# Pairs of sessions whose rows refer to each other: they must stay in one file.
_LINKS = """
SELECT from_session_id AS a, to_session_id AS b FROM session_handoffs WHERE to_session_id IS NOT NULL
UNION SELECT i.session_id, c.session_id FROM agent_interactions i
      JOIN conversations c ON c.conversation_id = i.conversation_id WHERE c.session_id != i.session_id
UNION SELECT r.session_id, c.session_id FROM routing_decisions r
      JOIN conversations c ON c.conversation_id = r.conversation_id WHERE c.session_id != r.session_id
UNION SELECT k.session_id, i.session_id FROM cost_tracking k
      JOIN agent_interactions i ON i.id = k.agent_interaction_id WHERE i.session_id != k.session_id
"""

_ARCHIVE_NAME = re.compile(r"-archive-(\d{4}-\d{2})$")


@dataclass
class PeriodReport:
    """What one period's archive received (or, in a dry run, would receive)."""

    period: str  # "2026-01": the month of the sessions' last activity
    file: str  # the archive file's name (beside the live file)
    sessions: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # per table

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def archive_path(db: Any, period: str) -> Path:
    """The archive file for ``period`` ("YYYY-MM"): beside the live file, named after it."""
    if db.path is None:
        raise ValidationError("an in-memory database has no folder to keep archives in")
    if not re.fullmatch(r"\d{4}-\d{2}", period):
        raise ValidationError(f"period must look like 2026-01; got {period!r}")
    return db.path.with_name(f"{db.path.stem}-archive-{period}{db.path.suffix or '.db'}")


def archive_files(db: Any) -> dict[str, Path]:
    """The archive files beside the live file, by period, oldest first."""
    if db.path is None:
        return {}
    suffix = db.path.suffix or ".db"
    found = {}
    for candidate in db.path.parent.glob(f"{glob_escape(db.path.stem)}-archive-*{suffix}"):
        match = _ARCHIVE_NAME.search(candidate.name[: len(candidate.name) - len(suffix)])
        if match and candidate.name == archive_path(db, match.group(1)).name:
            found[match.group(1)] = candidate
    return dict(sorted(found.items()))


def glob_escape(text: str) -> str:
    """``text`` with glob's special characters made literal."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _groups(db: Any, before: str, statuses: Sequence[str]) -> dict[str, list[str]]:
    """Session ids to archive, by period: whole linked groups whose every member is due."""
    activity = {r["session_id"]: r for r in db.query(_LAST_ACTIVITY)}
    parent = {sid: sid for sid in activity}

    def root(sid: str) -> str:
        while parent[sid] != sid:
            parent[sid] = parent[parent[sid]]
            sid = parent[sid]
        return sid

    for link in db.query(_LINKS):
        if link["a"] in parent and link["b"] in parent:
            parent[root(link["a"])] = root(link["b"])
    members: dict[str, list[str]] = {}
    for sid in activity:
        members.setdefault(root(sid), []).append(sid)
    periods: dict[str, list[str]] = {}
    for group in members.values():
        rows = [activity[sid] for sid in group]
        if all(r["status"] in statuses and r["last_activity"] < before for r in rows):
            period = max(r["last_activity"] for r in rows)[:7]
            periods.setdefault(period, []).extend(sorted(group))
    return dict(sorted(periods.items()))


def _counts(conn: sqlite3.Connection, schema: str, ids: str) -> dict[str, int]:
    return {
        table: conn.execute(f"SELECT COUNT(*) FROM {schema}.{table} WHERE {where.format(s=schema)}",
                            {"ids": ids}).fetchone()[0]
        for table, where in SESSION_ROWS.items()
    }


def archive_sessions(
    db: Any,
    before: Any,
    *,
    dry_run: bool = False,
    statuses: Sequence[str] = ARCHIVE_STATUSES,
) -> list[PeriodReport]:
    """Move finished sessions last active before ``before`` into per-month archive files.

    For each period, in order: the live file is locked for writing, the rows are copied into
    the archive in one transaction (replacing any copy a failed earlier run left there) and
    counted there, and only when every table's count matches are they deleted from the live
    file in one transaction. A failure at any point leaves every row in at least one file;
    running again finishes the job. ``dry_run`` only counts.
    """
    import memlab

    cutoff = v.timestamp("before", before)
    for status in statuses:
        v.choice("status", status, ("active", "paused", "completed", "archived"))
    reports = []
    for period, sessions in _groups(db, cutoff, tuple(statuses)).items():
        report = PeriodReport(period, archive_path(db, period).name, sessions)
        ids = json.dumps(sessions)
        if dry_run:
            report.rows = _counts(db.conn, "main", ids)
            reports.append(report)
            continue
        path = archive_path(db, period)
        step = "opening it"
        try:
            with memlab.open(path, clock=db.clock) as archive:
                step = "checking its tables"
                _same_columns(db, archive)
                step = "attaching the live file to it"
                archive.execute("ATTACH DATABASE ? AS live", (str(db.path),))
                try:
                    step = "locking the live file"
                    with db.transaction():  # no live writer can touch these sessions meanwhile
                        report.rows = _counts(db.conn, "main", ids)
                        step = f"copying {len(sessions)} session(s) into it"
                        _copy(archive.conn, ids, report.rows, report.file)
                        step = "deleting the sessions it received from the live file"
                        _delete(db.conn, ids, report.rows)
                finally:
                    archive.execute("DETACH DATABASE live")
        except (sqlite3.Error, DatabaseFileError) as e:
            raise _failed(path, step, e) from e
        reports.append(report)
    return reports


def _failed(path: Path, step: str, error: Exception) -> MemlabError:
    """A raw SQLite error (or a file's error) met at ``step`` of archiving into ``path``, as a
    memlab error naming both and where the rows are; a file-level one stays a DatabaseFileError."""
    kind = DatabaseFileError if isinstance(error, DatabaseFileError) else MemlabError
    where = ("the sessions are in both files: run again to finish" if step.startswith("deleting")
             else "nothing was moved")
    return kind(f"archive {str(path)!r}: {step} failed ({error}); {where}")


def _same_columns(db: Any, archive: Any) -> None:
    for table in SESSION_ROWS:
        ours = [r[1] for r in db.conn.execute(f"PRAGMA main.table_info({table})")]
        theirs = [r[1] for r in archive.conn.execute(f"PRAGMA main.table_info({table})")]
        if ours != theirs:
            raise DatabaseFileError(f"the archive's {table} table differs from the live one")


def _copy(conn: sqlite3.Connection, ids: str, expected: dict[str, int], name: str) -> None:
    """Copy the rows into the archive (the connection's main) and check the counts; commit."""
    conn.execute("BEGIN")  # deferred: only the archive is written; the live file is only read
    try:
        _refuse_other_sessions(conn, ids, name)
        for table in reversed(SESSION_ROWS):  # a failed earlier run's copy goes first
            conn.execute(f"DELETE FROM main.{table} WHERE {SESSION_ROWS[table].format(s='main')}", {"ids": ids})
        _number_taken_ids(conn, ids)
        for table, where in SESSION_ROWS.items():
            columns = [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]
            values, params = _values(table, columns)
            conn.execute(f"INSERT INTO main.{table} ({', '.join(map(_quoted, columns))})"
                         f" SELECT {', '.join(values)} FROM live.{table} AS l WHERE {where.format(s='live')}",
                         {"ids": ids, **params})
        conn.execute("DROP TABLE temp.memlab_archive_ids")
        copied = _counts(conn, "main", ids)
        if copied != expected:
            raise MemlabError(f"archive {name!r} received {copied} rows, expected {expected}: nothing was moved")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _refuse_other_sessions(conn: sqlite3.Connection, ids: str, name: str) -> None:
    """Stop if the archive holds another session under one of these ids (made, archived, and
    made again): the copy's first step would delete it. A failed earlier run's copy is the same
    session, so it was created at the same instant."""
    clash = conn.execute(
        "SELECT a.session_id, a.created_at FROM main.sessions a JOIN live.sessions l USING (session_id)"
        f" WHERE a.session_id IN {_IDS} AND a.created_at IS NOT l.created_at ORDER BY a.session_id LIMIT 1",
        {"ids": ids},
    ).fetchone()
    if clash:
        raise MemlabError(f"archive {name!r} already holds another session {clash[0]!r} (created {clash[1]}):"
                          " nothing was moved")


def _number_taken_ids(conn: sqlite3.Connection, ids: str) -> None:
    """Give each row whose id the archive already uses a new id past every id in either file
    (in the live order), recorded in temp.memlab_archive_ids. (The archive's search index logs
    copied messages whatever their ids: see memlab.search.index.)"""
    conn.execute(_NEW_IDS)
    conn.execute("DELETE FROM temp.memlab_archive_ids")
    for table, where in SESSION_ROWS.items():
        if table == "sessions":  # its key is the session id itself
            continue
        conn.execute(
            "INSERT INTO temp.memlab_archive_ids (tbl, old_id, new_id)"
            f" SELECT :table, l.id, max(coalesce((SELECT max(id) FROM main.{table}), 0),"
            f"                          coalesce((SELECT max(id) FROM live.{table}), 0))"
            "                       + row_number() OVER (ORDER BY l.id)"
            f" FROM live.{table} AS l WHERE {where.format(s='live')}"
            f"  AND l.id IN (SELECT id FROM main.{table})",
            {"ids": ids, "table": table},
        )


def _values(table: str, columns: list[str]) -> tuple[list[str], dict[str, str]]:
    """The SELECT list copying ``table``'s live rows (``l``): ids and integer references mapped."""
    values, params = [], {}
    for column in columns:
        target = table if column == "id" and table != "sessions" else ID_REFERENCES.get((table, column))
        if target is None:
            values.append(f"l.{_quoted(column)}")
        else:
            param = f"t{len(params)}"
            params[param] = target
            values.append(f"coalesce({_NEW_ID_OF.format(param=param, column=_quoted(column))}, l.{_quoted(column)})")
    return values, params


def _quoted(name: str) -> str:
    """A column name (read from the schema) as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _delete(conn: sqlite3.Connection, ids: str, expected: dict[str, int]) -> None:
    """Delete the archived rows from the live file (children first), checking each count."""
    for table in reversed(SESSION_ROWS):
        deleted = conn.execute(f"DELETE FROM main.{table} WHERE {SESSION_ROWS[table].format(s='main')}",
                               {"ids": ids}).rowcount
        if deleted != expected[table]:
            raise MemlabError(f"deleting archived {table} removed {deleted} rows, expected {expected[table]}")


@contextlib.contextmanager
def attach_archives(db: Any, periods: Sequence[str] | None = None) -> Iterator[list[str]]:
    """Attach the archive files beside ``db`` (all, or those of ``periods``) for the block.

    Yields their schema names (``archive_2026_01``, ...), to qualify tables in queries, e.g.
    ``archive_2026_01.messages_fts``, or to pass to ``across()``. Detaches them afterwards.
    """
    files = archive_files(db)
    if periods is not None:
        unknown = sorted(set(periods) - set(files))
        if unknown:
            raise ValidationError(f"no archive for {', '.join(unknown)}")
        files = {p: f for p, f in files.items() if p in periods}
    limit = db.conn.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)
    if len(files) > limit:
        raise ValidationError(f"{len(files)} archives found but SQLite attaches at most {limit} at once:"
                              " pass periods=[...]")
    names: list[str] = []
    try:
        for period, path in files.items():
            name = "archive_" + period.replace("-", "_")  # digits and _ only (checked by archive_files)
            db.execute(f"ATTACH DATABASE ? AS {name}", (str(path),))
            names.append(name)
        yield names
    finally:
        for name in reversed(names):
            db.execute(f"DETACH DATABASE {name}")


def across(table: str, schemas: Sequence[str]) -> str:
    """SQL for ``table`` (or a memlab view) in the live file and the attached archives, as one
    ``UNION ALL``: use it as a subquery, e.g. ``SELECT ... FROM ({across('cost_tracking', s)})``."""
    if table not in TABLES and table not in VIEWS:
        raise ValidationError(f"not a memlab table or view: {table!r}")
    for schema in schemas:
        if not re.fullmatch(r"archive_\d{4}_\d{2}", schema):
            raise ValidationError(f"not an attached archive schema: {schema!r}")
    return " UNION ALL ".join(f"SELECT * FROM {schema}.{table}" for schema in ("main", *schemas))
