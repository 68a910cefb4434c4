"""Analytics as DataFrames: ``db.analytics.cost_by_model()`` and friends.

Every query is a named ``.sql`` file in ``sql/`` (readable from the sqlite3 shell); SQL does the
aggregation, pandas maps time grains to time-zone buckets and shapes the result. Every method
returns a DataFrame with declared columns and dtypes, the same columns when there is no data.

Common keywords: ``since``/``until`` (ISO text, date or datetime; dates and naive times are read
in ``tz``; the window is half-open [since, until)), ``user_id``, ``project_id``, ``session_id``,
and ``model``/``agent`` where they apply. Buckets are the start of each local hour, day, ISO week
(Monday) or month in ``tz`` as tz-aware timestamps. Unpriced calls (cost NULL) are counted apart:
a cost summed over only unpriced calls is NaN, never 0.

Where the answers come from: cost per model (``cost_by_model``, ``cache_efficiency``,
``cost_over_time(by="model")``) reads the hourly rollup ``cost_hourly`` when the window starts
and ends on whole UTC hours and no user, project, session or agent filter is given; otherwise,
and for zones whose offset is not a whole number of hours (Asia/Kolkata, America/St_Johns),
it reads cost_tracking. ``metric_percentiles`` without window, filters, period or tag reads
``metric_totals`` and walks ``idx_memory_metrics_value``; otherwise it reads the measurements.
Both ways give the same answer (tests hold them to pandas over the raw rows).

Many files: ``Analytics.over_files(paths)`` and ``Analytics.over_parquet(folder)`` ask the same
questions through DuckDB (``sql/duckdb/``, no rollups: it reads the columns) and return the
same frames as one SQLite file holding all the rows would (docs/parquet.md).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterable

from ..clock import system_clock
from .. import validation as v
from ..errors import ValidationError
from . import frames, timebuckets as tb
from .engines import DuckDBEngine, SQLiteEngine
from .frames import COUNT, REAL, TEXT
from .percentiles import metric_percentiles

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store

BY = ("model", "agent", "user", "project", "session")
TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")

COST_BY_MODEL = {
    "model": TEXT, "requests": COUNT, **dict.fromkeys(TOKEN_COLUMNS, COUNT),
    "cost_usd": REAL, "unpriced_requests": COUNT, "share": REAL,
}
SESSION_ACTIVITY = {
    "session_id": TEXT, "user_id": TEXT, "project_id": TEXT, "status": TEXT,
    "started_at": "datetime64[ns, UTC]", "last_active_at": "datetime64[ns, UTC]",
    "duration": "timedelta64[ns]", "conversations": COUNT, "messages": COUNT, "tokens": COUNT,
    "cost_usd": REAL, "unpriced_requests": COUNT,
}
COST_SUMMARY = {
    "requests": COUNT, **dict.fromkeys(TOKEN_COLUMNS, COUNT), "cost_usd": REAL, "unpriced_requests": COUNT,
    "cache_share": REAL,
}
UNPRICED = {"model": TEXT, "requests": COUNT, "tokens": COUNT}
AGENT_PERFORMANCE = {
    "agent_name": TEXT, "calls": COUNT, "successes": COUNT, "success_rate": REAL,
    "p50_duration_ms": REAL, "p95_duration_ms": REAL, "input_tokens": COUNT, "output_tokens": COUNT,
    "cost_usd": REAL,
}
ROUTING = {
    "selected_agent": TEXT, "decisions": COUNT, "mean_confidence": REAL, "with_outcome": COUNT,
    "success_rate": REAL, "top_not_chosen": COUNT, "top_not_chosen_rate": REAL,
}
CACHE = {
    "model": TEXT, "input_tokens": COUNT, "cache_read_tokens": COUNT, "cache_write_tokens": COUNT,
    "hit_ratio": REAL, "savings_usd": REAL,
}

__all__ = ["Analytics", "BY"]


def _with_bucket(columns: dict, period: str | None, tz: Any, after: str) -> dict:
    """``columns`` with a ``bucket`` column (tz-aware) after ``after`` when a period is asked for."""
    if period is None:
        return columns
    out = {}
    for name, dtype in columns.items():
        out[name] = dtype
        if name == after:
            out["bucket"] = frames.bucket_dtype(tz.key)
    return out


class Analytics:
    """The analytic queries of one memlab database (``db.analytics``), or of many through
    DuckDB (``Analytics.over_files``, ``Analytics.over_parquet``): the same frames either way."""

    def __init__(self, store: "Store | None" = None, *, engine: Any = None) -> None:
        self.store = store
        self.engine = engine if engine is not None else SQLiteEngine(store)

    @classmethod
    def over_files(cls, paths: Iterable[str | os.PathLike[str]]) -> "Analytics":
        """The same questions asked of several memlab files at once, through DuckDB's sqlite
        scanner (read-only; needs ``pip install 'memlab[duckdb]'``). Close it when done."""
        from ..lake.duck import open_files

        return cls(engine=DuckDBEngine(open_files(list(paths))))

    @classmethod
    def over_parquet(cls, folder: str | os.PathLike[str]) -> "Analytics":
        """The same questions asked of a folder written by ``memlab export parquet``, through
        DuckDB (needs ``pip install 'memlab[duckdb]'``). Close it when done."""
        from ..lake.duck import open_parquet

        return cls(engine=DuckDBEngine(open_parquet(folder)))

    def close(self) -> None:
        """Close a DuckDB engine (db.analytics needs no closing: the Database owns its file)."""
        self.engine.close()

    def __enter__(self) -> "Analytics":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- arguments -----------------------------------------------------------------------------

    def _params(self, since: Any, until: Any, tz: Any = "UTC", **filters: Any) -> tuple[dict, Any]:
        """SQL parameters for the window and the id filters, validated; and the zone."""
        zone = tb.zone(tz)
        now = self.store.clock() if self.store is not None else system_clock()  # (DuckDB: no store)
        lo, hi = tb.window(since, until, zone, now)
        params = {"since": lo, "until": hi}
        for name, value in filters.items():
            params[name] = v.optional_identifier(name, value)
        return params, zone

    def _grained(self, sql_name: str, params: dict, period: str | None, zone: Any) -> "pd.DataFrame":
        """Rows of a grain query at the coarsest grain that is exact in ``zone``, with a ``bucket``."""
        grain = tb.first_grain(period, zone)
        while True:
            rows = self.engine.rows(sql_name, {**params, "grain": grain})
            if period is None:
                return rows
            grains = rows["grain"].unique()
            if tb.fits(grains, zone, grain):
                break
            grain = tb.finer(grain)
            sql_name = sql_name.removesuffix("_rollup")  # the rollup has whole hours only
        starts = {g: tb.bucket_of(tb.grain_start(g), period, zone) for g in grains}
        rows["bucket"] = frames.utc_times(rows["grain"].map(starts)).dt.tz_convert(zone.key)
        return rows

    def _has_rollups(self) -> bool:
        return self.engine.has_rollups()

    def _cost_source(self, by: str, params: dict) -> str:
        """The hourly rollup when it can answer exactly (per model, whole-hour window, no filter
        but the model), else the cost_tracking rows."""
        whole_hours = all(t is None or t.endswith(":00:00.000000Z") for t in (params["since"], params["until"]))
        unfiltered = all(params.get(f) is None for f in ("user_id", "project_id", "session_id", "agent"))
        if by == "model" and whole_hours and unfiltered and self._has_rollups():
            return "cost_by_grain_rollup"
        return "cost_by_grain"

    def _cost(self, by: str, period: str | None, zone: Any, params: dict) -> "pd.DataFrame":
        """Cost totals per [bucket and] group key: one row per group with data."""
        rows = self._grained(self._cost_source(by, params), {**params, "by": by}, period, zone)
        keys = ["bucket", "key"] if period else ["key"]
        grouped = rows.groupby(keys, dropna=False, sort=True)
        totals = grouped[["requests", *TOKEN_COLUMNS, "unpriced_requests"]].sum()
        totals["cost_usd"] = grouped["cost_usd"].sum(min_count=1)
        return totals.reset_index()

    # -- cost ----------------------------------------------------------------------------------

    def cost_by_model(self, *, period: str | None = None, tz: str = "UTC", since: Any = None, until: Any = None,
                      user_id: str | None = None, project_id: str | None = None, session_id: str | None = None,
                      model: str | None = None, agent: str | None = None) -> "pd.DataFrame":
        """Requests, tokens, priced cost, unpriced requests and share of priced cost per model
        [and per period]; ``share`` is of the total priced cost in the same bucket (or overall)."""
        totals, columns = self._per_model(COST_BY_MODEL, period, tz, since, until, user_id=user_id,
                                          project_id=project_id, session_id=session_id, model=model, agent=agent)
        if totals is not None:
            if "bucket" in totals:
                per_bucket = totals.groupby("bucket")["cost_usd"]
                whole = per_bucket.transform("sum").where(per_bucket.transform("count") > 0)  # NaN if none priced
            else:
                whole = totals["cost_usd"].sum(min_count=1)
            totals["share"] = totals["cost_usd"] / whole
        return frames.shaped(totals, columns)

    def cost_summary(self, *, by: str | None = "model", period: str | None = None, tz: str = "UTC",
                     since: Any = None, until: Any = None, user_id: str | None = None, project_id: str | None = None,
                     session_id: str | None = None, model: str | None = None,
                     agent: str | None = None) -> "pd.DataFrame":
        """Requests, the four token kinds, priced cost, unpriced requests and the cache share (cache
        reads over all prompt tokens: input + cache read + cache write) per ``by`` group (model,
        agent, user, project or session; None: all calls together) [and per local period bucket],
        costliest first (within each bucket). ``cost_usd`` is NaN where no call was priced."""
        period = tb.period_name(period)
        if by is not None and by not in BY:
            raise ValidationError(f"by must be one of {', '.join(BY)} or None; got {by!r}")
        params, zone = self._params(since, until, tz, user_id=user_id, project_id=project_id,
                                    session_id=session_id, model=model, agent=agent)
        columns = {**({"bucket": frames.bucket_dtype(zone.key)} if period else {}), **({by: TEXT} if by else {}),
                   **COST_SUMMARY}
        totals = self._cost(by or "model", period, zone, params).rename(columns={"key": by or "key"})
        if totals.empty:
            return frames.shaped(None, columns)
        if by is None:
            keys = ["bucket"] if period else []
            grouped = totals.groupby(keys, sort=True) if keys else totals.assign(_all=0).groupby("_all")
            summed = grouped[["requests", *TOKEN_COLUMNS, "unpriced_requests"]].sum()
            summed["cost_usd"] = grouped["cost_usd"].sum(min_count=1)
            totals = summed.reset_index(drop=not keys)
        prompt = totals["input_tokens"] + totals["cache_read_tokens"] + totals["cache_write_tokens"]
        totals["cache_share"] = (totals["cache_read_tokens"] / prompt.where(prompt > 0)).astype(REAL)
        order = (["bucket"] if period else []) + ["cost_usd"] + ([by] if by else [])
        ascending = [True] * bool(period) + [False] + [True] * bool(by)
        return frames.shaped(totals.sort_values(order, ascending=ascending, na_position="last"), columns)

    def unpriced_models(self, *, tz: str = "UTC", since: Any = None, until: Any = None, user_id: str | None = None,
                        project_id: str | None = None, session_id: str | None = None, model: str | None = None,
                        agent: str | None = None) -> "pd.DataFrame":
        """The models whose calls are stored unpriced (no price source knew them), with their call
        and token counts, most calls first: what a cost total leaves out."""
        params, _ = self._params(since, until, tz, user_id=user_id, project_id=project_id, session_id=session_id,
                                 model=model, agent=agent)
        rows = self.engine.rows("unpriced_models", params)
        return frames.shaped(rows if not rows.empty else None, UNPRICED)

    def _per_model(self, declared: dict, period: Any, tz: Any, since: Any, until: Any,
                   **filters: Any) -> tuple["pd.DataFrame | None", dict]:
        """Cost totals per model [and bucket], sorted (None when there are none), and the
        ``declared`` columns with the bucket column when a period is asked for."""
        period = tb.period_name(period)
        params, zone = self._params(since, until, tz, **filters)
        totals = self._cost("model", period, zone, params).rename(columns={"key": "model"})
        columns = _with_bucket(declared, period, zone, "model")
        if totals.empty:
            return None, columns
        return totals.sort_values(["bucket", "model"] if period else ["model"]).reset_index(drop=True), columns

    def cost_over_time(self, *, period: str = "day", by: str = "model", tz: str = "UTC", since: Any = None,
                       until: Any = None, user_id: str | None = None, project_id: str | None = None,
                       session_id: str | None = None, model: str | None = None,
                       agent: str | None = None) -> "pd.DataFrame":
        """Requests, tokens (input + output + cache) and priced cost per bucket and ``by`` group
        (model, agent, user, project or session); every bucket of the range appears for every group, zeros
        where there were no calls. Calls without an agent/user/project have a missing key."""
        import pandas as pd

        period = tb.period_name(period, optional=False)
        if by not in BY:
            raise ValidationError(f"by must be one of {', '.join(BY)}; got {by!r}")
        params, zone = self._params(since, until, tz, user_id=user_id, project_id=project_id,
                                    session_id=session_id, model=model, agent=agent)
        totals = self._cost(by, period, zone, params)
        columns = {"bucket": frames.bucket_dtype(zone.key), by: TEXT, "requests": COUNT, "tokens": COUNT,
                   "cost_usd": REAL}
        if totals.empty:
            return frames.shaped(None, columns)
        totals["tokens"] = totals[list(TOKEN_COLUMNS)].sum(axis=1)
        totals = totals.rename(columns={"key": by})[list(columns)]
        full = _every_bucket(params, totals["bucket"], period, zone).merge(
            pd.DataFrame({by: totals[by].drop_duplicates()}), how="cross")
        out = full.merge(totals, on=["bucket", by], how="left", indicator=True)
        empty = out.pop("_merge") == "left_only"
        out.loc[empty, ["requests", "tokens", "cost_usd"]] = 0
        return frames.shaped(out.sort_values(["bucket", by], na_position="last"), columns)

    def cache_efficiency(self, *, period: str | None = None, tz: str = "UTC", since: Any = None, until: Any = None,
                         user_id: str | None = None, project_id: str | None = None, session_id: str | None = None,
                         model: str | None = None, agent: str | None = None) -> "pd.DataFrame":
        """Cache hit ratio (cache reads over all prompt tokens: input + cache read + cache write)
        and what the cache reads saved against the full input price of ``memlab.prices`` (base
        tier; NA for models the price table doesn't know) per model [and period]."""
        from ..prices import price_for

        totals, columns = self._per_model(CACHE, period, tz, since, until, user_id=user_id, project_id=project_id,
                                          session_id=session_id, model=model, agent=agent)
        if totals is None:
            return frames.shaped(None, columns)
        prompt = totals["input_tokens"] + totals["cache_read_tokens"] + totals["cache_write_tokens"]
        totals["hit_ratio"] = (totals["cache_read_tokens"] / prompt.where(prompt > 0)).astype(REAL)
        saving_per_token = {
            m: (p.rates.input - p.rates.cache_read) / 1_000_000 if (p := price_for(m)) else float("nan")
            for m in totals["model"].unique()
        }
        totals["savings_usd"] = totals["cache_read_tokens"] * totals["model"].map(saving_per_token).astype(REAL)
        return frames.shaped(totals, columns)

    # -- sessions ------------------------------------------------------------------------------

    def session_activity(self, *, limit: int | None = None, since: Any = None, until: Any = None,
                         user_id: str | None = None, project_id: str | None = None,
                         session_id: str | None = None) -> "pd.DataFrame":
        """One row per session started in the window, oldest first: user, project, status, start,
        last activity (the later of the session's and its newest message's), ``duration`` as a
        timedelta, conversations, messages, model tokens and priced cost."""
        return self._sessions(limit, False, since, until, user_id, project_id, session_id)

    def top_sessions(self, n: int = 10, *, since: Any = None, until: Any = None, user_id: str | None = None,
                     project_id: str | None = None, session_id: str | None = None) -> "pd.DataFrame":
        """The ``n`` costliest sessions (session_activity's columns), costliest first."""
        return self._sessions(n, True, since, until, user_id, project_id, session_id)

    def _sessions(self, limit: Any, by_cost: bool, since: Any, until: Any, user_id: Any, project_id: Any,
                  session_id: Any) -> "pd.DataFrame":
        if limit is not None:
            limit = v.count("limit" if not by_cost else "n", limit)
        params, _ = self._params(since, until, user_id=user_id, project_id=project_id, session_id=session_id)
        rows = self.engine.rows("session_activity", {**params, "limit": limit, "by_cost": by_cost})
        if rows.empty:
            return frames.shaped(None, SESSION_ACTIVITY)
        for column in ("started_at", "last_active_at"):
            rows[column] = frames.utc_times(rows[column])
        rows["duration"] = rows["last_active_at"] - rows["started_at"]
        return frames.shaped(rows, SESSION_ACTIVITY)

    def activity_over_time(self, *, period: str = "day", tz: str = "UTC", since: Any = None, until: Any = None,
                           user_id: str | None = None, project_id: str | None = None,
                           session_id: str | None = None) -> "pd.DataFrame":
        """Per bucket: sessions with a message in it, messages, and distinct users of those
        sessions; empty buckets in the range are zeros."""
        period = tb.period_name(period, optional=False)
        params, zone = self._params(since, until, tz, user_id=user_id, project_id=project_id, session_id=session_id)
        rows = self._grained("activity_by_grain", params, period, zone)
        columns = {"bucket": frames.bucket_dtype(zone.key), "sessions": COUNT, "messages": COUNT,
                   "active_users": COUNT}
        grouped = rows.groupby("bucket")
        counts = grouped.agg(sessions=("session_id", "nunique"), messages=("messages", "sum"),
                             active_users=("user_id", "nunique"))
        every = _every_bucket(params, rows["bucket"], period, zone)
        if every.empty:
            return frames.shaped(None, columns)
        out = every.merge(counts.reset_index(), on="bucket", how="left").fillna(0)
        return frames.shaped(out, columns)

    # -- metrics, agents, routing ----------------------------------------------------------------

    def metric_percentiles(self, *, metrics: Any = None, percentiles: Any = (50, 90, 95, 99),
                           period: str | None = None, tag: str | None = None, tz: str = "UTC",
                           since: Any = None, until: Any = None, user_id: str | None = None,
                           project_id: str | None = None, session_id: str | None = None) -> "pd.DataFrame":
        """count, mean, min, exact percentiles (numpy's linear method), max and unit per metric
        [per bucket] [per value of tag ``tag``, as text, in ``tag_value``]. ``unit`` is the unit
        of the group's most recent measurement. Without a window, filters, period or tag the
        answer comes from the rollups and an index walk per percentile (exact, no rows read)."""
        period = tb.period_name(period)
        params, zone = self._params(since, until, tz, user_id=user_id, project_id=project_id, session_id=session_id)
        return metric_percentiles(self, params, zone, metrics=metrics, percentiles=percentiles,
                                  period=period, tag=tag)

    def agent_performance(self, *, since: Any = None, until: Any = None, user_id: str | None = None,
                          project_id: str | None = None, session_id: str | None = None,
                          agent: str | None = None) -> "pd.DataFrame":
        """Per agent: calls started in the window, successes, success rate (over finished calls,
        i.e. not 'running'), p50/p95 duration (linear percentiles of recorded durations), the
        interactions' tokens and the priced cost of their model calls."""
        params, _ = self._params(since, until, user_id=user_id, project_id=project_id, session_id=session_id,
                                 agent=agent)
        rows = self.engine.rows("agent_calls", params)
        if rows.empty:
            return frames.shaped(None, AGENT_PERFORMANCE)
        rows["success"] = rows["status"] == "success"
        rows["finished"] = rows["status"] != "running"
        rows["duration_ms"] = rows["duration_ms"].astype(REAL)
        grouped = rows.groupby("agent_name", sort=True)
        out = grouped.agg(calls=("status", "size"), successes=("success", "sum"), finished=("finished", "sum"),
                          input_tokens=("input_tokens", "sum"), output_tokens=("output_tokens", "sum"))
        out["success_rate"] = out["successes"] / out["finished"].where(out["finished"] > 0)
        out["p50_duration_ms"] = grouped["duration_ms"].quantile(0.5)
        out["p95_duration_ms"] = grouped["duration_ms"].quantile(0.95)
        out["cost_usd"] = grouped["cost_usd"].sum(min_count=1)
        return frames.shaped(out.reset_index(), AGENT_PERFORMANCE)

    def routing(self, *, since: Any = None, until: Any = None, user_id: str | None = None,
                project_id: str | None = None, session_id: str | None = None,
                agent: str | None = None) -> "pd.DataFrame":
        """Per selected agent: decisions, mean confidence, decisions with an outcome and the
        share of those that succeeded, and how often a candidate scored higher than the chosen
        agent (``top_not_chosen``; its rate is over decisions that list candidates)."""
        params, _ = self._params(since, until, user_id=user_id, project_id=project_id, session_id=session_id,
                                 agent=agent)
        return frames.shaped(self.engine.rows("routing_by_agent", params), ROUTING)


def _every_bucket(params: dict, seen, period: str, zone: Any) -> "pd.DataFrame":
    """One row per bucket of [since, until), each end defaulting to the data's first/last bucket."""
    import pandas as pd

    starts = tb.span_buckets(params["since"], params["until"], seen.dt.tz_convert("UTC").dt.to_pydatetime()
                             if len(seen) else [], period, zone)
    return pd.DataFrame({"bucket": frames.utc_times(pd.Series(starts, dtype=object)).dt.tz_convert(zone.key)
                         if starts else pd.Series([], dtype=frames.bucket_dtype(zone.key))})
