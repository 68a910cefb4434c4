"""Write benchmarks: create/open a database, one message per commit, bulk add; memlab beside raw sqlite3.

Raw sqlite3 gets the same file, the same schema, the same pragmas and the same rows, so the
ratio is the cost of memlab's API (validation, JSON, timestamps) and nothing else.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from pathlib import Path

import memlab
from memlab.messages import INSERT, estimate_tokens
from memlab.store import PRAGMAS

from . import Row, interleave, latency, throughput

_WORDS = (
    "the a to of and in is for that with on this it be as are query index table session agent "
    "memory search cache model token cost latency database schema migration function error test "
    "review plan debug deploy commit branch merge file path config value result request response "
    "user assistant context summary pattern preference handoff metric router candidate confidence "
    "python sqlite pandas notebook benchmark insert update delete select transaction lock write read"
).split()


def message_text(rng: random.Random, words: int = 200) -> str:
    """A deterministic ~``words``-word message with a skewed (Zipf-like) vocabulary."""
    weights = [1 / (rank + 1) for rank in range(len(_WORDS))]
    return " ".join(rng.choices(_WORDS, weights, k=words)) + "."


def _raw_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    for pragma, value in PRAGMAS:
        conn.execute(f"PRAGMA {pragma} = {value}")
    return conn


def _schema_script(db: memlab.Database) -> str:
    """memlab's schema as one script, as raw sqlite3 would create it."""
    rows = db.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        " AND name NOT LIKE 'messages_fts_%' ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1"
        " WHEN 'view' THEN 2 ELSE 3 END, rowid"
    )
    return ";\n".join(r[0] for r in rows) + ";"


def bench_create_open(workdir: Path, rounds: int = 20) -> list[Row]:
    """Create a new database and open an existing one, memlab vs raw executescript."""
    with memlab.open(workdir / "schema.db") as db:
        script = _schema_script(db)
    counter = iter(range(10**9))

    def create_memlab():
        memlab.open(workdir / f"m{next(counter)}.db").close()

    def create_raw():
        conn = _raw_connect(workdir / f"r{next(counter)}.db")
        conn.executescript(script)
        conn.close()

    tm, tr = interleave(create_memlab, create_raw, rounds)
    existing = workdir / "schema.db"

    def open_memlab():
        memlab.open(existing).close()

    def open_raw():
        conn = _raw_connect(existing)
        conn.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()
        conn.close()

    om, orw = interleave(open_memlab, open_raw, rounds * 5)
    return [
        Row("create", "create a database", latency(tm), latency(tr), target="< 100 ms (seed)",
            met=latency(tm).p95_ms < 100),
        Row("create", "open an existing database", latency(om), latency(orw)),
    ]


def bench_single_insert(workdir: Path, count: int = 2000, words: int = 200, seed: int = 0) -> list[Row]:
    """One message per commit, with the FTS trigger: memlab ``messages.add`` vs raw INSERT + commit."""
    path = workdir / "single.db"
    db = memlab.open(path)
    db.sessions.create("s")
    db.conversations.create("s", "c")
    raw = _raw_connect(path)
    rng = random.Random(seed)
    texts = [message_text(rng, words) for _ in range(256)]
    now = memlab.clock.to_iso(db.clock())
    block = 50
    tm: list[float] = []
    tr: list[float] = []

    def memlab_block(start: int) -> None:
        for i in range(start, start + block):
            db.messages.add("c", "user", texts[i % 256])

    def raw_block(start: int) -> None:
        for i in range(start, start + block):
            text = texts[i % 256]
            raw.execute(INSERT, ("c", "user", text, estimate_tokens(text), now, None))
            raw.commit()

    for b in range(0, count, block):
        order = ((memlab_block, tm), (raw_block, tr)) if (b // block) % 2 == 0 else ((raw_block, tr), (memlab_block, tm))
        for fn, out in order:
            t0 = time.perf_counter()
            fn(b)
            out.append(time.perf_counter() - t0)
    raw.close()
    db.close()
    m, r = throughput(count, sum(tm)), throughput(count, sum(tr))
    return [Row("write", f"add one message + commit (~{words} words, FTS)", m, r,
                target=">= 0.9x raw", met=m.per_s >= 0.9 * r.per_s)]


def bench_bulk(workdir: Path, count: int = 100_000, words: int = 200, seed: int = 0, rounds: int = 3) -> list[Row]:
    """Bulk add in one transaction: memlab ``messages.add_many`` vs raw ``executemany``, alternating.

    Each side's figure is its best round by CPU time of this process: a bulk load takes
    seconds, long enough for other work on a shared machine to swing wall-clock times by 2x
    between rounds, while the CPU a load needs does not move with the machine's load.
    """
    rng = random.Random(seed)
    texts = [message_text(rng, words) for _ in range(1024)]
    cpu: dict[str, list[float]] = {"memlab": [], "raw": []}
    wall: dict[str, list[float]] = {"memlab": [], "raw": []}
    for round_ in range(rounds):
        for side in (("memlab", "raw") if round_ % 2 == 0 else ("raw", "memlab")):
            path = workdir / f"bulk-{side}-{round_}.db"
            with memlab.open(path) as db:
                db.sessions.create("s")
                db.conversations.create("s", "c")
                now = memlab.clock.to_iso(db.clock())
                if side == "memlab":
                    c0, w0 = time.process_time(), time.perf_counter()
                    db.messages.add_many(
                        {"conversation_id": "c", "role": "user", "content": texts[i % 1024], "created_at": now}
                        for i in range(count)
                    )
                    cpu[side].append(time.process_time() - c0)
                    wall[side].append(time.perf_counter() - w0)
            if side == "raw":
                conn = _raw_connect(path)
                c0, w0 = time.process_time(), time.perf_counter()
                with conn:
                    conn.executemany(
                        INSERT,
                        (("c", "user", texts[i % 1024], estimate_tokens(texts[i % 1024]), now, None) for i in range(count)),
                    )
                cpu[side].append(time.process_time() - c0)
                wall[side].append(time.perf_counter() - w0)
                conn.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    m = throughput(count, min(cpu["memlab"]))
    r = throughput(count, min(cpu["raw"]))
    wall_rates = {side: round(count / min(t)) for side, t in wall.items()}
    return [Row("write", f"bulk add {count:,} messages, one transaction", m, r,
                target=">= 0.9x raw", met=m.per_s >= 0.9 * r.per_s,
                notes=f"CPU time, best of {rounds} each, alternating",
                extra={"wall_per_s": wall_rates})]


def run(*, single: int = 2000, bulk: int = 100_000, rounds: int = 20, workdir: Path | None = None) -> list[Row]:
    """All write benchmarks in a temporary folder (or ``workdir``)."""
    with tempfile.TemporaryDirectory(prefix="memlab-bench-") as tmp:
        where = Path(workdir or tmp)
        return bench_create_open(where, rounds) + bench_single_insert(where, single) + bench_bulk(where, bulk)
