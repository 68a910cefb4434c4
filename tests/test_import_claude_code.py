"""memlab import claude-code: real transcripts (both layouts) and written fixtures for each case."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from memlab.cli import cli
from memlab.imports import import_claude_code
from memlab.prices import price_for

from conftest import FIXTURES

REAL = FIXTURES / "claude-code" / "projects"
SID = "11111111-2222-4333-8444-555555555555"
SONNET = "claude-sonnet-4-5-20250929"


# -- writing transcripts ---------------------------------------------------------------------


def line(kind: str, uuid: str, content, *, parent: str | None = None, second: int = 0, **extra) -> dict:
    message = {"role": kind, "content": content}
    if kind == "assistant":
        message.update(id=extra.pop("message_id", f"msg_{uuid}"), model=extra.pop("model", SONNET),
                       usage=extra.pop("usage", {"input_tokens": 10, "output_tokens": 5}))
    return {"type": kind, "uuid": uuid, "parentUuid": parent, "isSidechain": False, "sessionId": SID,
            "cwd": "/home/someone/src/demo-app", "gitBranch": "main", "version": "2.0.50",
            "timestamp": f"2026-03-01T10:00:{second:02d}.000Z", "message": message, **extra}


def write(path: Path, lines: list, *, newline: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines)
    path.write_text(text + ("\n" if newline else ""))
    return path


def transcript(root: Path, lines: list) -> Path:
    return write(root / "-home-someone-src-demo-app" / f"{SID}.jsonl", lines)


def counts(db) -> dict:
    return {t: db.count(t) for t in ("sessions", "conversations", "messages", "agent_interactions", "cost_tracking")}


# -- the real transcripts --------------------------------------------------------------------


def test_real_transcripts_import_into_every_table(db):
    report = import_claude_code(db, REAL, progress=False)
    assert report.malformed == []
    assert counts(db) == {"sessions": 2, "conversations": 4, "messages": 19, "agent_interactions": 3,
                          "cost_tracking": 9}


def test_real_repeated_message_and_request_id_is_one_call(db):
    import_claude_code(db, REAL, progress=False)
    rows = db.query("SELECT * FROM cost_tracking WHERE request_id = 'req_011CVJ51ytkcBEjrQhRNswqR'")
    assert len(rows) == 1
    assert (rows[0]["cache_write_tokens"], rows[0]["output_tokens"]) == (19830, 183)


def test_real_inline_sidechain_is_one_subagent_conversation(db):
    import_claude_code(db, REAL, progress=False)
    sid = "88a8d761-7b9a-4bf1-a8ca-c1febe6bf358"
    threads = {c["conversation_id"]: c for c in db.conversations.list(sid)}
    side = [c for cid, c in threads.items() if not cid.endswith("/main")]
    assert len(side) == 1 and side[0]["metadata"]["agent_id"] == "e1c84ba5"
    assert db.query_one("SELECT count(*) AS n FROM messages WHERE conversation_id = ?",
                        (side[0]["conversation_id"],))["n"] == 3


def test_real_subagent_file_is_its_own_conversation(db):
    import_claude_code(db, REAL, progress=False)
    cid = "55550000-0000-4000-8000-000000000001/agent-showcol1"
    assert [m["role"] for m in reversed(db.messages.recent(conversation_id=cid))] == ["user", "assistant"]
    assert db.conversations.get(cid)["title"] == "Survey the web module"


def test_real_agent_calls_are_interactions_with_duration_and_tokens(db):
    import_claude_code(db, REAL, progress=False)
    runs = {r["metadata"]["agent_id"]: r for r in db.interactions.list("55550000-0000-4000-8000-000000000001")}
    assert set(runs) == {"showcol1", "showcol2"}
    web = runs["showcol1"]
    assert web["duration_ms"] == 4200 and web["metadata"]["total_tokens"] == 1200
    assert (web["input_tokens"], web["output_tokens"]) == (120, 40)  # its subagent's one call
    linked = db.query("SELECT agent_interaction_id FROM cost_tracking WHERE request_id = 'msg_showcol1-a1'")
    assert linked == [{"agent_interaction_id": web["id"]}]


def test_real_session_metadata_and_relative_source_paths(db):
    import_claude_code(db, REAL, progress=False)
    s = db.sessions.get("88a8d761-7b9a-4bf1-a8ca-c1febe6bf358")
    assert s["project_id"] == "claude-code-log"
    assert s["metadata"]["version"] == "2.0.46"
    files = {r["name"] for r in db.query("SELECT name FROM import_sources")}
    assert "-workspace-example-app/55550000-0000-4000-8000-000000000001.jsonl" in files
    assert not any(p.startswith("/") for p in files)


# -- written fixtures, one per case ----------------------------------------------------------


def test_usage_repeated_on_every_content_block_line_is_one_cost_row(db, tmp_path):
    usage = {"input_tokens": 3, "output_tokens": 400, "cache_read_input_tokens": 5000}
    blocks = [[{"type": "text", "text": "one"}], [{"type": "thinking", "thinking": "two"}],
              [{"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {}}], [{"type": "text", "text": "four"}]]
    transcript(tmp_path, [line("assistant", f"a{i}", b, second=i, message_id="msg_X", requestId="req_X", usage=usage)
                          for i, b in enumerate(blocks)])
    report = import_claude_code(db, tmp_path, progress=False)
    rows = db.query("SELECT * FROM cost_tracking")
    assert len(rows) == 1 and rows[0]["output_tokens"] == 400 and rows[0]["request_id"] == "req_X"
    assert report.duplicates["cost_tracking"] == 3
    assert db.count("messages") == 4


def test_cache_writes_split_into_5_minute_and_1_hour_and_priced_apart(db, tmp_path):
    usage = {"input_tokens": 10, "output_tokens": 20, "cache_creation_input_tokens": 3000,
             "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000}}
    transcript(tmp_path, [line("assistant", "a1", "hi", usage=usage, requestId="req_1")])
    import_claude_code(db, tmp_path, progress=False)
    row = db.costs.get(db.query_one("SELECT id FROM cost_tracking")["id"])
    assert row["cache_write_tokens"] == 3000
    assert (row["metadata"]["cache_write_5m_tokens"], row["metadata"]["cache_write_1h_tokens"]) == (1000, 2000)
    r = price_for(SONNET).rates
    expected = (10 * r.input + 20 * r.output + 1000 * r.cache_write_5m + 2000 * r.cache_write_1h) / 1e6
    assert abs(row["cost_usd"] - expected) < 1e-12


def test_synthetic_model_is_a_message_but_not_an_api_call(db, tmp_path):
    transcript(tmp_path, [line("assistant", "a1", "No response requested.", model="<synthetic>",
                               usage={"input_tokens": 0, "output_tokens": 0})])
    report = import_claude_code(db, tmp_path, progress=False)
    assert db.count("messages") == 1 and db.count("cost_tracking") == 0
    assert report.skipped["synthetic messages (no API call)"] == 1


def test_reported_cost_usd_is_kept_beside_the_computed_cost(db, tmp_path):
    transcript(tmp_path, [line("assistant", "a1", "hi", requestId="req_1", costUSD=0.0123)])
    import_claude_code(db, tmp_path, progress=False)
    row = db.costs.get(1)
    assert row["metadata"]["cost_usd_reported"] == 0.0123
    assert row["cost_usd"] == price_for(SONNET).cost(input_tokens=10, output_tokens=5)


def test_inline_sidechain_task_becomes_an_interaction_with_its_calls(db, tmp_path):
    task = {"type": "tool_use", "id": "toolu_T", "name": "Task",
            "input": {"subagent_type": "Explore", "description": "find the flaky test", "prompt": "look"}}
    side = {"isSidechain": True}
    transcript(tmp_path, [
        line("user", "u1", "fix the flaky test", second=0),
        line("assistant", "a1", [task], parent="u1", second=1, requestId="req_main"),
        line("user", "s1", "look", parent=None, second=2, **side),
        line("assistant", "s2", "found it", parent="s1", second=3, requestId="req_side",
             usage={"input_tokens": 7, "output_tokens": 9, "cache_read_input_tokens": 100}, **side),
        line("user", "r1", [{"type": "tool_result", "tool_use_id": "toolu_T", "content": "it was a race"}],
             parent="a1", second=9, toolUseResult={"status": "completed", "totalDurationMs": 7500, "totalTokens": 116}),
    ])
    import_claude_code(db, tmp_path, progress=False)
    [run] = db.interactions.list(SID)
    assert (run["agent_name"], run["task"], run["status"]) == ("Explore", "find the flaky test", "success")
    assert run["duration_ms"] == 7500 and run["metadata"]["total_tokens"] == 116
    assert (run["input_tokens"], run["output_tokens"]) == (107, 9)
    assert run["conversation_id"] == f"{SID}/sidechain-s1"
    side_call = db.query_one("SELECT agent_interaction_id FROM cost_tracking WHERE request_id = 'req_side'")
    assert side_call["agent_interaction_id"] == run["id"]


def test_agent_run_whose_result_arrives_in_a_later_run(db, tmp_path):
    task = {"type": "tool_use", "id": "toolu_L", "name": "Agent", "input": {"description": "later"}}
    path = transcript(tmp_path, [line("assistant", "a1", [task], second=1)])
    import_claude_code(db, tmp_path, progress=False)
    assert db.count("agent_interactions") == 0
    result = line("user", "r1", [{"type": "tool_result", "tool_use_id": "toolu_L", "content": "done"}], parent="a1",
                  second=8, toolUseResult={"agentId": "late1", "status": "completed"})
    with path.open("a") as f:
        f.write(json.dumps(result) + "\n")
    import_claude_code(db, tmp_path, progress=False)
    write(path.parent / SID / "subagents" / "agent-late1.jsonl", [{**line("user", "l1", "later"), "agentId": "late1",
                                                                    "isSidechain": True}])
    import_claude_code(db, tmp_path, progress=False)
    [run] = db.interactions.list(SID)
    assert (run["task"], run["duration_ms"], run["conversation_id"]) == ("later", 7000, f"{SID}/agent-late1")


def test_interaction_without_reported_duration_is_timed_from_call_to_result(db, tmp_path):
    task = {"type": "tool_use", "id": "toolu_T", "name": "Agent", "input": {"description": "d"}}
    transcript(tmp_path, [
        line("assistant", "a1", [task], second=1),
        line("user", "r1", [{"type": "tool_result", "tool_use_id": "toolu_T", "content": "x", "is_error": True}],
             parent="a1", second=4),
    ])
    import_claude_code(db, tmp_path, progress=False)
    [run] = db.interactions.list(SID)
    assert run["duration_ms"] == 3000 and run["status"] == "failure" and run["agent_name"] == "general-purpose"


def test_tool_calls_and_results_are_searchable_as_text(db, tmp_path):
    transcript(tmp_path, [
        line("assistant", "a1", [{"type": "tool_use", "id": "toolu_G", "name": "Grep", "input": {"pattern": "zebrafish"}}]),
        line("user", "r1", [{"type": "tool_result", "tool_use_id": "toolu_G", "content": "quokka.py:12"}], parent="a1"),
    ])
    import_claude_code(db, tmp_path, progress=False)

    def match(q):
        return [r["role"] for r in db.query(
            "SELECT m.role FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid WHERE messages_fts MATCH ?", (q,))]

    assert match("zebrafish") == ["assistant"]
    assert match("quokka") == ["tool"]
    assert match("grep") == ["assistant", "tool"]


def test_malformed_lines_are_reported_with_file_and_line_and_do_not_stop_the_import(db, tmp_path):
    bad_time = line("user", "u3", "x")
    bad_time["timestamp"] = "yesterday"
    no_session = line("user", "u2", "x")
    del no_session["sessionId"]
    transcript(tmp_path, [line("user", "u1", "first"), "{not json", "[1, 2]", no_session, bad_time,
                          line("user", "u4", "last")])
    report = import_claude_code(db, tmp_path, progress=False)
    assert [(m.file, m.line) for m in report.malformed] == [
        (f"-home-someone-src-demo-app/{SID}.jsonl", n) for n in (2, 3, 4, 5)]
    assert [m["content"] for m in db.query("SELECT content FROM messages ORDER BY id")] == ["first", "last"]


def test_running_again_adds_nothing_even_when_read_positions_are_lost(db, tmp_path):
    import_claude_code(db, REAL, progress=False)
    before = counts(db)
    assert import_claude_code(db, REAL, progress=False).lines == 0
    db.execute("DELETE FROM import_sources")
    report = import_claude_code(db, REAL, progress=False)
    assert report.lines == 19 and not any(report.added.values())
    assert counts(db) == before


def test_appended_lines_are_read_incrementally(db, tmp_path):
    path = transcript(tmp_path, [line("user", "u1", "one"), line("assistant", "a1", "two", parent="u1", requestId="r1")])
    import_claude_code(db, tmp_path, progress=False)
    with path.open("a") as f:
        f.write(json.dumps(line("user", "u2", "three", parent="a1", second=5)) + "\n")
        f.write(json.dumps(line("assistant", "a2", "four", parent="u2", second=6, requestId="r2")) + "\n")
    report = import_claude_code(db, tmp_path, progress=False)
    assert report.lines == 2
    assert (db.count("messages"), db.count("cost_tracking")) == (4, 2)
    assert db.sessions.get(SID)["last_active_at"].startswith("2026-03-01T10:00:06")


def test_a_half_written_last_line_waits_for_the_next_run(db, tmp_path):
    whole = json.dumps(line("user", "u2", "second", second=2))
    path = write(tmp_path / "p" / f"{SID}.jsonl", [line("user", "u1", "first"), whole[:30]], newline=False)
    report = import_claude_code(db, tmp_path, progress=False)
    assert report.malformed == [] and db.count("messages") == 1  # not malformed: still being written
    assert report.skipped["incomplete last lines (read next run)"] == 1
    path.write_text(path.read_text() + whole[30:] + "\n")
    report = import_claude_code(db, tmp_path, progress=False)
    assert report.malformed == [] and db.count("messages") == 2


def test_summary_line_titles_the_main_conversation(db, tmp_path):
    transcript(tmp_path, [line("user", "u1", "hello"), {"type": "summary", "summary": "Greeting", "leafUuid": "u1"}])
    import_claude_code(db, tmp_path, progress=False)
    assert db.conversations.get(f"{SID}/main")["title"] == "Greeting"


def test_system_lines_are_system_messages_and_other_line_types_are_counted(db, tmp_path):
    system = {**line("user", "y1", "x"), "type": "system", "content": "Conversation compacted", "subtype": "info"}
    del system["message"]
    snapshot = {"type": "file-history-snapshot", "messageId": "u1", "snapshot": {}}
    report = import_claude_code(db, transcript(tmp_path, [line("user", "u1", "hi"), system, snapshot]).parent.parent,
                                progress=False)
    assert [(m["role"], m["content"]) for m in db.query("SELECT role, content FROM messages ORDER BY id")] == [
        ("user", "hi"), ("system", "Conversation compacted")]
    assert report.skipped["file-history-snapshot lines"] == 1 and report.malformed == []


def test_progress_bar_shows_files_and_lines(db, capsys):
    import_claude_code(db, REAL, progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "lines=19" in err


def test_no_absolute_source_path_is_stored(db, tmp_path):
    transcript(tmp_path, [line("user", "u1", "hello"), "oops"])
    import_claude_code(db, tmp_path, progress=False)
    dump = "\n".join(db.conn.iterdump())
    assert str(tmp_path) not in dump and "/home/someone" not in dump


def test_cli_prints_counts_and_malformed_lines(tmp_path):
    transcript(tmp_path / "src", [line("user", "u1", "hello"), "oops"])
    result = CliRunner().invoke(cli, ["import", "claude-code", str(tmp_path / "src"), "--db", str(tmp_path / "m.db"),
                                      "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "1 messages" in result.output and f"-home-someone-src-demo-app/{SID}.jsonl:2" in result.output


def test_titles_and_text_go_through_the_redactor(db, tmp_path):
    from memlab.redact import default_redactor

    db.set_redactor(default_redactor)
    task = {"type": "tool_use", "id": "toolu_R", "name": "Task", "input": {"description": "mail ana@example.com"}}
    transcript(tmp_path, [
        line("user", "u1", "write to ana@example.com"),
        {"type": "summary", "summary": "Mail ana@example.com", "leafUuid": "u1"},
        line("assistant", "a1", [task], parent="u1", second=1),
        {**line("user", "s1", "mail ana@example.com", second=2), "isSidechain": True, "agentId": "r1"},
        line("user", "r1", [{"type": "tool_result", "tool_use_id": "toolu_R", "content": "sent"}], parent="a1",
             second=3, toolUseResult={"agentId": "r1"}),
    ])
    import_claude_code(db, tmp_path, progress=False)
    dump = "\n".join(db.conn.iterdump())
    assert "ana@example.com" not in dump.replace("'", "")
