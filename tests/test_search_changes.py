"""The search index under change: reused ids, stale top lists, porter's second stemming, FTS5's
own tokenization, searches that never write nor wait for a writer, and the check against FTS5."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
import unicodedata

import pytest

import memlab
from memlab.search import Planner, Search
from memlab.search import index as search_index


def fts5_top(db, expression: str, limit: int = 10) -> list[tuple[int, float]]:
    """FTS5's own bm25 ranking (memlab orders ties newest first)."""
    return [(r[0], r[1]) for r in db.conn.execute(
        "SELECT rowid, -bm25(messages_fts) FROM messages_fts WHERE messages_fts MATCH ?"
        " ORDER BY rank, rowid DESC LIMIT ?", (expression, limit))]


def exact(hits) -> list[tuple[int, float]]:
    return [(h.message_id, h.score) for h in hits]


@pytest.fixture
def db(tmp_path):
    with memlab.open(tmp_path / "changes.db") as database:
        database.sessions.create("s", user_id="ana")
        database.conversations.create("s", "c")
        yield database


def fill(db, n: int, text=lambda i: f"note {i} about the common deploy of service {i % 7}") -> list[int]:
    ids = db.messages.add_many({"conversation_id": "c", "role": "user", "content": text(i)} for i in range(n))
    assert ids == n
    return [r[0] for r in db.conn.execute("SELECT id FROM messages ORDER BY id")]


def test_a_reused_id_is_found_and_counted(db):
    # SQLite gives a deleted newest message's id out again; the index used to skip it for good.
    ids = fill(db, 3_000)
    db.update_search_index()
    db.execute("DELETE FROM messages WHERE id = ?", (ids[-1],))
    assert db.search("anything") == []
    again = db.messages.add("c", "user", "common zebra")
    assert again == ids[-1]
    assert [h.message_id for h in db.search("common zebra")] == [again]
    db.update_search_index()
    assert [h.message_id for h in db.search("common zebra")] == [again]
    assert db.integrity_check() == []


def test_top_lists_follow_the_average_length_as_it_grows(db):
    # While messages are short, "deploy" once in a short message weighs most: the list holds
    # those. Long messages without the word then raise the average length, and the long messages
    # holding it three times now weigh more, though no list names them.
    fill(db, 1_000, lambda i: f"deploy {i}" if i % 2 else "deploy deploy deploy " + "words " * 57)
    db.update_search_index()
    fill(db, 3_000, lambda i: "other " * 300)
    db.update_search_index()
    planned = Search(db, Planner(fts5_limit=0, match_limit=10))
    mine = planned.run("deploy")
    assert exact(mine) == fts5_top(db, '"deploy"')
    assert all(h.message_id % 2 == 1 for h in mine)  # (ids start at 1: the long ones, now on top)


def test_a_words_count_in_unfolded_messages_is_asked_as_written(db):
    # porter('database') = 'databas', porter('databas') = 'databa': sending the stem back miscounts.
    fill(db, 400, lambda i: "database deploy" if i % 3 else "deploy only")
    db.update_search_index()
    for i in range(50):
        db.messages.add("c", "user", f"the database deploy number {i}")
    planned = Search(db, Planner(fts5_limit=0))
    mine = planned.run("database deploy")
    assert planned.plan.path != "fts5"
    assert exact(mine) == fts5_top(db, '"database" "deploy"')


def test_nfd_and_devanagari_text_is_tokenized_as_fts5_does(db):
    nfd = unicodedata.normalize("NFD", "résumé")
    for i in range(40):
        db.messages.add("c", "user", f"my {nfd} number {i}" if i % 4 == 0 else f"हिन्दी पाठ {i} देवनागरी लिपि")
    db.update_search_index()
    for word in (nfd, "देवनागरी", "हिन्दी पाठ"):
        planned = Search(db, Planner(fts5_limit=0))
        mine = planned.run(word)
        assert mine, word
        assert exact(mine) == fts5_top(db, " ".join('"' + w + '"' for w in word.split())), word
    assert db.integrity_check() == []


def test_scores_equal_fts5s_to_the_last_bit(db):
    fill(db, 600, lambda i: " ".join(["alpha"] * (i % 5 + 1) + ["beta"] * (i % 3) + ["gamma"] * (i % 11)))
    db.update_search_index()
    for query in ("alpha", "alpha beta", "beta gamma", "alpha gamma beta"):
        planned = Search(db, Planner(fts5_limit=0))
        mine = planned.run(query, limit=50)
        assert exact(mine) == fts5_top(db, " ".join(f'"{w}"' for w in query.split()), 50), query


def test_a_search_neither_writes_nor_waits_for_a_writer(tmp_path):
    path = tmp_path / "busy.db"
    with memlab.open(path) as db:
        db.sessions.create("s")
        db.conversations.create("s", "c")
        fill(db, 500)
        db.messages.add("c", "user", "unfolded deploy")  # in the change log
        pending = search_index.backlog(db.conn)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, sys, time
        conn = sqlite3.connect({str(path)!r}, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO sessions (session_id, created_at, last_active_at) VALUES ('w', 'x', 'x')")
        print("locked", flush=True)
        time.sleep(8)
        conn.execute("ROLLBACK")
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with memlab.open(path, migrate=False) as db:
            started = time.monotonic()
            hits = db.search("deploy", limit=5)
            assert len(hits) == 5 and holder.poll() is None
            assert time.monotonic() - started < 5  # did not wait out the writer's 8 s
            assert search_index.backlog(db.conn) == pending
    finally:
        holder.kill()
        holder.wait()


def test_a_read_only_file_is_searched(tmp_path):
    path = tmp_path / "ro.db"
    with memlab.open(path) as db:
        db.sessions.create("s")
        db.conversations.create("s", "c")
        fill(db, 300)
        db.messages.add("c", "user", "unfolded deploy note")
    uri = f"file:{path}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    raw = [r[0] for r in conn.execute(
        "SELECT rowid FROM messages_fts WHERE messages_fts MATCH '\"deploy\"' ORDER BY rank, rowid DESC LIMIT 10")]
    conn.close()
    os.chmod(path, 0o400)
    try:
        with memlab.open(path, migrate=False) as db:
            assert [h.message_id for h in db.search("deploy")] == raw
            planned = Search(db, Planner(fts5_limit=0))  # memlab's plan: its snippets use a temp table
            hits = planned.run("deploy")
            assert [h.message_id for h in hits] == raw and planned.plan.path in ("lists", "postings")
            assert all("**deploy**" in h.snippet for h in hits)
    finally:
        os.chmod(path, 0o600)


def test_check_finds_a_side_index_that_disagrees_with_fts5(db):
    fill(db, 200)
    db.update_search_index()
    assert db.integrity_check() == []
    db.execute("UPDATE search_terms SET docs = docs + 1 WHERE term = 'deploi'")
    problems = db.integrity_check()
    assert any("'deploi'" in p for p in problems)


def test_index_command_folds_the_log(tmp_path):
    from click.testing import CliRunner

    from memlab.cli import cli

    path = tmp_path / "cli.db"
    with memlab.open(path) as db:
        db.sessions.create("s")
        db.conversations.create("s", "c")
        fill(db, 20)
    result = CliRunner().invoke(cli, ["index", "--db", str(path), "--quiet"])
    assert result.exit_code == 0 and "20 message(s) folded in" in result.output
    with memlab.open(path) as db:
        assert search_index.backlog(db.conn) == (0, 0)


def test_any_word_is_fts5s_or_ranking_from_the_postings(db):
    fill(db, 2_000, lambda i: " ".join(["the cache"] * (i % 3) + ["refresh", "when"][: i % 2 + 1] + [f"w{i % 97}"]))
    db.update_search_index()
    for question in ("when does the cache refresh", "the w5 w17", "refresh", "what about w3 and the cache"):
        planned = Search(db, Planner(fts5_limit=0))
        mine = planned.run(question, mode="any", limit=10)
        expression = " OR ".join(f'"{w}"' for w in dict.fromkeys(question.split()))
        assert planned.plan.path == "postings", question
        assert exact(mine) == fts5_top(db, expression), question
    few = Search(db, Planner(fts5_limit=0))
    few.run("w5 the", mode="any", limit=3)
    assert few.plan.candidates < 2_000  # the common word's messages were never all scored


@pytest.mark.parametrize("every_in_scope", [0, 10**9], ids=["pruned", "every-message"])
def test_any_word_inside_a_user_is_fts5s_ranking_pruned_or_scored_whole(db, every_in_scope):
    db.sessions.create("t", user_id="bo")
    db.conversations.create("t", "d")
    db.messages.add_many({"conversation_id": "c" if i % 3 else "d", "role": "user",
                          "content": " ".join(["the cache"] * (i % 4) + [f"w{i % 89}", "refresh" * (i % 2)])}
                         for i in range(3_000))
    db.messages.add("d", "user", "often " * 300 + "w3")  # a frequency past what the postings store
    db.update_search_index()
    for question in ("when does the cache refresh", "the w5 w17 cache", "w3 refresh", "often w3"):
        planned = Search(db, Planner(fts5_limit=0, every_in_scope=every_in_scope))
        mine = planned.run(question, mode="any", limit=10, user_id="bo")
        expression = " OR ".join(f'"{w}"' for w in dict.fromkeys(question.split()))
        theirs = [(r[0], r[1]) for r in db.conn.execute(
            "SELECT f.rowid, -bm25(messages_fts) FROM messages_fts f JOIN messages m ON m.id = f.rowid"
            " WHERE messages_fts MATCH ? AND m.conversation_id = 'd' ORDER BY rank, f.rowid DESC LIMIT 10",
            (expression,))]
        assert planned.plan.path == "postings", question
        assert exact(mine) == theirs, question


def test_any_word_leaves_stale_entries_out_past_the_first_part(db):
    # Ids past 65,536 live in a later part of the postings: a stale entry there is left out too.
    fill(db, 300, lambda i: f"cache note {i} refresh")
    db.execute("INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES"
               " (200000, 'c', 'user', 'the cache refresh ran late', '2026-01-20T09:00:00.000000Z')")
    db.update_search_index()
    db.execute("UPDATE messages SET content = 'rewritten: nothing about it' WHERE id = 200000")
    planned = Search(db, Planner(fts5_limit=0))
    mine = planned.run("when does the cache refresh", mode="any")
    assert planned.plan.path == "postings"
    assert exact(mine) == fts5_top(db, '"when" OR "does" OR "the" OR "cache" OR "refresh"')
    assert 200000 not in [h.message_id for h in mine]
