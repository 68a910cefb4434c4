"""Speed must not buy wrong answers: with the planner's thresholds lowered so that a small corpus
takes memlab's paths (top lists with the threshold stop, postings), the top 10 holds the
known-relevant messages and is FTS5's exhaustive bm25 top 10 (the issue asks for 9 of 10 on
average; memlab's answers are exact or re-ranked by FTS5)."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from memlab.search import index as search_index
from memlab.search import Planner, Search

COMMON = "the a is to of and in for it on with this that we".split()
MID = "cache deploy error query index worker timeout retry memory latency".split()
RARE = "zeppelin quokka".split()
FAST = Planner(fts5_limit=0, exact_limit=5, match_limit=40, batch=5, max_candidates=200, tail_limit=100_000)
MEMLAB_PATHS = ("lists", "postings")

# query -> the messages written to be the answer (planted among decoys)
RELEVANT = {
    "cache timeout": ["cache timeout: the cache timeout hit again, cache timeout everywhere"],
    "memory worker": ["memory worker memory worker: the worker ran out of memory"],
    "zeppelin": ["zeppelin zeppelin launch notes"],
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """About 900 messages: common words everywhere, mid words often, planted answers."""
    import memlab

    path = tmp_path_factory.mktemp("quality") / "quality.db"
    db = memlab.open(path)
    rng = random.Random(7)
    db.sessions.create("s", user_id="u")
    db.conversations.create("s", "c")
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    rows, planted = [], {}
    for i in range(900):
        words = [rng.choice(COMMON) for _ in range(rng.randint(8, 40))]
        words += [rng.choice(MID) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.01:
            words.append(rng.choice(RARE))
        rng.shuffle(words)
        rows.append(" ".join(words))
    for query, texts in RELEVANT.items():
        for text in texts:
            at = rng.randrange(len(rows))
            rows.insert(at, text)
    db.messages.add_many({"conversation_id": "c", "role": "user", "content": text,
                          "created_at": start + dt.timedelta(minutes=i)} for i, text in enumerate(rows))
    for query, texts in RELEVANT.items():
        planted[query] = [r["id"] for r in db.query(
            "SELECT id FROM messages WHERE content IN (SELECT value FROM json_each(?))", (json.dumps(texts),))]
    search_index.build(db.conn, top_k=30, min_docs=10)
    yield db, planted
    db.close()


QUERIES = ["the", "is", "cache", "deploy", "timeout", "cache timeout", "memory worker", "the error",
           "index query retry", "latency", "worker", "zeppelin", "the cache of"]


def exhaustive(db, query: str, filters: dict | None = None) -> list[tuple[int, float]]:
    """FTS5's own ORDER BY rank: (id, bm25) best first."""
    expression = " ".join(f'"{w}"' for w in query.split())
    return [(r[0], -r[1]) for r in db.conn.execute(
        "SELECT rowid, rank FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rank LIMIT 200", (expression,))]


def agreement(mine: list[tuple[int, float]], best: list[tuple[int, float]]) -> float:
    """Share of our top 10 in the exhaustive top 10 (a score tied with the 10th counts)."""
    k = min(10, len(best))
    if k == 0:
        return 1.0 if not mine else 0.0
    tenth = best[k - 1][1]
    allowed = {m for m, s in best if s >= tenth - 1e-9 - 1e-6 * abs(tenth)}
    return sum(1 for m, s in mine[:k] if m in allowed or abs(s - tenth) <= 1e-9 + 1e-6 * abs(tenth)) / k


def test_the_fast_path_is_taken(corpus):
    db, _ = corpus
    search = Search(db, FAST)
    search.run("the")
    assert search.plan.path == "lists"
    search.run("cache timeout")
    assert search.plan.path == "postings"


@pytest.mark.parametrize("query", sorted(RELEVANT))
def test_known_relevant_messages_are_in_the_top_10(corpus, query):
    db, planted = corpus
    top = [h.message_id for h in Search(db, FAST).run(query)]
    assert set(planted[query]) <= set(top)


def test_fast_top_10_agrees_with_exhaustive_bm25(corpus):
    db, _ = corpus
    scores, fast = [], 0
    for query in QUERIES:
        search = Search(db, FAST)
        hits = search.run(query)
        fast += search.plan.path in MEMLAB_PATHS
        scores.append(agreement([(h.message_id, h.score) for h in hits], exhaustive(db, query)))
    assert fast == len(QUERIES)  # none was left to FTS5
    assert sum(scores) / len(scores) == 1.0, scores


def test_fast_path_scores_equal_fts5_bm25(corpus):
    db, _ = corpus
    for query in ("cache", "the error", "memory worker"):
        best = dict(exhaustive(db, query))
        for h in Search(db, FAST).run(query):
            assert h.score == pytest.approx(best[h.message_id], rel=1e-9)


def test_scoped_fast_path_agrees_with_scoped_exhaustive(corpus):
    db, _ = corpus
    since = "2026-01-01T10:00:00.000000Z"
    hits = Search(db, FAST).run("cache", since=since)
    best = [(r[0], -r[1]) for r in db.conn.execute(
        "SELECT f.rowid, rank FROM messages_fts f JOIN messages m ON m.id = f.rowid"
        " WHERE messages_fts MATCH '\"cache\"' AND m.created_at >= ? ORDER BY rank LIMIT 200", (since,))]
    assert agreement([(h.message_id, h.score) for h in hits], best) >= 0.9


# Everything memlab can plan goes to the postings (no top lists, no FTS5 for few matches).
POSTINGS = Planner(fts5_limit=0, match_limit=10**9, max_verified=10**6, tail_limit=100_000)


def ranked(db, expression: str, since: str | None = None) -> list[tuple[int, float]]:
    return [(r[0], round(-r[1], 9)) for r in db.conn.execute(
        "SELECT f.rowid, rank FROM messages_fts f JOIN messages m ON m.id = f.rowid"
        " WHERE messages_fts MATCH ? AND (? IS NULL OR m.created_at >= ?) ORDER BY rank, f.rowid DESC LIMIT 10",
        (expression, since, since))]


@pytest.mark.parametrize("query, mode", [(q, "plain") for q in QUERIES] + [
    ("cach*", "advanced"), ("work* timeout", "advanced"), ('"the cache"', "advanced"), ("th*", "advanced"),
    ('"the cache" timeout', "advanced"),  # a phrase's idf counts the messages holding the phrase
    ('"the cach"*', "advanced"), ('"of the" "is a"', "advanced"),
])
@pytest.mark.parametrize("since", [None, "2026-01-01T08:00:00.000000Z"])
def test_postings_give_bm25s_exact_top_10(corpus, query, mode, since):
    db, _ = corpus
    search = Search(db, POSTINGS)
    hits = search.run(query, mode=mode, since=since)
    assert search.plan.path == "postings" and search.plan.exact
    expression = query if mode == "advanced" else " ".join(f'"{w}"' for w in query.split())
    assert [(h.message_id, round(h.score, 9)) for h in hits] == ranked(db, expression, since)


def test_a_phrase_past_its_budget_is_ranked_by_fts5(corpus):
    db, _ = corpus
    search = Search(db, Planner(fts5_limit=0, match_limit=10**9, max_verified=0))
    hits = search.run('"of the"', mode="advanced")
    assert search.plan.path == "fts5"
    assert [(h.message_id, round(h.score, 9)) for h in hits] == ranked(db, '"of the"')


@pytest.mark.parametrize("phrase", [("the", "cach"), ("cach", "timeout"), ("of", "the", "is"), ("the", "the")])  # terms, stemmed
def test_a_phrase_bound_holds_for_every_message(corpus, phrase):
    from memlab.search import postings as search_postings
    from memlab.search.engine import Phrase, frequency

    db, _ = corpus
    search = Search(db, POSTINGS)
    search.run("anything")  # the index is current
    bound = search_postings.together([search._postings(t, False, 0, 2**62) for t in phrase])
    most = {}
    for part, (offsets, tfs, _) in bound.parts.items():
        most.update(zip((offsets + (part << search_postings.PART_BITS)).tolist(), tfs.tolist()))
    checked = 0
    for mid, content, _ in search_index.fetch(db.conn, [r["id"] for r in db.query("SELECT id FROM messages")]):
        count = frequency(search.stemmer.words(content), Phrase(phrase))
        if count:
            assert count <= most[mid], (mid, count)
            checked += 1
    assert checked
