"""Analytics benchmarks: each ``db.analytics`` query beside raw ``sqlite3`` doing the naive thing
on the same database in the same run (a plain GROUP BY read into pandas; every row read into
pandas for quantiles; SQL window-function percentiles).

The issue's targets, at 1,000,000 cost_tracking and 1,000,000 memory_metrics rows: cost per
model per day over all rows <= 100 ms, exact percentiles of every metric <= 150 ms (p50 of the
calls). ``memlab bench --only analytics`` runs on the generated database; the large mode with
exactly N rows of each is ``python -m memlab.bench.analytics --rows 1000000``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
from pathlib import Path

import memlab

from ..progress import bar as progress_bar
from . import Row, interleave, latency
from .upkeep import samples_ms
from .write import _raw_connect

TARGETS_MS = {"cost": 100.0, "percentiles": 150.0}
PERCENTILES = (50, 90, 95, 99)

NAIVE_COST_BY_DAY = """
SELECT substr(created_at, 1, 10) AS day, model, COUNT(*) AS requests, SUM(input_tokens) AS input_tokens,
       SUM(output_tokens) AS output_tokens, SUM(cache_read_tokens) AS cache_read_tokens,
       SUM(cache_write_tokens) AS cache_write_tokens, SUM(cost_usd) AS cost_usd,
       SUM(cost_usd IS NULL) AS unpriced_requests
FROM cost_tracking GROUP BY day, model"""
NAIVE_COST_BY_MODEL = NAIVE_COST_BY_DAY.replace("substr(created_at, 1, 10) AS day, ", "").replace("day, model", "model")
NAIVE_WINDOW_PERCENTILES = """
WITH ranked AS (
    SELECT metric_name, value,
           ROW_NUMBER() OVER (PARTITION BY metric_name ORDER BY value) - 1 AS r,
           COUNT(*) OVER (PARTITION BY metric_name) AS n
    FROM memory_metrics
)
SELECT metric_name, q.value AS q, n, r, ranked.value
FROM ranked JOIN json_each(:qs) q
  ON r IN (CAST((n - 1) * q.value AS INTEGER), CAST((n - 1) * q.value AS INTEGER) + 1)"""
NAIVE_ROUTING = """
SELECT selected_agent, COUNT(*) AS decisions, AVG(confidence) AS mean_confidence,
       AVG(outcome = 'success') AS success_rate
FROM routing_decisions GROUP BY selected_agent"""
NAIVE_SESSIONS = """
SELECT s.session_id, s.user_id, s.project_id, s.status, s.created_at, s.last_active_at,
       COUNT(DISTINCT c.conversation_id) AS conversations, COUNT(m.id) AS messages,
       SUM(m.token_count) AS tokens
FROM sessions s LEFT JOIN conversations c ON c.session_id = s.session_id
LEFT JOIN messages m ON m.conversation_id = c.conversation_id
GROUP BY s.session_id ORDER BY s.created_at LIMIT 50"""
NAIVE_ACTIVITY = """
SELECT substr(m.created_at, 1, 10) AS day, COUNT(DISTINCT c.session_id) AS sessions, COUNT(*) AS messages,
       COUNT(DISTINCT s.user_id) AS active_users
FROM messages m JOIN conversations c ON c.conversation_id = m.conversation_id
JOIN sessions s ON s.session_id = c.session_id GROUP BY day"""
NAIVE_TOP_SESSIONS = """
SELECT session_id, SUM(cost_usd) AS cost_usd FROM cost_tracking
GROUP BY session_id ORDER BY cost_usd DESC LIMIT 10"""


def _frame(conn: sqlite3.Connection, sql: str, params=()):
    import pandas as pd

    return pd.read_sql_query(sql, conn, params=params)


def naive_quantiles(conn: sqlite3.Connection):
    """Every metric row into pandas, then groupby quantiles (and count, mean, min, max)."""
    rows = _frame(conn, "SELECT metric_name, value FROM memory_metrics")
    grouped = rows.groupby("metric_name")["value"]
    out = grouped.agg(["count", "mean", "min", "max"])
    for p in PERCENTILES:
        out[f"p{p}"] = grouped.quantile(p / 100)
    return out


def naive_window_percentiles(conn: sqlite3.Connection):
    """Percentiles ranked by SQL window functions; pandas only interpolates the picked rows."""
    import json

    picked = _frame(conn, NAIVE_WINDOW_PERCENTILES, {"qs": json.dumps([p / 100 for p in PERCENTILES])})
    return picked.groupby(["metric_name", "q"])["value"].agg(["first", "last"])


def naive_agents(conn: sqlite3.Connection):
    rows = _frame(conn, "SELECT agent_name, status, duration_ms, input_tokens, output_tokens FROM agent_interactions")
    grouped = rows.astype({"duration_ms": float}).groupby("agent_name")
    return grouped["duration_ms"].quantile([0.5, 0.95]), grouped[["input_tokens", "output_tokens"]].sum()


def _row_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(cost_tracking rows, memory_metrics rows)."""
    return conn.execute("SELECT (SELECT COUNT(*) FROM cost_tracking), (SELECT COUNT(*) FROM memory_metrics)").fetchone()


def _rounds(messages: int) -> int:
    return 5 if messages >= 100_000 else 9


def run(db_path: Path, messages: int = 1_000) -> list[Row]:
    """Each analytics query and its naive raw baseline, alternating, on the database at ``db_path``."""
    db = memlab.open(db_path)  # applies migrations (rollups) before anything is timed
    try:
        return compare(db, db_path, _rounds(messages))
    finally:
        db.close()


def compare(db: "memlab.Database", db_path: Path, rounds: int) -> list[Row]:
    """The rows of ``run`` for an open database and a raw connection to the same file."""
    raw = _raw_connect(db_path)
    a = db.analytics
    costs, metrics = _row_counts(raw)
    size = f"{costs:,} cost rows, {metrics:,} metric rows"
    cases = [
        ("cost per model per day, all rows", lambda: a.cost_by_model(period="day"),
         lambda: _frame(raw, NAIVE_COST_BY_DAY), "cost", "raw: GROUP BY day, model read into pandas"),
        ("exact metric percentiles (p50/90/95/99, count, mean, min, max), all metrics", a.metric_percentiles,
         lambda: naive_quantiles(raw), "percentiles", "raw: all rows into pandas groupby().quantile()"),
        ("exact metric percentiles, vs SQL window functions", a.metric_percentiles,
         lambda: naive_window_percentiles(raw), "percentiles", "raw: ROW_NUMBER() OVER (PARTITION BY metric)"),
        ("cost by model per day in Europe/Berlin, zero-filled", lambda: a.cost_over_time(tz="Europe/Berlin"),
         lambda: _frame(raw, NAIVE_COST_BY_DAY), None, "raw: UTC GROUP BY day, model read into pandas"),
        ("cache efficiency per model", a.cache_efficiency,
         lambda: _frame(raw, NAIVE_COST_BY_MODEL), None, "raw: GROUP BY model read into pandas"),
        ("top 10 sessions by cost", a.top_sessions,
         lambda: _frame(raw, NAIVE_TOP_SESSIONS), None, "memlab adds messages, tokens, times per session"),
        ("agent performance", a.agent_performance, lambda: naive_agents(raw), None,
         "raw: all interactions into pandas; memlab adds linked cost"),
        ("routing per selected agent", a.routing, lambda: _frame(raw, NAIVE_ROUTING), None,
         "raw: GROUP BY agent read into pandas; memlab adds how often the top candidate was not chosen"),
        ("session activity, first 50 sessions", lambda: a.session_activity(limit=50),
         lambda: _frame(raw, NAIVE_SESSIONS), None, "raw: sessions joined to their messages, GROUP BY; memlab adds cost, duration"),
        ("activity per day (sessions, messages, users)", lambda: a.activity_over_time(period="day"),
         lambda: _frame(raw, NAIVE_ACTIVITY), None, "raw: messages joined to sessions, GROUP BY day; memlab fills empty days"),
    ]
    rows = []
    try:
        for operation, mine, theirs, target, notes in cases:
            mine(), theirs()  # warm: SQL text, page cache, pandas
            tm, tr = interleave(mine, theirs, rounds)
            figures = latency(tm)
            limit = TARGETS_MS.get(target)
            rows.append(Row(
                "analytics", operation, figures, latency(tr),
                target=f"<= {limit:g} ms (p50)" if limit else None,
                met=figures.p50_ms <= limit if limit else None,
                notes=f"{notes}; {size}", extra=samples_ms(tm, tr),
            ))
    finally:
        raw.close()
    return rows


# -- large mode: exactly N cost and N metric rows --------------------------------------------------

MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5", "gpt-4.1", "gpt-4o-mini", "gemini-2.5-pro",
          "llama-3.1-8b-local")
METRICS = ("search_latency", "context_injection", "tokens_injected", "embedding_latency", "rerank_latency",
           "cache_lookup", "prompt_build", "tool_latency", "summary_latency", "handoff_latency")


def exact_database(path: Path, rows: int = 1_000_000, *, seed: int = 0, days: int = 90,
                   progress: bool | None = None) -> Path:
    """A database with exactly ``rows`` cost_tracking and ``rows`` memory_metrics rows (built once)."""
    path = Path(path)
    if path.exists():
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            have = list(_row_counts(conn))
        finally:
            conn.close()
        if have == [rows, rows]:
            return path
        raise memlab.ValidationError(f"{path.name} exists with other row counts; remove it first")
    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    span = days * 86_400
    sessions = [f"s{i:05d}" for i in range(max(1, rows // 500))]

    def when() -> dt.datetime:
        return start + dt.timedelta(seconds=rng.random() * span)

    with memlab.open(path) as db:
        with db.transaction():
            for i, sid in enumerate(sessions):
                db.sessions.create(sid, user_id=f"u{i % 50}", project_id=f"p{i % 12}", created_at=start)
        bar = progress_bar(total=2 * rows, unit="row", desc="analytics db", progress=progress)
        calls = ({"session_id": rng.choice(sessions), "model": rng.choice(MODELS),
                  "input_tokens": rng.randint(0, 4000), "output_tokens": rng.randint(0, 1500),
                  "cache_read_tokens": rng.randint(0, 20_000), "cache_write_tokens": rng.randint(0, 3000),
                  "created_at": when()} for _ in range(rows))
        db.costs.record_many(_counted(calls, bar))
        measurements = ({"name": rng.choice(METRICS), "value": round(rng.lognormvariate(1.5, 0.7), 3), "unit": "ms",
                         "session_id": rng.choice(sessions), "created_at": when()} for _ in range(rows))
        db.metrics.record_many(_counted(measurements, bar))
        bar.close()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _counted(items, bar):
    for n, item in enumerate(items, 1):
        if n % 10_000 == 0:
            bar.update(10_000)
        yield item


def main(argv: list[str] | None = None) -> None:
    """``python -m memlab.bench.analytics --rows 1000000 [--db-dir bench-out] [--json FILE]``."""
    from .runner import Report, format_table, machine_info

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db-dir", default="bench-out")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    folder = Path(args.db_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = exact_database(folder / f"analytics-{args.rows}-seed0.db", args.rows)
    rows = run(path, messages=args.rows)
    print(format_table(rows))
    if args.json:
        Report(rows, machine_info(), f"{args.rows} rows", args.rows, 0, ["analytics"], 0.0).write_json(args.json)


if __name__ == "__main__":
    main()
