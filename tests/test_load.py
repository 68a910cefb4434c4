"""Several writer and reader processes on one file for a few seconds, with a backup taken
mid-way: nothing fails with "database is locked", every acknowledged write is stored, readers
never see half a batch, and the backup is consistent and complete up to its moment."""

from __future__ import annotations

import multiprocessing as mp
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import memlab
from load_workers import missing_acks, read_acks, reader, torn_batches, writer

WRITERS, READERS, SECONDS = 3, 2, 4.0


@dataclass
class Run:
    path: Path
    backup: Path
    acks: dict[str, list]
    acked_before_backup: dict[str, list]
    errors: list[str]
    exitcodes: list[int | None]
    reads: dict[str, tuple[int, list]]


def _merge(logs: list[Path]) -> dict[str, list]:
    merged: dict[str, list] = {}
    for log in logs:
        for kind, values in read_acks(log).items():
            merged.setdefault(kind, []).extend(values)
    return merged


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    where = tmp_path_factory.mktemp("load")
    path = where / "m.db"
    with memlab.open(path) as db:
        for i in range(WRITERS):
            db.sessions.create(f"s-w{i}")
            db.conversations.create(f"s-w{i}", f"c-w{i}")
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(WRITERS + READERS + 1)
    errors, results = ctx.Queue(), ctx.Queue()
    logs = [where / f"acks-w{i}.jsonl" for i in range(WRITERS)]
    procs = [ctx.Process(target=writer, args=(str(path), f"w{i}", str(logs[i]), start, SECONDS, errors))
             for i in range(WRITERS)]
    procs += [ctx.Process(target=reader, args=(str(path), f"r{i}", start, SECONDS, errors, results))
              for i in range(READERS)]
    for p in procs:
        p.start()
    start.wait(120)
    time.sleep(SECONDS / 2)
    acked_before_backup = _merge(logs)  # every write acknowledged before the backup starts
    with memlab.open(path) as db:
        backup = db.backup(where / "backup.db")
    reads = {}
    for _ in range(READERS):
        try:
            name, count, torn = results.get(timeout=120)
            reads[name] = (count, torn)
        except Exception:
            break
    for p in procs:
        p.join(120)
    reported = []
    while not errors.empty():
        reported.append(errors.get())
    return Run(path, backup, _merge(logs), acked_before_backup, reported, [p.exitcode for p in procs], reads)


def test_no_error_reaches_any_writer_or_reader(run):
    assert run.errors == []
    assert run.exitcodes == [0] * (WRITERS + READERS)


def test_writers_got_real_work_done(run):
    assert len(run.acks["message"]) > 50 and len(run.acks["batch"]) > 10


def test_every_acknowledged_write_is_stored(run):
    with memlab.open(run.path) as db:
        assert missing_acks(db, run.acks, exact_patterns=True) == []


def test_live_file_passes_sqlite_and_fts_checks(run):
    with memlab.open(run.path) as db:
        assert db.integrity_check() == []
        assert torn_batches(db) == []


def test_readers_kept_reading_and_never_saw_half_a_batch(run):
    assert sorted(run.reads) == [f"r{i}" for i in range(READERS)]
    for count, torn in run.reads.values():
        assert count > 3 and torn == []


def test_backup_under_load_is_consistent(run):
    with memlab.open(run.backup) as copy:
        assert copy.integrity_check() == []
        assert torn_batches(copy) == []


def test_backup_holds_every_write_acknowledged_before_it_started(run):
    assert len(run.acked_before_backup.get("message", [])) > 10
    with memlab.open(run.backup) as copy:
        assert missing_acks(copy, run.acked_before_backup) == []


def test_backup_is_private(run):
    assert stat.S_IMODE(os.stat(run.backup).st_mode) == 0o600
