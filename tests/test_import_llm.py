"""memlab import llm: llm logs.db files into memlab's tables, both those written by the real llm
package (0.31's responses, 0.36's threads and turns) and cases built here in 0.31's layout."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from memlab.cli import cli
from memlab.errors import ValidationError
from memlab.imports import import_llm_logs
from memlab.prices import compute_cost

from conftest import FIXTURES

# The tables of llm's logs.db that the importer reads, as llm's migrations leave them.
LLM_SCHEMA = """
CREATE TABLE "conversations" ("id" TEXT PRIMARY KEY, "name" TEXT, "model" TEXT);
CREATE TABLE "schemas" ("id" TEXT PRIMARY KEY, "content" TEXT);
CREATE TABLE "responses" (
   "id" TEXT PRIMARY KEY, "model" TEXT, "prompt" TEXT, "system" TEXT, "prompt_json" TEXT,
   "options_json" TEXT, "response" TEXT, "response_json" TEXT,
   "conversation_id" TEXT REFERENCES "conversations"("id"), "duration_ms" INTEGER, "datetime_utc" TEXT,
   "input_tokens" INTEGER, "output_tokens" INTEGER, "token_details" TEXT,
   "schema_id" TEXT REFERENCES "schemas"("id"), "resolved_model" TEXT, "reasoning" TEXT);
CREATE TABLE "tools" ("id" INTEGER PRIMARY KEY, "hash" TEXT, "name" TEXT, "description" TEXT,
   "input_schema" TEXT, "plugin" TEXT);
CREATE TABLE "tool_calls" ("id" INTEGER PRIMARY KEY, "response_id" TEXT REFERENCES "responses"("id"),
   "tool_id" INTEGER REFERENCES "tools"("id"), "name" TEXT, "arguments" TEXT, "tool_call_id" TEXT);
CREATE TABLE "tool_results" ("id" INTEGER PRIMARY KEY, "response_id" TEXT REFERENCES "responses"("id"),
   "tool_id" INTEGER REFERENCES "tools"("id"), "name" TEXT, "output" TEXT, "tool_call_id" TEXT,
   "instance_id" INTEGER, "exception" TEXT);
"""


def response(conn, rid, conversation, prompt, reply, *, second=0, model="gpt-4o", inp=100, out=20, details=None,
             system=None, resolved=None):
    conn.execute(
        "INSERT INTO responses (id, model, prompt, system, response, conversation_id, duration_ms, datetime_utc,"
        " input_tokens, output_tokens, token_details, resolved_model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (rid, model, prompt, system, reply, conversation, 850, f"2026-02-01T10:00:{second:02d}.123456", inp, out,
         json.dumps(details) if details else None, resolved),
    )


@pytest.fixture
def logs(tmp_path) -> Path:
    path = tmp_path / "logs.db"
    conn = sqlite3.connect(path)
    conn.executescript(LLM_SCHEMA)
    conn.execute("INSERT INTO conversations VALUES ('01conv', 'Capital cities', 'gpt-4o')")
    response(conn, "01r1", "01conv", "Capital of France?", "Paris.", system="Be brief.",
             details={"prompt_tokens_details": {"cached_tokens": 64}})
    response(conn, "01r2", "01conv", "And Spain?", "Madrid.", second=5)
    conn.execute("INSERT INTO conversations VALUES ('01tool', 'Weather', 'claude-sonnet-4-5')")
    response(conn, "01r3", "01tool", "Weather in Oslo?", "", second=7, model="claude-sonnet-4-5",
             details={"cache_read_input_tokens": 500, "cache_creation_input_tokens": 40})
    conn.execute("INSERT INTO tool_calls (response_id, name, arguments, tool_call_id) VALUES"
                 " ('01r3', 'get_weather', '{\"city\": \"Oslo\"}', 'c1')")
    response(conn, "01r4", "01tool", "", "It is snowing in Oslo.", second=9, model="claude-sonnet-4-5")
    conn.execute("INSERT INTO tool_results (response_id, name, output, tool_call_id) VALUES"
                 " ('01r4', 'get_weather', 'snow, -3C', 'c1')")
    conn.commit()
    conn.close()
    return path


def test_conversations_and_responses_become_sessions_messages_and_costs(db, logs):
    report = import_llm_logs(db, logs, progress=False)
    assert report.malformed == []
    assert dict(report.added) == {"sessions": 2, "conversations": 2, "messages": 9, "cost_tracking": 4}
    assert db.conversations.get("llm-01conv")["title"] == "Capital cities"
    roles = [(m["role"], m["content"]) for m in reversed(db.messages.recent(conversation_id="llm-01conv"))]
    assert roles == [("system", "Be brief."), ("user", "Capital of France?"), ("assistant", "Paris."),
                     ("user", "And Spain?"), ("assistant", "Madrid.")]


def test_tool_calls_and_results_are_messages(db, logs):
    import_llm_logs(db, logs, progress=False)
    contents = [m["content"] for m in reversed(db.messages.recent(conversation_id="llm-01tool"))]
    assert contents == ["Weather in Oslo?", '[tool call get_weather] {"city": "Oslo"}',
                        "[tool result get_weather] snow, -3C", "It is snowing in Oslo."]


def test_openai_cached_tokens_are_taken_out_of_input(db, logs):
    import_llm_logs(db, logs, progress=False)
    row = db.query_one("SELECT * FROM cost_tracking WHERE request_id = 'llm:01r1'")
    assert (row["input_tokens"], row["cache_read_tokens"], row["output_tokens"]) == (36, 64, 20)
    assert row["cost_usd"] == compute_cost("gpt-4o", input_tokens=36, cache_read_tokens=64, output_tokens=20)


def test_anthropic_cache_tokens_are_added_to_input(db, logs):
    import_llm_logs(db, logs, progress=False)
    row = db.query_one("SELECT * FROM cost_tracking WHERE request_id = 'llm:01r3'")
    assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (100, 500, 40)


def test_rerun_adds_nothing_and_new_responses_are_picked_up(db, logs):
    import_llm_logs(db, logs, progress=False)
    assert import_llm_logs(db, logs, progress=False).lines == 0
    conn = sqlite3.connect(logs)
    response(conn, "01r5", "01conv", "And Italy?", "Rome.", second=30)
    conn.commit()
    conn.close()
    report = import_llm_logs(db, logs, progress=False)
    assert report.lines == 1 and report.added["messages"] == 2
    db.execute("DELETE FROM import_sources")
    report = import_llm_logs(db, logs, progress=False)
    assert report.lines == 5 and not any(report.added.values()) and db.count("cost_tracking") == 5


def test_a_bad_response_is_reported_and_skipped(db, logs):
    conn = sqlite3.connect(logs)
    response(conn, "01bad", "01conv", "When?", "Now.", second=40)
    conn.execute("UPDATE responses SET datetime_utc = 'not a time' WHERE id = '01bad'")
    conn.commit()
    conn.close()
    report = import_llm_logs(db, logs, progress=False)
    assert [(m.file, m.line) for m in report.malformed] == [("logs.db", 5)]
    assert db.count("cost_tracking") == 4


def test_not_an_llm_database_is_refused(db, tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(ValidationError, match="not an llm logs database"):
        import_llm_logs(db, other, progress=False)


def test_the_logs_file_is_not_modified(db, logs):
    before = logs.read_bytes()
    import_llm_logs(db, logs, progress=False)
    assert logs.read_bytes() == before


def test_cli(tmp_path, logs):
    result = CliRunner().invoke(cli, ["import", "llm", str(logs), "--db", str(tmp_path / "m.db"), "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "9 messages" in result.output and "4 cost_tracking" in result.output


# -- logs written by the real llm package (tests/fixtures/llm/make_logs.py: fake models, no network) --

LLM_FIXTURES = FIXTURES / "llm"


def copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / "logs.db"
    shutil.copyfile(LLM_FIXTURES / name, target)
    return target


@pytest.mark.parametrize("name,version", [("logs-0.31.db", "0.31"), ("logs-0.36.db", "0.36")])
def test_both_generations_of_real_llm_logs_import(db, tmp_path, name, version):
    report = import_llm_logs(db, copy(name, tmp_path), progress=False)
    assert report.malformed == [] and report.added["cost_tracking"] == 3
    [thread] = [c["conversation_id"] for c in db.query("SELECT conversation_id FROM conversations WHERE title = ?",
                                                         (f"llm {version}: first question",))] or [None]
    if thread is None:  # llm 0.31 names a conversation by its first prompt's start
        thread = db.query_one("SELECT conversation_id FROM messages WHERE content = ?",
                              (f"llm {version}: first question",))["conversation_id"]
    contents = [(m["role"], m["content"]) for m in reversed(db.messages.recent(conversation_id=thread))]
    assert contents == [("system", "You are terse."), ("user", f"llm {version}: first question"),
                        ("assistant", f"fake answer to: llm {version}: first question"),
                        ("user", f"llm {version}: a follow-up"), ("assistant", f"fake answer to: llm {version}: a follow-up")]


@pytest.mark.parametrize("name", ["logs-0.31.db", "logs-0.36.db"])
def test_real_llm_logs_are_priced_by_llm_anthropics_dotted_name(db, tmp_path, name):
    report = import_llm_logs(db, copy(name, tmp_path), progress=False)
    rows = db.query("SELECT cost_usd FROM cost_tracking WHERE model = 'claude-sonnet-4.5'")
    want = compute_cost("claude-sonnet-4-5", input_tokens=1200, output_tokens=80, cache_read_tokens=4000,
                        cache_write_tokens=300)
    assert [r["cost_usd"] for r in rows] == [want, want] and want is not None
    assert report.unpriced == {"fake-echo": 1}


def test_a_real_036_log_reimports_nothing(db, tmp_path):
    path = copy("logs-0.36.db", tmp_path)
    import_llm_logs(db, path, progress=False)
    db.execute("DELETE FROM import_sources")
    report = import_llm_logs(db, path, progress=False)
    assert not any(report.added.values()) and db.count("messages") == 7


def test_an_old_log_upgraded_to_036_keeps_its_new_entries(db, tmp_path):
    path = copy("logs-0.31.db", tmp_path)
    import_llm_logs(db, path, progress=False)
    shutil.copyfile(LLM_FIXTURES / "logs-0.31-upgraded-0.36.db", path)  # llm 0.36 ran on it and logged more
    report = import_llm_logs(db, path, progress=False)
    assert report.added["cost_tracking"] == 3 and report.added["messages"] == 7
    assert db.count("cost_tracking") == 6
