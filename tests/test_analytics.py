"""db.analytics checked against independent pandas computations over the raw rows of the same database."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memlab
from memlab.clock import to_iso
from memlab.prices import price_for

UTC = dt.timezone.utc
SESSIONS = {"s0": ("u0", "p0"), "s1": ("u0", "p1"), "s2": ("u1", "p1"), "s3": (None, None)}
AGENTS = ("coder", "reviewer")
MODELS = ("claude-sonnet-4-5", "gpt-4.1", "mystery-local")  # the last is unpriced
# Around Europe/Berlin's spring (29 March) and autumn (25 October) changes in 2026.
SPRING = (dt.datetime(2026, 3, 27, tzinfo=UTC), dt.datetime(2026, 4, 1, tzinfo=UTC))
AUTUMN = (dt.datetime(2026, 10, 23, tzinfo=UTC), dt.datetime(2026, 10, 28, tzinfo=UTC))
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def instants(window=SPRING):
    return st.datetimes(min_value=window[0].replace(tzinfo=None), max_value=window[1].replace(tzinfo=None)).map(
        lambda d: d.replace(tzinfo=UTC))


def cost_rows_in(*windows):
    return st.lists(st.fixed_dictionaries({
    "session_id": st.sampled_from(sorted(SESSIONS)),
    "model": st.sampled_from(MODELS),
    "input_tokens": st.integers(0, 5000),
    "output_tokens": st.integers(0, 2000),
    "cache_read_tokens": st.integers(0, 9000),
    "cache_write_tokens": st.integers(0, 3000),
    "agent": st.sampled_from((None,) + AGENTS),
    "created_at": st.one_of(*(instants(w) for w in windows)),
}), max_size=40)


cost_rows = cost_rows_in(SPRING, AUTUMN)

metric_rows = st.lists(st.fixed_dictionaries({
    "name": st.sampled_from(("search_latency", "tokens_injected")),
    "value": st.floats(-1e6, 1e6, allow_nan=False) | st.integers(0, 50).map(float),
    "unit": st.sampled_from(("ms", None)),
    "session_id": st.sampled_from(sorted(SESSIONS) + [None]),
    "tags": st.sampled_from((None, {"hits": 1}, {"hits": 2}, {"other": "x"})),
    "created_at": instants(SPRING),
}), max_size=60)


def fresh() -> memlab.Database:
    db = memlab.open(":memory:")
    for sid, (user, project) in SESSIONS.items():
        db.sessions.create(sid, user_id=user, project_id=project, created_at="2026-03-01T00:00:00Z")
    return db


def fill_costs(db, rows) -> None:
    calls = []
    for row in rows:
        call = {k: v for k, v in row.items() if k != "agent"}
        if row["agent"]:
            call["agent_interaction_id"] = db.interactions.record(
                row["session_id"], row["agent"], started_at=row["created_at"], completed_at=row["created_at"])
        calls.append(call)
    db.costs.record_many(calls)


def raw(db, sql: str) -> pd.DataFrame:
    return pd.read_sql_query(sql, db.conn)


def local_bucket(times: pd.Series, period: str | None, tz: str) -> pd.Series:
    """The local period start of each UTC timestamp, the pandas way (wall clock, then localised)."""
    local = pd.to_datetime(times, utc=True, format="ISO8601").dt.tz_convert(tz)
    if period == "hour":  # back to the local hour's start in absolute time: right in repeated hours too
        return local - pd.to_timedelta(local.dt.minute * 60 + local.dt.second, unit="s") - pd.to_timedelta(
            local.dt.microsecond, unit="us")
    wall = local.dt.tz_localize(None).dt.normalize()
    if period == "week":
        wall = wall - pd.to_timedelta(wall.dt.day_of_week, unit="D")
    elif period == "month":
        wall = wall.dt.to_period("M").dt.to_timestamp()
    return wall.dt.tz_localize(tz).dt.tz_convert(tz)


def reference_costs(db) -> pd.DataFrame:
    return raw(db, """SELECT c.*, s.user_id, s.project_id, a.agent_name FROM cost_tracking c
                      JOIN sessions s USING (session_id) LEFT JOIN agent_interactions a ON a.id = c.agent_interaction_id""")


# -- cost ------------------------------------------------------------------------------------------


@SETTINGS
@given(rows=cost_rows, period=st.sampled_from((None, "hour", "day", "week", "month")),
       tz=st.sampled_from(("UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns")))
def test_cost_by_model_matches_pandas(rows, period, tz):
    with fresh() as db:
        fill_costs(db, rows)
        got = db.analytics.cost_by_model(period=period, tz=tz)
        ref = reference_costs(db)
    keys = ["model"] + (["bucket"] if period else [])
    if period:
        ref["bucket"] = local_bucket(ref["created_at"], period, tz)
    g = ref.groupby(keys)
    want = g[["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"]].sum()
    want["requests"] = g.size()
    want["cost_usd"] = g["cost_usd"].sum(min_count=1)
    want["unpriced_requests"] = g["cost_usd"].apply(lambda s: int(s.isna().sum()))
    want = want.reset_index()
    total = want.groupby("bucket")["cost_usd"].transform(lambda s: s.sum(min_count=1)) if period \
        else want["cost_usd"].sum(min_count=1)
    want["share"] = want["cost_usd"] / total
    want = want.sort_values(["bucket", "model"] if period else ["model"]).reset_index(drop=True)
    assert list(got.columns) == ["model"] + (["bucket"] if period else []) + [
        "requests", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd",
        "unpriced_requests", "share"]
    assert len(got) == len(want)
    for column in got.columns:
        if column == "bucket":
            assert list(got[column]) == list(want[column])
        elif got[column].dtype.kind == "f":
            np.testing.assert_allclose(got[column].to_numpy(float), want[column].to_numpy(float), rtol=1e-9)
        else:
            assert list(got[column].astype(object)) == list(want[column].astype(object))


@SETTINGS
@given(rows=st.one_of(cost_rows_in(SPRING), cost_rows_in(AUTUMN)), period=st.sampled_from(("hour", "day", "week")), by=st.sampled_from(("model", "agent", "user", "project")),
       tz=st.sampled_from(("UTC", "Europe/Berlin")), bounded=st.booleans())
def test_cost_over_time_fills_every_bucket_and_matches_pandas(rows, period, by, tz, bounded):
    since, until = ("2026-03-28", "2026-03-31") if bounded else (None, None)  # spans the spring change
    with fresh() as db:
        fill_costs(db, rows)
        got = db.analytics.cost_over_time(period=period, by=by, tz=tz, since=since, until=until)
        ref = reference_costs(db)
    column = {"model": "model", "agent": "agent_name", "user": "user_id", "project": "project_id"}[by]
    if bounded:
        lo = pd.Timestamp(since, tz=tz).tz_convert("UTC")
        hi = pd.Timestamp(until, tz=tz).tz_convert("UTC")
        times = pd.to_datetime(ref["created_at"], utc=True, format="ISO8601")
        ref = ref[(times >= lo) & (times < hi)]
    if ref.empty:
        assert got.empty and list(got.columns) == ["bucket", by, "requests", "tokens", "cost_usd"]
        return
    ref = ref.assign(bucket=local_bucket(ref["created_at"], period, tz), key=ref[column],
                     tokens=ref[["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"]].sum(axis=1))
    if bounded:
        first, last = pd.Timestamp(since, tz=tz), pd.Timestamp(until, tz=tz) - pd.Timedelta(microseconds=1)
    else:
        first, last = ref["bucket"].min(), ref["bucket"].max()
    every = sorted(set(local_bucket(pd.Series(pd.date_range(first.tz_convert("UTC"), last.tz_convert("UTC"),
                                                               freq="15min").append(pd.DatetimeIndex([last.tz_convert("UTC")]))),
                                    period, tz)))
    groups = ref["key"].drop_duplicates()
    assert len(got) == len(every) * len(groups)
    assert sorted(set(got["bucket"])) == every
    ref["key"] = ref["key"].fillna("<none>")
    g = ref.groupby(["bucket", "key"])
    want = pd.DataFrame({"requests": g.size(), "tokens": g["tokens"].sum(),
                         "cost_usd": g["cost_usd"].sum(min_count=1)})
    mine = got.assign(key=got[by].astype(object).fillna("<none>")).set_index(["bucket", "key"])
    want = want.reindex(mine.index)
    absent = want["requests"].isna()
    assert (mine.loc[absent, ["requests", "tokens", "cost_usd"]] == 0).all().all()
    assert mine.loc[~absent, "requests"].tolist() == want.loc[~absent, "requests"].astype(int).tolist()
    assert mine.loc[~absent, "tokens"].tolist() == want.loc[~absent, "tokens"].astype(int).tolist()
    np.testing.assert_allclose(mine.loc[~absent, "cost_usd"].to_numpy(float),
                               want.loc[~absent, "cost_usd"].to_numpy(float), rtol=1e-9)


def test_a_berlin_day_on_the_dst_change_is_23_hours(db):
    db.sessions.create("s", created_at="2026-03-01T00:00:00Z")
    for at in ("2026-03-28T22:59:59Z", "2026-03-28T23:00:00Z", "2026-03-29T21:59:59Z", "2026-03-29T22:00:00Z"):
        db.costs.record("s", "gpt-4.1", input_tokens=1, created_at=at)
    got = db.analytics.cost_over_time(period="day", tz="Europe/Berlin")
    assert list(got["bucket"].dt.strftime("%Y-%m-%d %z")) == ["2026-03-28 +0100", "2026-03-29 +0100", "2026-03-30 +0200"]
    assert list(got["requests"]) == [1, 2, 1]
    assert got["bucket"].iloc[2] - got["bucket"].iloc[1] == pd.Timedelta(hours=23)


def test_unpriced_only_cost_is_nan_not_zero(db):
    db.sessions.create("s")
    db.costs.record("s", "mystery-local", input_tokens=10)
    got = db.analytics.cost_by_model()
    assert got["unpriced_requests"].tolist() == [1] and np.isnan(got["cost_usd"].iloc[0])


@SETTINGS
@given(rows=cost_rows, period=st.sampled_from((None, "day")))
def test_cache_efficiency_matches_pandas(rows, period):
    with fresh() as db:
        fill_costs(db, rows)
        got = db.analytics.cache_efficiency(period=period)
        ref = reference_costs(db)
    keys = ["model"] + (["bucket"] if period else [])
    if period:
        ref["bucket"] = local_bucket(ref["created_at"], period, "UTC")
    want = ref.groupby(keys)[["input_tokens", "cache_read_tokens", "cache_write_tokens"]].sum().reset_index()
    prompt = want["input_tokens"] + want["cache_read_tokens"] + want["cache_write_tokens"]
    want["hit_ratio"] = want["cache_read_tokens"] / prompt.replace(0, np.nan)
    rates = {m: price_for(m) for m in MODELS}
    want["savings_usd"] = [c * (rates[m].rates.input - rates[m].rates.cache_read) / 1e6 if rates[m] else np.nan
                           for m, c in zip(want["model"], want["cache_read_tokens"])]
    want = want.sort_values(["bucket", "model"] if period else ["model"]).reset_index(drop=True)
    assert list(got["model"]) == list(want["model"])
    np.testing.assert_allclose(got["hit_ratio"].to_numpy(float), want["hit_ratio"].to_numpy(float), rtol=1e-12)
    np.testing.assert_allclose(got["savings_usd"].to_numpy(float), want["savings_usd"].to_numpy(float), rtol=1e-12)


# -- metrics ----------------------------------------------------------------------------------------


@SETTINGS
@given(rows=metric_rows, period=st.sampled_from((None, "day", "hour")), tag=st.sampled_from((None, "hits")),
       percentiles=st.sampled_from(((50, 90, 95, 99), (0, 12.5, 100))))
def test_metric_percentiles_match_numpy_linear(rows, period, tag, percentiles):
    with fresh() as db:
        db.metrics.record_many(rows)
        got = db.analytics.metric_percentiles(period=period, tag=tag, percentiles=percentiles, tz="Europe/Berlin")
        ref = raw(db, "SELECT * FROM memory_metrics ORDER BY created_at, id")
    keys = ["metric_name"]
    if period:
        ref["bucket"] = local_bucket(ref["created_at"], period, "Europe/Berlin")
        keys.append("bucket")
    if tag:
        ref["tag_value"] = [None if pd.isna(t) or tag not in json.loads(t) else str(json.loads(t)[tag])
                            for t in ref["tags"]]
        keys.append("tag_value")
    assert list(got.columns) == keys + ["count", "mean", "min"] + [f"p{p:g}" for p in percentiles] + ["max", "unit"]
    groups = list(ref.groupby(keys, dropna=False, sort=True))
    assert len(got) == len(groups)
    for (key, values), (_, row) in zip(groups, got.iterrows()):
        data = values["value"].to_numpy(float)
        assert row["count"] == len(data)
        assert row["min"] == data.min() and row["max"] == data.max()
        assert row["mean"] == pytest.approx(data.mean(), rel=1e-9, abs=1e-9)
        for p in percentiles:
            assert row[f"p{p:g}"] == pytest.approx(np.percentile(data, p), rel=1e-9, abs=1e-9)
        latest = values["unit"].iloc[-1]
        assert (pd.isna(row["unit"]) and pd.isna(latest)) or row["unit"] == latest


def test_metric_percentiles_filters_by_name_and_window(db):
    db.metrics.record("a", 1.0, created_at="2026-01-01T00:00:00Z")
    db.metrics.record("a", 5.0, created_at="2026-01-02T00:00:00Z")
    db.metrics.record("b", 3.0, created_at="2026-01-02T00:00:00Z")
    got = db.analytics.metric_percentiles(metrics=["a"], since="2026-01-02")
    assert got["metric_name"].tolist() == ["a"] and got["count"].tolist() == [1] and got["p50"].tolist() == [5.0]


# -- sessions, agents, routing ----------------------------------------------------------------------


def _workload(db):
    """A small hand-made history: messages, interactions, costs and routing decisions."""
    rows = [("s0", "2026-03-28T10:00:00Z"), ("s0", "2026-03-29T10:00:00Z"), ("s2", "2026-03-29T23:30:00Z")]
    for i, (sid, at) in enumerate(rows):
        cid = f"c{i}"
        db.conversations.create(sid, cid, created_at=at)
        db.messages.add(cid, "user", "hello there", created_at=at)
        db.messages.add(cid, "assistant", "hi", created_at=at)
    for agent, status, duration in (("coder", "success", 100.0), ("coder", "failure", 300.0),
                                    ("coder", "running", None), ("reviewer", "success", 50.0)):
        if status == "running":
            iid = db.interactions.start("s0", agent)
        else:
            iid = db.interactions.record("s0", agent, status=status, duration_ms=duration, input_tokens=10,
                                         output_tokens=5, started_at="2026-03-28T10:00:00Z")
        db.costs.record("s0", "gpt-4.1", input_tokens=1000, agent_interaction_id=iid, created_at="2026-03-28T10:00:00Z")
    db.costs.record("s2", "mystery-local", input_tokens=7, created_at="2026-03-29T23:30:00Z")
    rid = db.routing.record("s0", "fix it", "coder", confidence=0.6, candidates={"coder": 0.6, "reviewer": 0.9})
    db.routing.set_outcome(rid, "success")
    db.routing.record("s0", "look", "reviewer", confidence=0.8, candidates={"reviewer": 0.8, "coder": 0.8})
    db.routing.record("s2", "hm", "reviewer", confidence=0.4)


def test_session_activity_matches_pandas():
    with fresh() as db:
        _workload(db)
        got = db.analytics.session_activity()
        sessions = raw(db, "SELECT * FROM sessions")
        messages = raw(db, "SELECT m.*, c.session_id FROM messages m JOIN conversations c USING (conversation_id)")
        costs = raw(db, "SELECT * FROM cost_tracking")
        conversations = raw(db, "SELECT * FROM conversations")
    assert list(got["session_id"]) == sorted(sessions["session_id"])  # same start: ordered by id
    for _, row in got.iterrows():
        sid = row["session_id"]
        mine = messages[messages["session_id"] == sid]
        spent = costs[costs["session_id"] == sid]
        own = sessions[sessions["session_id"] == sid].iloc[0]
        last = max([own["last_active_at"], *mine["created_at"]])
        assert row["messages"] == len(mine)
        assert row["conversations"] == (conversations["session_id"] == sid).sum()
        assert row["last_active_at"] == pd.Timestamp(last)
        assert row["duration"] == pd.Timestamp(last) - pd.Timestamp(own["created_at"])
        assert row["tokens"] == spent[["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"]].sum().sum()
        want = spent["cost_usd"].sum(min_count=1)
        assert (pd.isna(row["cost_usd"]) and pd.isna(want)) or row["cost_usd"] == pytest.approx(want)


def test_top_sessions_are_costliest_first():
    with fresh() as db:
        _workload(db)
        got = db.analytics.top_sessions(2)
    assert got["session_id"].tolist()[0] == "s0" and len(got) == 2


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin"])
def test_activity_over_time_matches_pandas(tz):
    with fresh() as db:
        _workload(db)
        got = db.analytics.activity_over_time(period="day", tz=tz)
        ref = raw(db, """SELECT m.created_at, s.session_id, s.user_id FROM messages m
                         JOIN conversations c USING (conversation_id) JOIN sessions s USING (session_id)""")
    ref["bucket"] = local_bucket(ref["created_at"], "day", tz)
    want = ref.groupby("bucket").agg(sessions=("session_id", "nunique"), messages=("created_at", "size"),
                                     active_users=("user_id", "nunique"))
    full = pd.date_range(want.index.min(), want.index.max(), freq="D", tz=tz)  # no DST change in range
    want = want.reindex(full, fill_value=0)
    assert list(got["bucket"]) == list(want.index)
    assert got[["sessions", "messages", "active_users"]].to_numpy().tolist() == want.to_numpy().tolist()


def test_agent_performance_matches_pandas():
    with fresh() as db:
        _workload(db)
        got = db.analytics.agent_performance().set_index("agent_name")
        calls = raw(db, "SELECT * FROM agent_interactions")
        costs = raw(db, "SELECT * FROM cost_tracking")
    for agent, rows in calls.groupby("agent_name"):
        finished = rows[rows["status"] != "running"]
        assert got.loc[agent, "calls"] == len(rows)
        assert got.loc[agent, "successes"] == (rows["status"] == "success").sum()
        assert got.loc[agent, "success_rate"] == pytest.approx((finished["status"] == "success").mean())
        durations = rows["duration_ms"].dropna().to_numpy(float)
        assert got.loc[agent, "p50_duration_ms"] == pytest.approx(np.percentile(durations, 50))
        assert got.loc[agent, "p95_duration_ms"] == pytest.approx(np.percentile(durations, 95))
        assert got.loc[agent, "cost_usd"] == pytest.approx(costs[costs["agent_interaction_id"].isin(rows["id"])]["cost_usd"].sum())


def test_routing_matches_pandas():
    with fresh() as db:
        _workload(db)
        got = db.analytics.routing().set_index("selected_agent")
        ref = raw(db, "SELECT * FROM routing_decisions")
    for agent, rows in ref.groupby("selected_agent"):
        def not_top(candidates):
            if pd.isna(candidates):
                return False
            scores = {c["agent"]: c["score"] for c in json.loads(candidates)}
            return max(scores.values()) > scores.get(agent, -np.inf)
        flags = rows["candidates"].map(not_top)
        listed = rows["candidates"].notna()
        assert got.loc[agent, "decisions"] == len(rows)
        assert got.loc[agent, "mean_confidence"] == pytest.approx(rows["confidence"].mean())
        assert got.loc[agent, "with_outcome"] == rows["outcome"].notna().sum()
        assert got.loc[agent, "top_not_chosen"] == flags.sum()
        assert got.loc[agent, "top_not_chosen_rate"] == pytest.approx(flags.sum() / listed.sum())
    assert got.loc["coder", "top_not_chosen"] == 1 and got.loc["reviewer", "top_not_chosen"] == 0  # a tie is chosen


# -- shapes, filters, validation --------------------------------------------------------------------

ALL = {
    "cost_by_model": {}, "cost_over_time": {}, "session_activity": {}, "activity_over_time": {},
    "metric_percentiles": {}, "agent_performance": {}, "routing": {}, "cache_efficiency": {}, "top_sessions": {},
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_empty_database_gives_declared_columns(db, name):
    empty = getattr(db.analytics, name)()
    assert empty.empty
    filled = fresh()
    try:
        _workload(filled)
        full = getattr(filled.analytics, name)()
    finally:
        filled.close()
    assert list(empty.columns) == list(full.columns)
    assert dict(empty.dtypes) == dict(full.dtypes)


@pytest.mark.parametrize("name", sorted(ALL))
def test_empty_window_gives_declared_columns(name):
    with fresh() as db:
        _workload(db)
        got = getattr(db.analytics, name)(since="2026-03-28T10:00:00Z", until="2026-03-28T10:00:00Z")
    assert got.empty and len(got.columns) > 3


def test_filters_narrow_cost():
    with fresh() as db:
        _workload(db)
        assert db.analytics.cost_by_model(user_id="u1")["model"].tolist() == ["mystery-local"]
        assert db.analytics.cost_by_model(project_id="p0")["requests"].tolist() == [4]
        assert db.analytics.cost_by_model(session_id="s2")["requests"].tolist() == [1]
        assert db.analytics.cost_by_model(agent="reviewer")["requests"].tolist() == [1]
        assert db.analytics.cost_by_model(model="gpt-4.1")["model"].tolist() == ["gpt-4.1"]
        assert db.analytics.agent_performance(agent="coder")["agent_name"].tolist() == ["coder"]
        assert db.analytics.routing(session_id="s2")["decisions"].tolist() == [1]


@pytest.mark.parametrize("call, message", [
    (lambda a: a.cost_by_model(period="fortnight"), "period"),
    (lambda a: a.cost_over_time(period=None), "period"),
    (lambda a: a.cost_over_time(by="colour"), "by must be one of"),
    (lambda a: a.cost_over_time(tz="Mars/Olympus"), "time zone"),
    (lambda a: a.cost_by_model(since="2026-02-01", until="2026-01-01"), "since"),
    (lambda a: a.cost_by_model(since="yesterday"), "since"),
    (lambda a: a.metric_percentiles(percentiles=(50, 101)), "percentiles"),
    (lambda a: a.metric_percentiles(tag='a"b'), "tag"),
    (lambda a: a.session_activity(limit=-1), "limit"),
    (lambda a: a.cost_over_time(period="hour", since="1990-01-01", until="2030-01-01"), "buckets"),
])
def test_invalid_arguments_raise_validation_error(db, call, message):
    db.sessions.create("s")
    db.costs.record("s", "gpt-4.1", input_tokens=1)
    with pytest.raises(memlab.ValidationError, match=message):
        call(db.analytics)


def test_hostile_filter_text_is_only_a_value(db):
    db.sessions.create("s", user_id="u")
    db.costs.record("s", "gpt-4.1", input_tokens=1)
    assert db.analytics.cost_by_model(user_id="u' OR 1=1 --").empty


# -- rollups (migration 003_analytics_rollups) ------------------------------------------------------

ROLLUP_FROM_BASE = """
SELECT substr(created_at, 1, 13) || ':00:00.000000Z' AS hour, model, COUNT(*) AS requests,
       SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
       SUM(cache_read_tokens) AS cache_read_tokens, SUM(cache_write_tokens) AS cache_write_tokens,
       COUNT(cost_usd) AS priced_requests, SUM(cost_usd) AS cost_usd, SUM(cost_usd IS NULL) AS unpriced_requests
FROM cost_tracking GROUP BY 1, 2 ORDER BY 1, 2"""
TOTALS_FROM_BASE = """SELECT metric_name, COUNT(*) AS measurements, SUM(value) AS total
FROM memory_metrics GROUP BY 1 ORDER BY 1"""


def assert_rollups_exact(db) -> None:
    for rollup, base in (("SELECT * FROM cost_hourly ORDER BY hour, model", ROLLUP_FROM_BASE),
                         ("SELECT * FROM metric_totals ORDER BY metric_name", TOTALS_FROM_BASE)):
        got, want = raw(db, rollup), raw(db, base)
        assert list(got.columns) == list(want.columns) and len(got) == len(want)
        for column in got.columns:
            if got[column].dtype.kind == "f" or want[column].dtype.kind == "f":
                np.testing.assert_allclose(got[column].to_numpy(float), want[column].to_numpy(float),
                                           rtol=1e-9, atol=1e-6)
            else:
                assert got[column].tolist() == want[column].tolist()


edits = st.lists(st.tuples(st.sampled_from(("delete", "model", "time", "tokens", "unprice", "price", "value")),
                           st.integers(0, 100), instants(SPRING)), max_size=15)


@SETTINGS
@given(rows=cost_rows, metrics=metric_rows, changes=edits)
def test_rollups_stay_exact_through_inserts_updates_and_deletes(rows, metrics, changes):
    with fresh() as db:
        fill_costs(db, rows)
        db.metrics.record_many(metrics)
        for action, pick, when in changes:
            ids = [r[0] for r in db.execute("SELECT id FROM cost_tracking ORDER BY id")]
            metric_ids = [r[0] for r in db.execute("SELECT id FROM memory_metrics ORDER BY id")]
            cid = ids[pick % len(ids)] if ids else None
            mid = metric_ids[pick % len(metric_ids)] if metric_ids else None
            statements = {
                "delete": [("DELETE FROM cost_tracking WHERE id = ?", cid), ("DELETE FROM memory_metrics WHERE id = ?", mid)],
                "model": [("UPDATE cost_tracking SET model = 'gpt-4.1' WHERE id = ?", cid),
                          ("UPDATE memory_metrics SET metric_name = 'renamed' WHERE id = ?", mid)],
                "time": [("UPDATE cost_tracking SET created_at = ? WHERE id = ?", cid)],
                "tokens": [("UPDATE cost_tracking SET input_tokens = input_tokens + 7, cache_read_tokens = 3 WHERE id = ?", cid)],
                "unprice": [("UPDATE cost_tracking SET cost_usd = NULL WHERE id = ?", cid)],
                "price": [("UPDATE cost_tracking SET cost_usd = 0.25 WHERE id = ?", cid)],
                "value": [("UPDATE memory_metrics SET value = value * 2 + 1 WHERE id = ?", mid)],
            }[action]
            for sql, key in statements:
                if key is not None:
                    db.execute(sql, (to_iso(when), key) if sql.count("?") == 2 else (key,))
        assert_rollups_exact(db)
        db.execute("DELETE FROM cost_tracking")
        db.execute("DELETE FROM memory_metrics")
        assert db.count("cost_tracking") == 0 and not raw(db, "SELECT * FROM cost_hourly").shape[0]
        assert not raw(db, "SELECT * FROM metric_totals").shape[0]


def test_rollup_and_base_answers_agree(db):
    db.sessions.create("s", user_id="u")
    for i in range(30):
        db.costs.record("s", MODELS[i % 3], input_tokens=i, cache_read_tokens=2 * i,
                        created_at=dt.datetime(2026, 3, 29, tzinfo=UTC) + dt.timedelta(minutes=37 * i))
    via_rollup = db.analytics.cost_by_model(period="hour", tz="Europe/Berlin")
    via_rows = db.analytics.cost_by_model(period="hour", tz="Europe/Berlin", user_id="u")  # a filter: base table
    pd.testing.assert_frame_equal(via_rollup, via_rows, rtol=1e-12)


def test_migration_fills_rollups_on_a_filled_database(db_path):
    with memlab.open(db_path, migrate=False) as db:
        db.migrate(stop_before="003_analytics_rollups")
        assert "cost_hourly" not in db.db.table_names()
        for sid, (user, project) in SESSIONS.items():
            db.sessions.create(sid, user_id=user, project_id=project)
        _workload(db)
        db.metrics.record_many([{"name": f"m{i % 3}", "value": i / 7, "unit": "ms"} for i in range(50)])
        before = db.analytics.cost_by_model()
    with memlab.open(db_path) as db:
        assert "003_analytics_rollups" in db.applied_migrations()
        assert_rollups_exact(db)
        pd.testing.assert_frame_equal(db.analytics.cost_by_model(), before, rtol=1e-12)
        assert db.analytics.metric_percentiles()["count"].tolist() == [17, 17, 16]


def test_benchmark_puts_each_query_beside_raw_sqlite(tmp_path):
    from memlab.bench import runner

    report = runner.run(None, only=["analytics"], messages=200, db_dir=tmp_path, progress=False)
    assert not report.errors
    assert report.rows and all(row.raw is not None and row.raw.p50_ms for row in report.rows)
    targets = {row.operation: row.target for row in report.rows if row.target}
    assert targets["cost per model per day, all rows"] == "<= 100 ms (p50)"
    assert all(row.met is not None for row in report.rows if row.target)
    measured = " | ".join(row.operation for row in report.rows)
    for query in ("cost per model", "percentiles", "Europe/Berlin", "cache", "top 10 sessions", "agent performance",
                  "routing", "session activity", "activity per day"):
        assert query in measured
