"""Semantic and hybrid recall: vectors embedded off the write path into memlab's own table,
deleted with their messages, searched exactly; hybrid fuses both rankings inside the filters."""

from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner

import memlab
from memlab.bench import recall as bench_recall
from memlab.cli import cli
from memlab.errors import ValidationError
from memlab.recall import embeddings, hybrid, vectors

START = dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.timezone.utc)
NOTES = [
    "We adopted a golden retriever puppy last weekend, the kids adore him.",
    "My favourite food is spicy ramen from the place downtown.",
    "The quarterly budget meeting moved to Thursday afternoon.",
    "I started learning to play the violin in January.",
    "Our flight to Lisbon leaves on the 14th of May.",
    "The server crashed because the disk filled up with logs.",
]


@pytest.fixture
def notes(tmp_path):
    db = memlab.open(tmp_path / "notes.db")
    for user in ("ana", "bo"):
        db.sessions.create(f"s-{user}", user_id=user)
        db.conversations.create(f"s-{user}", f"c-{user}")
    ids = [db.messages.add("c-ana" if i % 2 == 0 else "c-bo", "user", text,
                           created_at=START + dt.timedelta(hours=i)) for i, text in enumerate(NOTES)]
    yield db, ids
    db.close()


def test_adding_messages_leaves_them_in_the_backlog(notes):
    db, ids = notes
    assert db.embed_backlog() == len(ids)
    assert db.conn.execute("SELECT count(*) FROM message_vectors").fetchone()[0] == 0


def test_embed_drains_the_backlog_in_batches(notes):
    db, ids = notes
    assert vectors.embed(db, batch=4, limit=5, progress=False) == 5
    assert db.embed_backlog() == 1
    assert db.embed(progress=False) == 1 and db.embed_backlog() == 0
    stored = db.conn.execute("SELECT model, length(vector) FROM message_vectors").fetchall()
    assert stored == [("wordllama", 256 * 2)] * len(ids)  # float16


def test_semantic_recall_finds_meaning_without_shared_words(notes):
    db, ids = notes
    db.embed(progress=False)
    hits = db.recall("Do they have a dog?", mode="semantic", limit=2)
    assert hits[0].message_id == ids[0] and hits[0].signals == ("semantic",)
    assert db.search("Do they have a dog?") == []


def test_deleting_a_message_deletes_its_vector_even_from_plain_sql(notes):
    db, ids = notes
    db.embed(progress=False)
    db.recall("dog", mode="semantic")  # the connection now holds the vectors in memory
    raw = sqlite3.connect(db.path)  # no PRAGMA foreign_keys: the trigger still deletes
    raw.execute("DELETE FROM messages WHERE id = ?", (ids[0],))
    raw.commit()
    raw.close()
    assert db.conn.execute("SELECT count(*) FROM message_vectors WHERE message_id = ?", (ids[0],)).fetchone()[0] == 0
    assert ids[0] not in [h.message_id for h in db.recall("Do they have a dog?", mode="semantic")]


def test_rewriting_a_message_puts_it_back_in_the_backlog(notes):
    db, ids = notes
    db.embed(progress=False)
    db.execute("UPDATE messages SET content = 'We bought a cat instead.' WHERE id = ?", (ids[0],))
    assert db.embed_backlog() == 1
    db.execute("UPDATE messages SET is_summarized = 1 WHERE id = ?", (ids[1],))  # not the content
    assert db.embed_backlog() == 1


def test_recall_embeds_new_messages_in_memory_and_writes_nothing(notes):
    db, ids = notes
    db.embed(progress=False)
    new = db.messages.add("c-ana", "user", "Grandma's birthday party is at the lake house.",
                          created_at=START + dt.timedelta(days=1))
    before = db.conn.total_changes
    hits = db.recall("When is the family celebration?", mode="semantic", limit=3)
    assert new in [h.message_id for h in hits]
    assert db.conn.total_changes == before and db.embed_backlog() == 1


def test_too_many_unembedded_messages_are_named_in_a_note(notes, monkeypatch):
    db, ids = notes
    monkeypatch.setitem(hybrid.PENDING, "wordllama", 2)
    hits = db.recall("flight to Lisbon", mode="hybrid")
    assert "memlab embed" in hits[0].note and hits[0].signals == ("keyword",)


def test_hybrid_fuses_both_signals_inside_the_filters(notes):
    db, ids = notes
    db.embed(progress=False)
    hits = db.recall("Why did the server go down?", user_id="bo", limit=10)
    assert {h.session_id for h in hits} == {"s-bo"}  # the filter applies before fusion
    top = hits[0]
    assert top.message_id == ids[5] and top.signals == ("keyword", "semantic")
    assert top.keyword_rank == 1 and top.semantic_rank is not None
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_semantic_search_is_exact(notes):
    db, ids = notes
    db.embed(progress=False)
    m = vectors.matrix(db.conn, "wordllama")
    query = embeddings.model("wordllama").query("travel plans")
    cosines = m.rows @ query
    best = m.ids[np.argsort(-cosines)][:3].tolist()
    assert [mid for mid, _ in vectors.nearest(m, query, 3)] == best


def _random_matrix(n: int, dim: int = 64, seed: int = 0) -> vectors.Matrix:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return vectors.Matrix(model="test", ids=np.arange(1, n + 1, dtype=np.int64), rows=rows,
                          bits=vectors.signs(rows))


def test_signs_pick_every_row_as_near_as_the_countth():
    m = _random_matrix(3_000)
    query = m.rows[7] + 0.3 * m.rows[8]
    picked = vectors._nearest_signs(m.bits, query, 100)
    distance = ((m.rows > 0) != (query > 0)).sum(axis=1)  # Hamming distance, by brute force
    cut = np.sort(distance)[99]
    assert sorted(picked.tolist()) == np.flatnonzero(distance <= cut).tolist()


def test_past_the_exact_limit_the_signs_choose_and_cosines_rank(monkeypatch):
    m = _random_matrix(20_000)
    query = m.rows[123] + 0.05 * m.rows[456]
    query /= np.linalg.norm(query)
    exact = vectors.ranked(m.ids, m.rows @ query, 10)
    monkeypatch.setattr(vectors, "EXACT", 0)
    got = vectors.nearest(m, query, 10)
    assert got[0] == exact[0]  # the near copy of row 123 is found, its cosine exact
    assert len(got) == 10 and {i for i, _ in got} <= {int(i) for i in m.ids}
    assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
    inside = np.arange(0, 20_000, 3)  # a scope: every third row
    assert {i for i, _ in vectors.nearest(m, query, 10, inside)} <= {int(i) for i in m.ids[inside]}


def test_vectors_read_in_small_batches_are_the_stored_ones(notes, monkeypatch):
    db, ids = notes
    db.embed(progress=False)
    monkeypatch.setattr(vectors, "LOAD_BATCH", 4)  # 6 vectors: two batches, the second short
    m = vectors.Matrix().refresh(db.conn, "wordllama")
    stored = {r[0]: np.frombuffer(r[1], dtype=vectors.STORED).astype(np.float32)
              for r in db.conn.execute("SELECT message_id, vector FROM message_vectors")}
    assert m.ids.tolist() == sorted(stored) == sorted(ids)
    assert all(np.array_equal(m.rows[i], stored[mid]) for i, mid in enumerate(m.ids.tolist()))
    assert np.array_equal(m.bits, vectors.signs(m.rows))


def test_signs_stay_beside_their_rows_as_vectors_arrive_and_change(notes):
    db, ids = notes
    db.embed(limit=3, progress=False)
    vectors.matrix(db.conn, "wordllama")
    db.embed(progress=False)  # read since the last refresh, appended
    m = vectors.matrix(db.conn, "wordllama")
    assert len(m.ids) == len(ids) and np.array_equal(m.bits, vectors.signs(m.rows))
    db.conn.execute("UPDATE messages SET content = 'A brand new text about gardening.' WHERE id = ?", (ids[0],))
    db.embed(progress=False)  # the rewritten message comes back with a newer seq
    m = vectors.matrix(db.conn, "wordllama")
    assert m.ids.tolist() == sorted(ids)
    assert np.array_equal(m.bits, vectors.signs(m.rows))


def test_another_model_re_embeds_everything(notes):
    db, ids = notes
    db.embed(progress=False)
    assert db.embed(model="e5", progress=False) == len(ids)
    assert vectors.stored_model(db.conn) == "e5"
    assert {r[0] for r in db.conn.execute("SELECT model FROM message_vectors")} == {"e5"}
    hits = db.recall("Do they have a dog?", mode="semantic", limit=1)
    assert hits[0].message_id == ids[0]


def test_unknown_model_is_named(notes):
    db, _ = notes
    with pytest.raises(ValidationError, match="embedding model must be one of"):
        db.embed(model="gpt")


def test_without_the_extra_semantic_mode_says_which_to_install(notes, monkeypatch):
    db, _ = notes
    monkeypatch.setattr(embeddings, "available", lambda name=None: False)
    with pytest.raises(memlab.errors.MissingExtraError, match=r"pip install 'memlab\[semantic\]'"):
        db.recall("dog", mode="semantic")
    hits = db.recall("dog puppy", mode="hybrid")
    assert hits and "keywords only" in hits[0].note


def test_cli_embed_then_recall(notes):
    db, ids = notes
    result = CliRunner().invoke(cli, ["embed", "--db", str(db.path)])
    assert result.exit_code == 0 and f"embedded {len(ids)} messages; 0 left" in result.output
    result = CliRunner().invoke(cli, ["recall", "--db", str(db.path), "What instrument is being learned?"])
    assert result.exit_code == 0 and f"#{ids[3]} " in result.output.splitlines()[0]


@pytest.fixture(scope="module")
def locomo(tmp_path_factory):
    found = bench_recall.dev_file()
    if found is None:
        pytest.skip(f"LoCoMo dev file not found at {bench_recall.DEV_FILE} (CC BY-NC: it stays in ../shared)")
    db = memlab.open(tmp_path_factory.mktemp("locomo") / "locomo.db")
    questions = bench_recall.load(db, found, samples=1, per_sample=60)
    db.embed(progress=False)
    yield db, questions
    db.close()


def test_locomo_turns_are_folded_into_the_search_index_as_an_import_does(locomo):
    from memlab.search import index

    db, _ = locomo
    assert index.backlog(db.conn) == (0, 0)


def test_locomo_sample_questions_are_recalled(locomo):
    db, questions = locomo
    results = bench_recall.evaluate(db, questions, modes=("keyword", "hybrid"))
    assert len(questions) >= 50
    assert results["keyword"]["all"]["recall@10"] >= 0.5
    assert results["hybrid"]["all"]["recall@5"] >= results["keyword"]["all"]["recall@5"]
    found = sum(bool(db.search(q.text, session_id=q.session_id)) for q in questions)
    assert found <= len(questions) * 0.1  # every word must match: plain search answers almost none
