"""Preferences, patterns, handoffs and maintenance."""

from __future__ import annotations

import pytest

import memlab


def test_preference_upsert_get_list_delete(db, clock):
    db.preferences.set("u1", "editor", "vim", confidence=0.6, source="inferred")
    clock.advance(minutes=1)
    row = db.preferences.set("u1", "editor", {"name": "helix"}, source="explicit")
    assert row["value"] == {"name": "helix"} and row["confidence"] == 1.0
    assert row["created_at"] < row["updated_at"]
    assert db.preferences.get("u1", "editor") == {"name": "helix"}
    assert db.preferences.get("u1", "missing", default="x") == "x"
    assert [p["key"] for p in db.preferences.list("u1")] == ["editor"]
    assert db.preferences.delete("u1", "editor") is True
    assert db.preferences.delete("u1", "editor") is False


def test_pattern_observe_counts_and_grows_confidence(db, clock):
    first = db.patterns.observe("error", "ImportError", {"fix": "pip install"})
    clock.advance(minutes=1)
    second = db.patterns.observe("error", "ImportError")
    assert (first["occurrence_count"], first["confidence"]) == (1, 0.5)
    assert (second["occurrence_count"], second["confidence"]) == (2, 0.75)
    assert second["data"] == {"fix": "pip install"}
    assert second["first_seen_at"] < second["last_seen_at"]


def test_patterns_top_and_list(db):
    for _ in range(3):
        db.patterns.observe("tool", "grep")
    db.patterns.observe("tool", "sed")
    db.patterns.observe("error", "KeyError")
    assert [p["pattern_key"] for p in db.patterns.top(limit=2)] == ["grep", "KeyError"] or \
        [p["pattern_key"] for p in db.patterns.top(limit=2)][0] == "grep"
    assert [p["pattern_key"] for p in db.patterns.list("tool")] == ["grep", "sed"]


def test_handoff_to_a_new_session(db, clock):
    db.sessions.create("s1", user_id="u1", project_id="p1")
    h = db.handoffs.create("s1", summary="half done", context={"todo": ["tests"]})
    new = db.sessions.get(h["to_session_id"])
    assert (new["user_id"], new["project_id"]) == ("u1", "p1")
    assert db.sessions.get("s1")["status"] == "completed"
    assert db.handoffs.latest(new["session_id"])["context"] == {"todo": ["tests"]}
    clock.advance(minutes=1)
    resumed = db.handoffs.resume(h["id"])
    assert resumed["resumed_at"] == "2026-01-12T09:01:00.000000Z"
    clock.advance(minutes=1)
    assert db.handoffs.resume(h["id"])["resumed_at"] == resumed["resumed_at"]


def test_handoff_from_unknown_session_writes_nothing(db):
    with pytest.raises(memlab.NotFoundError):
        db.handoffs.create("ghost", summary="x")
    assert db.count("session_handoffs") == 0 and db.count("sessions") == 0


def test_archive_inactive_respects_recent_messages(db, clock):
    db.sessions.create("idle")
    db.sessions.create("chatty")
    db.conversations.create("chatty", "c1")
    clock.advance(days=40)
    db.messages.add("c1", "user", "still here")
    assert db.maintenance.archive_inactive(30, dry_run=True) == 1
    assert db.sessions.get("idle")["status"] == "active"
    assert db.maintenance.archive_inactive(30) == 1
    assert db.sessions.get("idle")["status"] == "archived"
    assert db.sessions.get("chatty")["status"] == "active"


def test_purge_summarized_deletes_only_old_summarized(db, clock):
    db.sessions.create("s1")
    db.conversations.create("s1", "c1")
    db.conversations.create("s1", "c2")
    old = db.messages.add("c1", "user", "old summarized")
    db.messages.add("c2", "user", "old kept")
    db.messages.mark_summarized("c1", up_to_id=old)
    clock.advance(days=10)
    recent = db.messages.add("c1", "user", "new summarized")
    db.messages.mark_summarized("c1", up_to_id=recent)
    assert db.maintenance.purge_summarized(7, dry_run=True) == 1
    assert db.count("messages") == 3
    assert db.maintenance.purge_summarized(7) == 1
    assert [m["content"] for m in db.messages.recent(session_id="s1")] == ["new summarized", "old kept"]
    assert db.integrity_check() == []
