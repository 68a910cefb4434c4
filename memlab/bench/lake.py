"""Many memlab files: the big analytics answers through DuckDB (over the files, and over their
Parquet export) beside the SQLite rollups of one file holding the same rows, and beside raw
sqlite3 doing the naive thing on that file, in the same run.

Each fleet file has exactly N cost_tracking and N memory_metrics rows (written by SQL inside
SQLite, so building 10 x 1,000,000 + 1,000,000 stays within minutes; memlab's triggers keep
the rollups as they would for rows written through the API). ``memlab bench --only lake``
runs a tiny fleet; the large mode is ``python -m memlab.bench.lake --rows 1000000 --files 1,3,10``.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Callable

import memlab

from ..progress import bar as progress_bar
from . import Figures, Row, latency
from .analytics import MODELS, METRICS, NAIVE_COST_BY_DAY, naive_window_percentiles
from .upkeep import samples_ms
from .write import _raw_connect

START = 1_767_225_600  # 2026-01-01T00:00:00Z
DAYS = 90

SESSIONS = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :sessions)
INSERT INTO sessions (session_id, user_id, project_id, status, created_at, last_active_at)
SELECT printf('f%d-s%05d', :file, i), printf('u%d', i % 50), printf('p%d', i % 12), 'active',
       '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'
FROM n
"""
COSTS = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :rows),
r AS (SELECT abs(random()) AS a, abs(random()) AS b, abs(random()) AS c FROM n)
INSERT INTO cost_tracking (session_id, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                           cost_usd, created_at)
SELECT printf('f%d-s%05d', :file, a % :sessions),
       json_extract(:models, printf('$[%d]', b % :model_count)),
       a % 4000, b % 1500, c % 20000, (a / 7) % 3000,
       CASE WHEN b % :model_count = :model_count - 1 THEN NULL  -- a local model: unpriced
            ELSE (a % 4000) * 3e-6 + (b % 1500) * 15e-6 + (c % 20000) * 3e-7 END,
       strftime('%Y-%m-%dT%H:%M:%S', :start + c % :span, 'unixepoch') || printf('.%06dZ', (a / 13) % 1000000)
FROM r
"""
MEASUREMENTS = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :rows),
r AS (SELECT abs(random()) AS a, abs(random()) AS b, abs(random()) AS c FROM n)
INSERT INTO memory_metrics (metric_name, value, unit, session_id, created_at)
SELECT json_extract(:metrics, printf('$[%d]', b % :metric_count)),
       round(exp(1.5 + 0.7 * 2 * ((a % 1000000) / 1e6 + (b % 999983) / 999983.0 + (c % 1000003) / 1000003.0 - 1.5)), 3),
       'ms', printf('f%d-s%05d', :file, a % :sessions),
       strftime('%Y-%m-%dT%H:%M:%S', :start + c % :span, 'unixepoch') || printf('.%06dZ', (b / 13) % 1000000)
FROM r
"""
MERGE = """
INSERT INTO main.sessions SELECT * FROM part.sessions;
INSERT INTO main.cost_tracking (session_id, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                                cost_usd, created_at)
SELECT session_id, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, created_at
FROM part.cost_tracking;
INSERT INTO main.memory_metrics (metric_name, value, unit, session_id, created_at)
SELECT metric_name, value, unit, session_id, created_at FROM part.memory_metrics;
"""


def _without_indexes(conn: sqlite3.Connection):
    """Drop the indexes and rollup triggers of cost_tracking and memory_metrics for a bulk
    insert; the SQL to make them again. Afterwards each index is one sort instead of millions of
    random B-tree inserts, and the rollups are summed once (the INSERT ... SELECT backfill of
    migration 003, as it ran) instead of upserted per row: the same rows either way."""
    from ..migrations import frozen, statements

    backfill = [s for s in statements(frozen("003_analytics_rollups")) if _first_word(s) == "INSERT"]

    found = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
                         " AND sql IS NOT NULL AND tbl_name IN ('cost_tracking', 'memory_metrics')"
                         " AND (type = 'index' OR name LIKE 'cost_hourly_%' OR name LIKE 'metric_totals_%')").fetchall()
    for kind, name, _ in found:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    return ["DELETE FROM cost_hourly", "DELETE FROM metric_totals",
            *backfill, *[sql for _, _, sql in found]]


def _first_word(statement: str) -> str:
    """A statement's first keyword, past its leading comment lines."""
    lines = [line for line in statement.splitlines() if line.strip() and not line.lstrip().startswith("--")]
    return lines[0].split()[0].upper() if lines else ""


def fleet_file(path: Path, rows: int, file: int) -> Path:
    """A memlab file with exactly ``rows`` cost and ``rows`` metric rows (built once, then reused)."""
    import json

    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    memlab.open(partial).close()  # memlab's schema, rollups and triggers
    conn = _raw_connect(partial)
    params = {"rows": rows, "file": file, "sessions": max(1, rows // 500), "start": START, "span": DAYS * 86_400,
              "models": json.dumps(MODELS), "model_count": len(MODELS), "metrics": json.dumps(METRICS),
              "metric_count": len(METRICS)}
    with conn:
        remake = _without_indexes(conn)
        for sql in (SESSIONS, COSTS, MEASUREMENTS):
            conn.execute(sql, {k: v for k, v in params.items() if f":{k}" in sql})
        for sql in remake:
            conn.execute(sql)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.rename(path)
    return path


def merged_file(path: Path, parts: list[Path], base: Path | None = None) -> Path:
    """One memlab file holding every row of ``parts`` (starting from a copy of ``base``, which
    already holds the first of them), for the SQLite side of the comparison."""
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    if base is not None:
        shutil.copy(base, partial)
    else:
        partial.unlink(missing_ok=True)
        memlab.open(partial).close()
    conn = _raw_connect(partial)
    have = conn.execute("SELECT COUNT(DISTINCT substr(session_id, 1, instr(session_id, '-'))) FROM sessions").fetchone()[0]
    with conn:
        remake = _without_indexes(conn)
    for part in parts[have:]:
        conn.execute("ATTACH ? AS part", (str(part),))
        with conn:
            for statement in MERGE.strip().split(";\n"):
                conn.execute(statement)
        conn.execute("DETACH part")
    with conn:
        for sql in remake:
            conn.execute(sql)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.rename(path)
    return path


def round_robin(calls: list[Callable[[], object]], rounds: int, first: int = 0) -> list[list[float]]:
    """Durations of each call, called in turn (the order rotating each round) so noise falls on
    all alike; calls before index ``first`` are left out (timed apart, or not at all)."""
    out: list[list[float]] = [[] for _ in calls]
    for r in range(rounds):
        for k in range(len(calls)):
            i = (k + r) % len(calls)
            if i >= first:
                out[i].append(_timed(calls[i]))
    return out


def _timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


QUESTIONS = ("cost", "percentiles", "user")


def compare(parts: list[Path], merged: Path, lake: Path, rounds: int, *, raw_rounds: int | None = None,
            questions: tuple[str, ...] = QUESTIONS, progress: bool | None = None) -> list[Row]:
    """The rows for one fleet: export, then each question by each engine beside raw sqlite3
    (``raw_rounds`` of raw's calls, default ``rounds``: the naive queries are the slow ones)."""
    from ..analytics import Analytics
    from ..lake.export import export_parquet

    files, size = len(parts), _sizes(merged)
    shutil.rmtree(lake, ignore_errors=True)
    export_s = _timed(lambda: export_parquet(parts, lake, progress=progress))
    again_s = _timed(lambda: export_parquet(parts, lake, progress=False))
    rows = [Row("lake", f"export parquet, {files} file(s)", Figures(samples=1, per_s=2 * size[0] / export_s),
                notes=f"rows/s of cost + metric rows (all tables written); {_mb(lake)} MB of Parquet; "
                      f"re-run with nothing new {again_s * 1000:.0f} ms; {size[1]}")]
    db = memlab.open(merged)
    raw = _raw_connect(merged)
    over_files, over_parquet = Analytics.over_files(parts), Analytics.over_parquet(lake)
    try:
        asked = [
            ("cost", "cost per model per day", lambda a: a.cost_by_model(period="day"),
             lambda: raw.execute(NAIVE_COST_BY_DAY).fetchall(), "raw: GROUP BY day, model"),
            ("percentiles", "exact metric percentiles (p50/90/95/99, count, mean, min, max)", lambda a: a.metric_percentiles(),
             lambda: naive_window_percentiles(raw), "raw: ROW_NUMBER() OVER (PARTITION BY metric)"),
            ("user", "cost per user per day in Europe/Berlin (no rollup answers it)",
             lambda a: a.cost_over_time(by="user", tz="Europe/Berlin"),
             lambda: raw.execute(NAIVE_COST_BY_USER_DAY).fetchall(), "raw: cost JOIN sessions GROUP BY day, user"),
        ]
        engines = (("SQLite, one file", db.analytics), ("DuckDB over the files", over_files),
                   ("DuckDB over Parquet", over_parquet))
        for key, question, ask, naive, notes in asked:
            if key not in questions:
                continue
            want = ask(db.analytics)
            same = [_same(ask(analytics), want) for _, analytics in engines]  # warm, and checked against SQLite
            calls = [naive] + [lambda a=analytics: ask(a) for _, analytics in engines]
            if raw_rounds is None or raw_rounds == rounds:
                times = round_robin(calls, rounds)
            else:
                times = round_robin(calls, rounds, first=1)
                times[0] = round_robin([naive], raw_rounds)[0]
            for (engine, _), mine, agrees in zip(engines, times[1:], same):
                rows.append(Row("lake", f"{question}: {engine}", latency(mine), latency(times[0]),
                                notes=f"{notes}; {files} file(s), {size[1]}; same answer as SQLite: {agrees}",
                                extra={**samples_ms(mine, times[0]), "files": files, "rows": size[0],
                                       "same": agrees}))
    finally:
        over_files.close()
        over_parquet.close()
        raw.close()
        db.close()
    return rows


NAIVE_COST_BY_USER_DAY = """
SELECT substr(c.created_at, 1, 10) AS day, s.user_id, COUNT(*) AS requests, SUM(c.cost_usd) AS cost_usd
FROM cost_tracking c JOIN sessions s ON s.session_id = c.session_id GROUP BY day, s.user_id"""


def _same(got, want) -> bool:
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9, atol=0)
    except AssertionError:
        return False
    return True


def _sizes(path: Path) -> tuple[int, str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        costs, metrics = conn.execute(
            "SELECT (SELECT COUNT(*) FROM cost_tracking), (SELECT COUNT(*) FROM memory_metrics)").fetchone()
    finally:
        conn.close()
    return costs, f"{costs:,} cost rows, {metrics:,} metric rows"


def _mb(folder: Path) -> str:
    return f"{sum(p.stat().st_size for p in folder.rglob('*.parquet')) / 1e6:,.1f}"


def fleet(folder: Path, rows: int, files: int, *, progress: bool | None = None) -> tuple[list[Path], Path]:
    """``files`` fleet files of ``rows`` each and their merged file, built once under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    bar = progress_bar(total=files, desc="fleet files", unit="file", progress=progress)
    parts = []
    for i in range(files):
        parts.append(fleet_file(folder / f"fleet{i}-{rows}.db", rows, i))
        bar.update(1)
    bar.close()
    if files == 1:
        return parts, parts[0]
    smaller = sorted(folder.glob(f"merged-*x{rows}.db"), key=lambda p: int(p.name.split("-")[1].split("x")[0]))
    base = next((p for p in reversed(smaller) if int(p.name.split("-")[1].split("x")[0]) < files), None)
    return parts, merged_file(folder / f"merged-{files}x{rows}.db", parts, base)


def run(workdir: Path, progress: bool | None = None) -> list[Row]:
    """``memlab bench --only lake``: a tiny fleet (3 files of 2,000 rows), to prove the path works."""
    parts, merged = fleet(Path(workdir) / "fleet", 2_000, 3, progress=progress)
    return compare(parts, merged, Path(workdir) / "lake", 3, progress=progress)


def main(argv: list[str] | None = None) -> None:
    """``python -m memlab.bench.lake --rows 1000000 --files 1,3,10 [--db-dir bench-out/lake] [--json FILE]``."""
    from .runner import Report, format_table, machine_info

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="cost rows (and metric rows) per file")
    parser.add_argument("--files", default="1,3,10", help="fleet sizes to measure, in files")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--raw-rounds", type=int, help="calls of each naive raw query (default: --rounds)")
    parser.add_argument("--questions", default=",".join(QUESTIONS), help=f"of {', '.join(QUESTIONS)}")
    parser.add_argument("--db-dir", default="bench-out/lake")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    folder = Path(args.db_dir)
    rows: list[Row] = []
    for files in (int(n) for n in args.files.split(",")):
        parts, merged = fleet(folder, args.rows, files)
        rows += compare(parts, merged, folder / f"lake-{files}x{args.rows}", args.rounds, raw_rounds=args.raw_rounds,
                        questions=tuple(q.strip() for q in args.questions.split(",")))
        print(format_table(rows), flush=True)
        if args.json:
            Report(rows, machine_info(), f"{args.files} x {args.rows} rows", args.rows, 0, ["lake"], 0.0).write_json(
                args.json)


if __name__ == "__main__":
    main()
