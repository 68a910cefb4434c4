"""Archive files: old sessions move whole into per-month files, verified before the live copy
goes; attachable for search and analytics; idempotent; a failure at any point loses nothing."""

from __future__ import annotations

import json
import multiprocessing as mp
import multiprocessing.connection
import os
import random
import signal
import sqlite3
import stat

import pytest
from click.testing import CliRunner

import memlab
from memlab import archive
from memlab.archive import SESSION_ROWS, across, archive_files, archive_sessions, attach_archives
from memlab.cli import cli
from memlab.search import Planner, Search

CUTOFF = "2026-01-01T00:00:00Z"


def _session(db, sid, when, status="completed", words="notes"):
    db.sessions.create(sid, user_id="u", created_at=when)
    db.conversations.create(sid, f"c-{sid}", title=f"about {sid}", created_at=when)
    for i in range(3):
        db.messages.add(f"c-{sid}", "user", f"{words} {sid} message {i}", created_at=when,
                        metadata={"i": i})
    iid = db.interactions.record(sid, "dev", task=f"task {sid}", conversation_id=f"c-{sid}",
                                 started_at=when, completed_at=when)
    db.routing.record(sid, f"route {sid}", "dev", candidates={"dev": 0.9}, created_at=when)
    db.costs.record(sid, "test-model", input_tokens=10, cost_usd=0.5, agent_interaction_id=iid,
                    request_id=f"req-{sid}", created_at=when)
    db.metrics.record("latency", 12.5, session_id=sid, created_at=when)
    if status != "active":
        db.sessions.update(sid, status=status)


@pytest.fixture
def live(db):
    """Sessions: A (Nov) hands off to B (Dec), C archived in Oct, D old but active, E recent,
    F old but handed off to the recent E: only A+B (to 2025-12) and C (to 2025-10) are due."""
    _session(db, "A", "2025-11-10T10:00:00Z", words="alpaca")
    _session(db, "B", "2025-12-05T10:00:00Z")
    db.handoffs.create("A", to_session_id="B", summary="carry on", context={"todo": 1})
    db.execute("UPDATE session_handoffs SET created_at = ?", ("2025-11-11T10:00:00.000000Z",))
    _session(db, "C", "2025-10-01T10:00:00Z", status="archived", words="capybara")
    _session(db, "D", "2025-09-01T10:00:00Z", status="active")
    _session(db, "E", "2026-01-05T10:00:00Z")
    _session(db, "F", "2025-08-01T10:00:00Z")
    db.handoffs.create("F", to_session_id="E", summary="later")
    db.preferences.set("u", "editor", "vim")
    return db


def _rows(db, schema, sessions):
    """Every row of the sessions, per table, in a stable order."""
    ids = json.dumps(sessions)
    return {t: sorted(db.query(f"SELECT * FROM {schema}.{t} WHERE {w.format(s=schema)}", {"ids": ids}),
                      key=lambda row: json.dumps(row, sort_keys=True))
            for t, w in SESSION_ROWS.items()}


def _all_counts(path):
    with memlab.open(path) as db:
        return {t: db.count(t) for t in SESSION_ROWS}


def test_dry_run_counts_and_changes_nothing(live):
    before = live.stats()["tables"]
    reports = archive_sessions(live, CUTOFF, dry_run=True)
    assert [(r.period, r.sessions) for r in reports] == [("2025-10", ["C"]), ("2025-12", ["A", "B"])]
    assert reports[1].rows["messages"] == 6 and reports[1].rows["session_handoffs"] == 1
    assert live.stats()["tables"] == before
    assert archive_files(live) == {}


def test_archived_sessions_leave_the_live_file_with_all_their_rows(live):
    archive_sessions(live, CUTOFF)
    assert sorted(r["session_id"] for r in live.query("SELECT session_id FROM sessions")) == ["D", "E", "F"]
    assert all(rows == [] for rows in _rows(live, "main", ["A", "B", "C"]).values())
    assert live.count("memory_metrics") == 3 and live.count("session_handoffs") == 1
    assert live.preferences.get("u", "editor") == "vim"  # not a session's row: stays


def test_archive_files_hold_identical_rows(live, db_path):
    before = {sid: _rows(live, "main", [sid]) for sid in "ABC"}
    archive_sessions(live, CUTOFF)
    files = archive_files(live)
    assert {p: f.name for p, f in files.items()} == {"2025-10": "memlab-archive-2025-10.db",
                                                   "2025-12": "memlab-archive-2025-12.db"}
    with memlab.open(files["2025-12"]) as dec, memlab.open(files["2025-10"]) as oct_:
        assert _rows(dec, "main", ["A", "B"]) == {
            t: sorted(before["A"][t] + before["B"][t], key=lambda row: json.dumps(row, sort_keys=True))
            for t in SESSION_ROWS}
        assert _rows(oct_, "main", ["C"]) == before["C"]
        assert dec.integrity_check() == [] and oct_.integrity_check() == []


def test_archive_files_are_private(live):
    archive_sessions(live, CUTOFF)
    for path in archive_files(live).values():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_live_search_index_stays_consistent(live):
    archive_sessions(live, CUTOFF)
    assert live.query("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'alpaca'") == []
    assert len(live.query("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'notes'")) == 9  # D, E, F
    assert live.integrity_check() == []


def test_running_again_changes_nothing(live):
    archive_sessions(live, CUTOFF)
    counts = {p: _all_counts(f) for p, f in archive_files(live).items()}
    live_counts = live.stats()["tables"]
    assert archive_sessions(live, CUTOFF) == []
    assert {p: _all_counts(f) for p, f in archive_files(live).items()} == counts
    assert live.stats()["tables"] == live_counts


def test_a_failure_after_copying_loses_nothing_and_a_rerun_finishes(live, monkeypatch):
    original = {t: live.count(t) for t in SESSION_ROWS}

    def fail(*args):
        raise RuntimeError("crash between copy and delete")

    monkeypatch.setattr(archive, "_delete", fail)
    with pytest.raises(RuntimeError):
        archive_sessions(live, CUTOFF)
    assert {t: live.count(t) for t in SESSION_ROWS} == original  # live untouched
    assert _all_counts(archive_files(live)["2025-10"])["sessions"] == 1  # a copy exists
    monkeypatch.undo()
    archive_sessions(live, CUTOFF)
    totals = {t: live.count(t) for t in SESSION_ROWS}
    for path in archive_files(live).values():
        for t, n in _all_counts(path).items():
            totals[t] += n
    assert totals == original  # every row exactly once: no loss, no duplicate


def test_a_count_mismatch_in_the_archive_stops_before_deleting(live, monkeypatch):
    original = live.stats()["tables"]
    real_counts = archive._counts

    def short(conn, schema, ids):
        counts = real_counts(conn, schema, ids)
        if conn is not live.conn:
            counts["messages"] -= 1  # as if a row had not arrived
        return counts

    monkeypatch.setattr(archive, "_counts", short)
    with pytest.raises(memlab.MemlabError, match="nothing was moved"):
        archive_sessions(live, CUTOFF)
    assert live.stats()["tables"] == original
    assert all(_all_counts(f)["sessions"] == 0 for f in archive_files(live).values())


def test_attached_archives_join_search_and_analytics(live):
    total = live.count("messages")
    archive_sessions(live, CUTOFF)
    with live.attach_archives() as schemas:
        assert schemas == ["archive_2025_10", "archive_2025_12"]
        n = live.query_one(f"SELECT COUNT(*) AS n FROM ({across('messages', schemas)})")["n"]
        assert n == total
        hits = live.query("SELECT rowid FROM archive_2025_12.messages_fts WHERE messages_fts MATCH 'alpaca'")
        assert len(hits) == 3
        cost = live.query_one(f"SELECT SUM(cost_usd) AS c FROM ({across('cost_tracking', schemas)})")["c"]
        assert cost == pytest.approx(0.5 * 6)
    assert [r["name"] for r in live.query("PRAGMA database_list")] == ["main"]


def test_attach_only_some_periods(live):
    archive_sessions(live, CUTOFF)
    with attach_archives(live, ["2025-10"]) as schemas:
        assert schemas == ["archive_2025_10"]
    with pytest.raises(memlab.ValidationError, match="no archive for 1999-01"):
        with attach_archives(live, ["1999-01"]):
            pass


def test_across_refuses_names_outside_the_fixed_lists(live):
    with pytest.raises(memlab.ValidationError):
        across("messages; DROP TABLE sessions", [])
    with pytest.raises(memlab.ValidationError):
        across("messages", ["main; --"])


def _archive_until_killed(path: str) -> None:
    with memlab.open(path) as db:
        archive_sessions(db, CUTOFF)


def test_killing_an_archive_run_loses_nothing(tmp_path):
    path = tmp_path / "m.db"
    with memlab.open(path) as db:
        for month in range(1, 13):
            for k in range(4):
                sid = f"s{month}-{k}"
                db.sessions.create(sid, created_at=f"2025-{month:02d}-03T00:00:00Z")
                db.conversations.create(sid, f"c-{sid}", created_at=f"2025-{month:02d}-03T00:00:00Z")
                db.messages.add_many({"conversation_id": f"c-{sid}", "role": "user", "content": f"m {sid} {i} " * 30,
                                      "created_at": f"2025-{month:02d}-03T00:00:00Z"} for i in range(150))
                db.sessions.end(sid)
        expected = db.count("messages")
    ctx = mp.get_context("fork")
    rng = random.Random(5)
    remaining = []
    for kill in range(6):
        child = ctx.Process(target=_archive_until_killed, args=(str(path),))
        child.start()
        # A whole run takes a few hundred ms here; the first kill comes far too soon to finish.
        mp.connection.wait([child.sentinel], timeout=0.02 if kill == 0 else rng.uniform(0.02, 0.3))
        os.kill(child.pid, signal.SIGKILL)
        child.join(30)
        with memlab.open(path) as db:
            assert db.integrity_check() == []
            remaining.append(db.count("messages"))
            ids = {r["id"] for r in db.query("SELECT id FROM messages")}
            for f in archive_files(db).values():
                with memlab.open(f) as a:
                    ids |= {r["id"] for r in a.query("SELECT id FROM messages")}
            assert len(ids) == expected  # every message is in the live file or an archive
    assert remaining[0] > 0  # the kills interrupted runs, not finished ones
    with memlab.open(path) as db:
        archive_sessions(db, CUTOFF)
        assert db.count("messages") == 0
        assert sum(_all_counts(f)["messages"] for f in archive_files(db).values()) == expected


# -- the CLI ----------------------------------------------------------------------------------


def _cli(*args):
    return CliRunner().invoke(cli, list(args))


def test_maintain_dry_run_reports_counts_and_changes_nothing(live, db_path):
    before = live.stats()["tables"]
    result = _cli("maintain", "--db", str(db_path), "--inactive-days", "30", "--purge-days", "7",
                  "--archive-before", CUTOFF, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would archive 1 session(s)" in result.output  # D: active, idle since September
    assert "would move 2 session(s)" in result.output and "memlab-archive-2025-12.db" in result.output
    assert live.stats()["tables"] == before


def test_maintain_moves_sessions_to_archive_files(live, db_path):
    result = _cli("maintain", "--db", str(db_path), "--archive-before", CUTOFF)
    assert result.exit_code == 0, result.output
    assert "moved 1 session(s)" in result.output and "moved 2 session(s)" in result.output
    assert sorted(archive_files(live)) == ["2025-10", "2025-12"]


def test_maintain_defaults_run_the_retention_jobs(live, db_path):
    live.messages.mark_summarized("c-E")
    result = _cli("maintain", "--db", str(db_path))
    assert result.exit_code == 0, result.output
    assert "archived 1 session(s)" in result.output and "deleted 3 summarized message(s)" in result.output


def test_maintain_with_conflicting_options_is_one_line(db_path):
    result = _cli("maintain", "--db", str(db_path), "--archive-days", "30", "--archive-before", CUTOFF)
    assert result.exit_code == 1 and result.output.startswith("Error: ")
    assert len(result.output.strip().splitlines()) == 1


# -- later batches into a month's existing file (ids SQLite hands out again) --------------------

DEC = "2025-12-{day:02d}T10:00:00Z"


def _batch(db, batch, day):
    for sid in batch:
        _session(db, sid, DEC.format(day=day), words=f"batch{day} zebra")
    for i, sid in enumerate(batch):  # a ring of handoffs inside the batch
        db.handoffs.create(sid, to_session_id=batch[(i + 1) % len(batch)], summary=f"handoff {sid}")


def _reused_ids_after_archiving(db, batch, day):
    """Sessions of ``batch`` in December, created last so their rows hold the newest ids, then
    archived: SQLite hands those ids out again to the rows made next."""
    _batch(db, batch, day)
    archive_sessions(db, CUTOFF)
    return {t: {r["id"] for r in db.query(f"SELECT coalesce(max(id), 0) + 1 AS id FROM {t}")}
            for t in SESSION_ROWS if t != "sessions"}


def _archived(path):
    """Each archived session's rows as they read back: contents without the integer ids, and
    the cost rows' interactions found through their integer reference."""
    with memlab.open(path) as a:
        return {
            "messages": sorted((r["session_id"], r["content"], r["metadata"]) for r in a.query(
                "SELECT c.session_id, m.content, m.metadata FROM messages m"
                " JOIN conversations c USING (conversation_id)")),
            "costs": sorted((r["session_id"], r["request_id"], r["task"], r["owner"]) for r in a.query(
                "SELECT k.session_id, k.request_id, i.task, i.session_id AS owner FROM cost_tracking k"
                " JOIN agent_interactions i ON i.id = k.agent_interaction_id")),
            "interactions": sorted((r["session_id"], r["task"]) for r in a.query(
                "SELECT session_id, task FROM agent_interactions")),
            "routes": sorted(r["request"] for r in a.query("SELECT request FROM routing_decisions")),
            "metrics": sorted(r["session_id"] for r in a.query("SELECT session_id FROM memory_metrics")),
            "handoffs": sorted(r["summary"] for r in a.query("SELECT summary FROM session_handoffs")),
        }


def _expected(batches):
    sids = sorted(s for batch in batches.values() for s in batch)
    return {
        "messages": sorted((s, f"batch{d} zebra {s} message {i}", json.dumps({"i": i}, separators=(",", ":")))
                           for d, batch in batches.items() for s in batch for i in range(3)),
        "costs": sorted((s, f"req-{s}", f"task {s}", s) for s in sids),
        "interactions": sorted((s, f"task {s}") for s in sids),
        "routes": sorted(f"route {s}" for s in sids),
        "metrics": sids,
        "handoffs": [f"handoff {s}" for s in sids],
    }


def _search_is_fts5s(path, query):
    """memlab's search in the archive file, by its default plan and by its own index (FTS5's
    ranking left out), ranks as FTS5's bm25 does; return the hits' ids."""
    with memlab.open(path) as a:
        fts5 = [(r[0], round(r[1], 9)) for r in a.conn.execute(
            "SELECT rowid, -bm25(messages_fts) FROM messages_fts WHERE messages_fts MATCH ?"
            " ORDER BY rank, rowid DESC LIMIT 50", (query,))]
        for search in (a.search, Search(a, Planner(fts5_limit=0)).run):
            assert [(h.message_id, round(h.score, 9)) for h in search(query, limit=50)] == fts5
    return [i for i, _ in fts5]


def test_a_second_batch_with_reused_ids_joins_the_months_archive(db):
    next_ids = _reused_ids_after_archiving(db, ["P1", "P2"], 5)
    _batch(db, ["Q1", "Q2"], 20)
    with memlab.open(archive_files(db)["2025-12"]) as a:  # the ids really are taken there
        for table, (first,) in next_ids.items():
            assert a.query_one(f"SELECT id FROM {table} WHERE id = ?", (first,)) is not None, table
    reports = archive_sessions(db, CUTOFF)
    assert [(r.period, r.sessions) for r in reports] == [("2025-12", ["Q1", "Q2"])]
    path = archive_files(db)["2025-12"]
    assert _archived(path) == _expected({5: ["P1", "P2"], 20: ["Q1", "Q2"]})
    assert db.count("messages") == 0
    assert len(_search_is_fts5s(path, "zebra")) == 12
    with memlab.open(path) as a:
        assert a.integrity_check() == []
        assert a.query("PRAGMA foreign_key_check") == []


def test_three_batches_into_one_month(db):
    _reused_ids_after_archiving(db, ["P1"], 3)
    _reused_ids_after_archiving(db, ["Q1", "Q2"], 10)
    _reused_ids_after_archiving(db, ["R1"], 28)
    path = archive_files(db)["2025-12"]
    assert list(archive_files(db)) == ["2025-12"]
    assert _archived(path) == _expected({3: ["P1"], 10: ["Q1", "Q2"], 28: ["R1"]})
    assert len(_search_is_fts5s(path, "zebra")) == 12
    assert len(_search_is_fts5s(path, "batch10")) == 6


def test_a_later_batch_below_the_archives_indexed_ids_is_searchable(db):
    # Two December sessions written in turns (interleaved ids); the first is archived and the
    # archive searched often enough that its search index folds those messages in.
    db.sessions.create("P", created_at=DEC.format(day=1))
    db.sessions.create("Q", created_at=DEC.format(day=1))
    db.conversations.create("P", "c-P", created_at=DEC.format(day=1))
    db.conversations.create("Q", "c-Q", created_at=DEC.format(day=1))
    text = {"P": "pword zebra in a longer message {i}", "Q": "qword zebra {i}"}  # Q's weigh more
    db.messages.add_many({"conversation_id": f"c-{sid}", "role": "user", "content": text[sid].format(i=i),
                          "created_at": DEC.format(day=2)} for i in range(350) for sid in "PQ")
    db.sessions.end("P")
    archive_sessions(db, CUTOFF)
    path = archive_files(db)["2025-12"]
    assert len(_search_is_fts5s(path, "zebra")) == 50
    db.sessions.end("Q")
    archive_sessions(db, CUTOFF)  # Q's ids are free in the archive, and lower than P's newest
    with memlab.open(path) as a:
        q_ids = {r["id"] for r in a.query("SELECT id FROM messages WHERE conversation_id = 'c-Q'")}
    assert set(_search_is_fts5s(path, "zebra")) <= q_ids
    assert len(_search_is_fts5s(path, "qword")) == 50


def test_a_failed_second_batch_is_replaced_by_the_rerun(db, monkeypatch):
    _reused_ids_after_archiving(db, ["P1", "P2"], 5)
    _batch(db, ["Q1", "Q2"], 20)

    def fail(*args):
        raise RuntimeError("crash between copy and delete")

    monkeypatch.setattr(archive, "_delete", fail)
    with pytest.raises(RuntimeError):
        archive_sessions(db, CUTOFF)
    path = archive_files(db)["2025-12"]
    assert db.count("sessions") == 2 and _all_counts(path)["sessions"] == 4  # in both files
    monkeypatch.undo()
    archive_sessions(db, CUTOFF)
    assert db.count("sessions") == 0
    assert _all_counts(path) == {"sessions": 4, "conversations": 4, "messages": 12, "agent_interactions": 4,
                                 "routing_decisions": 4, "cost_tracking": 4, "session_handoffs": 4,
                                 "memory_metrics": 4}
    assert _archived(path) == _expected({5: ["P1", "P2"], 20: ["Q1", "Q2"]})
    assert len(_search_is_fts5s(path, "zebra")) == 12


def test_every_integer_reference_is_remapped_with_its_row(db):
    integer_fks = {(table, fk["from"]): fk["table"]
                   for table in SESSION_ROWS for fk in db.query(f"PRAGMA foreign_key_list({table})")
                   if fk["to"] == "id"}
    assert integer_fks == archive.ID_REFERENCES


def test_a_conversation_id_already_in_the_archive_is_a_memlab_error_and_moves_nothing(db):
    _reused_ids_after_archiving(db, ["P1"], 5)
    db.sessions.create("Q1", created_at=DEC.format(day=20))
    db.conversations.create("Q1", "c-P1", created_at=DEC.format(day=20))  # the archived one's id, again
    db.messages.add("c-P1", "user", "newer words", created_at=DEC.format(day=20))
    db.sessions.end("Q1")
    path = archive_files(db)["2025-12"]
    before = _archived(path)
    with pytest.raises(memlab.MemlabError, match=r"memlab-archive-2025-12\.db.*copying 1 session.*"
                                                 r"conversations\.conversation_id.*nothing was moved") as error:
        archive_sessions(db, CUTOFF)
    assert not isinstance(error.value, sqlite3.Error)
    assert db.count("messages") == 1 and db.count("sessions") == 1  # Q1 stays live
    assert _archived(path) == before  # P1 stays archived


def test_a_session_id_made_again_does_not_replace_the_archived_session(db):
    _reused_ids_after_archiving(db, ["P1"], 5)
    _session(db, "P1", DEC.format(day=20), words="second life")  # the same id, another session
    path = archive_files(db)["2025-12"]
    before = _archived(path)
    with pytest.raises(memlab.MemlabError, match=r"already holds another session 'P1'.*nothing was moved"):
        archive_sessions(db, CUTOFF)
    assert db.count("messages") == 3
    assert _archived(path) == before
