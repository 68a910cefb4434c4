"""Processes for the load and crash tests: writers that log each acknowledged write, readers.

A writer appends one JSON line to its acknowledgement log after each API call returns (and
flushes it), so the log is exactly what memlab acknowledged, even if the process is killed.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import memlab

BATCH = 10  # rows per add_many / record_many batch


class AckLog:
    """Append-only record of acknowledged writes: one flushed JSON line per write."""

    def __init__(self, path: Path | str) -> None:
        self.file = open(path, "a", encoding="utf-8")

    def ack(self, kind: str, value: object) -> None:
        self.file.write(json.dumps([kind, value]) + "\n")
        self.file.flush()  # in the kernel now: survives SIGKILL of this process


def read_acks(path: Path | str) -> dict[str, list]:
    """The acknowledgements in a log, by kind; a torn last line (killed mid-write) is ignored."""
    acks: dict[str, list] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            kind, value = json.loads(line)
        except ValueError:
            continue
        acks.setdefault(kind, []).append(value)
    return acks


def write_mix(db: memlab.Database, name: str, log: AckLog, rng: random.Random, step: int, *, checkpoints: bool = False) -> None:
    """One write of a realistic mix, acknowledged in ``log`` once the call has returned."""
    conversation = f"c-{name}"
    pick = rng.random()
    if pick < 0.45:
        text = f"{name} message {step} " + " ".join(rng.choices(["alpha", "beta", "gamma", "delta", "query"], k=40))
        log.ack("message", db.messages.add(conversation, "user", text))
    elif pick < 0.6:
        tag = f"{name}-b{step}"
        db.messages.add_many({"conversation_id": conversation, "role": "assistant",
                              "content": f"batch {tag} row {k}", "metadata": {"batch": tag}}
                             for k in range(BATCH))
        log.ack("batch", tag)
    elif pick < 0.7:
        tag = f"{name}-k{step}"
        db.costs.record_many({"session_id": f"s-{name}", "model": "test-model", "input_tokens": k,
                              "cost_usd": 0.001, "request_id": f"{tag}-{k}"} for k in range(BATCH))
        log.ack("cost_batch", tag)
    elif pick < 0.8:
        db.patterns.observe("writer", name)
        log.ack("pattern", name)
    elif pick < 0.9:
        iid = db.interactions.start(f"s-{name}", "dev", task=f"task {step}")
        db.interactions.finish(iid, input_tokens=step)
        log.ack("interaction", iid)
    elif pick < 0.97 or not checkpoints:
        log.ack("metric", db.metrics.record("step", step, session_id=f"s-{name}"))
    else:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")


def writer(path: str, name: str, ack_path: str, start, seconds: float, errors) -> None:
    """Write the mix for ``seconds`` after ``start``; report any exception that reached it."""
    try:
        db = memlab.open(path)
        log = AckLog(ack_path)
        rng = random.Random(name)
        start.wait(120)
        deadline = time.monotonic() + seconds
        step = 0
        while time.monotonic() < deadline:
            write_mix(db, name, log, rng, step)
            step += 1
        db.close()
    except BaseException as e:  # the parent fails the test with it
        errors.put(f"writer {name}: {type(e).__name__}: {e}")


def crash_writer(path: str, name: str, ack_path: str, seed: int) -> None:
    """Write the mix until killed (the crash test sends SIGKILL at a random moment)."""
    db = memlab.open(path)
    log = AckLog(ack_path)
    rng = random.Random(seed)
    step = seed * 1_000_000  # batch tags and request ids stay unique across runs
    while True:
        write_mix(db, name, log, rng, step, checkpoints=True)
        step += 1


def reader(path: str, name: str, start, seconds: float, errors, results) -> None:
    """Read while writers write: searches, recent messages, counts and all-or-nothing batches."""
    try:
        db = memlab.open(path)
        start.wait(120)
        deadline = time.monotonic() + seconds
        reads = 0
        torn = []
        while time.monotonic() < deadline:
            db.query("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rank LIMIT 10", ("gamma",))
            db.messages.recent(session_id="s-w0", limit=20)
            db.stats()
            torn += torn_batches(db)  # one statement, one snapshot
            reads += 1
        db.close()
        results.put((name, reads, torn))
    except BaseException as e:
        errors.put(f"reader {name}: {type(e).__name__}: {e}")


def torn_batches(db: memlab.Database) -> list[dict]:
    """Bulk batches only partly visible (each must have 0 or BATCH rows)."""
    return db.query(
        "SELECT json_extract(metadata, '$.batch') AS tag, COUNT(*) AS n FROM messages"
        " WHERE metadata IS NOT NULL GROUP BY tag HAVING n != ?"
        # request ids are "<tag>-<k>" with one digit k: the tag is all but the last two characters
        " UNION ALL SELECT substr(request_id, 1, length(request_id) - 2) AS tag, COUNT(*) AS n"
        " FROM cost_tracking WHERE request_id IS NOT NULL GROUP BY tag HAVING n != ?",
        (BATCH, BATCH),
    )


def missing_acks(db: memlab.Database, acks: dict[str, list], *, exact_patterns: bool = False) -> list[str]:
    """Acknowledged writes that are not (wholly) in ``db``; [] when every one is there."""
    problems: list[str] = []

    def present(sql: str, values: list) -> set:
        return {r["v"] for r in db.query(sql, (json.dumps(values),))}

    for kind, sql in (
        ("message", "SELECT id AS v FROM messages WHERE id IN (SELECT value FROM json_each(?))"),
        ("metric", "SELECT id AS v FROM memory_metrics WHERE id IN (SELECT value FROM json_each(?))"),
        ("interaction", "SELECT id AS v FROM agent_interactions WHERE status = 'success'"
                        " AND id IN (SELECT value FROM json_each(?))"),
    ):
        wanted = acks.get(kind, [])
        lost = set(wanted) - present(sql, wanted)
        if lost:
            problems.append(f"{len(lost)} acknowledged {kind} rows missing, e.g. {sorted(lost)[:5]}")
    batches = acks.get("batch", [])
    counts = {r["tag"]: r["n"] for r in db.query(
        "SELECT json_extract(metadata, '$.batch') AS tag, COUNT(*) AS n FROM messages"
        " WHERE json_extract(metadata, '$.batch') IN (SELECT value FROM json_each(?)) GROUP BY tag",
        (json.dumps(batches),))}
    problems += [f"batch {t}: {counts.get(t, 0)} of {BATCH} rows" for t in batches if counts.get(t) != BATCH]
    for tag in acks.get("cost_batch", []):
        n = db.query_one("SELECT COUNT(*) AS n FROM cost_tracking WHERE request_id IN (SELECT value FROM json_each(?))",
                         (json.dumps([f"{tag}-{k}" for k in range(BATCH)]),))["n"]
        if n != BATCH:
            problems.append(f"cost batch {tag}: {n} of {BATCH} rows")
    for name in set(acks.get("pattern", [])):
        wanted = acks["pattern"].count(name)
        row = db.query_one("SELECT occurrence_count AS n FROM learned_patterns WHERE pattern_type = 'writer'"
                           " AND pattern_key = ?", (name,))
        have = row["n"] if row else 0
        if have < wanted or (exact_patterns and have != wanted):
            problems.append(f"pattern {name}: counted {have}, acknowledged {wanted}")
    return problems
