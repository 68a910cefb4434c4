"""The dashboard's one-sentence readings: figures taken from the frame, and a plain sentence when empty."""

from __future__ import annotations

import pytest

from memlab import demo, readings


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    import memlab

    db = memlab.open(tmp_path_factory.mktemp("readings") / "demo.db")
    demo.ensure_demo(db, progress=False)
    yield db
    db.close()


def test_cost_by_model_names_the_costliest_model_and_the_unpriced_calls(demo_db):
    df = demo_db.analytics.cost_by_model()
    text = readings.cost_by_model(df)
    top = demo_db.query_one("SELECT model, SUM(cost_usd) AS usd FROM cost_tracking GROUP BY model ORDER BY usd DESC LIMIT 1")
    unpriced = demo_db.query_one("SELECT COUNT(*) AS n FROM cost_tracking WHERE cost_usd IS NULL")["n"]
    assert text.startswith(f"{top['model']} took ")
    assert f"${top['usd']:,.2f}" in text
    assert f"{unpriced:,} calls to" in text


def test_session_activity_compares_the_costliest_session_with_the_median(demo_db):
    df = demo_db.analytics.session_activity()
    text = readings.session_activity(df)
    assert f"${df['cost_usd'].max():,.2f}" in text
    assert f"(${df['cost_usd'].median():,.2f})" in text


def test_routing_counts_decisions_that_passed_over_the_top_candidate(demo_db):
    df = demo_db.analytics.routing()
    text = readings.routing(df)
    assert f"of {df['decisions'].sum():,} decisions" in text
    assert f"top-scored candidate {df['top_not_chosen'].sum():,} times" in text


def test_metric_percentiles_reads_median_and_tail_of_every_metric(demo_db):
    df = demo_db.analytics.metric_percentiles()
    text = readings.metric_percentiles(df)
    for _, row in df.iterrows():
        assert f"{row['metric_name']} {row['p50']:,.1f}" in text and f"{row['p99']:,.1f}" in text


@pytest.mark.parametrize("name, query", [
    ("cost_by_model", "cost_by_model"), ("cost_over_time", "cost_over_time"),
    ("activity_over_time", "activity_over_time"), ("session_activity", "session_activity"),
    ("metric_percentiles", "metric_percentiles"), ("agent_performance", "agent_performance"),
    ("routing", "routing"), ("cache_efficiency", "cache_efficiency"),
])
def test_an_empty_database_reads_as_a_plain_sentence(db, name, query):
    text = getattr(readings, name)(getattr(db.analytics, query)())
    assert text.startswith("No ") and text.endswith(".")


# -- readings that hold on small, partial and real data ------------------------------------------

from conftest import FIXTURES  # noqa: E402

REAL = FIXTURES / "claude-code-real" / "projects"


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    """The real Claude Code transcripts imported: no users, an unpriced model, one week of a
    few days, two agents."""
    if not REAL.is_dir():
        pytest.skip(f"real Claude Code transcripts not found at {REAL} (the ../shared/fixtures folder beside the checkout)")
    import memlab
    from memlab.imports import import_claude_code

    db = memlab.open(tmp_path_factory.mktemp("real") / "real.db")
    import_claude_code(db, REAL, progress=False)
    yield db
    db.close()


def test_real_activity_names_no_people_when_there_are_no_users(real_db):
    text = readings.activity_over_time(real_db.analytics.activity_over_time(period="week"))
    assert "people" not in text and "0 " not in text.replace("20", "")  # no "from 0 people", no "median of 0"
    busiest = real_db.analytics.activity_over_time(period="week")["messages"].max()
    assert f"{busiest:,} messages" in text


def test_real_cost_over_time_never_calls_an_empty_week_the_quietest(real_db):
    df = real_db.analytics.cost_over_time(period="week")
    text = readings.cost_over_time(df)
    assert "quietest" not in text and "$0.00" not in text
    weeks = df[df["cost_usd"].fillna(0) > 0]["bucket"].nunique()
    assert f"over the {weeks} weeks with priced calls" in text


def test_real_cost_over_time_says_unpriced_calls_are_not_counted(real_db):
    unpriced = real_db.query_one("SELECT COUNT(*) AS n FROM cost_tracking WHERE cost_usd IS NULL")["n"]
    text = readings.cost_over_time(real_db.analytics.cost_over_time(period="day"))
    if unpriced:
        assert f"{unpriced:,} calls" in text and "not counted" in text
    else:
        assert "not counted" not in text


def test_real_sessions_without_users_name_the_session(real_db):
    text = readings.session_activity(real_db.analytics.session_activity())
    assert "<NA>" not in text and "None" not in text and "session " in text


def test_real_agents_least_reliable_only_when_rates_differ(real_db):
    df = real_db.analytics.agent_performance()
    text = readings.agent_performance(df)
    if df["success_rate"].nunique() > 1:
        assert "succeeds least often" in text and f"{df['success_rate'].min():.0%}" in text
    else:
        assert "least" not in text


@pytest.fixture
def small(db):
    """One session, no user, one agent with every call successful, one routing choice without outcome."""
    db.sessions.create("only", created_at="2026-03-04T08:00:00Z")
    db.conversations.create("only", "c", created_at="2026-03-04T08:00:00Z")
    db.messages.add("c", "user", "hello", created_at="2026-03-04T09:00:00Z")
    for _ in range(3):
        db.interactions.record("only", "coder", status="success", duration_ms=2000.0, started_at="2026-03-04T09:00:00Z")
    db.routing.record("only", "fix it", "coder", confidence=0.9)
    db.costs.record("only", "claude-sonnet-4-5", input_tokens=1000, created_at="2026-03-04T09:00:00Z")
    db.costs.record("only", "no-such-model", input_tokens=1000, created_at="2026-03-04T09:00:00Z")
    return db


def test_one_agent_is_not_the_one_that_succeeds_least(small):
    text = readings.agent_performance(small.analytics.agent_performance())
    assert text == "coder is the only agent: 3 calls, 100% of them successful, 2.0 s median."


def test_agents_that_all_succeed_are_said_to_all_succeed(small):
    small.interactions.record("only", "tester", status="success", duration_ms=10.0, started_at="2026-03-04T09:00:00Z")
    text = readings.agent_performance(small.analytics.agent_performance())
    assert "least" not in text and "every agent succeeds 100% of the time" in text


def test_one_session_one_day_reads_in_the_singular(small):
    text = readings.activity_over_time(small.analytics.activity_over_time(period="week"))
    assert text == "All activity fell in the period starting 2026-03-02: 1 message in 1 session."
    assert "1 sessions" not in readings.session_activity(small.analytics.session_activity())


def test_routing_without_outcomes_says_so_instead_of_nan(small):
    text = readings.routing(small.analytics.routing())
    assert "nan" not in text and "no outcome has been recorded yet" in text and "All 1 decision went to coder" in text


def test_a_bucket_of_only_unpriced_calls_is_not_zero_spend(db):
    db.sessions.create("s", created_at="2026-03-04T08:00:00Z")
    db.costs.record("s", "no-such-model", input_tokens=1000, created_at="2026-03-04T09:00:00Z")
    text = readings.cost_over_time(db.analytics.cost_over_time(period="day"))
    assert text == "No priced model calls in this range. 1 call (no-such-model) has no price and is not counted."
