"""Snippets of memlab-planned hits are made in a small temporary FTS5 table: each must be the
snippet FTS5's own index gives for that message and query."""

from __future__ import annotations

import unicodedata

import pytest

import memlab
from memlab.search import Planner, Search
from memlab.search.snippets import MARKS

TEXTS = [
    "the deploy of the cache server failed while we were creating the release notes",
    "creating creative creatures: a long note " + "about nothing in particular " * 12 + "and the deploy at the end",
    unicodedata.normalize("NFD", "résumé of the deploy: café crème, naïve creation"),
    "देवनागरी लिपि deploy परीक्षण creation",
    "Kubernetes pods restart; the deploy pipeline creates images",
    "short deploy",
]


@pytest.fixture
def db(tmp_path):
    with memlab.open(tmp_path / "snippets.db") as database:
        database.sessions.create("s", user_id="ana")
        database.conversations.create("s", "c")
        database.messages.add_many({"conversation_id": "c", "role": "user", "content": TEXTS[i % len(TEXTS)]}
                                   for i in range(600))
        database.update_search_index()
        yield database


def fts5_snippet(db, expression: str, message_id: int) -> str:
    return db.conn.execute(
        "SELECT snippet(messages_fts, 0, :open, :close, :ellipsis, :words) FROM messages_fts"
        " WHERE messages_fts MATCH :expression AND rowid = :id", {**MARKS, "expression": expression, "id": message_id},
    ).fetchone()[0]


@pytest.mark.parametrize("query, mode", [
    ("deploy", "plain"),
    ("deploy creation", "plain"),
    ("creating", "plain"),  # porter: "creates" too
    ("résumé deploy", "plain"),
    ("creat*", "advanced"),
    ('"the deploy"', "advanced"),
    ("kubernetes résumé pipeline", "any"),
    ("लिपि deploy", "plain"),
])
def test_planned_hits_carry_fts5s_own_snippet(db, query, mode):
    search = Search(db, Planner(fts5_limit=0))  # memlab's own plan, not FTS5's ORDER BY rank
    hits = search.run(query, mode=mode, limit=20)
    assert hits and search.plan.path in ("lists", "postings")
    expression = " OR ".join(f'"{w}"' for w in query.split()) if mode == "any" else (
        query if mode == "advanced" else " ".join(f'"{w}"' for w in query.split()))
    for h in hits:
        assert h.snippet == fts5_snippet(db, expression, h.message_id)
        assert "**" in h.snippet


def test_making_snippets_leaves_nothing_behind(db):
    Search(db, Planner(fts5_limit=0)).run("deploy")
    assert db.conn.execute("SELECT count(*) FROM temp.memlab_snippets").fetchone()[0] == 0
    assert not db.conn.in_transaction
