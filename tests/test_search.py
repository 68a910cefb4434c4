"""Search: any text in plain mode, FTS5 syntax in advanced mode, filters, ranking, snippets, sync."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memlab
from memlab.search import index as search_index
from memlab.cli import cli
from memlab.search import Hit, Planner, Search

DAY = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def corpus(db):
    """Two users, three sessions, a handful of messages over three days."""
    db.sessions.create("s1", user_id="ana", project_id="web")
    db.sessions.create("s2", user_id="ana", project_id="api")
    db.sessions.create("s3", user_id="bo", project_id="web")
    db.conversations.create("s1", "c1")
    db.conversations.create("s2", "c2")
    db.conversations.create("s3", "c3")
    rows = [
        ("c1", "user", "How do I optimize the slow query in the billing report?", 0),
        ("c1", "assistant", "Add an index on invoices.created_at; that should optimize it.", 0),
        ("c2", "user", "I don't know why C++ templates make the build slow.", 1),
        ("c2", "tool", "build log: template instantiation took 40 seconds", 1),
        ("c3", "user", "The deploy failed: rollback the kubernetes release please.", 2),
        ("c3", "assistant", "Rolled back; kubernetes is healthy again. Optimizing the probes next.", 2),
    ]
    ids = [db.messages.add(c, r, text, created_at=DAY + dt.timedelta(days=d)) for c, r, text, d in rows]
    return ids


def ids(hits: list[Hit]) -> list[int]:
    return [h.message_id for h in hits]


# -- plain mode never breaks ------------------------------------------------------------------

HOSTILE = [
    '"', "*", ":", "-", "^", "(", ")", "AND", "OR", "NOT", "NEAR", "NEAR(", "a OR", "content:", "C++",
    "don't", "🚀🔥", "\x00\x01\x1f\x7f", "", "   \t\n ", "\ud800 lone surrogate", '"unterminated', "col:umn",
    "-leading minus", "^caret", "(a OR b", "{a b}", "a NEAR/3 b", "*prefix", "x" * 5_000, "ümlaut ÉCOLE",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_mode_accepts_hostile_text(db, corpus, text):
    assert isinstance(db.search(text), list)


def test_plain_mode_accepts_a_100_kb_paste(db, corpus):
    paste = ("Traceback (most recent call last): File \"x.py\", line 1, in <module> " * 1_500)[:100_000]
    assert isinstance(db.search(paste), list)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_plain_mode_never_raises_on_any_text(db, corpus, text):
    assert isinstance(db.search(text), list)


def test_empty_query_returns_nothing(db, corpus):
    assert db.search("") == [] and db.search("  ") == [] and db.search("🚀") == []


def test_operators_are_plain_words(db):
    db.sessions.create("s", user_id="u")
    db.conversations.create("s", "c")
    mid = db.messages.add("c", "user", "use AND or NOT near the wall")
    assert ids(db.search("NOT AND")) == [mid]
    assert ids(db.search("OR NEAR")) == [mid]
    assert db.search("OR missing") == []


def test_punctuated_words_match(db, corpus):
    assert ids(db.search("don't")) == [corpus[2]]
    assert ids(db.search("C++ templates")) == [corpus[2]]


def test_porter_stemming(db, corpus):
    assert set(ids(db.search("optimizing"))) == {corpus[0], corpus[1], corpus[5]}
    assert ids(db.search("rollbacks")) == [corpus[4]]


# -- filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("filters, expected", [
    ({"session_id": "s1"}, [0, 1]),
    ({"conversation_id": "c3"}, [5]),
    ({"user_id": "bo"}, [5]),
    ({"project_id": "web"}, [0, 1, 5]),
    ({"role": "assistant"}, [1, 5]),
    ({"since": DAY + dt.timedelta(days=2)}, [5]),
    ({"until": DAY + dt.timedelta(days=1)}, [0, 1]),
    ({"user_id": "ana", "role": "user"}, [0]),
])
def test_each_filter(db, corpus, filters, expected):
    assert set(ids(db.search("optimize", **filters))) == {corpus[i] for i in expected}


def test_unknown_scope_finds_nothing(db, corpus):
    assert db.search("optimize", session_id="nope") == []


@pytest.mark.parametrize("kwargs, message", [
    ({"limit": -1}, "limit must not be negative"),
    ({"limit": 10_000}, "limit must be at most"),
    ({"offset": "x"}, "offset must be a whole number"),
    ({"role": "wizard"}, "role must be one of"),
    ({"since": "yesterday"}, "since is not an ISO-8601 timestamp"),
    ({"session_id": ""}, "session_id must not be empty"),
    ({"mode": "regex"}, "mode must be one of"),
])
def test_bad_arguments_are_validation_errors(db, corpus, kwargs, message):
    with pytest.raises(memlab.ValidationError, match=message):
        db.search("optimize", **kwargs)


def test_query_must_be_text(db, corpus):
    with pytest.raises(memlab.ValidationError, match="query must be a string"):
        db.search(42)


# -- ranking and snippets -------------------------------------------------------------------------


def test_hits_are_ordered_by_relevance(db):
    db.sessions.create("s")
    db.conversations.create("s", "c")
    filler = " ".join(["lorem ipsum dolor"] * 30)
    weak = db.messages.add("c", "user", f"cache {filler}")
    strong = db.messages.add("c", "user", "cache cache cache miss")
    medium = db.messages.add("c", "user", "a cache miss in the api layer")
    hits = db.search("cache")
    assert ids(hits) == [strong, medium, weak]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_scores_are_fts5_bm25(db, corpus):
    for query in ("optimize", "kubernetes", "slow build"):
        expression = " ".join(f'"{w}"' for w in query.split())
        fts5 = dict(db.conn.execute(
            "SELECT rowid, -bm25(messages_fts) FROM messages_fts WHERE messages_fts MATCH ?", (expression,)))
        for h in db.search(query):
            assert h.score == pytest.approx(fts5[h.message_id], rel=1e-9)


def test_hit_has_ids_role_time_and_highlighted_snippet(db, corpus):
    (hit,) = db.search("kubernetes release")
    assert (hit.message_id, hit.conversation_id, hit.session_id, hit.role) == (corpus[4], "c3", "s3", "user")
    assert hit.created_at.startswith("2026-01-14")
    assert "**kubernetes**" in hit.snippet and "**release**" in hit.snippet


def test_long_messages_get_a_window_around_the_match(db):
    db.sessions.create("s")
    db.conversations.create("s", "c")
    db.messages.add("c", "user", " ".join(["filler"] * 200 + ["needle"] + ["filler"] * 200))
    (hit,) = db.search("needle")
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…") and "**needle**" in hit.snippet
    assert len(hit.snippet.split()) <= 17


def test_offset_pages_through_hits(db, corpus):
    everything = ids(db.search("optimize", limit=3))
    assert ids(db.search("optimize", limit=2)) + ids(db.search("optimize", limit=2, offset=2)) == everything


def test_search_frame_has_declared_columns_even_when_empty(db, corpus):
    full = db.search_frame("optimize")
    empty = db.search_frame("nothing-matches-this")
    assert list(full.columns) == list(empty.columns) == [
        "message_id", "conversation_id", "session_id", "role", "created_at", "snippet", "score"]
    assert dict(full.dtypes.astype(str)) == dict(empty.dtypes.astype(str))
    assert str(full.dtypes["score"]) == "float64" and str(full.dtypes["message_id"]) == "int64"
    assert len(full) == 3 and len(empty) == 0


# -- advanced mode --------------------------------------------------------------------------------


@pytest.mark.parametrize("expression, expected", [
    ('"kubernetes release"', [4]),
    ('"release kubernetes"', []),
    ("optim*", [0, 1, 5]),
    ("templates OR rollback", [2, 3, 4]),
    ("optimize NOT index", [0, 5]),
    ("NEAR(deploy kubernetes, 3)", [4]),
    ("content: healthy", [5]),
    ("(slow OR healthy) AND build", [2]),
])
def test_advanced_syntax(db, corpus, expression, expected):
    assert set(ids(db.search(expression, mode="advanced"))) == {corpus[i] for i in expected}


@pytest.mark.parametrize("expression, message", [
    ('"unterminated', "unterminated phrase"),
    ("(a OR b", "unbalanced parentheses"),
    ("title: x", "column 'title'"),
    ("kubernetes NOT", "ends too early"),
    ("AND kubernetes", "malformed"),
    ("*", "malformed"),
])
def test_advanced_errors_say_what_is_wrong(db, corpus, expression, message):
    with pytest.raises(memlab.QuerySyntaxError, match=message):
        db.search(expression, mode="advanced")


# -- keeping in sync ------------------------------------------------------------------------------


def test_new_updated_and_deleted_messages_are_found_or_not(db, corpus):
    mid = db.messages.add("c1", "user", "a brand new zeppelin")
    assert ids(db.search("zeppelin")) == [mid]
    db.execute("UPDATE messages SET content = 'a brand new airship' WHERE id = ?", (mid,))
    assert db.search("zeppelin") == [] and ids(db.search("airship")) == [mid]
    db.execute("DELETE FROM messages WHERE id = ?", (mid,))
    assert db.search("airship") == []


def test_a_search_finds_unfolded_messages_and_leaves_the_log_to_refresh(db, corpus):
    search_index.refresh(db.conn)
    added = [db.messages.add("c1", "user", f"note {i} about optimize") for i in range(8)]
    planned = Search(db, Planner(fts5_limit=0))
    mine = planned.run("optimize", limit=20)
    assert set(added) <= set(ids(mine)) and planned.plan.path in ("lists", "postings")
    assert search_index.backlog(db.conn) == (8, 0)  # the search wrote nothing
    assert dict(db.conn.execute("SELECT term, docs FROM search_terms WHERE term = 'optim'")) == {"optim": 3}
    assert search_index.refresh(db.conn) == 8
    assert search_index.backlog(db.conn) == (0, 0)
    assert dict(db.conn.execute("SELECT term, docs FROM search_terms WHERE term = 'optim'")) == {"optim": 3 + 8}
    assert ids(Search(db, Planner(fts5_limit=0)).run("optimize", limit=20)) == ids(mine)


def test_index_rebuild_matches_incremental_refresh(db, corpus):
    search_index.refresh(db.conn)
    incremental = db.query("SELECT term, docs FROM search_terms ORDER BY term")
    search_index.build(db.conn)
    assert db.query("SELECT term, docs FROM search_terms ORDER BY term") == incremental


def test_sqlite_utils_search_still_works(db_path, corpus):
    import sqlite_utils

    rows = list(sqlite_utils.Database(db_path)["messages"].search("kubernetes"))
    assert len(rows) == 2


# -- CLI ------------------------------------------------------------------------------------------


def test_cli_table_and_json(db_path, corpus):
    runner = CliRunner()
    table = runner.invoke(cli, ["search", "kubernetes", "--db", str(db_path), "--role", "user"])
    assert table.exit_code == 0, table.output
    assert f"#{corpus[4]}" in table.output and "**kubernetes**" in table.output
    as_json = runner.invoke(cli, ["search", "optimize", "--db", str(db_path), "--json", "--limit", "2"])
    hits = json.loads(as_json.output)
    assert len(hits) == 2 and set(hits[0]) == {
        "message_id", "conversation_id", "session_id", "role", "created_at", "snippet", "score"}


def test_cli_any_finds_messages_holding_one_of_the_words(db_path, corpus):
    runner = CliRunner()
    every = runner.invoke(cli, ["search", "kubernetes zebra", "--db", str(db_path), "--json"])
    assert json.loads(every.output) == []  # no message holds both
    anyword = runner.invoke(cli, ["search", "kubernetes zebra", "--any", "--db", str(db_path), "--json"])
    with memlab.open(db_path) as db:
        want = [h.message_id for h in db.search("kubernetes zebra", mode="any")]
    assert want and [h["message_id"] for h in json.loads(anyword.output)] == want


def test_cli_any_and_advanced_together_is_a_usage_error(db_path, corpus):
    result = CliRunner().invoke(cli, ["search", "a b", "--any", "--advanced", "--db", str(db_path)])
    assert result.exit_code == 2 and "--any and --advanced" in result.output


def test_cli_advanced_error_is_one_line(db_path, corpus):
    result = CliRunner().invoke(cli, ["search", '"oops', "--advanced", "--db", str(db_path)])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: search expression has an unterminated phrase")


def test_upgrading_a_filled_database_builds_the_index(db_path):
    with memlab.open(db_path, migrate=False) as old:
        old.migrate(stop_before="002_search_index")
        old.sessions.create("s")
        old.conversations.create("s", "c")
        mid = old.messages.add("c", "user", "persistent memory survives upgrades")
    with memlab.open(db_path) as db:
        assert search_index.backlog(db.conn) == (0, 0)
        assert dict(db.conn.execute("SELECT term, docs FROM search_terms WHERE term = 'memori'")) == {"memori": 1}
        assert ids(db.search("memory upgrade")) == [mid]


@pytest.mark.parametrize("query, filters", [
    ("optimize", {}), ("optimize", {"session_id": "s1"}), ("optimize", {"user_id": "ana"}),
    ("optimize", {"project_id": "web", "role": "assistant"}), ("slow build", {}),
    ("optimize", {"since": DAY + dt.timedelta(days=1)}), ("kubernetes", {"conversation_id": "c3"}),
])
def test_memlab_plan_and_fts5_rank_give_the_same_hits(db, corpus, query, filters):
    planned = Search(db, Planner(fts5_limit=0))
    mine = planned.run(query, **filters)
    assert planned.plan.path in ("scope", "lists", "postings")
    theirs = Search(db, Planner(fts5_limit=10**9)).run(query, **filters)
    assert [(h.message_id, round(h.score, 9)) for h in mine] == [(h.message_id, round(h.score, 9)) for h in theirs]


def test_refresh_keeps_the_same_top_lists_as_a_rebuild(db, corpus):
    search_index.build(db.conn, top_k=3, min_docs=2)
    for text in ("slow slow cache", "cache miss", "zeppelin cache", "zeppelin zeppelin", "slow zeppelin"):
        db.messages.add("c2", "user", text)
    search_index.refresh(db.conn)

    def sizes():  # impacts move with the average length, so compare which terms have lists, how long
        return db.query("SELECT term, count(*) AS n FROM search_top GROUP BY term ORDER BY term")

    refreshed = sizes()
    search_index.build(db.conn)  # keeps top_k=3, min_docs=2
    assert refreshed == sizes()
    assert {"term": "zeppelin", "n": 3} in refreshed  # became common after the first build


def test_each_full_lists_least_weight_is_kept_through_refreshes(db, corpus):
    search_index.build(db.conn, top_k=2, min_docs=2)
    for text in ("slow slow cache", "cache miss", "zeppelin cache", "zeppelin zeppelin", "slow zeppelin", "optimize"):
        db.messages.add("c2", "user", text)
    search_index.refresh(db.conn)
    kept = db.query("SELECT term, least FROM search_terms ORDER BY term")
    lists = {r["term"]: r for r in db.query(
        "SELECT term, count(*) AS n, min(impact) AS low FROM search_top GROUP BY term")}
    assert any(r["least"] is not None for r in kept)
    for row in kept:
        listed = lists.get(row["term"])
        assert row["least"] == (listed["low"] if listed and listed["n"] >= 2 else None), row


def test_an_unproven_list_answer_is_ranked_from_the_postings(db, corpus):
    search_index.build(db.conn, top_k=1, min_docs=1)
    search = Search(db, Planner(fts5_limit=0, match_limit=0, max_candidates=0))
    hits = search.run("optimize", limit=1)
    assert search.plan.path == "postings" and search.plan.exact
    assert ids(hits) == ids(Search(db, Planner(fts5_limit=10**9)).run("optimize", limit=1))


@pytest.mark.parametrize("filters", [
    {"session_id": "s1"}, {"conversation_id": "c3"}, {"user_id": "ana"}, {"project_id": "web", "role": "assistant"},
    {"user_id": "ana", "since": DAY + dt.timedelta(days=1)}, {"project_id": "web", "until": DAY + dt.timedelta(days=2)},
    {"role": "user"}, {"since": DAY + dt.timedelta(days=1)},
])
def test_fts5_ranking_within_a_scope_is_fts5_rank_over_the_scope(db, corpus, filters):
    expression = "the OR optimize"  # OR: always FTS5's own ranking
    hits = Search(db, Planner()).run(expression, mode="advanced", **filters)
    column = {"conversation_id": 2, "session_id": 3, "user_id": 4, "project_id": 5, "role": 6}
    rows = db.conn.execute(
        "SELECT f.rowid, -bm25(messages_fts), m.conversation_id, c.session_id, s.user_id, s.project_id, m.role,"
        " m.created_at FROM messages_fts f JOIN messages m ON m.id = f.rowid"
        " JOIN conversations c ON c.conversation_id = m.conversation_id JOIN sessions s ON s.session_id = c.session_id"
        " WHERE messages_fts MATCH ?", (expression,)).fetchall()
    inside = [r for r in rows
              if all(r[column[k]] == v for k, v in filters.items() if k in column)
              and ("since" not in filters or r[7] >= filters["since"].strftime("%Y-%m-%dT%H:%M:%S"))
              and ("until" not in filters or r[7] < filters["until"].strftime("%Y-%m-%dT%H:%M:%S"))]
    inside.sort(key=lambda r: (-r[1], -r[0]))
    assert inside and [(h.message_id, round(h.score, 9)) for h in hits] == [(r[0], round(r[1], 9)) for r in inside]


def test_a_phrase_is_exact_when_its_list_is_read_only_in_part(db):
    db.sessions.create("s")
    db.conversations.create("s", "c")
    strongest = db.messages.add("c", "user", "alpha alpha alpha alpha beta")  # first in alpha's list
    db.messages.add("c", "user", "alpha alpha")  # second, without the phrase
    best = db.messages.add("c", "user", "alpha beta")  # third in the list, but the phrase weighs most here
    for text in ("beta gamma", "beta delta", "beta gamma delta", "gamma delta"):
        db.messages.add("c", "user", text)
    search_index.build(db.conn, top_k=100, min_docs=1)
    planned = Search(db, Planner(fts5_limit=0, exact_limit=0, match_limit=0, max_candidates=1))  # reads 2 of alpha's
    hits = planned.run('"alpha beta"', mode="advanced", limit=1)
    assert ids(hits) == [best] != [strongest]


def test_deleted_and_rewritten_messages_leave_the_counts_as_a_rebuild_would(db, corpus):
    search_index.refresh(db.conn)
    db.execute("DELETE FROM messages WHERE id = ?", (corpus[0],))
    db.execute("UPDATE messages SET content = 'optimize the kubernetes probes' WHERE id = ?", (corpus[3],))
    db.execute("UPDATE messages SET content = 'rewritten twice, then deleted' WHERE id = ?", (corpus[4],))
    db.execute("DELETE FROM messages WHERE id = ?", (corpus[4],))
    assert db.search("anything") == []  # a search writes nothing: the log is folded by refresh
    assert search_index.backlog(db.conn) == (1, 3)  # corpus[3] rewritten: in both logs
    search_index.refresh(db.conn)
    folded = db.query("SELECT term, docs FROM search_terms WHERE docs > 0 ORDER BY term")
    assert db.query("SELECT count(*) AS n FROM search_removed") == [{"n": 0}]
    search_index.build(db.conn)
    assert folded == db.query("SELECT term, docs FROM search_terms WHERE docs > 0 ORDER BY term")


@pytest.mark.parametrize("query", ["optimize", "kubernetes", "optimize kubernetes", "slow build"])
def test_after_deletes_and_rewrites_scores_are_still_fts5s(db, corpus, query):
    search_index.build(db.conn, top_k=2, min_docs=1)
    db.execute("DELETE FROM messages WHERE id = ?", (corpus[1],))
    db.execute("UPDATE messages SET content = 'optimize optimize kubernetes now' WHERE id = ?", (corpus[3],))
    planned = Search(db, Planner(fts5_limit=0, exact_limit=0, match_limit=0, max_candidates=0))
    mine = planned.run(query, limit=2)
    assert planned.plan.path == "postings"
    theirs = Search(db, Planner(fts5_limit=10**9)).run(query, limit=2)
    assert [(h.message_id, round(h.score, 9)) for h in mine] == [(h.message_id, round(h.score, 9)) for h in theirs]
    assert corpus[3] in ids(mine) or "optimize" not in query and "kubernetes" not in query


def test_filter_parameters_name_every_filter():
    # Filters.params() is written out by hand (it runs per search); a new filter must join it.
    from dataclasses import fields

    from memlab.search.engine import Filters

    assert set(Filters().params()) == {f.name for f in fields(Filters)}
