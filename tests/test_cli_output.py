"""The CLI for people: missing databases refused, rounded numbers and durations, tables that fit,
sessions listed with their total, whole items shown, one line per search hit."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

import memlab
from memlab.cli import cli, formatting


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture
def filled(db_path):
    with memlab.open(db_path) as db:
        for i in range(25):
            sid = f"session-{i:02d}-{'x' * 30}"
            db.sessions.create(sid, user_id="u1" if i % 2 else "u2", project_id="p",
                               created_at=f"2026-03-{i + 1:02d}T08:00:00Z")
            db.conversations.create(sid, f"conv-{i:02d}", title="set-up", created_at=f"2026-03-{i + 1:02d}T08:00:00Z")
            db.messages.add(f"conv-{i:02d}", "user", f"how do I tune the database {i}\nsecond line",
                            created_at=f"2026-03-{i + 1:02d}T10:20:00Z")
            db.costs.record(sid, "claude-sonnet-4-5", input_tokens=12345, output_tokens=678,
                            created_at=f"2026-03-{i + 1:02d}T09:00:00Z")
    return str(db_path)


@pytest.mark.parametrize("command", [["check"], ["stats"], ["search", "x"], ["report", "cost"], ["sessions"],
                                     ["show", "1"], ["backup", "copy.db"], ["migrate"], ["vacuum"]])
def test_a_reading_command_refuses_a_missing_database(tmp_path, command):
    typo = tmp_path / "typo.db"
    result = run(*command, "--db", str(typo))
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(f"Error: no memlab database at '{typo}'")
    assert not typo.exists()


def test_init_creates_and_says_so(tmp_path):
    path = tmp_path / "new.db"
    result = CliRunner().invoke(cli, ["init", "--db", str(path)])
    assert result.exit_code == 0 and f"created {path}" in result.stderr and path.exists()
    assert "created" not in CliRunner().invoke(cli, ["init", "--db", str(path)]).stderr


def test_api_open_without_create_refuses_a_missing_file(tmp_path):
    with pytest.raises(memlab.DatabaseFileError, match="no memlab database at 'nope.db'"):
        memlab.open("nope.db", create=False)
    memlab.open(tmp_path / "made.db").close()
    with memlab.open(tmp_path / "made.db", create=False) as db:
        assert not db.created


@pytest.mark.parametrize("seconds, text", [(0.25, "250ms"), (4.2, "4.2s"), (45, "45s"), (531, "8m 51s"),
                                           (8400, "2h 20m"), (7200, "2h"), (277200, "3d 5h")])
def test_durations_read_as_people_say_them(seconds, text):
    assert formatting.duration(seconds) == text
    assert formatting.duration(dt.timedelta(seconds=seconds)) == text


@pytest.mark.parametrize("value, column, text", [(2.3169465999999983, "cost_usd", "2.32"), (0.0042, "cost_usd", "0.0042"),
                                                 (141871.0, "p50_duration_ms", "2m 22s"), (0.19914, "share", "0.199"),
                                                 (17030503, "tokens", "17,030,503"), (float("nan"), "cost_usd", "-")])
def test_numbers_are_rounded_by_what_the_column_holds(value, column, text):
    assert formatting.number(value, column) == text


def test_table_shows_rounded_costs_but_json_and_csv_keep_full_precision(filled):
    table = run("report", "cost", "--db", filled).output
    raw = json.loads(run("report", "cost", "--db", filled, "--format", "json").output)[0]["cost_usd"]
    assert f"{raw:.2f}" in table and repr(raw) not in table and len(repr(raw)) > 5
    assert repr(raw) in run("report", "cost", "--db", filled, "--format", "csv").output


@pytest.mark.parametrize("columns", [80, 100, 120])
def test_tables_fit_the_terminal(filled, columns):
    for args in (["report", "sessions"], ["report", "cost"], ["sessions"], ["report", "top"]):
        out = run(*args, "--db", filled, env={"COLUMNS": str(columns)}).output
        assert max(len(line) for line in out.splitlines()) <= columns, (args, out)


def test_a_cut_cell_ends_in_an_ellipsis():
    out = formatting.table([("a" * 200, 1)], ["text", "n"], max_width=40)
    assert max(map(len, out.splitlines())) <= 40 and "a…" in out


def test_report_sessions_shows_the_most_recent_and_says_how_many(filled):
    out = run("report", "sessions", "--db", filled).output
    assert "the 20 most recent of 25 sessions" in out
    assert "session-24" in out and "session-04" not in out
    everything = run("report", "sessions", "--db", filled, "--limit", "0").output
    assert "session-00" in everything and "most recent" not in everything
    assert len(json.loads(run("report", "sessions", "--db", filled, "--format", "json").output)) == 25


def test_sessions_lists_one_users_sessions(filled):
    out = run("sessions", "--user", "u1", "--db", filled, "--limit", "0").output
    assert "session-01" in out and "session-02" not in out
    assert "5h" not in out and "2h 20m" in out  # 08:00 to the message at 10:20


def test_show_prints_a_message_whole(filled):
    with memlab.open(filled) as db:
        mid = db.messages.recent(conversation_id="conv-03", limit=1)[0]["id"]
    out = run("show", f"#{mid}", "--db", filled).output
    assert "how do I tune the database 3" in out and "second line" in out and "conv-03" in out


def test_show_prints_a_conversation_and_a_session_by_the_start_of_its_id(filled):
    conversation = run("show", "conv-07", "--db", filled).output
    assert "how do I tune the database 7" in conversation
    session = run("show", "session-07-xx…", "--db", filled).output
    assert session.startswith("session session-07-") and "conv-07" in session
    ambiguous = run("show", "session-", "--db", filled)
    assert ambiguous.exit_code == 1 and "give more of it" in ambiguous.output


def test_search_prints_one_line_per_hit(filled):
    out = run("search", "tune database", "--db", filled, "--limit", "3", env={"COLUMNS": "80"}).output
    lines = out.splitlines()
    assert len([line for line in lines if line.startswith("#")]) == 3
    assert all(len(line) <= 80 for line in lines) and "3 hits" in out


def test_import_errors_name_the_path_as_given(db, tmp_path, monkeypatch):
    from memlab.imports import import_claude_code, import_jsonl, import_llm_logs

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("LLM_USER_PATH", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    with pytest.raises(memlab.NotFoundError, match=r"no llm logs database at '~/.config/io.datasette.llm/logs.db'"):
        import_llm_logs(db)
    with pytest.raises(memlab.NotFoundError, match=r"no Claude Code transcripts at 'nowhere/projects'"):
        import_claude_code(db, "nowhere/projects")
    with pytest.raises(memlab.NotFoundError, match=r"no such file or folder: 'old/history.jsonl'"):
        import_jsonl(db, "old/history.jsonl")
