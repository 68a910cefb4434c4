"""The store commands: init, migrate, stats, backup, vacuum, check."""

from __future__ import annotations

import json

from click.testing import CliRunner

import memlab
from memlab.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_init_creates_a_database(tmp_path):
    path = tmp_path / "m.db"
    result = run("init", "--db", str(path))
    assert result.exit_code == 0
    with memlab.open(path) as db:
        assert "schema version" in result.output and str(db.schema_version) in result.output


def test_db_defaults_to_memlab_db_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MEMLAB_DB", str(tmp_path / "env.db"))
    assert run("init").exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_migrate_list_shows_applied(tmp_path):
    path = str(tmp_path / "m.db")
    run("init", "--db", path)
    result = run("migrate", "--db", path, "--list")
    assert "[x] 001_initial_schema" in result.output
    assert "[ ]" not in result.output


def test_stats_json(tmp_path):
    path = str(tmp_path / "m.db")
    run("init", "--db", path)
    result = run("stats", "--db", path, "--json")
    info = json.loads(result.output)
    assert info["journal_mode"] == "wal" and info["tables"]["messages"] == 0


def test_backup_and_check(tmp_path):
    path = str(tmp_path / "m.db")
    run("init", "--db", path)
    assert run("backup", "--db", path, str(tmp_path / "b.db")).exit_code == 0
    result = run("check", "--db", str(tmp_path / "b.db"))
    assert result.exit_code == 0 and result.output.strip() == "ok"


def test_bad_file_gives_one_line_and_exit_1(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite at all" * 50)
    result = CliRunner().invoke(cli, ["stats", "--db", str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
