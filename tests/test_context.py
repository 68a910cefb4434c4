"""Context: the latest turns, relevant memories, preferences, patterns and handoff for a session's
next prompt, never over the token budget; clear errors for bad input; reads never write."""

from __future__ import annotations

import json
import sqlite3
import sys

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memlab import NotFoundError, ValidationError, tokens
from memlab.cli import cli
from memlab.context import HEADERS

FILLER = ["the weather was mild today", "we talked about the train schedule", "a note on the garden hose",
          "reading a novel about sailors", "the cat knocked over a plant"]


@pytest.fixture
def memory(db):
    """ana's old session (with her peanut allergy among everyday chatter), handed off to a new
    session holding the latest turns; bo's session mentions peanuts too."""
    db.sessions.create("old", user_id="ana", project_id="kitchen")
    db.conversations.create("old", "c-old")
    db.messages.add_many({"conversation_id": "c-old", "role": "user", "content": f"{FILLER[i % 5]} ({i})"}
                         for i in range(30))
    allergy = db.messages.add("c-old", "user", "I'm allergic to peanuts: never put them in a recipe.")
    db.sessions.create("bo-s", user_id="bo")
    db.conversations.create("bo-s", "c-bo")
    db.messages.add("c-bo", "user", "peanuts are my favourite recipe ingredient")
    handoff = db.handoffs.create("old", to_session_id=db.sessions.create("new", user_id="ana")["session_id"],
                                 summary="Ana is planning a dinner party for eight on Saturday.")
    db.conversations.create("new", "c-new")
    turns = [("user", "Hi, back again for the party."), ("assistant", "Welcome back! How can I help?"),
             ("user", "Suggest a dessert recipe without peanuts, please.")]
    ids = [db.messages.add("c-new", role, text) for role, text in turns]
    db.preferences.set("ana", "units", "metric", confidence=0.6)
    db.preferences.set("ana", "diet", "vegetarian", confidence=0.95)
    db.preferences.set("bo", "units", "imperial")
    db.patterns.observe("recipe", "dessert", {"likes": "chocolate"})
    db.patterns.observe("travel", "trains", {"prefers": "night trains"})
    return {"allergy": allergy, "turns": ids, "handoff": handoff["id"]}


def test_sections_come_in_order_with_sources_and_reasons(db, memory):
    ctx = db.context("new")
    assert list(ctx.sections) == ["handoff", "preferences", "patterns", "memories", "recent"]
    assert [i.source_id for i in ctx.sections["recent"]] == memory["turns"]
    assert ctx.sections["handoff"][0].source_id == memory["handoff"]
    assert ctx.sections["memories"][0].source_id == memory["allergy"]
    assert all(i.reason and i.tokens > 0 for i in ctx.items)


def test_the_query_defaults_to_the_newest_user_message(db, memory):
    assert db.context("new").query == "Suggest a dessert recipe without peanuts, please."


def test_memories_are_the_users_own_and_never_repeat_recent_turns(db, memory):
    ctx = db.context("new", "peanuts recipe party", memories=10)
    found = {i.source_id for i in ctx.sections["memories"]}
    assert memory["allergy"] in found
    assert not found & set(memory["turns"])
    bo = db.query("SELECT id FROM messages WHERE conversation_id = 'c-bo'")[0]["id"]
    assert bo not in found


def test_a_long_query_is_asked_by_its_rarest_words(db, memory):
    from memlab.context import QUERY_WORDS, query_words

    common = [f"w{i}" for i in range(QUERY_WORDS)]  # each in the 30 filler messages
    db.messages.add_many({"conversation_id": "c-old", "role": "user", "content": " ".join(common) + f" n{i}"}
                         for i in range(30))
    long = " ".join(common) + " peanuts allergic recipe"
    asked = query_words(db, long).split()
    assert len(asked) == QUERY_WORDS
    assert {"peanuts", "allergic", "recipe"} <= set(asked)  # the rare words stay, a common one goes
    assert asked == [w for w in long.split() if w in asked]  # in the query's order
    ctx = db.context("new", long)
    assert ctx.query == long and ctx.sections["memories"][0].source_id == memory["allergy"]
    assert query_words(db, "peanuts recipe party") == "peanuts recipe party"


def test_preferences_are_the_users_most_confident_first(db, memory):
    assert [i.text for i in db.context("new").sections["preferences"]] == ["- diet: vegetarian", "- units: metric"]


def test_patterns_must_name_a_word_of_the_query(db, memory):
    ctx = db.context("new", "a dessert for tonight")
    assert [i.text for i in ctx.sections["patterns"]] == ['- recipe/dessert: {"likes": "chocolate"}']


def test_a_session_continuing_nothing_has_no_handoff(db, memory):
    assert "handoff" not in db.context("old").sections


def test_a_small_budget_keeps_the_newest_turn_whole_and_drops_older_ones(db, memory):
    ctx = db.context("new", budget_tokens=30)
    recent = ctx.sections["recent"]
    assert recent[-1].source_id == memory["turns"][-1] and not recent[-1].truncated
    assert ctx.tokens <= 30


def test_the_newest_turn_alone_over_the_budget_is_cut_to_fit(db, memory):
    db.messages.add("c-new", "user", "please help " * 500)
    ctx = db.context("new", budget_tokens=50)
    newest = ctx.sections["recent"][-1]
    assert newest.truncated and newest.text.endswith("…") and ctx.tokens <= 50


def test_recent_turns_render_oldest_first_as_chat_messages(db, memory):
    messages = db.context("new").render("messages")
    assert messages[0]["role"] == "system" and "dinner party" in messages[0]["content"]
    assert [m["role"] for m in messages[1:]] == ["user", "assistant", "user"]
    assert messages[-1]["content"] == "Suggest a dessert recipe without peanuts, please."


def test_text_form_has_each_section_header(db, memory):
    text = db.context("new").render()
    assert all(header in text for header in HEADERS.values())
    assert text.endswith("user: Suggest a dessert recipe without peanuts, please.")


def word_count(text: str) -> int:
    return len(text.split())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budget=st.integers(1, 400), long_turn=st.integers(0, 3_000), by_words=st.booleans())
def test_never_over_budget_in_either_form(db, memory, budget, long_turn, by_words):
    if long_turn:
        db.messages.add("c-new", "assistant", "x " * long_turn)
    count = word_count if by_words else tokens.ESTIMATE
    ctx = db.context("new", budget_tokens=budget, count_tokens=count)
    assert ctx.tokens == count(ctx.render()) <= budget
    assert sum(count(m["content"]) for m in ctx.render("messages")) <= budget


def test_a_custom_tokenizer_is_used_and_named(db, memory):
    ctx = db.context("new", count_tokens=word_count)
    assert ctx.tokenizer == "word_count" and ctx.tokens == word_count(ctx.render())


def test_without_tiktoken_tokens_are_estimated(monkeypatch):
    monkeypatch.setitem(sys.modules, "tiktoken", None)  # import fails
    tokens.default.cache_clear()
    try:
        assert tokens.default() is tokens.ESTIMATE and tokens.default()("abcdefgh") == 2
    finally:
        tokens.default.cache_clear()


def test_unknown_session_is_not_found(db, memory):
    with pytest.raises(NotFoundError, match="unknown session 'nope'"):
        db.context("nope")


@pytest.mark.parametrize("budget", [0, -5, 1.5, True, "100"])
def test_budget_must_be_a_positive_whole_number(db, memory, budget):
    with pytest.raises(ValidationError, match="budget_tokens"):
        db.context("new", budget_tokens=budget)


def test_negative_recent_is_refused(db, memory):
    with pytest.raises(ValidationError, match="recent"):
        db.context("new", recent=-1)


def test_context_takes_no_write_lock(db, memory, db_path):
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    db.conn.execute("PRAGMA busy_timeout = 200")
    try:
        assert db.context("new", "peanuts").sections["memories"]
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_cli_context_text_json_and_messages(db, memory, db_path):
    runner = CliRunner()
    text = runner.invoke(cli, ["context", "new", "--db", str(db_path), "--budget", "500"])
    assert text.exit_code == 0 and "## Recent conversation" in text.output
    data = json.loads(runner.invoke(cli, ["context", "new", "--db", str(db_path), "--json"]).output)
    assert data["tokens"] <= data["budget_tokens"] == 2000
    assert [s["name"] for s in data["sections"]][-1] == "recent"
    messages = json.loads(runner.invoke(cli, ["context", "new", "--db", str(db_path), "--messages"]).output)
    assert messages[-1]["role"] == "user"


def test_cli_context_of_an_unknown_session_is_an_error(db, db_path):
    result = CliRunner().invoke(cli, ["context", "nope", "--db", str(db_path)])
    assert result.exit_code == 1 and "unknown session" in result.output


def test_the_benchmark_times_context_beside_the_same_queries_by_hand(db, memory, db_path):
    from memlab.bench import context as bench

    [row] = bench.run(db, db_path, progress=False)
    assert row.group == "context" and row.raw is not None and row.raw.samples == row.memlab.samples == 6
    assert row.extra["max_tokens"] <= bench.BUDGET and row.met in (True, False)
