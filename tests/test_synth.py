"""The synthetic workload: deterministic, exact in size, valid under the schema, and readable."""

from __future__ import annotations

import collections
import datetime as dt
import random
import re

import pytest
from click.testing import CliRunner

import memlab
from memlab.cli import cli
from memlab.clock import from_iso, to_iso
from memlab.migrations import TABLES
from memlab.synth import CONTEXT_INJECTION, SEARCH_LATENCY, TOKENS_INJECTED, generate
from memlab.synth import mix, text
from memlab.synth.timeline import DAY, HOUR, START, Timeline

SMALL = 400


def dump(db) -> dict[str, list[tuple]]:
    """Every row of every memlab table, in storage order."""
    return {t: db.conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """One small generated database shared by the read-only tests of this module."""
    path = tmp_path_factory.mktemp("synth") / "demo.db"
    db = memlab.open(path)
    counts = generate(db, messages=SMALL, days=14, seed=7, progress=False)
    yield db, counts
    db.close()


def test_same_seed_gives_identical_database_whatever_the_wall_clock(tmp_path, clock):
    later = dt.datetime(2031, 6, 1, tzinfo=dt.timezone.utc)
    first = memlab.open(tmp_path / "a.db", clock=clock)
    second = memlab.open(tmp_path / "b.db", clock=lambda: later)
    generate(first, messages=300, seed=3, progress=False)
    generate(second, messages=300, seed=3, progress=False)
    assert dump(first) == dump(second)


def test_different_seed_gives_different_database(tmp_path):
    first, second = memlab.open(tmp_path / "a.db"), memlab.open(tmp_path / "b.db")
    generate(first, messages=300, seed=1, progress=False)
    generate(second, messages=300, seed=2, progress=False)
    a, b = dump(first), dump(second)
    assert a["messages"] != b["messages"]
    assert a["sessions"] != b["sessions"]


@pytest.mark.parametrize("messages", [1, 37, 1_234])
def test_message_count_is_exactly_what_was_asked(tmp_path, messages):
    db = memlab.open(tmp_path / "m.db")
    counts = generate(db, messages=messages, seed=0, progress=False)
    assert counts["messages"] == db.count("messages") == messages


def test_counts_returned_match_every_table(generated):
    db, counts = generated
    assert counts == {t: db.count(t) for t in TABLES}
    assert all(counts[t] > 0 for t in TABLES)


def test_batches_smaller_than_the_history_give_the_same_rows(tmp_path):
    whole, batched = memlab.open(tmp_path / "a.db"), memlab.open(tmp_path / "b.db")
    generate(whole, messages=300, seed=5, progress=False)
    generate(batched, messages=300, seed=5, progress=False, batch_messages=50)
    assert dump(whole) == dump(batched)


def test_rows_pass_integrity_foreign_key_and_fts_checks(generated):
    db, _ = generated
    assert db.integrity_check() == []


def test_every_conversation_has_messages_and_starts_with_the_user(generated):
    db, _ = generated
    rows = db.query(
        "SELECT c.conversation_id, (SELECT role FROM messages m WHERE m.conversation_id = c.conversation_id"
        " ORDER BY created_at, id LIMIT 1) AS first_role FROM conversations c"
    )
    assert rows and all(r["first_role"] == "user" for r in rows)


def test_messages_within_a_conversation_move_forward_in_time(generated):
    db, _ = generated
    bad = db.query_one(
        "SELECT COUNT(*) AS n FROM (SELECT created_at, LAG(created_at) OVER"
        " (PARTITION BY conversation_id ORDER BY id) AS prev FROM messages) WHERE created_at < prev"
    )
    assert bad["n"] == 0


def test_sessions_start_inside_the_requested_days(generated):
    db, _ = generated
    span = db.query_one("SELECT MIN(created_at) AS first, MAX(created_at) AS last FROM sessions")
    assert span["first"] >= to_iso(START)
    assert span["last"] < to_iso(START + dt.timedelta(days=14))


def test_router_picks_a_scored_candidate_and_mostly_the_top_one(generated):
    db, _ = generated
    overridden = 0
    decisions = db.query("SELECT id FROM routing_decisions")
    for row in decisions:
        decision = db.routing.get(row["id"])
        scores = {c["agent"]: c["score"] for c in decision["candidates"]}
        assert decision["confidence"] == scores[decision["selected_agent"]]
        assert decision["selected_agent"] in mix.AGENTS
        if decision["selected_agent"] != decision["candidates"][0]["agent"]:
            assert decision["selected_agent"] == decision["candidates"][1]["agent"]
            overridden += 1
    # A rule overrides the top score now and then (mix.OVERRIDE_RATE), never most of the time.
    assert 0 < overridden < 0.2 * len(decisions)


def test_most_routing_decisions_have_an_outcome_of_each_kind(generated):
    db, _ = generated
    outcomes = {r["outcome"]: r["n"] for r in db.query(
        "SELECT outcome, COUNT(*) AS n FROM routing_decisions GROUP BY outcome")}
    assert {"success", "partial", "failure"} <= set(outcomes)
    assert outcomes["success"] > outcomes["failure"]


def test_interaction_durations_match_their_timestamps(generated):
    db, _ = generated
    for row in db.query("SELECT started_at, completed_at, duration_ms, status FROM agent_interactions"):
        elapsed = from_iso(row["completed_at"]) - from_iso(row["started_at"])
        assert elapsed.total_seconds() * 1000 == pytest.approx(row["duration_ms"], abs=1)
        if row["status"] == "timeout":
            assert row["duration_ms"] == mix.TIMEOUT_MS


def test_failed_interactions_say_why(generated):
    db, _ = generated
    rows = db.query("SELECT status, error FROM agent_interactions WHERE status != 'success'")
    assert rows
    assert all(r["error"] for r in rows)


def test_every_cost_row_belongs_to_an_agent_or_the_router(generated):
    db, _ = generated
    orphans = db.query_one(
        "SELECT COUNT(*) AS n FROM cost_tracking WHERE agent_interaction_id IS NULL"
        " AND json_extract(metadata, '$.purpose') IS NOT 'routing'"
    )
    assert orphans["n"] == 0


def test_model_mix_spans_providers_and_caching_follows_each_provider(generated):
    db, _ = generated
    rows = db.query(
        "SELECT model, SUM(cache_read_tokens) AS reads, SUM(cache_write_tokens) AS writes"
        " FROM cost_tracking GROUP BY model"
    )
    by_provider = collections.defaultdict(lambda: [0, 0])
    for r in rows:
        p = mix.provider(r["model"])
        by_provider[p][0] += r["reads"]
        by_provider[p][1] += r["writes"]
    assert {"anthropic", "openai", "google"} <= set(by_provider)
    assert by_provider["anthropic"][0] > 0 and by_provider["anthropic"][1] > 0
    assert by_provider["openai"][1] == 0 and by_provider["google"][1] == 0


def test_memory_metrics_come_with_units(generated):
    db, _ = generated
    units = {r["metric_name"]: r["unit"] for r in db.query(
        "SELECT DISTINCT metric_name, unit FROM memory_metrics")}
    assert units == {SEARCH_LATENCY: "ms", CONTEXT_INJECTION: "ms", TOKENS_INJECTED: "tokens"}


def test_handoffs_link_sessions_of_one_user_and_project_and_were_resumed_later(generated):
    db, _ = generated
    rows = db.query(
        "SELECT h.created_at, h.resumed_at, a.user_id AS u1, b.user_id AS u2, a.project_id AS p1,"
        " b.project_id AS p2 FROM session_handoffs h JOIN sessions a ON a.session_id = h.from_session_id"
        " JOIN sessions b ON b.session_id = h.to_session_id"
    )
    assert rows
    for r in rows:
        assert (r["u1"], r["p1"]) == (r["u2"], r["p2"])
        assert r["resumed_at"] > r["created_at"]


def test_preferences_and_patterns_carry_timeline_times(generated):
    db, _ = generated
    first = to_iso(START)
    assert db.query_one("SELECT MIN(created_at) AS t FROM user_preferences")["t"] >= first
    assert db.query_one("SELECT MIN(first_seen_at) AS t FROM learned_patterns")["t"] >= first
    assert db.query_one("SELECT MAX(last_seen_at) AS t FROM learned_patterns")["t"] < "2026-03"


def test_users_argument_sets_how_many_people_work(tmp_path):
    db = memlab.open(tmp_path / "u.db")
    generate(db, messages=600, users=4, seed=0, progress=False)
    assert db.query_one("SELECT COUNT(DISTINCT user_id) AS n FROM sessions")["n"] == 4


# -- text --------------------------------------------------------------------------------------

WORD = re.compile(r"^[A-Za-z][a-z]*[.,;:?!']?$")


def test_messages_are_mostly_ordinary_words(generated):
    db, _ = generated
    tokens = " ".join(r["content"] for r in db.query("SELECT content FROM messages")).split()
    ordinary = sum(1 for t in tokens if WORD.match(t))
    assert ordinary / len(tokens) > 0.75


def test_every_message_ends_a_sentence(generated):
    db, _ = generated
    endings = {r["content"].rstrip()[-1] for r in db.query("SELECT content FROM messages")}
    assert endings <= {".", "?", "!"}


def test_message_lengths_stay_between_20_and_400_words(generated):
    db, _ = generated
    lengths = [len(r["content"].split()) for r in db.query("SELECT content FROM messages")]
    assert min(lengths) >= 20 and max(lengths) <= 410
    assert max(lengths) > 150  # and vary: some long answers exist


def test_vocabulary_is_rich_and_zipf_like():
    rng = random.Random(0)
    words = collections.Counter()
    for _ in range(300):
        kind = mix.KIND(rng)
        focus = text.new_focus(rng, "search-api")
        words.update(w.strip(".,;:?!'\"()").lower() for w in text.reply(rng, kind, focus).split())
    ranked = [n for _, n in words.most_common()]
    assert len(ranked) > 800  # many distinct terms
    assert ranked[0] > 5 * ranked[50] > 0  # a few words dominate, a long tail follows


def test_conversations_stay_on_their_focus():
    rng = random.Random(1)
    focus = text.new_focus(rng, "billing-service")
    replies = " ".join(text.reply(rng, "debugging", focus) for _ in range(10))
    assert focus["FUNC"] in replies or focus["EXCEPTION"] in replies


def test_first_sentence_is_what_the_router_logs():
    assert text.first_sentence("Fix the bug. Then add tests.") == "Fix the bug."
    assert text.first_sentence("Why does it fail? It worked. Really.") == "Why does it fail?"
    assert len(text.first_sentence("x" * 500)) == 240


# -- timeline ----------------------------------------------------------------------------------

def test_weekdays_and_work_hours_are_busier():
    timeline = Timeline(random.Random(0), 28)
    starts = [timeline.session_start() for _ in range(20_000)]
    weekday = collections.Counter((START + dt.timedelta(milliseconds=s)).weekday() for s in starts)
    hours = collections.Counter((s % DAY) // HOUR for s in starts)
    assert min(weekday[d] for d in range(5)) > 3 * max(weekday[5], weekday[6])
    assert sum(hours[h] for h in range(9, 17)) > 5 * sum(hours[h] for h in range(0, 6))


def test_router_confidence_tracks_outcomes():
    rng = random.Random(0)
    sure = [mix.outcome(rng, 0.95, False) for _ in range(2_000)].count("success")
    unsure = [mix.outcome(rng, 0.40, False) for _ in range(2_000)].count("success")
    misrouted = [mix.outcome(rng, 0.95, True) for _ in range(2_000)].count("success")
    assert sure > unsure > misrouted


# -- refusals and CLI --------------------------------------------------------------------------

def test_generate_refuses_a_database_that_has_data(db):
    db.sessions.create("mine")
    with pytest.raises(memlab.ValidationError, match="empty database"):
        generate(db, messages=50, progress=False)
    assert db.count("sessions") == 1 and db.count("messages") == 0


@pytest.mark.parametrize("kwargs", [{"messages": 0}, {"messages": 2.5}, {"days": 0}, {"users": -1}])
def test_generate_rejects_bad_sizes(db, kwargs):
    with pytest.raises(memlab.ValidationError):
        generate(db, progress=False, **kwargs)


def test_cli_generate_writes_the_requested_history(tmp_path):
    path = tmp_path / "cli.db"
    result = CliRunner().invoke(cli, ["generate", "--db", str(path), "--messages", "120", "--seed", "4", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "generated 120 messages" in result.output
    with memlab.open(path) as db:
        assert db.count("messages") == 120


def test_cli_generate_on_a_filled_database_is_a_one_line_error(tmp_path):
    path = str(tmp_path / "cli.db")
    runner = CliRunner()
    runner.invoke(cli, ["generate", "--db", path, "--messages", "20", "--quiet"])
    result = runner.invoke(cli, ["generate", "--db", path, "--messages", "20", "--quiet"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: generate needs an empty database")


@pytest.mark.parametrize("start", [START, dt.datetime(2025, 3, 30, 22, 15, 7, 250_000, tzinfo=dt.timezone.utc)])
def test_timeline_text_is_memlabs_timestamp_format(start):
    timeline = Timeline(random.Random(0), 10, start)
    for ms in (0, 1, 999, 59_999, 3_599_999, DAY - 1, DAY, 9 * DAY + 12_345_678):
        assert timeline.iso(ms) == to_iso(start + dt.timedelta(milliseconds=ms))
