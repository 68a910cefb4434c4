"""Import benchmark: memlab's JSONL importer beside raw sqlite3 loading the same file.

Both sides read the same generated JSON Lines file into a fresh database with memlab's schema
(FTS trigger included): memlab through ``memlab.imports.import_jsonl`` (validation, sessions and
conversations on first sight, pricing, dedupe keys, read position), raw by ``json.loads`` per line
and ``executemany`` of the same messages and cost rows in one transaction, nothing checked.
"""

from __future__ import annotations

import json
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import memlab
from memlab.imports import import_jsonl
from memlab.messages import INSERT, estimate_tokens

from . import Row, throughput
from .write import _raw_connect, message_text

PER_CONVERSATION = 40
COST_INSERT = ("INSERT INTO cost_tracking (session_id, model, input_tokens, output_tokens, cache_read_tokens,"
               " cache_write_tokens, created_at, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


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
                              u["cache_read_tokens"], 0, d["timestamp"], d["request_id"]))
    with conn:
        conn.executemany("INSERT OR IGNORE INTO sessions (session_id, created_at, last_active_at) VALUES (?, ?, ?)",
                         sorted(sessions))
        conn.executemany("INSERT OR IGNORE INTO conversations (conversation_id, session_id, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?)", sorted(conversations))
        conn.executemany(INSERT, messages)
        conn.executemany(COST_INSERT, calls)
    conn.close()


def bench_jsonl(workdir: Path, count: int, seed: int = 0, rounds: int = 3) -> list[Row]:
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
                target=">= 0.5x raw", met=m.per_s >= 0.5 * r.per_s,
                notes=f"CPU time, best of {rounds} each, alternating; memlab validates, prices and dedupes")]


def run(*, messages: int = 1000, seed: int = 0, workdir: Path | None = None) -> list[Row]:
    """The import benchmark at the bench's scale (at most 100,000 lines: the rate is flat beyond)."""
    with tempfile.TemporaryDirectory(prefix="memlab-bench-import-") as tmp:
        return bench_jsonl(Path(workdir or tmp), min(messages, 100_000), seed)
