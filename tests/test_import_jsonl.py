"""memlab import jsonl: the generic one-message-per-line format (docs/import-jsonl.md)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from memlab.cli import cli
from memlab.imports import import_jsonl
from memlab.prices import compute_cost


def write(path: Path, lines: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def msg(i: int, **extra) -> dict:
    return {"session": "s1", "conversation": "c1", "role": "user" if i % 2 else "assistant",
            "content": f"message {i}", "id": f"m{i}", "timestamp": f"2026-01-12T09:00:{i:02d}Z", **extra}


def test_lines_become_sessions_conversations_and_messages(db, tmp_path):
    path = write(tmp_path / "h.jsonl", [msg(1, user="ana", project="api", title="CI"), msg(2),
                                        msg(3, session="s2", conversation="c2")])
    report = import_jsonl(db, path, progress=False)
    assert dict(report.added) == {"sessions": 2, "conversations": 2, "messages": 3}
    assert db.sessions.get("s1")["user_id"] == "ana" and db.conversations.get("c1")["title"] == "CI"
    assert [m["content"] for m in reversed(db.messages.recent(conversation_id="c1"))] == ["message 1", "message 2"]


def test_conversation_defaults_to_the_session(db, tmp_path):
    line = msg(1)
    del line["conversation"]
    import_jsonl(db, write(tmp_path / "h.jsonl", [line]), progress=False)
    assert db.conversations.get("s1")["session_id"] == "s1"


def test_model_and_usage_record_a_priced_cost_row(db, tmp_path):
    usage = {"input_tokens": 1000, "output_tokens": 50, "cache_read_tokens": 4000}
    import_jsonl(db, write(tmp_path / "h.jsonl", [msg(1, model="gpt-4o", usage=usage, request_id="r1")]), progress=False)
    row = db.costs.get(1)
    assert (row["model"], row["request_id"], row["cache_read_tokens"]) == ("gpt-4o", "r1", 4000)
    assert row["cost_usd"] == compute_cost("gpt-4o", input_tokens=1000, output_tokens=50, cache_read_tokens=4000)


def test_malformed_lines_are_reported_and_the_rest_imported(db, tmp_path):
    path = write(tmp_path / "h.jsonl", [msg(1), "nope", msg(2, role="robot"), msg(3, content=None), msg(4)])
    report = import_jsonl(db, path, progress=False)
    assert [(m.file, m.line) for m in report.malformed] == [("h.jsonl", 2), ("h.jsonl", 3), ("h.jsonl", 4)]
    assert "role" in report.malformed[1].reason
    assert db.count("messages") == 2


def test_reimport_adds_nothing_even_without_read_positions(db, tmp_path):
    path = write(tmp_path / "h.jsonl", [msg(1, model="gpt-4o", usage={"input_tokens": 5}), msg(2)])
    import_jsonl(db, path, progress=False)
    assert import_jsonl(db, path, progress=False).lines == 0
    db.execute("DELETE FROM import_sources")
    report = import_jsonl(db, path, progress=False)
    assert report.duplicates["messages"] == 2 and not any(report.added.values())
    assert (db.count("messages"), db.count("cost_tracking")) == (2, 1)


def test_appended_lines_are_picked_up(db, tmp_path):
    path = write(tmp_path / "h.jsonl", [msg(1)])
    import_jsonl(db, path, progress=False)
    with path.open("a") as f:
        f.write(json.dumps(msg(2)) + "\n")
    report = import_jsonl(db, path, progress=False)
    assert report.lines == 1 and db.count("messages") == 2


def test_a_folder_imports_each_file_with_paths_relative_to_it(db, tmp_path):
    write(tmp_path / "runs" / "a.jsonl", [msg(1)])
    write(tmp_path / "runs" / "deep" / "b.jsonl", [msg(2)])
    import_jsonl(db, tmp_path / "runs", progress=False)
    assert [r["name"] for r in db.query("SELECT name FROM import_sources ORDER BY name")] == ["a.jsonl", "deep/b.jsonl"]


def test_lines_without_id_are_keyed_by_file_and_line(db, tmp_path):
    lines = [{k: val for k, val in msg(i).items() if k != "id"} for i in (1, 1)]  # two identical messages
    path = write(tmp_path / "h.jsonl", lines)
    import_jsonl(db, path, progress=False)
    db.execute("DELETE FROM import_sources")
    import_jsonl(db, path, progress=False)
    assert db.count("messages") == 2


def test_cli(tmp_path):
    path = write(tmp_path / "h.jsonl", [msg(1), "nope"])
    result = CliRunner().invoke(cli, ["import", "jsonl", str(path), "--db", str(tmp_path / "m.db"), "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "1 messages" in result.output and "h.jsonl:2" in result.output


def test_import_benchmark_reports_memlab_beside_raw(tmp_path):
    from memlab.bench import imports

    jsonl, claude = imports.run(messages=60, workdir=tmp_path)
    assert jsonl.operation.startswith("import JSONL messages") and jsonl.memlab.samples == 60
    assert claude.operation.startswith("import Claude Code transcript lines") and claude.memlab.samples == 60
    for row in (jsonl, claude):
        assert row.raw.per_s > 0 and row.ratio is not None and row.target == ">= 0.9x raw"


def test_a_large_file_is_written_in_batches_and_a_crash_between_them_loses_nothing(db, tmp_path, monkeypatch):
    from memlab.imports import jsonl

    monkeypatch.setattr(jsonl, "BATCH", 3)
    path = write(tmp_path / "h.jsonl", [msg(i) for i in range(1, 8)])
    real_store, calls = jsonl._store, []

    def crash_on_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies after the first batch committed
        return real_store(*args, **kwargs)

    monkeypatch.setattr(jsonl, "_store", crash_on_second_batch)
    try:
        import_jsonl(db, path, progress=False)
    except KeyboardInterrupt:
        pass
    assert db.count("messages") == 3  # the first batch is committed, the file position is not saved
    monkeypatch.setattr(jsonl, "_store", real_store)
    report = import_jsonl(db, path, progress=False)
    assert db.count("messages") == 7 and report.added["messages"] == 4 and report.duplicates["messages"] == 3
    assert not any(import_jsonl(db, path, progress=False).added.values())  # and a third run adds nothing
