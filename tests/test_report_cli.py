"""memlab report: each kind in each format, filters that don't apply, and memlab errors as one line."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

import memlab
from memlab.cli import cli


@pytest.fixture
def filled_path(db_path):
    with memlab.open(db_path) as db:
        db.sessions.create("s", user_id="u", created_at="2026-03-28T08:00:00Z")
        db.conversations.create("s", "c", created_at="2026-03-28T08:00:00Z")
        db.messages.add("c", "user", "hello", created_at="2026-03-28T09:00:00Z")
        iid = db.interactions.record("s", "coder", duration_ms=120.0, started_at="2026-03-28T09:00:00Z")
        db.costs.record("s", "gpt-4.1", input_tokens=1000, agent_interaction_id=iid, created_at="2026-03-28T09:00:00Z")
        db.metrics.record("search_latency", 3.5, unit="ms", created_at="2026-03-28T09:00:00Z")
        db.routing.record("s", "x", "coder", confidence=0.5)
    return str(db_path)


def report(*args: str):
    return CliRunner().invoke(cli, ["report", *args])


@pytest.mark.parametrize("kind, column", [("cost", "model"), ("sessions", "session_id"), ("metrics", "metric_name"),
                                          ("agents", "agent_name"), ("routing", "selected_agent"),
                                          ("cache", "hit_ratio"), ("top", "cost_usd")])
def test_each_kind_as_csv_has_its_columns(filled_path, kind, column):
    result = report(kind, "--db", filled_path, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 1 and column in rows[0]


def test_json_is_records(filled_path):
    result = report("cost", "--db", filled_path, "--format", "json", "--by", "agent", "--period", "day")
    assert json.loads(result.output) == [
        {"bucket": "2026-03-28T00:00:00.000Z", "agent": "coder", "requests": 1, "tokens": 1000,
         "cost_usd": pytest.approx(json.loads(result.output)[0]["cost_usd"])}]


def test_markdown_is_a_table(filled_path):
    lines = report("agents", "--db", filled_path, "--format", "markdown").output.splitlines()
    assert [c.strip() for c in lines[0].strip("|").split("|")][:2] == ["agent_name", "calls"]
    assert set(lines[1]) <= set("|-:") and lines[2].split("|")[1].strip() == "coder"


def test_table_and_window(filled_path):
    assert "gpt-4.1" in report("cost", "--db", filled_path).output
    assert "no data" in report("cost", "--db", filled_path, "--since", "2026-04-01").output


def test_sessions_with_period_is_activity_over_time(filled_path):
    out = report("sessions", "--db", filled_path, "--period", "day", "--tz", "Europe/Berlin", "--format", "csv").output
    assert out.splitlines()[0] == "bucket,sessions,messages,active_users"


def test_filter_that_does_not_apply_is_a_usage_error(filled_path):
    result = report("sessions", "--db", filled_path, "--model", "gpt-4.1")
    assert result.exit_code == 2 and "--model does not apply" in result.output


def test_memlab_error_is_one_line(filled_path):
    result = report("cost", "--db", filled_path, "--period", "day", "--tz", "Nowhere/Special")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: unknown time zone 'Nowhere/Special'"
