"""A writer killed with SIGKILL at random moments, again and again: after every kill the file
reopens sound, holds every write the API acknowledged, and shows no half-written batch.

The writer is forked (no connection is open in the parent at fork time), so each round costs
milliseconds rather than a fresh interpreter. SIGKILL loses nothing the process handed to the
kernel; power loss (synchronous=NORMAL may drop the last commits) can't be simulated here.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection
import os
import random
import signal

import pytest

import memlab
from load_workers import crash_writer, missing_acks, read_acks, torn_batches

KILLS = 25


@pytest.fixture(scope="module")
def crashes(tmp_path_factory):
    """Run the kill loop once; yield what each reopen found."""
    where = tmp_path_factory.mktemp("crash")
    path = where / "m.db"
    with memlab.open(path) as db:
        db.sessions.create("s-w")
        db.conversations.create("s-w", "c-w")
    ctx = mp.get_context("fork")
    rng = random.Random(2026)
    log = where / "acks.jsonl"
    rounds = []
    for kill in range(KILLS):
        child = ctx.Process(target=crash_writer, args=(str(path), "w", str(log), kill))
        child.start()
        mp.connection.wait([child.sentinel], timeout=rng.uniform(0.05, 0.5))
        os.kill(child.pid, signal.SIGKILL)
        child.join(30)
        with memlab.open(path) as db:  # reopening runs WAL recovery
            rounds.append({
                "exitcode": child.exitcode,
                "integrity": db.integrity_check(),
                "missing": missing_acks(db, read_acks(log)),
                "torn": torn_batches(db),
                "messages": db.count("messages"),
            })
    return rounds


def test_every_round_was_a_real_kill_mid_writing(crashes):
    assert len(crashes) == KILLS
    assert all(r["exitcode"] == -signal.SIGKILL for r in crashes)
    assert crashes[-1]["messages"] > crashes[0]["messages"] > 0


def test_file_is_sound_after_every_kill(crashes):
    assert [r["integrity"] for r in crashes] == [[]] * KILLS


def test_every_acknowledged_write_survives_every_kill(crashes):
    assert [r["missing"] for r in crashes] == [[]] * KILLS


def test_no_batch_is_ever_half_written(crashes):
    assert [r["torn"] for r in crashes] == [[]] * KILLS
