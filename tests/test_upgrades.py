"""Upgrades from every earlier schema: a database written by the memlab of an earlier commit
(tests/fixtures/schemas/, see its README) opens, migrates, and then has a fresh database's
schema, its rows intact, sound indexes and FTS5's own search ranking."""

from __future__ import annotations

import gzip
import hashlib
import re
import sqlite3
from pathlib import Path

import pytest

import memlab
from memlab import migrations as schema
from memlab.search import Planner, Search

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "schemas").glob("*.db.gz"))
WORDS = ("error", "deploy", "cache", "test", "the", "database")

# Tables holding data derived from other tables: rebuilt by a migration, so their rows may change.
DERIVED = re.compile(r"^(search_|messages_fts|_sqlite_migrations$)")


def _name(fixture: Path) -> str:
    return fixture.name.removesuffix(".db.gz")


@pytest.fixture(params=FIXTURES, ids=_name)
def fixture_path(request, tmp_path) -> Path:
    """The fixture unpacked into tmp_path (the committed file is never opened)."""
    path = tmp_path / f"{_name(request.param)}.db"
    path.write_bytes(gzip.decompress(request.param.read_bytes()))
    return path


def _normalised(sql: str | None) -> str:
    """SQL text without comments, identifier quotes or layout: what it says, not how it is set out."""
    sql = re.sub(r"--[^\n]*", " ", sql or "")
    sql = re.sub(r'"(\w+)"', r"\1", sql)
    sql = re.sub(r"\s+", " ", sql)
    return re.sub(r"\s*([(),;=])\s*", r"\1", sql).strip()


def schema_of(conn: sqlite3.Connection) -> dict[str, dict]:
    """Every table, index, trigger and view: its SQL, and for a table its columns and foreign
    keys, for an index the columns it orders by (from SQLite, not the SQL text)."""
    out = {}
    for kind, name, table, sql in conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ):
        entry: dict = {"type": kind, "table": table, "sql": _normalised(sql)}
        if kind == "table":
            entry["columns"] = [row[1:] for row in conn.execute("SELECT * FROM pragma_table_xinfo(?)", (name,))]
            entry["foreign_keys"] = sorted(row[2:] for row in conn.execute(
                "SELECT * FROM pragma_foreign_key_list(?)", (name,)))
        elif kind == "index":
            entry["columns"] = [row[1:] for row in conn.execute("SELECT * FROM pragma_index_xinfo(?)", (name,))]
        out[name] = entry
    return out


def _base_tables(conn: sqlite3.Connection) -> list[str]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return sorted(n for n in names if not DERIVED.match(n))


def contents(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    """Each non-derived table's row count and a digest of its rows in rowid (or key) order."""
    out = {}
    for table in _base_tables(conn):
        columns = [r[1] for r in conn.execute("SELECT * FROM pragma_table_info(?)", (table,))]
        order = ", ".join(columns)  # every column: a total order for WITHOUT ROWID tables too
        digest = hashlib.sha256()
        count = 0
        for row in conn.execute(f"SELECT {order} FROM {table} ORDER BY {order}"):
            digest.update(repr(row).encode())
            count += 1
        out[table] = (count, digest.hexdigest())
    return out


def fts5_top(conn: sqlite3.Connection, word: str) -> list[tuple[int, float]]:
    """FTS5's own ranking: its top 10 by ``rank`` (bm25), ties newest first as memlab breaks them."""
    rows = conn.execute(
        "SELECT rowid, -bm25(messages_fts) FROM messages_fts WHERE messages_fts MATCH ?"
        " ORDER BY rank, rowid DESC LIMIT 10",
        (f'"{word}"',),
    )
    return [(rowid, round(score, 9)) for rowid, score in rows]


def test_there_is_a_fixture_for_every_step():
    """Some fixture stops at each step but the last (each step is upgraded across)."""
    stops = {_name(f).split("@")[0] for f in FIXTURES}
    assert {"001", "001-004", "001-005", "001-006"} <= stops


def test_upgrade_gives_a_fresh_databases_schema(fixture_path, tmp_path):
    with memlab.open(tmp_path / "fresh.db") as fresh:
        expected = schema_of(fresh.conn)
    with memlab.open(fixture_path) as db:
        upgraded = schema_of(db.conn)
    assert sorted(upgraded) == sorted(expected)
    for name, entry in expected.items():
        assert upgraded[name] == entry, name


def test_upgrade_applies_every_step_and_sets_the_version(fixture_path):
    with memlab.open(fixture_path) as db:
        assert sorted(db.applied_migrations()) == sorted(schema.known_names())
        assert db.pending_migrations() == []
        assert db.schema_version == len(schema.known_names())
        assert db.query_one("PRAGMA user_version")["user_version"] == db.schema_version


def test_upgrade_keeps_every_row(fixture_path):
    conn = sqlite3.connect(fixture_path)
    before = contents(conn)
    conn.close()
    with memlab.open(fixture_path) as db:
        after = contents(db.conn)
    assert {t: after[t] for t in before} == before


def test_upgraded_database_passes_sqlite_and_fts5_checks(fixture_path):
    with memlab.open(fixture_path) as db:
        assert [r[0] for r in db.conn.execute("PRAGMA integrity_check")] == ["ok"]
        db.conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
        assert db.integrity_check() == []  # and no foreign key points nowhere


def test_upgraded_rollups_equal_the_base_tables(fixture_path):
    with memlab.open(fixture_path) as db:
        assert db.query_one("SELECT sum(requests) AS n, sum(input_tokens) AS t FROM cost_hourly") == \
            db.query_one("SELECT count(*) AS n, sum(input_tokens) AS t FROM cost_tracking")
        assert db.query("SELECT metric_name, measurements FROM metric_totals ORDER BY metric_name") == \
            db.query("SELECT metric_name, count(*) AS measurements FROM memory_metrics GROUP BY 1 ORDER BY 1")


def test_upgraded_search_is_fts5s_ranking(fixture_path):
    with memlab.open(fixture_path) as db:
        assert any(fts5_top(db.conn, word) for word in WORDS)
        for word in WORDS:
            hits = [(h.message_id, round(h.score, 9)) for h in db.search(word)]
            assert hits == fts5_top(db.conn, word), word


def test_upgraded_side_index_ranks_as_fts5(fixture_path):
    """The same from memlab's own index: at a few hundred messages db.search leaves every word
    to FTS5, so this planner sends everything it can to the postings instead."""
    with memlab.open(fixture_path) as db:
        search = Search(db, Planner(fts5_limit=-1, match_limit=10**9, scope_limit=0))
        for word in WORDS:
            hits = [(h.message_id, round(h.score, 9)) for h in search.run(word)]
            assert hits == fts5_top(db.conn, word), word
