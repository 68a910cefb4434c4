"""Ties in FTS5's own ranking: its sorted plan returns tied messages in no set order, memlab
settles a tie across the page's edge newest first, whatever the filter form."""

from __future__ import annotations

import pytest

import memlab

SAME = "the deploy failed again"  # a hundred copies: one score for all of them


@pytest.fixture
def db(tmp_path):
    with memlab.open(tmp_path / "ties.db") as database:
        for s, user in (("s1", "ana"), ("s2", "bo")):
            database.sessions.create(s, user_id=user)
            database.conversations.create(s, f"c-{s}")
        rows = []
        for i in range(240):
            conversation = "c-s1" if i % 3 else "c-s2"
            role = "user" if i % 2 else "assistant"
            text = SAME if i % 5 else f"deploy deploy of service {i}"  # a few better-scoring ones
            rows.append({"conversation_id": conversation, "role": role, "content": text,
                         "created_at": f"2026-03-{1 + i // 10:02d}T10:00:00Z"})
        database.messages.add_many(rows)
        yield database


def exhaustive(db, where: str = "", params: tuple = ()) -> list[tuple[int, float]]:
    """Every match by bm25, ties newest first (the order memlab promises), through plain joins."""
    return [(r[0], r[1]) for r in db.conn.execute(
        "SELECT f.rowid, -bm25(messages_fts) FROM messages_fts f"
        " JOIN messages m ON m.id = f.rowid JOIN conversations c ON c.conversation_id = m.conversation_id"
        " JOIN sessions s ON s.session_id = c.session_id"
        f" WHERE messages_fts MATCH 'deploy' {where} ORDER BY rank, f.rowid DESC", params)]


def found(hits) -> list[tuple[int, float]]:
    return [(h.message_id, h.score) for h in hits]


def test_a_tie_across_the_page_edge_is_settled_newest_first(db):
    want = exhaustive(db)
    assert want[9][1] == want[10][1]  # the page's edge falls inside the tie
    assert found(db.search("deploy")) == want[:10]


@pytest.mark.parametrize("offset", [0, 7, 10, 33, 150])
def test_pages_through_a_tie_join_up(db, offset):
    want = exhaustive(db)
    assert found(db.search("deploy", limit=10, offset=offset)) == want[offset:offset + 10]


@pytest.mark.parametrize("filters, where, params", [
    ({"role": "user"}, "AND m.role = ?", ("user",)),
    ({"session_id": "s1"}, "AND c.session_id = ?", ("s1",)),
    ({"user_id": "bo", "role": "assistant"}, "AND s.user_id = ? AND m.role = ?", ("bo", "assistant")),
    ({"since": "2026-03-10T00:00:00Z"}, "AND m.created_at >= ?", ("2026-03-10T00:00:00.000000Z",)),
])
def test_ties_are_settled_inside_every_filter_form(db, filters, where, params):
    want = exhaustive(db, where, params)
    assert len(want) > 20
    for offset in (0, 5):
        assert found(db.search("deploy", offset=offset, **filters)) == want[offset:offset + 10]


def test_a_page_holding_the_whole_tie_needs_nothing_more(db):
    want = exhaustive(db)
    everything = db.search("deploy", limit=len(want))
    assert found(everything) == want
    assert all(h.snippet for h in everything)
