"""The postings beside FTS5 (memlab.search_postings): they hold what FTS5 holds, stay so through
refreshes, and rank words, prefixes and scopes exactly as FTS5's bm25 does."""

from __future__ import annotations

import datetime as dt

import pytest

from memlab.search import index as search_index, postings as search_postings
from memlab.search import Hit, Planner, Search

DAY = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.timezone.utc)

TEXTS = [
    "optimize the slow query in the billing report",
    "add an index to optimize the invoices query",
    "the build is slow because of templates",
    "optimizer notes: the optimizing pass is slow slow slow",
    "rollback the kubernetes release, the probes failed",
    "kubernetes probes optimized; the release is healthy",
    "billing report query optimization, again the billing report",
    "short note",
]


@pytest.fixture
def corpus(db):
    """Three users' sessions, a few conversations, messages over three days."""
    for sid, user, project in (("s1", "ana", "web"), ("s2", "ana", "api"), ("s3", "bo", "web")):
        db.sessions.create(sid, user_id=user, project_id=project)
    for cid, sid in (("c1", "s1"), ("c2", "s2"), ("c3", "s3"), ("c4", "s3")):
        db.conversations.create(sid, cid)
    out = []
    for i in range(48):
        text = TEXTS[i % len(TEXTS)] + (" optimize" * (i % 3))
        conversation = ("c1", "c2", "c3", "c4")[i % 4]
        role = ("user", "assistant")[i % 2]
        out.append(db.messages.add(conversation, role, text, created_at=DAY + dt.timedelta(hours=2 * i)))
    search_index.refresh(db.conn)
    return out


def fts5_counts(db) -> dict[str, dict[int, int]]:
    """Each term's messages and occurrences, as FTS5's own index holds them."""
    db.conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.t_instances USING fts5vocab(main, messages_fts, instance)")
    out: dict[str, dict[int, int]] = {}
    for term, doc in db.conn.execute("SELECT term, doc FROM temp.t_instances"):
        per = out.setdefault(term, {})
        per[doc] = per.get(doc, 0) + 1
    return out


def stored(db) -> dict[str, dict[int, int]]:
    return {term: dict(per) for term, per in search_postings.stored(db.conn).items()}


def fts5_rank(db, query: str, mode: str = "plain", **filters) -> list[tuple[int, float]]:
    hits = Search(db, Planner(fts5_limit=10**9)).run(query, mode=mode, **filters)
    return [(h.message_id, round(h.score, 9)) for h in hits]


def ranked(hits: list[Hit]) -> list[tuple[int, float]]:
    return [(h.message_id, round(h.score, 9)) for h in hits]


def postings_planner() -> Planner:
    """Everything memlab can rank from the postings goes there (no FTS5, no top lists)."""
    return Planner(fts5_limit=-1, match_limit=10**9, scope_limit=0)


def test_postings_hold_what_fts5_holds(db, corpus):
    assert stored(db) == fts5_counts(db)


def test_lengths_and_conversations_are_fts5s_and_the_messages(db, corpus):
    known = search_postings.messages(db.conn, -1)  # a generation never used: read afresh
    rows = db.conn.execute(
        "SELECT m.id, d.sz, c.id FROM messages m JOIN messages_fts_docsize d ON d.id = m.id"
        " JOIN conversations c ON c.conversation_id = m.conversation_id").fetchall()
    assert rows
    for mid, size, conversation in rows:
        assert known.lengths[mid] == search_index.first_varint(size)
        assert known.conversations[mid] == conversation


def test_a_dense_part_holds_and_ranks_the_same(db, corpus, monkeypatch):
    monkeypatch.setattr(search_postings, "DENSE", 3)  # any term in over 3 messages of a part: a byte each
    search_index.build(db.conn)
    assert db.conn.execute("SELECT count(*) FROM search_postings WHERE ids IS NULL").fetchone()[0] > 0
    assert stored(db) == fts5_counts(db)
    for query, mode in (("the slow", "plain"), ("optim*", "advanced"), ("optim* billing", "advanced"), ("the", "plain")):
        search = Search(db, postings_planner())
        assert ranked(search.run(query, mode=mode)) == fts5_rank(db, query, mode), query
        assert search.plan.path == "postings"


@pytest.mark.parametrize("query, mode", [
    ("optimize", "plain"), ("the slow", "plain"), ("billing report query", "plain"), ("optim*", "advanced"),
    ("optim* the", "advanced"), ("kubernetes probes", "plain"), ("nothing", "plain"),
])
@pytest.mark.parametrize("filters", [
    {}, {"user_id": "ana"}, {"user_id": "bo"}, {"project_id": "web"}, {"session_id": "s3"}, {"conversation_id": "c2"},
    {"role": "assistant"}, {"since": DAY + dt.timedelta(days=2)}, {"user_id": "ana", "until": DAY + dt.timedelta(days=1)},
    {"project_id": "web", "role": "user"}, {"user_id": "nobody"},
])
@pytest.mark.parametrize("lookup", ["binary search", "spread"])
def test_postings_rank_as_fts5_does(db, corpus, query, mode, filters, lookup, monkeypatch):
    if lookup == "spread":  # look every sparse phrase up through a dense array
        monkeypatch.setattr(search_postings, "SPREAD_FIXED", -1)
    else:
        monkeypatch.setattr(search_postings, "SPREAD_LOOKUP", 0)
    search = Search(db, postings_planner())
    mine = search.run(query, mode=mode, limit=5, **filters)
    assert search.plan.path == "postings" and search.plan.exact
    assert ranked(mine) == fts5_rank(db, query, mode, limit=5, **filters)


def test_deep_pages_are_fts5s_too(db, corpus):
    search = Search(db, postings_planner())
    assert ranked(search.run("the", limit=7, offset=9, user_id="ana")) == fts5_rank(db, "the", limit=7, offset=9, user_id="ana")


@pytest.mark.parametrize("lookup", ["binary search", "spread"])
def test_a_word_past_255_occurrences_scores_as_fts5(db, corpus, lookup, monkeypatch):
    monkeypatch.setattr(search_postings, *(("SPREAD_FIXED", -1) if lookup == "spread" else ("SPREAD_LOOKUP", 0)))
    crowded = db.messages.add("c1", "user", "zeta " * 300 + "zetta optimize quux")  # zet*: two words
    db.messages.add("c1", "user", "zeta " * 254 + "optimize optimize")
    search_index.refresh(db.conn)
    assert stored(db)["zeta"][crowded] == search_postings.SATURATED  # a byte holds 255 or more
    search = Search(db, postings_planner())
    assert ranked(search.run("zeta optimize")) == fts5_rank(db, "zeta optimize")
    assert ranked(search.run("zet*", mode="advanced")) == fts5_rank(db, "zet*", "advanced")
    assert ranked(search.run("quux zet*", mode="advanced")) == fts5_rank(db, "quux zet*", "advanced")  # looked up


def test_messages_not_folded_in_yet_are_ranked_too(db, corpus):
    fresh = db.messages.add("c2", "user", "optimize optimize the slow billing")  # not folded in yet
    search = Search(db, Planner(fts5_limit=-1, match_limit=10**9, scope_limit=0, tail_limit=10**6))
    hits = search.run("optimize billing")
    assert search.plan.path == "postings" and search_index.backlog(db.conn)[0] >= 1
    assert ranked(hits) == fts5_rank(db, "optimize billing") and fresh in [h.message_id for h in hits]


def test_deletes_rewrites_and_moves_leave_what_a_rebuild_would(db, corpus):
    db.execute("DELETE FROM messages WHERE id = ?", (corpus[0],))
    db.execute("UPDATE messages SET content = 'kubernetes kubernetes zebra' WHERE id = ?", (corpus[5],))
    db.execute("UPDATE messages SET conversation_id = 'c3' WHERE id = ?", (corpus[6],))  # moved to bo's session
    db.execute("UPDATE messages SET role = 'tool' WHERE id = ?", (corpus[14],))  # "billing report ..." too
    search = Search(db, postings_planner())
    assert ranked(search.run("billing", role="tool")) == fts5_rank(db, "billing", role="tool") != []
    moved = search.run("billing report", user_id="bo")  # from the change log: nothing folded in yet
    assert corpus[6] in [h.message_id for h in moved]
    assert ranked(moved) == fts5_rank(db, "billing report", user_id="bo")
    search_index.refresh(db.conn)
    assert ranked(search.run("billing report", user_id="bo")) == ranked(moved)
    refreshed = stored(db), search_postings.messages(db.conn, -1)
    assert refreshed[0] == fts5_counts(db)
    search_index.build(db.conn)
    rebuilt = search_postings.messages(db.conn, -2)
    assert refreshed[0] == stored(db)
    assert (refreshed[1].lengths == rebuilt.lengths).all() and (refreshed[1].conversations == rebuilt.conversations).all()


def test_what_a_connection_remembers_follows_new_messages_and_rebuilds(db, corpus):
    # A message in a later part (ids past 65,536): newer messages then re-read only that part.
    db.execute("INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES"
               " (200000, 'c3', 'user', 'billing report for bo', '2026-01-20T09:00:00.000000Z')")
    search_index.refresh(db.conn)
    search = Search(db, Planner(fts5_limit=-1, match_limit=10**9, scope_limit=0))
    assert ranked(search.run("billing", user_id="bo")) == fts5_rank(db, "billing", user_id="bo")  # remembered
    added = db.messages.add("c4", "user", "billing billing short")  # bo's
    assert added > 200000
    search_index.refresh(db.conn)  # a new generation: what the connection remembered is read again
    hits = search.run("billing", user_id="bo")
    assert search.plan.path == "postings"
    assert added in [h.message_id for h in hits] and ranked(hits) == fts5_rank(db, "billing", user_id="bo")
    moved = corpus[6]  # "billing report ...", in part 0, bo's
    assert moved in [h.message_id for h in hits]
    db.execute("UPDATE messages SET conversation_id = 'c1' WHERE id = ?", (moved,))  # now ana's
    search_index.build(db.conn)  # a rebuild, not a refresh: nothing remembered may survive it
    assert moved not in [h.message_id for h in search.run("billing", user_id="bo")]
    assert ranked(search.run("billing", user_id="ana")) == fts5_rank(db, "billing", user_id="ana")


def test_a_remembered_scope_follows_moved_conversations_and_sessions(db, corpus):
    search = Search(db, postings_planner())
    assert ranked(search.run("billing", user_id="bo")) == fts5_rank(db, "billing", user_id="bo")  # remembered
    db.execute("UPDATE conversations SET session_id = 's1' WHERE conversation_id = 'c4'")  # bo's c4 -> ana
    assert ranked(search.run("billing", user_id="bo")) == fts5_rank(db, "billing", user_id="bo")
    assert ranked(search.run("billing", project_id="api")) == fts5_rank(db, "billing", project_id="api")
    db.execute("UPDATE sessions SET project_id = 'api', user_id = 'bo' WHERE session_id = 's1'")
    for filters in ({"user_id": "bo"}, {"user_id": "ana"}, {"project_id": "api"}):
        assert ranked(search.run("billing", **filters)) == fts5_rank(db, "billing", **filters), filters


@pytest.mark.parametrize("filters", [{"user_id": "ana"}, {"project_id": "web", "role": "user"}, {"session_id": "s3"},
                                     {"conversation_id": "c2"}, {"user_id": "bo", "since": DAY + dt.timedelta(days=2)}])
@pytest.mark.parametrize("query", ["the", "optimize the", "optim*"])
def test_a_scope_too_big_to_list_is_checked_best_match_first(db, corpus, filters, query):
    search = Search(db, Planner(fts5_limit=-1, match_limit=10**9, scope_limit=0, scope_conversations=0))
    mine = search.run(query, mode="advanced", limit=3, **filters)
    assert search.plan.path == "postings"
    assert ranked(mine) == fts5_rank(db, query, "advanced", limit=3, **filters)


def test_refreshes_add_runs_that_are_read_together_and_merged(db, corpus, monkeypatch):
    monkeypatch.setattr(search_postings, "MAX_RUNS", 2)
    search = Search(db, postings_planner())
    most = []
    for round_ in range(5):
        for text in ("optimize the billing report", "slow slow query", f"round {round_} of the probes"):
            db.messages.add("c2", "user", text)
        search_index.refresh(db.conn)
        most.append(db.conn.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM search_postings GROUP BY term, part)").fetchone()[0])
        for query, mode in (("the", "plain"), ("optimize billing", "plain"), ("optim* slow", "advanced")):
            assert ranked(search.run(query, mode=mode)) == fts5_rank(db, query, mode), (round_, query)
    assert max(most) == 2 and most[-1] <= 2  # a second run was read beside the first, a third merged them
    assert stored(db) == fts5_counts(db)
    db.execute("DELETE FROM messages WHERE content = 'slow slow query'")  # in several runs
    assert ranked(search.run("slow query")) == fts5_rank(db, "slow query")
    search_index.refresh(db.conn)
    assert ranked(search.run("slow query")) == fts5_rank(db, "slow query") and stored(db) == fts5_counts(db)


@pytest.mark.parametrize("query, limit, offset", [("alpha beta", 5, 0), ("alpha beta", 10, 0), ("alpha", 3, 4),
                                                  ("alph* beta", 5, 0)])
def test_messages_holding_each_word_once_are_ranked_by_length_alone(db, query, limit, offset):
    db.sessions.create("s")
    db.conversations.create("s", "c")
    filler = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()
    for i in range(60):  # each word once, a different length each, in shuffled order
        n = (i * 37) % 60
        db.messages.add("c", "user", "alpha beta " + " ".join(filler[j % len(filler)] for j in range(n)))
    for i in range(5):  # twice each, but long
        db.messages.add("c", "user", "alpha alpha beta beta " + "gamma " * (40 + i))
    search_index.refresh(db.conn)
    search = Search(db, postings_planner())
    hits = search.run(query, mode="advanced", limit=limit, offset=offset)
    assert search.plan.path == "postings" and search.plan.candidates < 65  # not every match was scored
    assert ranked(hits) == fts5_rank(db, query, "advanced", limit=limit, offset=offset)
