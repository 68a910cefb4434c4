"""Recall: natural-language questions find the messages that answer them (any word counts),
ranked exactly as FTS5 ranks the OR of the question's words, inside the filters."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from click.testing import CliRunner

import memlab
from memlab.cli import cli
from memlab.errors import ValidationError
from memlab.recall import RecallHit, hybrid, keyword

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)
FILLER = ("so anyway how are you doing today I think that is great we should talk more about it soon "
          "the weather was nice and the kids are fine thanks for asking what about you").split()

# Memories an agent keeps, and questions (asked the way people ask) with the memory that answers.
MEMORIES = {
    "lgbtq": "Caroline: I went to a LGBTQ support group yesterday and it was so powerful.",
    "sunrise": "Melanie: I painted that lake sunrise last year, it's special to me.",
    "pottery": "Melanie: We signed the kids up for a pottery class at the community center.",
    "deploy": "The staging deploy failed because the migration timed out on the orders table.",
    "allergy": "Note: the user is allergic to peanuts and prefers vegetarian recipes.",
}
QUESTIONS = {
    "When did Caroline go to the LGBTQ support group?": "lgbtq",
    "What did Melanie paint?": "sunrise",
    "Which class did Melanie's kids join?": "pottery",
    "Why did the staging deploy fail?": "deploy",
    "Is the user allergic to anything?": "allergy",
}


def _chatter(rng: random.Random) -> str:
    return " ".join(rng.choice(FILLER) for _ in range(rng.randint(6, 20)))


@pytest.fixture
def memories(tmp_path):
    """Two users' sessions of small talk with the memories planted in user u1's."""
    db = memlab.open(tmp_path / "recall.db")
    rng = random.Random(3)
    planted = {}
    when = START
    for user in ("u1", "u2"):
        db.sessions.create(f"s-{user}", user_id=user)
        db.conversations.create(f"s-{user}", f"c-{user}")
        for i in range(150):
            when += dt.timedelta(minutes=5)
            db.messages.add(f"c-{user}", "user" if i % 2 else "assistant", _chatter(rng), created_at=when)
            if user == "u1" and i % 30 == 7:
                key = list(MEMORIES)[i // 30]
                when += dt.timedelta(minutes=1)
                planted[key] = db.messages.add("c-u1", "user", MEMORIES[key], created_at=when)
    # decoys in the other user's session: same topic words, other people
    db.messages.add("c-u2", "user", "Caroline said the support group meets on Fridays.", created_at=when)
    yield db, planted
    db.close()


def exhaustive_or(db, words, where: str = "", params: tuple = ()) -> list[tuple[int, float]]:
    """FTS5's own bm25 ranking of the OR of ``words``: every match, (id, score) best first."""
    sql = ("SELECT messages_fts.rowid, -bm25(messages_fts) FROM messages_fts "
           "JOIN messages m ON m.id = messages_fts.rowid "
           f"WHERE messages_fts MATCH ? {where} ORDER BY rank")
    return [(r[0], r[1]) for r in db.conn.execute(sql, (" OR ".join(words), *params))]


def same_ranking(hits, best, k: int) -> None:
    """The hits are the exhaustive top k: same scores in order, and each id among those tied."""
    top = best[:k]
    assert [round(h.score, 9) for h in hits] == [round(s, 9) for _, s in top]
    for h, (_, s) in zip(hits, top):
        assert h.message_id in {m for m, t in best if abs(t - s) < 1e-9}


def test_questions_search_misses_recall_finds(memories):
    db, planted = memories
    for question, key in QUESTIONS.items():
        assert db.search(question, session_id="s-u1") == []  # every word must match: none does
        hits = db.recall(question, session_id="s-u1", mode="keyword", limit=3)
        assert hits[0].message_id == planted[key], question


def test_keyword_recall_is_fts5_or_ranking(memories):
    db, _ = memories
    for question in [*QUESTIONS, "how are you", "the weather and kids", "peanuts OR NOT (deploy*"]:
        words = keyword.informative(db, keyword.question_words(db, question))
        hits = db.recall(question, mode="keyword", limit=10)
        same_ranking(hits, exhaustive_or(db, words), 10)


def test_keyword_recall_within_filters_is_fts5_or_ranking(memories):
    db, _ = memories
    question = "What did Caroline say about the support group?"
    words = keyword.informative(db, keyword.question_words(db, question))
    since = (START + dt.timedelta(hours=6)).isoformat()
    cases = [
        ({"user_id": "u2"}, "AND m.conversation_id = 'c-u2'", ()),
        ({"session_id": "s-u1", "role": "user"}, "AND m.conversation_id = 'c-u1' AND m.role = 'user'", ()),
        ({"since": since}, "AND m.created_at >= ?", (memlab.validation.timestamp("since", since),)),
    ]
    for given, where, params in cases:
        hits = db.recall(question, mode="keyword", limit=5, **given)
        assert hits, given
        same_ranking(hits, exhaustive_or(db, words, where, params), 5)


def test_words_in_most_messages_are_left_out_beside_others(memories):
    db, _ = memories
    words = keyword.question_words(db, "how are you doing with the pottery")
    kept = keyword.informative(db, words)
    assert '"pottery"' in kept and len(kept) < len(words)
    assert keyword.informative(db, ['"the"']) == ['"the"']  # alone, a common word still counts


def test_hits_say_how_they_were_found(memories):
    db, planted = memories
    hit = db.recall("pottery class", mode="keyword", limit=1)[0]
    assert isinstance(hit, RecallHit)
    assert (hit.signals, hit.keyword_rank, hit.semantic_rank) == (("keyword",), 1, None)
    assert "**pottery**" in hit.snippet and hit.message_id == planted["pottery"]


def test_operators_and_punctuation_are_plain_words(memories):
    db, _ = memories
    for text in ['"unbalanced', "NEAR(a b)", "deploy* OR NOT", "-- ; DROP TABLE messages", "🙂 ?!", "   "]:
        db.recall(text, mode="keyword")  # never an FTS5 syntax error
    assert db.recall("?!", mode="keyword") == []


@pytest.mark.parametrize("given, problem", [
    ({"mode": "fuzzy"}, "mode must be one of"),
    ({"limit": -1}, "limit must not be negative"),
    ({"limit": 5000}, "limit must be at most"),
    ({"role": "robot"}, "role"),
    ({"since": "not a date"}, "since"),
])
def test_bad_arguments_are_named(memories, given, problem):
    db, _ = memories
    with pytest.raises(ValidationError, match=problem):
        db.recall("pottery", **given)


def test_a_question_must_be_text(memories):
    db, _ = memories
    with pytest.raises(ValidationError, match="question must be a string"):
        db.recall(42)
    with pytest.raises(ValidationError, match="at most"):
        db.recall("word " * 5000)


def test_recall_frame_keeps_its_columns_when_empty(memories):
    db, _ = memories
    full = db.recall_frame("pottery weather", mode="keyword", limit=2)
    empty = db.recall_frame("zzzunknown", mode="keyword")
    assert list(full.columns) == list(empty.columns) and len(empty) == 0
    assert full.loc[0, "signals"] == "keyword" and full["keyword_rank"].tolist() == [1, 2]


def test_hybrid_without_the_extra_is_keyword_with_a_note(memories, monkeypatch):
    db, planted = memories
    monkeypatch.setattr(hybrid.embeddings, "available", lambda: False)
    hits = db.recall("What did Melanie paint?", session_id="s-u1")
    assert hits[0].message_id == planted["sunrise"]
    assert "memlab[semantic]" in hits[0].note and hits[0].signals == ("keyword",)
    with pytest.raises(memlab.errors.MissingExtraError, match=r"memlab\[semantic\]"):
        db.recall("What did Melanie paint?", mode="semantic")


def test_cli_recall_prints_json(memories):
    db, planted = memories
    result = CliRunner().invoke(cli, ["recall", "--db", str(db.path), "Why did the staging deploy fail?",
                                      "--mode", "keyword", "--session", "s-u1", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert hits[0]["message_id"] == planted["deploy"] and hits[0]["signals"] == ["keyword"]


def test_cli_recall_names_a_bad_mode(memories):
    db, _ = memories
    result = CliRunner().invoke(cli, ["recall", "--db", str(db.path), "x", "--mode", "fuzzy"])
    assert result.exit_code != 0 and "fuzzy" in result.output
