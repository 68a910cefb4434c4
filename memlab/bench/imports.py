"""Import benchmark: memlab's JSONL and Claude Code importers beside raw sqlite3 loading the same files.

Both sides read the same generated files into a fresh database with memlab's schema (FTS trigger
included): memlab through ``memlab.imports`` (validation, sessions and conversations on first
sight, pricing as of each call's day, dedupe keys, read positions), raw by ``json.loads`` per line
and ``executemany`` of the same sessions, conversations, messages and cost rows in one
transaction, nothing checked.
"""

from __future__ import annotations

import json
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import memlab
from memlab.imports import import_claude_code, import_jsonl
from memlab.imports.claude_code import render
from memlab.messages import INSERT, estimate_tokens
from memlab.prices import current

from . import Row, throughput
from .write import _raw_connect, message_text

PER_CONVERSATION = 40
# Each side's best CPU time of this many alternating runs: at 10k lines a run takes ~1 s, and with
# 3 three runs of the bench on an idle 2-core machine gave Claude Code 0.90x, 0.78x and 0.81x.
ROUNDS = 5
COST_INSERT = ("INSERT INTO cost_tracking (session_id, model, input_tokens, output_tokens, cache_read_tokens,"
               " cache_write_tokens, created_at, request_id, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def write_history(path: Path, count: int, seed: int = 0) -> Path:
    """``count`` messages in memlab's JSONL format: 40 per conversation, 5 conversations per session,
    every assistant line with a model and usage (a cost row)."""
    rng = random.Random(seed)
    texts = [message_text(rng, rng.randint(20, 300)) for _ in range(512)]
    with path.open("w") as f:
        for i in range(count):
            conversation = i // PER_CONVERSATION
            line = {"session": f"s{conversation // 5}", "conversation": f"c{conversation}", "id": f"m{i}",
                    "role": "user" if i % 2 == 0 else "assistant", "content": texts[i % 512],
                    "timestamp": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"}
            if i % 2:
                line.update(model="claude-sonnet-4-5", request_id=f"r{i}",
                            usage={"input_tokens": 1000 + i % 500, "output_tokens": 200, "cache_read_tokens": 4000})
            f.write(json.dumps(line) + "\n")
    return path


def _raw_load(path: Path, source: Path) -> None:
    """The naive load: parse each line, insert its session/conversation if new, the message, the call."""
    conn = _raw_connect(path)
    sessions, conversations, messages, calls = set(), set(), [], []
    with source.open() as f:
        for text in f:
            d = json.loads(text)
            sessions.add((d["session"], d["timestamp"], d["timestamp"]))
            conversations.add((d["conversation"], d["session"], d["timestamp"], d["timestamp"]))
            messages.append((d["conversation"], d["role"], d["content"], estimate_tokens(d["content"]),
                             d["timestamp"], None))
            if "usage" in d:
                u = d["usage"]
                calls.append((d["session"], d["model"], u["input_tokens"], u["output_tokens"],
                              u["cache_read_tokens"], 0, d["timestamp"], d["request_id"],
                              json.dumps({"source": "jsonl", "conversation_id": d["conversation"]},
                                         separators=(",", ":"))))
    with conn:
        conn.executemany("INSERT OR IGNORE INTO sessions (session_id, created_at, last_active_at) VALUES (?, ?, ?)",
                         sorted(sessions))
        conn.executemany("INSERT OR IGNORE INTO conversations (conversation_id, session_id, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?)", sorted(conversations))
        conn.executemany(INSERT, messages)
        conn.executemany(COST_INSERT, calls)
    conn.close()


def bench_jsonl(workdir: Path, count: int, seed: int = 0, rounds: int = ROUNDS) -> list[Row]:
    """Import rate (messages/s) of ``memlab import jsonl`` vs raw executemany, best CPU time of each."""
    source = write_history(workdir / "history.jsonl", count, seed)
    cpu: dict[str, list[float]] = {"memlab": [], "raw": []}
    for round_ in range(rounds):
        for side in (("memlab", "raw") if round_ % 2 == 0 else ("raw", "memlab")):
            path = workdir / f"import-{side}-{round_}.db"
            memlab.open(path).close()  # same schema, created outside the timing
            c0 = time.process_time()
            if side == "memlab":
                with memlab.open(path) as db:
                    report = import_jsonl(db, source, progress=False)
                assert report.added["messages"] == count and not report.malformed
            else:
                _raw_load(path, source)
            cpu[side].append(time.process_time() - c0)
            with sqlite3.connect(path) as check:
                assert check.execute("SELECT count(*) FROM messages").fetchone()[0] == count
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    m = throughput(count, min(cpu["memlab"]))
    r = throughput(count, min(cpu["raw"]))
    return [Row("import", f"import JSONL messages ({count:,}, half with a cost row)", m, r,
                target=">= 0.9x raw", met=m.per_s >= 0.9 * r.per_s,
                notes=f"CPU time, best of {rounds} each, alternating; memlab validates, prices and dedupes")]


PER_SESSION = 200  # transcript lines per Claude Code session file


def write_transcripts(root: Path, count: int, seed: int = 0) -> Path:
    """``count`` lines of Claude Code transcripts under ``root/<project>/<session>.jsonl``: user
    prompts, and each assistant call streamed as two content-block lines (text, then a tool call)
    that share ``message.id`` and ``requestId``, the second with the call's final usage."""
    rng = random.Random(seed)
    texts = [message_text(rng, rng.randint(20, 300)) for _ in range(512)]
    project = root / "-home-someone-src-bench-app"
    project.mkdir(parents=True, exist_ok=True)
    written = 0
    for s in range(-(-count // PER_SESSION)):
        sid = f"00000000-0000-4000-8000-{s:012d}"
        with (project / f"{sid}.jsonl").open("w") as f:
            i = 0
            while i < PER_SESSION and written < count:
                when = f"2026-01-{1 + s % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.000Z"
                base = {"sessionId": sid, "cwd": "/home/someone/src/bench-app", "version": "2.1.38",
                        "isSidechain": False, "timestamp": when}
                if i % 3 == 0:
                    line = {**base, "type": "user", "uuid": f"{sid}-{i}",
                            "message": {"role": "user", "content": texts[(s + i) % 512]}}
                else:
                    call = i - i % 3
                    output = 40 if i % 3 == 1 else 40 + (i % 500)
                    block = ({"type": "text", "text": texts[(s * 7 + i) % 512]} if i % 3 == 1 else
                             {"type": "tool_use", "id": f"toolu_{sid}_{i}", "name": "Read",
                              "input": {"file_path": f"src/file_{i}.py"}})
                    line = {**base, "type": "assistant", "uuid": f"{sid}-{i}", "requestId": f"req_{sid}_{call}",
                            "message": {"id": f"msg_{sid}_{call}", "role": "assistant", "model": "claude-opus-4-6",
                                        "content": [block],
                                        "usage": {"input_tokens": 3, "output_tokens": output,
                                                  "cache_read_input_tokens": 20_000 + i,
                                                  "cache_creation_input_tokens": 500}}}
                f.write(json.dumps(line) + "\n")
                i += 1
                written += 1
    return root


def _raw_claude_load(path: Path, root: Path) -> None:
    """The naive load of the same transcripts: per line json.loads, the message's text, one cost row
    per (message.id, requestId) with its last line's usage, dated by its first line and priced as
    memlab prices it; each session and conversation with memlab's metadata."""
    conn = _raw_connect(path)
    sessions, conversations, messages, calls = {}, {}, [], {}
    prices = current()
    for file in sorted(root.rglob("*.jsonl")):
        rel = file.relative_to(root).as_posix()
        with file.open() as f:
            for text in f:
                d = json.loads(text)
                sid, when = d["sessionId"], d["timestamp"].replace("Z", "000Z")
                conversation = f"{sid}/main"
                if sid not in sessions:
                    meta = json.dumps({"source": "claude-code", "project_folder": file.parent.name,
                                       "version": d["version"]}, separators=(",", ":"))
                    sessions[sid] = [sid, "bench-app", meta, when, when]
                sessions[sid][4] = max(sessions[sid][4], when)  # last_active_at: the latest line
                if conversation not in conversations:
                    meta = json.dumps({"source": "claude-code", "thread": "main", "file": rel}, separators=(",", ":"))
                    conversations[conversation] = (conversation, sid, meta, when, when)
                m = d["message"]
                content = render(m["content"])
                role = m["role"] if d["type"] == "assistant" or isinstance(m["content"], str) else "tool"
                metadata = {"uuid": d["uuid"], "type": d["type"], "model": m.get("model"), "message_id": m.get("id"),
                            "request_id": d.get("requestId")}  # what memlab keeps of each line
                metadata = json.dumps({k: x for k, x in metadata.items() if x is not None}, separators=(",", ":"))
                messages.append((conversation, role, content, estimate_tokens(content), when, metadata))
                if d["type"] == "assistant":
                    u = m["usage"]
                    key = (m["id"], d["requestId"])
                    first = calls[key][6] if key in calls else when  # a call is dated by its first line
                    call_meta = json.dumps({"source": "claude-code", "conversation_id": conversation,
                                            "message_id": m["id"]}, separators=(",", ":"))
                    calls[key] = (sid, m["model"], u["input_tokens"], u["output_tokens"],
                                  u["cache_read_input_tokens"], u["cache_creation_input_tokens"],
                                  first, d["requestId"], call_meta)
    rows = [(*c[:6], prices.compute_cost(c[1], c[6], input_tokens=c[2], output_tokens=c[3], cache_read_tokens=c[4],
                                         cache_write_tokens=c[5]), c[6], c[7], c[8]) for c in calls.values()]
    with conn:
        conn.executemany("INSERT INTO sessions (session_id, project_id, metadata, created_at, last_active_at)"
                         " VALUES (?, ?, ?, ?, ?)", sessions.values())
        conn.executemany("INSERT INTO conversations (conversation_id, session_id, metadata, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, ?)", conversations.values())
        conn.executemany(INSERT, messages)
        conn.executemany("INSERT INTO cost_tracking (session_id, model, input_tokens, output_tokens, cache_read_tokens,"
                         " cache_write_tokens, cost_usd, created_at, request_id, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         rows)
    conn.close()


def bench_claude_code(workdir: Path, count: int, seed: int = 0, rounds: int = ROUNDS) -> list[Row]:
    """Import rate (lines/s) of ``memlab import claude-code`` vs the raw load, best CPU time of each."""
    root = write_transcripts(workdir / "projects", count, seed)
    cpu: dict[str, list[float]] = {"memlab": [], "raw": []}
    stored: set[tuple] = set()  # counts and sums of each load's rows: both sides store the same
    for round_ in range(rounds):
        for side in (("memlab", "raw") if round_ % 2 == 0 else ("raw", "memlab")):
            path = workdir / f"claude-{side}-{round_}.db"
            memlab.open(path).close()
            c0 = time.process_time()
            if side == "memlab":
                with memlab.open(path) as db:
                    report = import_claude_code(db, root, progress=False)
                assert report.added["messages"] == count and not report.malformed
            else:
                _raw_claude_load(path, root)
            cpu[side].append(time.process_time() - c0)
            with sqlite3.connect(path) as check:
                stored.add(check.execute(
                    "SELECT (SELECT count(*) FROM sessions), (SELECT max(last_active_at) FROM sessions),"
                    " (SELECT count(*) FROM conversations), (SELECT count(*) FROM messages),"
                    " (SELECT count(*) FROM cost_tracking), (SELECT count(*) FROM cost_hourly),"
                    " (SELECT round(sum(cost_usd), 6) FROM cost_tracking)").fetchone())
            assert len(stored) == 1, stored
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    m = throughput(count, min(cpu["memlab"]))
    r = throughput(count, min(cpu["raw"]))
    return [Row("import", f"import Claude Code transcript lines ({count:,}, 2 lines per API call)", m, r,
                target=">= 0.9x raw", met=m.per_s >= 0.9 * r.per_s,
                notes=f"CPU time, best of {rounds} each, alternating; memlab also keeps threads, tool names, "
                      "read positions and dedupe keys")]


def run(*, messages: int = 1000, seed: int = 0, workdir: Path | None = None) -> list[Row]:
    """The import benchmarks at the bench's scale (at most 100,000 lines: the rate is flat beyond)."""
    with tempfile.TemporaryDirectory(prefix="memlab-bench-import-") as tmp:
        base = Path(workdir or tmp)
        count = min(messages, 100_000)
        return bench_jsonl(base, count, seed) + bench_claude_code(base, count, seed)
