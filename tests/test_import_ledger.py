"""The import ledger: read positions belong to a file (its resolved path) and its content (the hash
of its first bytes), so two files of one name never share a position and a rewrite is read whole."""

from __future__ import annotations

import json
from pathlib import Path

from memlab.imports import import_claude_code, import_jsonl


def lines(n: int, *, start: int = 0, ids: bool = True, text: str = "line") -> list[str]:
    out = []
    for i in range(start, start + n):
        line = {"session": "s", "role": "user", "content": f"{text} {i}", "timestamp": "2026-01-12T09:00:00Z"}
        if ids:
            line["id"] = f"{text}-{i}"
        out.append(json.dumps(line))
    return out


def write(path: Path, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(r + "\n" for r in rows))
    return path


def test_two_files_of_one_name_keep_their_own_positions(db, tmp_path):
    import_jsonl(db, write(tmp_path / "a" / "history.jsonl", lines(10, text="a")), progress=False)
    report = import_jsonl(db, write(tmp_path / "b" / "history.jsonl", lines(20, text="b")), progress=False)
    assert report.added["messages"] == 20 and db.count("messages") == 30


def test_same_name_without_ids_in_two_folders_is_not_taken_for_a_duplicate(db, tmp_path):
    import_jsonl(db, write(tmp_path / "a" / "history.jsonl", lines(3, ids=False, text="a")), progress=False)
    report = import_jsonl(db, write(tmp_path / "b" / "history.jsonl", lines(3, ids=False, text="b")), progress=False)
    assert report.added["messages"] == 3 and report.duplicates["messages"] == 0


def test_a_file_rewritten_with_longer_content_is_read_from_its_start(db, tmp_path):
    path = write(tmp_path / "history.jsonl", lines(20, text="old"))
    import_jsonl(db, path, progress=False)
    write(path, lines(30, text="new"))
    report = import_jsonl(db, path, progress=False)
    assert report.added["messages"] == 30 and report.rewritten == ["history.jsonl"]
    assert "rewritten since the last import" in report.summary()


def test_a_rewrite_without_ids_stores_the_new_lines(db, tmp_path):
    path = write(tmp_path / "history.jsonl", lines(5, ids=False, text="old"))
    import_jsonl(db, path, progress=False)
    write(path, lines(8, ids=False, text="new"))
    assert import_jsonl(db, path, progress=False).added["messages"] == 8


def test_an_appended_file_is_read_from_where_it_stopped(db, tmp_path):
    path = write(tmp_path / "history.jsonl", lines(5))
    import_jsonl(db, path, progress=False)
    write(path, lines(8))
    report = import_jsonl(db, path, progress=False)
    assert report.lines == 3 and report.rewritten == [] and report.duplicates["messages"] == 0


def assistant(uuid: str, output_tokens: int) -> str:
    return json.dumps({
        "type": "assistant", "uuid": uuid, "sessionId": "s-1", "requestId": "req_1",
        "timestamp": "2026-03-01T10:00:00.000Z",
        "message": {"id": "msg_1", "role": "assistant", "model": "claude-opus-4-6",
                    "content": [{"type": "text", "text": f"part {uuid}"}],
                    "usage": {"input_tokens": 10, "output_tokens": output_tokens}},
    })


def test_a_call_seen_partly_keeps_its_final_counts_on_the_next_run(db, tmp_path):
    # Imported while Claude Code was still streaming the call: the first line's usage only.
    path = write(tmp_path / "p" / "s-1.jsonl", [assistant("u1", 12)])
    import_claude_code(db, tmp_path, progress=False)
    write(path, [assistant("u1", 12), assistant("u2", 140)])
    report = import_claude_code(db, tmp_path, progress=False)
    row = db.query_one("SELECT output_tokens, cost_usd FROM cost_tracking WHERE request_id = 'req_1'")
    assert row["output_tokens"] == 140 and report.grown["cost_tracking"] == 1
    assert row["cost_usd"] == (10 * 5 + 140 * 25) / 1e6


def test_the_summary_names_unpriced_calls(db, tmp_path):
    path = write(tmp_path / "h.jsonl", [json.dumps({"session": "s", "role": "assistant", "content": "x", "id": "1",
                                                     "model": "mystery-local-7b", "usage": {"input_tokens": 5}})])
    report = import_jsonl(db, path, progress=False)
    assert report.unpriced == {"mystery-local-7b": 1}
    assert "unpriced: 1 calls of models no price source knows: mystery-local-7b (1)" in report.summary()
