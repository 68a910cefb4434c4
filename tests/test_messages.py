"""Messages: add, bulk add, recent, summarize; validation and atomicity."""

from __future__ import annotations

import pytest

import memlab
from memlab.messages import estimate_tokens


@pytest.fixture
def conv(db):
    db.sessions.create("s1", user_id="u1")
    db.conversations.create("s1", "c1")
    return "c1"


def test_add_returns_id_and_stores_row(db, conv):
    mid = db.messages.add(conv, "user", "How do I optimize queries?", token_count=6, metadata={"k": 1})
    m = db.messages.get(mid)
    assert (m["role"], m["content"], m["token_count"], m["metadata"]) == ("user", "How do I optimize queries?", 6, {"k": 1})


def test_token_count_is_estimated_when_missing(db, conv):
    mid = db.messages.add(conv, "user", "x" * 10)
    assert db.messages.get(mid)["token_count"] == estimate_tokens("x" * 10) == 3


def test_bad_role_is_refused(db, conv):
    with pytest.raises(memlab.ValidationError, match="role must be one of"):
        db.messages.add(conv, "wizard", "hi")
    assert db.count("messages") == 0


def test_negative_tokens_are_refused(db, conv):
    with pytest.raises(memlab.ValidationError, match="token_count must not be negative"):
        db.messages.add(conv, "user", "hi", token_count=-1)


def test_unknown_conversation_is_named(db, conv):
    with pytest.raises(memlab.NotFoundError, match="unknown conversation 'nope'"):
        db.messages.add("nope", "user", "hi")


def test_lone_surrogate_is_refused_cleanly(db, conv):
    with pytest.raises(memlab.ValidationError, match="not valid Unicode"):
        db.messages.add(conv, "user", "bad \ud800 text")


def test_unicode_and_nul_round_trip(db, conv):
    text = "naïve café 🚀 C++ \x00 end"
    mid = db.messages.add(conv, "user", text)
    assert db.messages.get(mid)["content"] == text


def test_add_many_counts_and_stores_in_order(db, conv, clock):
    rows = ({"conversation_id": conv, "role": "user", "content": f"message {i}"} for i in range(50))
    assert db.messages.add_many(rows) == 50
    assert db.count("messages") == 50


def test_add_many_is_all_or_nothing_on_bad_row(db, conv):
    rows = [{"conversation_id": conv, "role": "user", "content": "fine"}] * 3
    rows.append({"conversation_id": conv, "role": "robot", "content": "bad"})
    with pytest.raises(memlab.ValidationError, match="message 3: role"):
        db.messages.add_many(rows)
    assert db.count("messages") == 0


def test_add_many_names_the_unknown_conversation(db, conv):
    rows = [{"conversation_id": conv, "role": "user", "content": "fine"},
            {"conversation_id": "ghost", "role": "user", "content": "orphan"}]
    with pytest.raises(memlab.NotFoundError, match="'ghost'"):
        db.messages.add_many(rows)
    assert db.count("messages") == 0


def test_recent_for_conversation_is_newest_first(db, conv, clock):
    for i in range(5):
        db.messages.add(conv, "user", f"m{i}")
        clock.advance(seconds=1)
    assert [m["content"] for m in db.messages.recent(conversation_id=conv, limit=3)] == ["m4", "m3", "m2"]


def test_recent_for_session_spans_conversations(db, conv, clock):
    db.conversations.create("s1", "c2")
    db.messages.add(conv, "user", "first")
    clock.advance(seconds=1)
    db.messages.add("c2", "assistant", "second")
    clock.advance(seconds=1)
    db.messages.add(conv, "user", "third")
    assert [m["content"] for m in db.messages.recent(session_id="s1")] == ["third", "second", "first"]


def test_recent_needs_exactly_one_scope(db):
    with pytest.raises(memlab.ValidationError):
        db.messages.recent()


def test_mark_summarized_before_a_time(db, conv, clock):
    db.messages.add(conv, "user", "old one")
    clock.advance(hours=1)
    db.messages.add(conv, "user", "new one")
    assert db.messages.mark_summarized(conv, before="2026-01-12T09:30:00Z") == 1
    flags = [m["is_summarized"] for m in db.messages.recent(conversation_id=conv)]
    assert flags == [0, 1]
    assert [m["content"] for m in db.messages.recent(conversation_id=conv, include_summarized=False)] == ["new one"]


def test_mark_summarized_unknown_conversation(db):
    with pytest.raises(memlab.NotFoundError):
        db.messages.mark_summarized("ghost")


def test_added_messages_are_searchable(db, conv):
    db.messages.add(conv, "user", "the porter stemmer handles optimizing")
    rows = db.query("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'optimize'")
    assert len(rows) == 1
