"""Hostile input: any text, id, number or JSON is stored and read back identical, or refused
with a memlab error; never a raw sqlite3, Unicode, overflow or recursion error.

Search input is covered by the search tests.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memlab

# Every code point, NUL and lone surrogates included (hypothesis' default text skips surrogates).
ANY_CHAR = st.characters(codec=None, categories=None)
ANY_TEXT = st.text(alphabet=ANY_CHAR, max_size=300)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=20,
)
ANYTHING = (
    ANY_TEXT | st.integers() | st.floats() | st.none() | st.booleans() | st.binary(max_size=20)
    | st.lists(st.integers(), max_size=3) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    db = memlab.open(tmp_path_factory.mktemp("hostile") / "m.db")
    db.sessions.create("s")
    db.conversations.create("s", "c")
    yield db
    assert db.integrity_check() == []
    db.close()


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _nested(depth: int):
    value: object = "leaf"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@FAST
@given(content=ANY_TEXT, metadata=JSON)
def test_message_round_trips_or_is_refused(hostile_db, content, metadata):
    try:
        mid = hostile_db.messages.add("c", "user", content, metadata=metadata)
    except memlab.ValidationError:
        assert not _storable(content) or not _storable(json.dumps(metadata, ensure_ascii=False))
        return
    row = hostile_db.messages.get(mid)
    assert row["content"] == content
    assert row["metadata"] == metadata


@FAST
@given(session_id=ANY_TEXT, user_id=ANY_TEXT | st.none(), metadata=JSON)
def test_session_ids_round_trip_or_are_refused(hostile_db, session_id, user_id, metadata):
    try:
        row = hostile_db.sessions.create(session_id, user_id=user_id, metadata=metadata)
    except memlab.ValidationError:
        return
    assert (row["session_id"], row["user_id"], row["metadata"]) == (session_id, user_id, metadata)
    assert hostile_db.sessions.get(session_id) == row
    hostile_db.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))


@FAST
@given(conversation_id=ANY_TEXT, title=ANY_TEXT | st.none())
def test_conversation_ids_and_titles_round_trip_or_are_refused(hostile_db, conversation_id, title):
    try:
        row = hostile_db.conversations.create("s", conversation_id, title=title)
    except memlab.ValidationError:
        return
    assert (row["conversation_id"], row["title"]) == (conversation_id, title)
    assert hostile_db.conversations.get(conversation_id) == row
    hostile_db.execute("DELETE FROM conversations WHERE conversation_id = ?", (conversation_id,))


@FAST
@given(task=ANY_TEXT | st.none(), error=ANY_TEXT | st.none(), agent=ANY_TEXT, request=ANY_TEXT,
       tokens=st.integers(), cost=st.floats() | st.integers())
def test_tracking_text_and_numbers_round_trip_or_are_refused(hostile_db, task, error, agent, request, tokens, cost):
    try:
        iid = hostile_db.interactions.record("s", agent, task=task, error=error, status="failure",
                                             input_tokens=tokens)
        row = hostile_db.interactions.get(iid)
        assert (row["task"], row["error"], row["agent_name"], row["input_tokens"]) == (task, error, agent, tokens)
    except memlab.ValidationError:
        pass
    try:
        rid = hostile_db.routing.record("s", request, "router", reasoning=task)
        assert hostile_db.routing.get(rid)["request"] == request
    except memlab.ValidationError:
        pass
    try:
        hostile_db.metrics.record("m", cost, unit=task)
    except memlab.ValidationError:
        pass


@FAST
@given(args=st.lists(ANYTHING, min_size=3, max_size=3), created_at=ANYTHING | st.datetimes(timezones=st.timezones()))
def test_any_argument_types_give_memlab_errors(hostile_db, args, created_at):
    conversation, role, content = args
    try:
        hostile_db.messages.add(conversation, role, content, created_at=created_at)
    except (memlab.ValidationError, memlab.NotFoundError):
        pass
    try:
        hostile_db.messages.add("c", "user", "fine", created_at=created_at, token_count=args[0])
    except memlab.ValidationError:
        pass


@FAST
@given(lookup=ANYTHING | st.integers(min_value=2**63))
def test_lookups_with_any_key_give_memlab_errors(hostile_db, lookup):
    calls = [
        lambda: hostile_db.sessions.get(lookup),
        lambda: hostile_db.conversations.get(lookup),
        lambda: hostile_db.messages.get(lookup),
        lambda: hostile_db.interactions.get(lookup),
        lambda: hostile_db.routing.set_outcome(lookup, "success"),
        lambda: hostile_db.preferences.get(lookup, lookup),
        lambda: hostile_db.messages.recent(conversation_id=lookup, limit=3),
    ]
    for call in calls:
        try:
            call()
        except (memlab.ValidationError, memlab.NotFoundError):
            pass


@FAST
@given(rows=st.lists(st.dictionaries(st.sampled_from(["conversation_id", "role", "content", "token_count",
                                                        "metadata", "created_at"]), ANYTHING, max_size=6)
                     | ANYTHING, max_size=5) | ANYTHING)
def test_add_many_with_any_rows_is_all_or_nothing(hostile_db, rows):
    before = hostile_db.count("messages")
    try:
        added = hostile_db.messages.add_many(rows)
    except (memlab.ValidationError, memlab.NotFoundError):
        assert hostile_db.count("messages") == before
        return
    assert hostile_db.count("messages") == before + added


@pytest.mark.parametrize("field", ["content", "title", "metadata"])
def test_ten_megabyte_strings_round_trip(db, field):
    big = ("ünïcödé 🚀 \x00 " * 700_000)[:10_000_000]
    db.sessions.create("s")
    conversation = db.conversations.create("s", "c", title=big if field == "title" else None)
    mid = db.messages.add("c", "user", big if field == "content" else "x",
                          metadata={"blob": big} if field == "metadata" else None)
    row = db.messages.get(mid)
    stored = {"content": row["content"], "title": conversation["title"],
              "metadata": row["metadata"] and row["metadata"]["blob"]}[field]
    assert stored == big
    assert db.integrity_check() == []


@pytest.mark.parametrize("depth", [10, 256])
def test_nested_json_within_the_limit_round_trips(db, depth):
    db.sessions.create("s", metadata=_nested(depth))
    assert db.sessions.get("s")["metadata"] == _nested(depth)


@pytest.mark.parametrize("depth", [257, 990, 5_000, 200_000])
def test_deeper_json_is_refused_everywhere(db, depth):
    db.sessions.create("s")
    db.conversations.create("s", "c")
    deep = _nested(depth)
    calls = [
        lambda: db.sessions.create("t", metadata=deep),
        lambda: db.messages.add("c", "user", "x", metadata=deep),
        lambda: db.preferences.set("u", "k", deep),
        lambda: db.patterns.observe("t", "k", deep),
        lambda: db.handoffs.create("s", context=deep),
        lambda: db.metrics.record("m", 1, tags={"deep": deep}),
    ]
    for call in calls:
        with pytest.raises(memlab.ValidationError, match="nested too deeply"):
            call()
    assert db.count("messages") == 0 and db.count("user_preferences") == 0


def test_json_that_refers_to_itself_is_refused_as_such(db):
    db.sessions.create("s")
    db.conversations.create("s", "c")
    loop: dict = {}
    loop["self"] = loop
    with pytest.raises(memlab.ValidationError, match="metadata is not JSON-serialisable: Circular reference"):
        db.messages.add("c", "user", "x", metadata=loop)
    assert db.count("messages") == 0


@pytest.mark.parametrize("where", ["value", "key"])
def test_lone_surrogates_in_json_are_refused(db, where):
    db.sessions.create("s")
    db.conversations.create("s", "c")
    metadata = {"k": "bad \ud800"} if where == "value" else {"bad \udfff": 1}
    with pytest.raises(memlab.ValidationError, match="metadata is not valid Unicode"):
        db.messages.add("c", "user", "x", metadata=metadata)


@pytest.mark.parametrize("value", [2**63, 2**100])
def test_integers_past_64_bits_are_refused(db, value):
    db.sessions.create("s")
    db.conversations.create("s", "c")
    with pytest.raises(memlab.ValidationError, match="token_count is too large"):
        db.messages.add("c", "user", "x", token_count=value)


def test_numbers_past_float_range_are_refused(db):
    with pytest.raises(memlab.ValidationError, match="value is too large"):
        db.metrics.record("m", 10**400)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                                  dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-5)))])
def test_timestamps_that_overflow_utc_are_refused(db, when):
    db.sessions.create("s")
    db.conversations.create("s", "c")
    with pytest.raises(memlab.ValidationError, match="created_at"):
        db.messages.add("c", "user", "x", created_at=when)


def test_retention_days_past_the_calendar_are_refused(db):
    with pytest.raises(memlab.ValidationError, match="days is too large"):
        db.maintenance.archive_inactive(10**12)
