"""Forget: a user's, session's, conversation's or messages' rows leave every table and every
search path in one transaction; bad scopes are refused; vacuum gives the pages back."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from memlab import NotFoundError, ValidationError
from memlab.cli import cli
from memlab.search import Planner, search
from memlab.search import index as search_index

SECRET = "my locker code is zanzibar quokka lighthouse"


def _semantic_installed() -> bool:
    try:
        from memlab.recall import embeddings
    except ImportError:
        return False
    return bool(embeddings.available())


SEMANTIC = _semantic_installed()


@pytest.fixture
def two_users(db):
    """ana (two sessions, with the secret) and bo; every kind of row; the search index built
    with small lists so every search path (lists, postings, FTS5) has the secret indexed."""
    db.sessions.create("a1", user_id="ana", project_id="gym")
    db.sessions.create("a2", user_id="ana", project_id="gym")
    db.sessions.create("b1", user_id="bo", project_id="gym")
    for session, conversation in (("a1", "ca1"), ("a2", "ca2"), ("b1", "cb1")):
        db.conversations.create(session, conversation)
    secret_id = db.messages.add("ca1", "user", SECRET)
    db.messages.add_many(
        {"conversation_id": c, "role": "assistant", "content": f"noted {i}: quokka facts for {c}"}
        for c in ("ca1", "ca2") for i in range(5)
    )
    db.messages.add_many(
        {"conversation_id": "cb1", "role": "user", "content": f"bo asks about the lighthouse tour {i}"}
        for i in range(40)
    )
    work = db.interactions.record("a1", "coach", task="plan ana's zanzibar quokka week", conversation_id="ca1")
    db.costs.record("a1", "gpt-4o", input_tokens=100, output_tokens=20, agent_interaction_id=work)
    db.costs.record("b1", "gpt-4o", input_tokens=10, output_tokens=2)
    db.routing.record("a1", "quokka question", "coach", conversation_id="ca1")
    db.metrics.record("recall_ms", 3.0, session_id="a1")
    db.preferences.set("ana", "locker", "quokka")
    db.preferences.set("bo", "tour", "lighthouse")
    db.handoffs.create("a1", to_session_id="a2", summary="ana's quokka plan", end_from=False)
    search_index.build(db.conn, min_docs=1, top_k=5)
    if SEMANTIC:
        db.embed(progress=False)  # every message gets its vector, so semantic recall can find it
    return secret_id


PLANNERS = {
    "default": Planner(),
    "lists": Planner(fts5_limit=0, scope_limit=0, match_limit=0),
    "postings": Planner(fts5_limit=0, scope_limit=0, match_limit=10**9),
}
QUERIES = [
    ("quokka", "plain"), ("zanzibar quokka", "plain"), ("locker code", "plain"),
    ("quok*", "advanced"), ('"zanzibar quokka"', "advanced"), ("zanzibar OR nothingelse", "advanced"),
    ("zanzibar NOT tour", "advanced"),
]
FILTERS = [{}, {"user_id": "ana"}, {"project_id": "gym"}, {"session_id": "a1"}, {"conversation_id": "ca1"},
           {"role": "user"}]


def _found(db) -> list[int]:
    """What every way of searching finds for the secret's words: each planner path, mode and
    filter of memlab's search, recall's modes, and FTS5's own MATCH."""
    ids = set()
    for planner in PLANNERS.values():
        for query, mode in QUERIES:
            for scope in FILTERS:
                ids.update(h.message_id for h in search(db, query, mode=mode, planner=planner, **scope))
    for mode in ("keyword", "hybrid") + (("semantic",) if SEMANTIC else ()):
        for scope in FILTERS:
            ids.update(h.message_id for h in db.recall("what is ana's zanzibar locker code?", mode=mode, **scope))
    ids.update(r[0] for r in db.execute(
        "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?", ('"zanzibar" AND "quokka"',)))
    return sorted(ids)


def _text_columns_holding(db, word: str) -> list[str]:
    """table.column of every row in memlab's tables (not FTS5's binary shadow tables) holding word."""
    found = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'messages_fts%'"):
        for column in [r[1] for r in db.execute(f"PRAGMA table_info('{table}')")]:
            if db.execute(f'SELECT count(*) FROM "{table}" WHERE instr(CAST("{column}" AS TEXT), ?) > 0',
                          (word,)).fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def test_the_secret_is_found_before_forgetting(db, two_users):
    assert two_users in _found(db)


def test_forget_user_deletes_every_table_of_that_user_and_returns_counts(db, two_users):
    counts = db.forget(user_id="ana")
    assert counts == {
        "memory_metrics": 1, "cost_tracking": 1, "routing_decisions": 1, "agent_interactions": 1,
        "session_handoffs": 1, "messages": 11, "conversations": 2, "sessions": 2, "user_preferences": 1,
    }
    assert db.query("SELECT session_id FROM sessions") == [{"session_id": "b1"}]
    assert db.count("messages") == 40 and db.count("cost_tracking") == 1
    assert db.preferences.list("bo")[0]["value"] == "lighthouse"


def test_forgotten_text_is_not_found_by_any_search_path(db, two_users):
    anas = {r["id"] for r in db.query(
        "SELECT m.id FROM messages m JOIN conversations c USING (conversation_id) WHERE c.session_id IN ('a1', 'a2')")}
    assert two_users in anas
    db.forget(user_id="ana")
    # (semantic recall answers every question with the nearest messages left: bo's, never ana's)
    assert not set(_found(db)) & anas
    assert db.search("lighthouse tour", user_id="bo")  # bo's memory is untouched


@pytest.mark.skipif(not SEMANTIC, reason="the memlab[semantic] extra (in dev) is not installed")
def test_forgotten_messages_lose_their_vectors(db, two_users):
    assert db.execute("SELECT count(*) FROM message_vectors").fetchone()[0] == 51
    db.forget(user_id="ana")
    assert db.execute("SELECT count(*) FROM message_vectors").fetchone()[0] == 40
    assert db.embed_backlog() == 0


def test_forgotten_text_is_left_in_no_table(db, two_users):
    db.forget(user_id="ana")
    assert _text_columns_holding(db, "zanzibar quokka") == []
    assert _text_columns_holding(db, "locker code") == []
    # the index's record of removed messages (their text, until a refresh) is empty
    assert db.execute("SELECT count(*) FROM search_removed").fetchone()[0] == 0


def test_search_index_agrees_with_fts5_after_forgetting(db, two_users):
    db.forget(session_id="a1")
    for planner in PLANNERS.values():
        got = [h.message_id for h in search(db, "quokka", planner=planner, limit=50)]
        want = [r[0] for r in db.execute(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'quokka' ORDER BY rank, rowid DESC")]
        assert got == want


def test_forget_session_keeps_the_users_other_sessions(db, two_users):
    counts = db.forget(session_id="a1")
    assert counts["sessions"] == 1 and counts["messages"] == 6 and "user_preferences" not in counts
    assert db.sessions.exists("a2") and db.preferences.get("ana", "locker") == "quokka"
    assert [h.session_id for h in db.search("quokka facts")] == ["a2"] * 5


def test_forget_conversation_deletes_its_messages_and_agent_work(db, two_users):
    counts = db.forget(conversation_id="ca1")
    assert counts == {"cost_tracking": 1, "routing_decisions": 1, "agent_interactions": 1, "messages": 6,
                      "conversations": 1}
    assert db.sessions.exists("a1") and db.count("agent_interactions") == 0


def test_forget_messages_deletes_only_those(db, two_users):
    assert db.forget(message_ids=[two_users]) == {"messages": 1}
    assert db.search("zanzibar") == [] and len(db.search("quokka facts")) == 10


def test_dry_run_counts_and_changes_nothing(db, two_users):
    before = db.stats()["tables"]
    assert db.forget(user_id="ana", dry_run=True)["messages"] == 11
    assert db.stats()["tables"] == before
    assert two_users in {h.message_id for h in db.search("zanzibar")}


def test_forget_without_a_scope_refuses(db, two_users):
    with pytest.raises(ValidationError, match="needs a scope"):
        db.forget()


def test_forget_with_two_scopes_refuses(db, two_users):
    with pytest.raises(ValidationError, match="one scope"):
        db.forget(user_id="ana", session_id="a1")


@pytest.mark.parametrize("scope", [{"user_id": "nobody"}, {"session_id": "nope"}, {"conversation_id": "nope"}])
def test_forget_of_a_scope_naming_nothing_is_not_found(db, two_users, scope):
    with pytest.raises(NotFoundError, match="nothing to forget"):
        db.forget(**scope)


def test_forget_of_an_unknown_message_id_deletes_nothing(db, two_users):
    with pytest.raises(NotFoundError, match="1 of the 2 message ids"):
        db.forget(message_ids=[two_users, 10**9])
    assert db.count("messages") == 51


@pytest.mark.parametrize("ids", [[], "12", [-1], ["x"]])
def test_forget_rejects_malformed_message_ids(db, two_users, ids):
    with pytest.raises(ValidationError):
        db.forget(message_ids=ids)


def test_a_failure_inside_forget_deletes_nothing(db, two_users, monkeypatch):
    from memlab import forget as forgetting

    def broken(store):
        raise RuntimeError("disk went away")

    monkeypatch.setattr(forgetting, "_refresh_search_index", broken)
    with pytest.raises(RuntimeError):
        db.forget(user_id="ana")
    assert db.count("messages") == 51 and db.sessions.exists("a1")


def test_vacuum_after_forget_gives_the_pages_back(db_path, clock):
    import memlab

    with memlab.open(db_path, clock=clock) as db:
        db.sessions.create("big", user_id="ana")
        db.conversations.create("big", "cbig")
        db.messages.add_many({"conversation_id": "cbig", "role": "user", "content": f"{SECRET} {i} " * 20}
                             for i in range(2_000))
        pages = db.stats()["page_count"]
        db.forget(user_id="ana")
        assert db.stats()["freelist_count"] > pages // 2
    result = CliRunner().invoke(cli, ["vacuum", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    with memlab.open(db_path) as db:
        after = db.stats()
    assert after["freelist_count"] == 0 and after["page_count"] < pages // 2


def test_cli_forget_dry_run_then_forget(db, two_users, db_path):
    runner = CliRunner()
    dry = runner.invoke(cli, ["forget", "--db", str(db_path), "--user", "ana", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output) == {"dry_run": True, "rows": db.forget(user_id="ana", dry_run=True)}
    done = runner.invoke(cli, ["forget", "--db", str(db_path), "--message", str(two_users)])
    assert done.exit_code == 0 and "deleted 1 row(s)" in done.output
    assert db.search("zanzibar") == []


def test_cli_forget_without_a_scope_is_an_error(db_path, db):
    result = CliRunner().invoke(cli, ["forget", "--db", str(db_path)])
    assert result.exit_code == 1 and "needs a scope" in result.output


def test_forget_reaches_the_archive_files_beside_the_database(db, clock, two_users):
    from memlab.archive import archive_files, archive_sessions

    import memlab

    db.sessions.end("a1"), db.sessions.end("a2")  # a handoff links them: they move together
    clock.advance(days=60)
    archive_sessions(db, before=clock())
    assert not db.sessions.exists("a1") and archive_files(db)
    counts = db.forget(user_id="ana")
    assert counts["sessions"] == 2 and counts["messages"] == 11 and counts["user_preferences"] == 1
    for path in archive_files(db).values():
        with memlab.open(path) as archive:
            assert archive.count("sessions") == archive.count("messages") == 0
            assert archive.search("zanzibar quokka") == []
            assert archive.execute("SELECT count(*) FROM search_removed").fetchone()[0] == 0


def test_live_only_leaves_the_archives_alone(db, clock, two_users):
    from memlab.archive import archive_sessions

    db.sessions.end("a1"), db.sessions.end("a2")
    clock.advance(days=60)
    archive_sessions(db, before=clock())
    live = db.forget(user_id="ana", archives=False)
    assert live["sessions"] == 0 and live["user_preferences"] == 1
    assert db.forget(user_id="ana", dry_run=True)["sessions"] == 2  # still in the archive file


def test_message_ids_name_the_live_files_messages_only(db, clock, two_users):
    import memlab
    from memlab.archive import archive_files, archive_sessions

    db.sessions.end("a1"), db.sessions.end("a2")
    clock.advance(days=60)
    archive_sessions(db, before=clock())
    with memlab.open(next(iter(archive_files(db).values()))) as archive:
        archived = archive.query("SELECT id FROM messages ORDER BY id")[0]["id"]
    with pytest.raises(NotFoundError):  # that id is not a live message, and the archive keeps it
        db.forget(message_ids=[archived])
    assert db.forget(user_id="ana", dry_run=True)["messages"] == 11
