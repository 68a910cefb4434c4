"""Agent interactions, routing decisions, cost tracking and metrics."""

from __future__ import annotations

import pytest

import memlab


@pytest.fixture
def session(db):
    db.sessions.create("s1", user_id="u1", project_id="p1")
    return "s1"


def test_interaction_start_and_finish_measures_duration(db, session, clock):
    iid = db.interactions.start(session, "developer", task="fix the bug")
    clock.advance(seconds=2.5)
    done = db.interactions.finish(iid, status="failure", input_tokens=10, output_tokens=5, error="boom")
    assert (done["status"], done["duration_ms"], done["error"]) == ("failure", 2500.0, "boom")
    assert done["completed_at"] == "2026-01-12T09:00:02.500000Z"


def test_interaction_cannot_finish_twice(db, session):
    iid = db.interactions.start(session, "qa")
    db.interactions.finish(iid)
    with pytest.raises(memlab.ValidationError, match="already finished"):
        db.interactions.finish(iid, status="timeout")


def test_record_finished_interaction_from_times(db, session):
    iid = db.interactions.record(session, "architect", status="timeout",
                                 started_at="2026-01-12T08:00:00Z", completed_at="2026-01-12T08:00:30Z")
    assert db.interactions.get(iid)["duration_ms"] == 30_000


def test_interaction_status_is_checked(db, session):
    with pytest.raises(memlab.ValidationError, match="status"):
        db.interactions.record(session, "qa", status="meh")


def test_routing_candidates_normalised_best_first(db, session):
    rid = db.routing.record(session, "review my PR", "qa", confidence=0.7,
                            candidates={"developer": 0.2, "qa": 0.7, "reviewer": 0.9}, reasoning="tests")
    row = db.routing.get(rid)
    assert [c["agent"] for c in row["candidates"]] == ["reviewer", "qa", "developer"]
    assert db.routing.set_outcome(rid, "success")["outcome"] == "success"


def test_routing_confidence_bounds(db, session):
    with pytest.raises(memlab.ValidationError, match="between 0 and 1"):
        db.routing.record(session, "x", "qa", confidence=1.5)


def test_routing_outcome_values(db, session):
    rid = db.routing.record(session, "x", "qa")
    with pytest.raises(memlab.ValidationError):
        db.routing.set_outcome(rid, "great")


def test_cost_with_explicit_cost(db, session):
    cid = db.costs.record(session, "custom-model", input_tokens=100, output_tokens=10, cost_usd=0.25)
    assert db.costs.get(cid)["cost_usd"] == 0.25


def test_cost_of_unknown_model_is_unpriced_not_zero(db, session):
    cid = db.costs.record(session, "no-such-model-xyz", input_tokens=100)
    assert db.costs.get(cid)["cost_usd"] is None


def test_cost_requires_known_session(db):
    with pytest.raises(memlab.NotFoundError, match="unknown session"):
        db.costs.record("ghost", "m", cost_usd=0.1)


def test_cost_duplicate_request_id(db, session):
    db.costs.record(session, "m", cost_usd=0.1, request_id="req-1")
    with pytest.raises(memlab.ValidationError, match="request_id"):
        db.costs.record(session, "m", cost_usd=0.1, request_id="req-1")


def test_cost_record_many_skips_duplicates(db, session):
    calls = [{"session_id": session, "model": "m", "cost_usd": 0.1, "request_id": f"r{i}"} for i in range(3)]
    assert db.costs.record_many(calls) == 3
    assert db.costs.record_many(calls + [{**calls[0], "request_id": "r9"}], skip_duplicates=True) == 1
    assert db.count("cost_tracking") == 4


def test_cost_record_many_is_atomic(db, session):
    calls = [{"session_id": session, "model": "m", "cost_usd": 0.1}, {"session_id": session, "model": "m", "input_tokens": -5}]
    with pytest.raises(memlab.ValidationError, match="cost 1: input_tokens"):
        db.costs.record_many(calls)
    assert db.count("cost_tracking") == 0


def test_metric_record_and_tags(db, session):
    mid = db.metrics.record("search_latency", 3.5, unit="ms", session_id=session, tags={"q": "x"})
    row = db.query_one("SELECT * FROM memory_metrics WHERE id = ?", (mid,))
    assert (row["value"], row["unit"], row["tags"]) == (3.5, "ms", '{"q":"x"}')


def test_metric_timer_as_context_manager_and_decorator(db):
    with db.metrics.timer("block", kind="ctx") as t:
        sum(range(1000))
    assert t.elapsed_ms is not None and t.elapsed_ms >= 0

    @db.metrics.timer("fn")
    def work():
        return 42

    assert work() == 42
    names = [r["metric_name"] for r in db.query("SELECT metric_name FROM memory_metrics ORDER BY id")]
    assert names == ["block", "fn"]


def test_metric_timer_records_even_on_error(db):
    with pytest.raises(ZeroDivisionError):
        with db.metrics.timer("failing"):
            1 / 0
    assert db.count("memory_metrics") == 1


def test_metric_value_must_be_finite(db):
    with pytest.raises(memlab.ValidationError, match="finite"):
        db.metrics.record("x", float("inf"))
