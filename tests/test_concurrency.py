"""Two real processes writing to one file at the same time both succeed."""

from __future__ import annotations

import multiprocessing as mp

import memlab

PER_PROCESS = 150


def _writer(path: str, name: str, start: mp.Event, errors: mp.Queue) -> None:
    try:
        db = memlab.open(path)
        start.wait(10)
        for i in range(PER_PROCESS):
            # Mix the write shapes: a read-then-write transaction is the one that fails
            # without BEGIN IMMEDIATE.
            if i % 3 == 0:
                db.patterns.observe("writer", name)
            db.messages.add(f"c-{name}", "user", f"{name} writes message {i}")
            if i % 25 == 0:
                db.messages.add_many(
                    {"conversation_id": f"c-{name}", "role": "assistant", "content": f"bulk {name} {i} {k}"}
                    for k in range(20)
                )
        db.close()
    except Exception as e:  # reported to the parent, which fails the test
        errors.put(f"{name}: {type(e).__name__}: {e}")


def test_two_processes_write_at_once(db_path):
    with memlab.open(db_path) as db:
        for name in ("a", "b"):
            db.sessions.create(f"s-{name}")
            db.conversations.create(f"s-{name}", f"c-{name}")
    ctx = mp.get_context("spawn")
    start, errors = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(db_path), n, start, errors)) for n in ("a", "b")]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
    reported = []
    while not errors.empty():
        reported.append(errors.get())
    assert reported == []
    assert all(p.exitcode == 0 for p in procs)
    with memlab.open(db_path) as db:
        expected = PER_PROCESS + (PER_PROCESS // 25) * 20
        for name in ("a", "b"):
            assert len(db.query("SELECT id FROM messages WHERE conversation_id = ?", (f"c-{name}",))) == expected
            assert db.patterns.list("writer")[0]["occurrence_count"] == (PER_PROCESS + 2) // 3
        assert db.integrity_check() == []
