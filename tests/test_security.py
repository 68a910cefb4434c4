"""Security: files are private whatever the umask, and no SQL is built from caller text.

The SQL check reads memlab's source: every f-string, ``.format()`` or ``+`` that puts a
non-constant part into text that looks like SQL must be on the allowlist below, with the
reason its value can only come from a fixed list. A new one fails this test until a reviewer
has checked it and added it here; an entry that no longer exists fails it too.
"""

from __future__ import annotations

import ast
import os
import re
import stat
from pathlib import Path

import pytest

import memlab
from memlab.archive import archive_files, archive_sessions

SOURCE = Path(memlab.__file__).parent
SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|PRAGMA|ATTACH|DETACH|SAVEPOINT|RELEASE|ROLLBACK|CREATE|DROP|ALTER|"
    r"VACUUM|WHERE|FROM|VALUES|MATCH|ORDER BY|GROUP BY|LIMIT)\b"
)

# (file, interpolated expression) -> why it can't carry caller text.
ALLOWED = {
    ("store.py", "pragma"): "PRAGMA names from the constant store.PRAGMAS",
    ("store.py", "value"): "PRAGMA values from the constant store.PRAGMAS",
    ("store.py", "len(applied)"): "an int",
    ("store.py", "name"): "savepoint names memlab_<counter>",
    ("store.py", "table"): "count() checks table against migrations.TABLES first",
    ("bench/write.py", "pragma"): "constant store.PRAGMAS",
    ("bench/write.py", "value"): "constant store.PRAGMAS",
    ("sessions.py", "assignments"): "column names from fixed keys in Sessions.update",
    ("messages.py", "summarized"): "one of two string literals",
    ("maintenance.py", "_IDLE"): "module constant",
    ("maintenance.py", "_OLD_SUMMARIZED"): "module constant",
    ("archive.py", "_IDS"): "module constant",
    ("archive.py", "table"): "keys of the constant archive.SESSION_ROWS (or TABLES/VIEWS, checked in across())",
    ("archive.py", "schema"): "'main'/'live' literals, or archive_YYYY_MM checked by regex in across()",
    ("archive.py", "name"): "archive_ + digits of a period matched by regex in archive_files()",
    ("archive.py", "where.format(s=schema)"): "constant SESSION_ROWS template, schema as above",
    ("archive.py", "where.format(s='live')"): "constant SESSION_ROWS template",
    ("archive.py", "SESSION_ROWS[table].format(s='main')"): "constant SESSION_ROWS template",
    ("archive.py", "', '.join(map(_quoted, columns))"):
        "column names from the archive's own schema (checked equal to the live one's), each quoted by _quoted",
    ("archive.py", "', '.join(values)"):
        "archive._values: those quoted column names and the constant _NEW_ID_OF; table names stay parameters",
    ("archive.py", "_NEW_ID_OF.format(param=param, column=_quoted(column))"):
        "constant template; param is t<counter>, column quoted by _quoted",
    ("search/engine.py", "q.format(**_BY_RANK)"): "module constants: the three _FTS5_* templates and the literal"
        " dict _BY_RANK, formatted once at import",
    ("search/engine.py", "q.format(**_TIED_NEWEST_FIRST)"): "module constants: the three _FTS5_* templates and the"
        " literal dict _TIED_NEWEST_FIRST, formatted once at import",
    ("search/engine.py", "within.format(conditions=' AND '.join((CONDITIONS[name] for name in given)))"):
        "constant conditions from engine.CONDITIONS joined by ' AND ', picked by fixed filter names; values stay"
        " parameters",
    ("search/engine.py", "_SCOPE_CONVERSATIONS.format(conditions=' AND '.join((_ENTITY_CONDITIONS[n] for n in entities)))"):
        "constant conditions from search._ENTITY_CONDITIONS, picked by fixed entity names; values stay parameters",
    ("lake/duck.py", "ISO"): "module constant (the timestamp format)",
    ("lake/duck.py", "table.name"): "table names from the constant lake.tables.TABLES",
    ("lake/duck.py", "table.empty()"): "column names and types from the constant lake.tables.TABLES",
    ("lake/tables.py", "cols"): "column names and types from the constant lake.tables.TABLES",
    ("lake/export.py", "FINGERPRINTS.format(time=table.time)"): "time column from the constant TABLES",
    ("lake/export.py", "MONTHS.format(time=table.time)"): "time column from the constant TABLES",
    ("bench/lake.py", "kind.upper()"): "'index' or 'trigger' from sqlite_master of the benchmark's own file",
    ("bench/lake.py", "name"): "memlab's own index and trigger names, from sqlite_master of the benchmark's file",
    ("forget.py", "c.format(sessions=_SESSIONS[scope])"): "constant forget._IN_SESSIONS conditions, a constant _SESSIONS subquery",
    ("forget.py", "table"): "table names of the constant plans in forget.py",
    ("forget.py", "condition"): "conditions of the constant plans in forget.py; the scope's value stays a parameter",
    ("integrations/openai_agents.py", "_SELECT"): "module constant",
    ("recall/hybrid.py", "_SCOPE_IDS.format(conditions=' AND '.join((CONDITIONS[n] for n in given)))"):
        "constant conditions from search.engine.CONDITIONS, picked by fixed filter names; values stay parameters",
}


def _sql_interpolations(root: Path = SOURCE) -> set[tuple[str, str]]:
    """(file, expression) for every non-constant part put into SQL-looking text under ``root``."""
    found = set()
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                constant = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if SQL_WORDS.search(constant):
                    found |= {(rel, ast.unparse(v.value)) for v in node.values if isinstance(v, ast.FormattedValue)}
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
                template = node.func.value  # a SQL literal, or a template held in a variable
                if not isinstance(template, ast.Constant) or SQL_WORDS.search(str(template.value)):
                    found.add((rel, ast.unparse(node)))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
                sides = (node.left, node.right)
                if any(isinstance(s, ast.Constant) and isinstance(s.value, str) and SQL_WORDS.search(s.value) for s in sides):
                    found |= {(rel, ast.unparse(s)) for s in sides if not isinstance(s, ast.Constant)}
    return found


def test_no_sql_is_built_from_anything_but_fixed_lists():
    unexpected = _sql_interpolations() - set(ALLOWED)
    assert unexpected == set(), "SQL built from a value not on the allowlist; check it and add it with a reason"


def test_allowlist_has_no_stale_entries():
    assert set(ALLOWED) - _sql_interpolations() == set()


@pytest.mark.parametrize("line, expression", [
    ("db.execute(f\"SELECT * FROM t WHERE name = '{user}'\")", "user"),
    ("db.execute(\"DELETE FROM t WHERE id = \" + user)", "user"),
    ("db.execute(\"UPDATE t SET a = '%s'\" % user)", "user"),
    ("db.execute(\"SELECT * FROM {}\".format(user))", "'SELECT * FROM {}'.format(user)"),
])
def test_the_scan_catches_sql_built_from_a_variable(tmp_path, line, expression):
    (tmp_path / "probe.py").write_text(f"def f(db, user):\n    return {line}\n")
    assert _sql_interpolations(tmp_path) == {("probe.py", expression)}


# -- file modes ---------------------------------------------------------------------------------


@pytest.fixture
def open_umask():
    old = os.umask(0)  # the most permissive umask: files must still come out 0600
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_and_its_wal_files_are_private_under_any_umask(tmp_path, open_umask):
    path = tmp_path / "m.db"
    with memlab.open(path) as db:
        db.sessions.create("s")
        assert [_mode(f"{path}{s}") for s in ("", "-wal", "-shm")] == [0o600] * 3


def test_backups_and_compacted_copies_are_private_under_any_umask(tmp_path, open_umask):
    with memlab.open(tmp_path / "m.db") as db:
        db.sessions.create("s")
        assert _mode(db.backup(tmp_path / "backup.db")) == 0o600
        db.vacuum(into=tmp_path / "compact.db")
        assert _mode(tmp_path / "compact.db") == 0o600


def test_archives_are_private_under_any_umask(tmp_path, open_umask):
    with memlab.open(tmp_path / "m.db") as db:
        db.sessions.create("s", created_at="2025-03-01T00:00:00Z")
        db.sessions.end("s")
        archive_sessions(db, "2026-01-01")
        [archive] = archive_files(db).values()
        with memlab.open(archive):  # open: its -wal and -shm exist too
            assert [_mode(f"{archive}{s}") for s in ("", "-wal", "-shm")] == [0o600] * 3
