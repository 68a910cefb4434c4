"""memlab report cost: per model, per day in the user's zone, per session or project, with the cache
share, a 7d-style --since, and the unpriced models named with their calls and tokens."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from memlab.cli import cli

CALLS = [  # session, model, input, output, cache read, cache write, created_at
    ("s1", "claude-sonnet-4-5", 1000, 100, 9000, 0, "2026-01-05T23:00:00Z"),
    ("s1", "claude-sonnet-4-5", 500, 50, 3000, 500, "2026-01-06T00:30:00Z"),
    ("s2", "gpt-4o", 2000, 10, 0, 0, "2026-01-06T03:00:00Z"),
    ("s2", "mystery-local-7b", 70, 30, 0, 0, "2026-01-10T12:00:00Z"),
    ("s2", "mystery-local-7b", 7, 3, 0, 0, "2026-01-11T12:00:00Z"),
]


@pytest.fixture
def filled(db):
    db.sessions.create("s1", project_id="api", created_at="2026-01-05T00:00:00Z")
    db.sessions.create("s2", project_id="web", created_at="2026-01-05T00:00:00Z")
    for session, model, inp, out, read, write, when in CALLS:
        db.costs.record(session, model, input_tokens=inp, output_tokens=out, cache_read_tokens=read,
                        cache_write_tokens=write, created_at=when)
    return db


def test_per_model_with_cache_share(filled):
    got = filled.analytics.cost_summary().set_index("model")
    sonnet = got.loc["claude-sonnet-4-5"]
    assert sonnet["requests"] == 2
    assert sonnet["cache_share"] == pytest.approx(12_000 / (1500 + 12_000 + 500))
    costs = filled.query("SELECT model, sum(cost_usd) AS c FROM cost_tracking GROUP BY model")
    assert sonnet["cost_usd"] == pytest.approx(next(r["c"] for r in costs if r["model"] == "claude-sonnet-4-5"))
    assert got.loc["mystery-local-7b"]["unpriced_requests"] == 2 and got.index[0] == "claude-sonnet-4-5"


def test_per_day_is_in_the_users_zone(filled):
    utc = filled.analytics.cost_summary(by=None, period="day")
    ny = filled.analytics.cost_summary(by=None, period="day", tz="America/New_York")
    assert list(utc["requests"]) == [1, 2, 1, 1]  # 5th, 6th, 10th, 11th (UTC)
    assert list(ny["requests"]) == [3, 1, 1]  # 23:00Z, 00:30Z and 03:00Z are all the 5th in New York
    assert str(ny["bucket"].iloc[0]) == "2026-01-05 00:00:00-05:00"


def test_per_session_and_project(filled):
    sessions = filled.analytics.cost_summary(by="session").set_index("session")
    assert sessions.loc["s2", "requests"] == 3 and sessions.loc["s2", "unpriced_requests"] == 2
    projects = filled.analytics.cost_summary(by="project").set_index("project")
    assert projects.loc["api", "input_tokens"] == 1500


def test_since_7d_is_today_and_the_six_days_before(filled):
    # The test clock says 2026-01-12 09:00 UTC: 7d starts at 2026-01-06 00:00.
    got = filled.analytics.cost_summary(by=None, since="7d")
    assert got["requests"].iloc[0] == 4
    assert filled.analytics.cost_summary(by=None, since="12h")["requests"].sum() == 0


def test_unpriced_models_are_named_with_calls_and_tokens(filled, db_path):
    result = CliRunner().invoke(cli, ["report", "cost", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "unpriced (not in the totals above): 2 calls" in result.output
    assert "  mystery-local-7b: 2 calls, 110 tokens" in result.output


def test_cli_per_day_per_session_and_since(filled, db_path):
    day = CliRunner().invoke(cli, ["report", "cost", "--db", str(db_path), "--period", "day", "--tz",
                                   "America/New_York", "--format", "csv"]).output.splitlines()
    assert day[0].startswith("bucket,requests,") and day[0].endswith(",cache_share") and len(day) == 4
    session = CliRunner().invoke(cli, ["report", "cost", "--db", str(db_path), "--by", "session", "--format", "csv"])
    assert session.output.splitlines()[0].startswith("session,requests,")
    since = CliRunner().invoke(cli, ["report", "cost", "--db", str(db_path), "--since", "3650d", "--format", "csv"])
    assert since.exit_code == 0 and len(since.output.splitlines()) == 4  # header + 3 models


def test_sessions_and_top_count_unpriced_calls(filled):
    top = filled.analytics.top_sessions(2).set_index("session_id")
    assert top.loc["s2", "unpriced_requests"] == 2 and top.loc["s1", "unpriced_requests"] == 0
    assert "unpriced_requests" in filled.analytics.session_activity().columns
