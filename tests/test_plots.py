"""memlab.plots: each chart is a Figure with a title and labelled axes, and empty frames draw "no data"."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

import memlab
from memlab import plots

CHARTS = {
    "cost_over_time": lambda a: a.cost_over_time(period="day", tz="Europe/Berlin"),
    "cost_by_model": lambda a: a.cost_by_model(),
    "session_activity": lambda a: a.activity_over_time(period="day"),
    "metric_percentiles": lambda a: a.metric_percentiles(period="day"),
    "agent_performance": lambda a: a.agent_performance(),
    "routing": lambda a: a.routing(),
    "cache_efficiency": lambda a: a.cache_efficiency(period="day"),
}


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    db = memlab.open(tmp_path_factory.mktemp("plots") / "memlab.db")
    db.sessions.create("s", user_id="u", created_at="2026-03-28T08:00:00Z")
    db.conversations.create("s", "c", created_at="2026-03-28T08:00:00Z")
    for day in (28, 29, 30):
        at = f"2026-03-{day}T09:00:00Z"
        db.messages.add("c", "user", "hello", created_at=at)
        iid = db.interactions.record("s", "coder", duration_ms=100.0 * day, started_at=at)
        db.costs.record("s", "gpt-4.1", input_tokens=1000, cache_read_tokens=500 * day, agent_interaction_id=iid,
                        created_at=at)
        db.metrics.record("search_latency", day / 10, unit="ms", created_at=at)
        db.routing.record("s", "x", "coder", confidence=0.5, candidates={"coder": 0.5, "qa": 0.7})
    yield db
    db.close()


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_is_a_titled_figure_with_axis_labels(filled, name):
    fig = getattr(plots, name)(CHARTS[name](filled.analytics))
    assert isinstance(fig, Figure)
    assert fig.get_suptitle()
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    assert "no data" not in _texts(fig)
    assert fig.get_figwidth() == pytest.approx(8.0)


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_empty_frame_draws_no_data(db, name):
    fig = getattr(plots, name)(CHARTS[name](db.analytics))
    assert isinstance(fig, Figure)
    assert "no data" in _texts(fig)


def test_units_appear_on_axes(filled):
    fig = plots.metric_percentiles(filled.analytics.metric_percentiles())
    assert fig.axes[0].get_ylabel() == "value (ms)"
    assert plots.cost_over_time(filled.analytics.cost_over_time()).axes[0].get_ylabel() == "cost (USD)"
