"""Upkeep benchmarks on the generated database: vacuum, backup, compacted copy, recent messages.

Each is done through memlab's API and with raw ``sqlite3`` on the same file in the same run,
alternating, so the ratio is memlab's own cost. Vacuum and copies of a large file take seconds
each, so they get fewer rounds as the database grows.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import memlab

from . import Row, interleave, latency
from .write import _raw_connect

# The same statements memlab's messages.recent runs, for the raw side.
RECENT_SESSION = (
    "SELECT m.* FROM conversations c JOIN messages m ON m.conversation_id = c.conversation_id"
    " WHERE c.session_id = ? ORDER BY m.created_at DESC, m.id DESC LIMIT ?"
)
RECENT_CONVERSATION = (
    "SELECT m.* FROM messages m WHERE m.conversation_id = ? ORDER BY m.created_at DESC, m.id DESC LIMIT ?"
)

VACUUM_TARGET_S = 5.0  # the seed's "vacuum < 5 s"


def samples_ms(*sides: list[float]) -> dict:
    """Per-call durations (ms, rounded) to keep with a row for plotting distributions."""
    return {"samples_ms": {name: [round(s * 1000, 4) for s in side] for name, side in zip(("memlab", "raw"), sides)}}


def _copy_rounds(messages: int) -> int:
    return 1 if messages >= 100_000 else 2 if messages >= 10_000 else 3


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def bench_vacuum(db_path: Path, rounds: int) -> list[Row]:
    """VACUUM the whole file: memlab ``db.vacuum()`` vs raw ``VACUUM``."""
    db = memlab.open(db_path)
    raw = _raw_connect(db_path)
    raw.isolation_level = None
    try:
        tm, tr = interleave(db.vacuum, lambda: raw.execute("VACUUM"), rounds)
    finally:
        raw.close()
        db.close()
    m = latency(tm)
    return [Row("upkeep", "vacuum the database", m, latency(tr), target=f"< {VACUUM_TARGET_S:g} s (seed)",
                met=m.p95_ms < VACUUM_TARGET_S * 1000, extra=samples_ms(tm, tr))]


def bench_copies(db_path: Path, workdir: Path, rounds: int) -> list[Row]:
    """An online backup and a compacted copy: memlab's API vs the raw backup API and VACUUM INTO."""
    db = memlab.open(db_path)
    raw = _raw_connect(db_path)
    raw.isolation_level = None
    counter = iter(range(10**9))

    def backup_memlab() -> None:
        target = workdir / f"backup-m{next(counter)}.db"
        db.backup(target)
        _remove(target)

    def backup_raw() -> None:
        target = workdir / f"backup-r{next(counter)}.db"
        dest = sqlite3.connect(target)
        raw.backup(dest, pages=0)
        dest.close()
        _remove(target)

    def into_memlab() -> None:
        target = workdir / f"into-m{next(counter)}.db"
        db.vacuum(into=target)
        _remove(target)

    def into_raw() -> None:
        target = workdir / f"into-r{next(counter)}.db"
        raw.execute("VACUUM INTO ?", (str(target),))
        _remove(target)

    try:
        bm, br = interleave(backup_memlab, backup_raw, rounds)
        vm, vr = interleave(into_memlab, into_raw, rounds)
    finally:
        raw.close()
        db.close()
    return [
        Row("upkeep", "backup (online copy)", latency(bm), latency(br),
            notes="raw: sqlite3 backup API", extra=samples_ms(bm, br)),
        Row("upkeep", "compacted copy (VACUUM INTO)", latency(vm), latency(vr), extra=samples_ms(vm, vr)),
    ]


def bench_recent(db_path: Path, samples: int = 500, seed: int = 0) -> list[Row]:
    """The newest 10 messages of a session and of a conversation: memlab ``messages.recent`` vs raw SQL."""
    db = memlab.open(db_path)
    raw = _raw_connect(db_path)
    rng = random.Random(seed)
    sessions = [r[0] for r in raw.execute("SELECT session_id FROM sessions ORDER BY session_id")]
    conversations = [r[0] for r in raw.execute("SELECT conversation_id FROM conversations ORDER BY conversation_id")]
    rows = []
    try:
        for label, ids, kw, sql in (
            ("session", sessions, "session_id", RECENT_SESSION),
            ("conversation", conversations, "conversation_id", RECENT_CONVERSATION),
        ):
            if not ids:
                continue
            picks = [rng.choice(ids) for _ in range(samples)]
            mine, theirs = iter(picks), iter(picks)  # both sides ask for the same ids, in order
            tm, tr = interleave(
                lambda: db.messages.recent(**{kw: next(mine)}, limit=10),
                lambda: raw.execute(sql, (next(theirs), 10)).fetchall(),
                samples,
            )
            rows.append(Row("upkeep", f"newest 10 messages of a {label}", latency(tm), latency(tr),
                            notes="memlab returns dicts with JSON decoded; raw returns tuples",
                            extra=samples_ms(tm, tr)))
    finally:
        raw.close()
        db.close()
    return rows


def run(db_path: Path, workdir: Path, messages: int = 1_000, seed: int = 0) -> list[Row]:
    """All upkeep benchmarks on the generated database at ``db_path``; copies go to ``workdir``."""
    rounds = _copy_rounds(messages)
    return (
        bench_recent(db_path, seed=seed)
        + bench_copies(db_path, Path(workdir), rounds)
        + bench_vacuum(db_path, rounds)
    )
