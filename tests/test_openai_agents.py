"""MemlabSession against the behaviours the Agents SDK's own SQLiteSession tests check (ordering,
limit, pop, clear, several sessions in one file, unicode and SQL text, concurrent writers, a real
Runner), plus what memlab adds: items are messages (searchable, counted, tool calls kept)."""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest

pytest.importorskip("agents", reason="the memlab[agents] extra (in dev) is not installed")

from agents import Agent, Runner, SessionSettings, set_tracing_disabled  # noqa: E402
from agents.testing import ScriptedModel, assistant_message, function_call  # noqa: E402

import memlab  # noqa: E402
from memlab.integrations.openai_agents import MemlabSession  # noqa: E402

set_tracing_disabled(True)  # no trace export (it would want an API key and the network)

CHAT = [
    {"role": "user", "content": "Message 1"},
    {"role": "assistant", "content": "Response 1"},
    {"role": "user", "content": "Message 2"},
    {"role": "assistant", "content": "Response 2"},
    {"role": "user", "content": "Message 3"},
    {"role": "assistant", "content": "Response 3"},
]


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def session(db_path):
    s = MemlabSession("chat", db_path, user_id="ana")
    yield s
    s.close()


def contents(items):
    return [i.get("content") for i in items]


def test_items_come_back_in_the_order_added(session):
    run(session.add_items(CHAT[:2]))
    run(session.add_items(CHAT[2:]))
    assert run(session.get_items()) == CHAT


def test_limit_returns_the_latest_items_oldest_first(session):
    run(session.add_items(CHAT))
    assert contents(run(session.get_items(limit=2))) == ["Message 3", "Response 3"]
    assert contents(run(session.get_items(limit=4))) == ["Message 2", "Response 2", "Message 3", "Response 3"]
    assert run(session.get_items(limit=10)) == CHAT
    assert run(session.get_items(limit=0)) == []


def test_session_settings_limit_is_the_default_and_an_explicit_limit_wins(db_path):
    s = MemlabSession("chat", db_path, session_settings=SessionSettings(limit=3))
    run(s.add_items(CHAT))
    assert contents(run(s.get_items())) == ["Response 2", "Message 3", "Response 3"]
    assert len(run(s.get_items(limit=5))) == 5
    s.close()


def test_pop_returns_the_newest_item_until_empty(session):
    assert run(session.pop_item()) is None
    run(session.add_items(CHAT[:3]))
    assert run(session.pop_item()) == CHAT[2]
    assert run(session.get_items()) == CHAT[:2]
    assert [run(session.pop_item()) for _ in range(3)] == [CHAT[1], CHAT[0], None]
    assert run(session.get_items()) == []


def test_pop_only_touches_its_own_session(db_path):
    one, two = MemlabSession("s1", db_path), MemlabSession("s2", db_path)
    run(one.add_items([{"role": "user", "content": "Session 1 message"}]))
    run(two.add_items([{"role": "user", "content": "Session 2 message 1"},
                       {"role": "user", "content": "Session 2 message 2"}]))
    assert run(two.pop_item())["content"] == "Session 2 message 2"
    assert contents(run(one.get_items())) == ["Session 1 message"]
    assert contents(run(two.get_items())) == ["Session 2 message 1"]
    one.close(), two.close()


def test_clear_empties_the_session_and_its_search_entries(session):
    run(session.add_items(CHAT))
    run(session.clear_session())
    assert run(session.get_items()) == []
    assert session.db.search("Response") == []
    run(session.add_items(CHAT[:1]))  # the session is usable after a clear
    assert run(session.get_items()) == CHAT[:1]


def test_several_sessions_in_one_file_keep_separate_histories(db_path):
    one, two = MemlabSession("cats", db_path), MemlabSession("dogs", db_path)
    run(one.add_items([{"role": "user", "content": "I like cats"}]))
    run(two.add_items([{"role": "user", "content": "I like dogs"}]))
    assert contents(run(one.get_items())) == ["I like cats"]
    assert contents(run(two.get_items())) == ["I like dogs"]
    one.close(), two.close()
    again = MemlabSession("cats", db_path)  # and they persist in the file
    assert contents(run(again.get_items())) == ["I like cats"]
    again.close()


def test_sessions_sharing_one_open_database(db):
    one, two = MemlabSession("a", db), MemlabSession("b", db)
    run(one.add_items(CHAT[:1]))
    run(two.add_items(CHAT[1:2]))
    one.close()  # a shared database stays open
    assert run(two.get_items()) == CHAT[1:2] and db.count("messages") == 2


def test_unicode_and_sql_text_round_trip(session):
    items = [{"role": "user", "content": "こんにちは 😊👍 Привет"},
             {"role": "assistant", "content": "Robert'); DROP TABLE students;--"},
             {"role": "user", "content": '"SELECT * FROM users WHERE name = "admin";"'}]
    run(session.add_items(items))
    assert run(session.get_items()) == items


def test_concurrent_writers_lose_nothing(session):
    def add(i):
        asyncio.run(session.add_items([{"role": "user", "content": f"Message {i}"}]))

    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(add, range(20)))
    assert sorted(contents(run(session.get_items()))) == sorted(f"Message {i}" for i in range(20))


def test_a_runner_turn_sees_the_history_and_is_stored(session):
    model = ScriptedModel()
    agent = Agent(name="guide", model=model)
    model.enqueue([assistant_message("San Francisco")])
    run(Runner.run(agent, "What city is the Golden Gate Bridge in?", session=session))
    model.enqueue([assistant_message("California")])
    second = run(Runner.run(agent, "What state is it in?", session=session))
    assert second.final_output == "California"
    sent = model.calls[-1].input
    assert "Golden Gate" in str(sent) and "San Francisco" in str(sent)
    stored = session.db.query("SELECT role, content FROM messages ORDER BY id")
    assert stored == [
        {"role": "user", "content": "What city is the Golden Gate Bridge in?"},
        {"role": "assistant", "content": "San Francisco"},
        {"role": "user", "content": "What state is it in?"},
        {"role": "assistant", "content": "California"},
    ]


def test_items_are_searchable_counted_and_keep_tool_calls(session):
    call = {"type": "function_call", "name": "get_weather", "arguments": '{"city": "Lisbon"}',
            "call_id": "call_1"}
    output = {"type": "function_call_output", "call_id": "call_1", "output": "sunny in Lisbon, 24C"}
    run(session.add_items([{"role": "user", "content": "weather in Lisbon?"}, call, output]))
    rows = session.db.query("SELECT role, content, token_count, metadata FROM messages ORDER BY id")
    assert [r["role"] for r in rows] == ["user", "assistant", "tool"]
    assert rows[1]["content"] == 'get_weather({"city": "Lisbon"})'
    assert all(r["token_count"] > 0 for r in rows)
    meta = session.db.messages.get(session.db.search("get_weather")[0].message_id)["metadata"]
    assert meta["tool_call"] == {"name": "get_weather", "call_id": "call_1", "arguments": '{"city": "Lisbon"}'}
    assert [h.role for h in session.db.search("sunny Lisbon")] == ["tool"]
    assert run(session.get_items())[1:] == [call, output]


def test_a_tool_calling_run_round_trips_through_the_session(session):
    from agents import function_tool

    @function_tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    model = ScriptedModel()
    agent = Agent(name="guide", model=model, tools=[get_weather])
    model.enqueue([function_call("get_weather", {"city": "Lisbon"}, call_id="c1")])
    model.enqueue([assistant_message("It is sunny.")])
    run(Runner.run(agent, "weather?", session=session))
    kinds = [i.get("type", "message") for i in run(session.get_items())]
    assert kinds == ["message", "function_call", "function_call_output", "message"]
    assert session.db.search("sunny Lisbon")[0].role == "tool"


def test_record_usage_stores_a_priced_cost_row(session):
    from agents.usage import Usage

    model = ScriptedModel(default_usage=Usage(requests=1, input_tokens=1_000, output_tokens=200,
                                              total_tokens=1_200))
    model.enqueue([assistant_message("hi")])
    result = run(Runner.run(Agent(name="guide", model=model), "hello", session=session))
    cost_id = session.record_usage(result, model="gpt-4o")
    row = session.db.costs.get(cost_id)
    assert (row["session_id"], row["input_tokens"], row["output_tokens"]) == ("chat", 1_000, 200)
    assert row["cost_usd"] > 0


def test_redaction_reaches_the_stored_item_too(db_path):
    from memlab.redact import default_redactor

    s = MemlabSession("chat", memlab.open(db_path, redact=default_redactor))
    run(s.add_items([{"role": "user", "content": "my key is sk-abcdefghijklmnopqrstuvwx123456"}]))
    raw = s.db.query("SELECT content, metadata FROM messages")[0]
    assert "sk-abcdefghijklmnopqrstuvwx123456" not in raw["content"] + raw["metadata"]
    s.db.close()


def test_a_conversation_of_another_session_is_refused(db_path):
    MemlabSession("one", db_path, conversation_id="shared").close()
    with pytest.raises(memlab.ValidationError, match="belongs to another session"):
        MemlabSession("two", db_path, conversation_id="shared")


def test_a_non_dict_item_is_refused_and_nothing_is_stored(session):
    with pytest.raises(memlab.ValidationError, match="item 1 must be a dict"):
        run(session.add_items([{"role": "user", "content": "ok"}, "not an item"]))
    assert run(session.get_items()) == []
