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
