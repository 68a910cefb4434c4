"""Sessions and conversations through the write API."""

from __future__ import annotations

import pytest

import memlab


def test_create_session_returns_the_row(db, clock):
    s = db.sessions.create("s1", user_id="u1", project_id="p1", metadata={"source": "web"})
    assert s["session_id"] == "s1" and s["status"] == "active"
    assert s["metadata"] == {"source": "web"}
    assert s["created_at"] == s["last_active_at"] == "2026-01-12T09:00:00.000000Z"


def test_session_id_defaults_to_a_uuid(db):
    s = db.sessions.create()
    assert len(s["session_id"]) == 36


def test_duplicate_session_is_refused_or_returned(db):
    db.sessions.create("s1", metadata={"v": 1})
    with pytest.raises(memlab.ValidationError, match="already exists"):
        db.sessions.create("s1")
    assert db.sessions.create("s1", exist_ok=True, metadata={"v": 2})["metadata"] == {"v": 1}


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
def test_empty_or_non_string_ids_are_refused(db, bad):
    with pytest.raises(memlab.ValidationError):
        db.conversations.create(bad, "c1")


def test_bad_status_is_refused_and_nothing_written(db):
    with pytest.raises(memlab.ValidationError, match="status"):
        db.sessions.create("s1", status="sleeping")
    assert db.count("sessions") == 0


def test_metadata_must_be_json(db):
    with pytest.raises(memlab.ValidationError, match="metadata is not JSON-serialisable"):
        db.sessions.create("s1", metadata={"when": object()})
    with pytest.raises(memlab.ValidationError):
        db.sessions.create("s1", metadata={"x": float("nan")})
    assert db.count("sessions") == 0


def test_update_status_and_metadata(db):
    db.sessions.create("s1")
    s = db.sessions.update("s1", status="paused", metadata={"a": [1, 2]})
    assert s["status"] == "paused" and s["metadata"] == {"a": [1, 2]}


def test_update_unknown_session(db):
    with pytest.raises(memlab.NotFoundError, match="unknown session 'nope'"):
        db.sessions.update("nope", status="paused")


def test_touch_moves_last_active(db, clock):
    db.sessions.create("s1")
    clock.advance(minutes=5)
    db.sessions.touch("s1")
    assert db.sessions.get("s1")["last_active_at"] == "2026-01-12T09:05:00.000000Z"


def test_active_lists_a_users_sessions_newest_first(db, clock):
    db.sessions.create("old", user_id="u1")
    clock.advance(hours=1)
    db.sessions.create("new", user_id="u1")
    db.sessions.create("other", user_id="u2")
    db.sessions.create("done", user_id="u1")
    db.sessions.end("done")
    assert [s["session_id"] for s in db.sessions.active(user_id="u1")] == ["new", "old"]
    assert [s["session_id"] for s in db.sessions.active(user_id="u1", limit=1)] == ["new"]


def test_end_and_archive(db):
    db.sessions.create("s1")
    assert db.sessions.end("s1")["status"] == "completed"
    assert db.sessions.archive("s1")["status"] == "archived"


def test_conversation_in_unknown_session(db):
    with pytest.raises(memlab.NotFoundError, match="unknown session 'ghost'"):
        db.conversations.create("ghost", "c1")


def test_conversations_list_and_title(db, clock):
    db.sessions.create("s1")
    db.conversations.create("s1", "c1")
    clock.advance(seconds=1)
    db.conversations.create("s1", "c2", title="Planning")
    assert [c["conversation_id"] for c in db.conversations.list("s1")] == ["c1", "c2"]
    assert db.conversations.set_title("c1", "Debugging")["title"] == "Debugging"


def test_get_unknown_conversation(db):
    with pytest.raises(memlab.NotFoundError):
        db.conversations.get("nope")
