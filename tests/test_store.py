"""The store: opening, pragmas, schema, FTS sync, transactions and upkeep."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

import memlab
from memlab import migrations as schema
from memlab.store import PRAGMAS


def _insert_session(db, sid="s1"):
    db.execute(
        "INSERT INTO sessions (session_id, created_at, last_active_at) VALUES (?, ?, ?)",
        (sid, "2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:00.000000Z"),
    )


def _insert_conversation(db, cid="c1", sid="s1"):
    db.execute(
        "INSERT INTO conversations (conversation_id, session_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?)",
        (cid, sid, "2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:00.000000Z"),
    )


def _insert_message(db, content, cid="c1"):
    return db.execute(
        "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, 'user', ?, ?)",
        (cid, content, "2026-01-01T00:00:00.000000Z"),
    ).lastrowid


def _fts(db, query):
    return [r[0] for r in db.execute("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?", (query,))]


@pytest.mark.parametrize(
    "pragma, expected",
    [
        ("journal_mode", "wal"),
        ("foreign_keys", 1),
        ("synchronous", 1),  # NORMAL
        ("busy_timeout", 10_000),
        ("temp_store", 2),  # MEMORY
        ("recursive_triggers", 1),
        ("journal_size_limit", 64 * 1024 * 1024),
    ],
)
def test_pragmas_in_force(db, pragma, expected):
    assert db.execute(f"PRAGMA {pragma}").fetchone()[0] == expected


def test_every_pragma_is_tested():
    tested = {"journal_mode", "foreign_keys", "synchronous", "busy_timeout", "temp_store",
              "recursive_triggers", "journal_size_limit", "cache_size", "mmap_size"}
    assert {name for name, _ in PRAGMAS} <= tested


def test_cache_and_mmap_sizes(db):
    assert db.execute("PRAGMA cache_size").fetchone()[0] == -32_000
    assert db.execute("PRAGMA mmap_size").fetchone()[0] == 256 * 1024 * 1024


def test_all_tables_and_views_exist(db):
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")}
    assert set(schema.TABLES) <= names
    assert set(schema.VIEWS) <= names
    assert "messages_fts" in names


def test_default_path_is_env_then_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MEMLAB_DB", raising=False)
    with memlab.open() as db:
        assert db.path.resolve() == (tmp_path / "memlab.db").resolve()
    monkeypatch.setenv("MEMLAB_DB", str(tmp_path / "env.db"))
    with memlab.open() as db:
        assert db.path.name == "env.db"
    assert (tmp_path / "env.db").exists()


def test_in_memory_database_works():
    with memlab.open(":memory:") as db:
        _insert_session(db)
        assert db.count("sessions") == 1


def test_new_file_is_private(db_path):
    memlab.open(db_path).close()
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        _insert_conversation(db, sid="no-such-session")


def test_deleting_a_session_cascades(db):
    _insert_session(db)
    _insert_conversation(db)
    _insert_message(db, "hello there")
    db.execute("DELETE FROM sessions WHERE session_id = 's1'")
    assert db.count("conversations") == 0
    assert db.count("messages") == 0
    assert _fts(db, "hello") == []


def test_check_constraint_rejects_unknown_role(db):
    _insert_session(db)
    _insert_conversation(db)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO messages (conversation_id, role, content, created_at)"
            " VALUES ('c1', 'wizard', 'x', '2026-01-01')"
        )


def test_fts_follows_insert_update_delete(db):
    _insert_session(db)
    _insert_conversation(db)
    mid = _insert_message(db, "optimizing the query planner")
    assert _fts(db, "optimize") == [mid]  # porter stemming
    db.execute("UPDATE messages SET content = 'rewriting the parser' WHERE id = ?", (mid,))
    assert _fts(db, "optimize") == []
    assert _fts(db, "parser") == [mid]
    db.execute("DELETE FROM messages WHERE id = ?", (mid,))
    assert _fts(db, "parser") == []
    assert db.integrity_check() == []


def test_updating_other_columns_keeps_fts(db):
    _insert_session(db)
    _insert_conversation(db)
    mid = _insert_message(db, "vacuum the database")
    db.execute("UPDATE messages SET is_summarized = 1 WHERE id = ?", (mid,))
    assert _fts(db, "vacuum") == [mid]
    assert db.integrity_check() == []


def test_sqlite_utils_recognises_the_fts_table(db):
    _insert_session(db)
    _insert_conversation(db)
    _insert_message(db, "the router picked the architect agent")
    assert db.db["messages"].detect_fts() == "messages_fts"
    assert [r["content"] for r in db.db["messages"].search("architect")] == [
        "the router picked the architect agent"
    ]


def test_active_sessions_view_counts_without_fanout(db):
    _insert_session(db)
    _insert_conversation(db, "c1")
    _insert_conversation(db, "c2")
    for text in ("a", "b", "c"):
        _insert_message(db, text, "c1")
    for cost in (0.5, 0.25):
        db.execute(
            "INSERT INTO cost_tracking (session_id, model, cost_usd, created_at) VALUES ('s1', 'm', ?, '2026-01-01')",
            (cost,),
        )
    row = db.query_one("SELECT * FROM v_active_sessions WHERE session_id = 's1'")
    assert (row["conversation_count"], row["message_count"], row["total_cost_usd"]) == (2, 3, 0.75)


def test_schema_version_counts_applied_migrations(db):
    assert db.schema_version == len(schema.known_names())
    assert db.execute("PRAGMA user_version").fetchone()[0] == db.schema_version
    assert db.pending_migrations() == []


def test_migrate_is_idempotent(db_path):
    with memlab.open(db_path) as db:
        first = db.schema_version
        assert db.migrate() == []
    with memlab.open(db_path) as db:
        assert db.schema_version == first
        assert db.migrate() == []


def test_transaction_commits_and_rolls_back(db):
    with db.transaction():
        _insert_session(db, "kept")
    with pytest.raises(RuntimeError):
        with db.transaction():
            _insert_session(db, "lost")
            raise RuntimeError("boom")
    assert [r["session_id"] for r in db.query("SELECT session_id FROM sessions")] == ["kept"]


def test_nested_transaction_rolls_back_inner_only(db):
    with db.transaction():
        _insert_session(db, "outer")
        with pytest.raises(RuntimeError):
            with db.transaction():
                _insert_session(db, "inner")
                raise RuntimeError("boom")
    assert [r["session_id"] for r in db.query("SELECT session_id FROM sessions")] == ["outer"]


def test_transaction_takes_the_write_lock_up_front(db, db_path):
    other = sqlite3.connect(db_path, timeout=0)
    with db.transaction():
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.rollback()
    other.close()


def test_stats_report_counts_and_version(db):
    _insert_session(db)
    info = db.stats()
    assert info["journal_mode"] == "wal"
    assert info["tables"]["sessions"] == 1
    assert info["schema_version"] == db.schema_version
    assert info["size_bytes"] > 0 and info["page_count"] > 0


def test_backup_reopens_with_the_same_rows(db, tmp_path):
    _insert_session(db)
    _insert_conversation(db)
    _insert_message(db, "remember the backup")
    target = db.backup(tmp_path / "copy.db")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    with memlab.open(target) as copy:
        assert copy.stats()["tables"] == db.stats()["tables"]
        assert _fts(copy, "backup") == _fts(db, "backup")
        assert copy.integrity_check() == []


def test_backup_refuses_to_overwrite(db, tmp_path):
    (tmp_path / "exists.db").write_text("keep me")
    with pytest.raises(memlab.DatabaseFileError, match="already exists"):
        db.backup(tmp_path / "exists.db")
    assert (tmp_path / "exists.db").read_text() == "keep me"


def test_vacuum_keeps_rows(db, tmp_path):
    _insert_session(db)
    db.vacuum()
    db.vacuum(into=tmp_path / "compact.db")
    with memlab.open(tmp_path / "compact.db") as copy:
        assert copy.count("sessions") == 1


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(memlab.DatabaseFileError, match="not a SQLite database"):
        memlab.open(bad)
    assert bad.read_bytes().startswith(b"this is a text file")


def test_read_only_file_is_a_clear_error(db_path, monkeypatch):
    memlab.open(db_path).close()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    with pytest.raises(memlab.DatabaseFileError, match="read-only"):
        memlab.open(db_path)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(memlab.DatabaseFileError, match="folder"):
        memlab.open(tmp_path / "nope" / "memlab.db")


def test_database_from_a_newer_memlab_is_refused(db_path):
    with memlab.open(db_path) as db:
        db.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('memlab', '999_future', 'x')"
        )
    with pytest.raises(memlab.SchemaTooNewError, match="999_future"):
        memlab.open(db_path)


def test_error_messages_do_not_leak_the_folder(tmp_path):
    secret = tmp_path / "home-of-alice"
    secret.mkdir()
    bad = secret / "x.db"
    bad.write_bytes(b"garbage" * 200)
    with pytest.raises(memlab.DatabaseFileError) as info:
        memlab.open(bad)
    assert "home-of-alice" not in str(info.value)
