"""``memlab export parquet``: every memlab table as Parquet, one file per table, month and
source file, rewritten only when that month's rows changed.

Layout (docs/parquet.md): ``OUT/<table>/month=YYYY-MM/<source_db>.parquet``, Hive-style, so
DuckDB, Spark, Polars or pyarrow read a table as one dataset with a ``month`` column. Each
month's fingerprint (row count and an order-free sum of DuckDB row hashes) is kept in
``OUT/_memlab_export.json``; a re-run writes only months whose fingerprint differs (new rows,
edits, deletions) and removes months that no longer have rows.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

from ..analytics import timebuckets as tb
from ..errors import ValidationError
from ..progress import bar as progress_bar
from . import duck
from .tables import TABLES, Table

STATE = "_memlab_export.json"
STATE_VERSION = 1
BATCH_ROWS = 100_000

# Over the view ``exported`` (one lake table of one memlab file); {time} is the table's time
# column from the constant TABLES.
FINGERPRINTS = """
SELECT strftime(t.{time}, '%Y-%m') AS month, COUNT(*) AS rows, CAST(SUM(hash(t)) AS VARCHAR) AS digest
FROM exported t
WHERE $since IS NULL OR t.{time} >= CAST($since AS TIMESTAMPTZ)
GROUP BY month
"""
MONTHS = """
SELECT strftime(t.{time}, '%Y-%m') AS month, t.*
FROM exported t
WHERE ($since IS NULL OR t.{time} >= CAST($since AS TIMESTAMPTZ))
  AND list_contains($months, strftime(t.{time}, '%Y-%m'))
"""


def arrow_schema(table: Table):
    """The Parquet schema of a lake table (docs/parquet.md lists it)."""
    pa = duck.require_pyarrow()
    kinds = {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(),
             "TIMESTAMPTZ": pa.timestamp("us", tz="UTC")}
    return pa.schema([pa.field(name, kinds[kind]) for name, kind in table.columns.items()])


def export_parquet(paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str], *,
                   since: Any = None, progress: bool | None = None) -> list[dict]:
    """Write (or bring up to date) the Parquet export of these memlab files in ``out_dir``.
    ``since`` exports only the months from the (UTC) month holding it on, whole, and leaves
    earlier months as they are. One summary per file and table: months written, kept and
    removed, and rows written."""
    duck.require_pyarrow()
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValidationError("give at least one memlab database file")
    names = [duck.source_name(p) for p in paths]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError(f"two memlab files are both named {twice[0]!r}: their rows would be "
                                   "indistinguishable in source_db; rename one")
    lo = tb.instant("since", since, tb.zone("UTC"))
    if lo is not None:
        lo = lo[:7] + "-01T00:00:00.000000Z"  # whole months only: a partition is never cut
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = _read_state(out, duck.require_duckdb().__version__)
    summary = []
    for path in paths:
        con = duck.connect()
        try:
            name = duck.check_file(con, path)
            summary += _export_source(con, path, name, out, lo, state, progress)
        finally:
            con.close()
    return summary


def _export_source(con, path: Path, name: str, out: Path, since: str | None, state: dict,
                   progress: bool | None) -> list[dict]:
    """Export one memlab file: fingerprint every table's months, then write the changed ones."""
    known = state["sources"].setdefault(name, {})
    plans = []
    for table in TABLES.values():
        duck.lake_relation(con, table, path, name).create_view("exported", replace=True)
        found = con.execute(FINGERPRINTS.format(time=table.time), {"since": since}).fetchall()
        now = {month: {"rows": rows, "digest": digest} for month, rows, digest in found}
        before = known.get(table.name, {})
        changed = sorted(m for m, f in now.items() if before.get(m) != f or not _file(out, table, m, name).exists())
        in_scope = {m: f for m, f in before.items() if since is None or m >= since[:7]}
        gone = sorted(set(in_scope) - set(now))
        kept = {m: f for m, f in before.items() if m not in in_scope}  # before --since: untouched
        plans.append((table, {**kept, **now}, changed, gone))
    total = sum(after[m]["rows"] for _, after, changed, _ in plans for m in changed)
    bar = progress_bar(total=total, desc=f"export {name}", unit="row", progress=progress)
    summary = []
    try:
        for table, after, changed, gone in plans:
            if changed:
                duck.lake_relation(con, table, path, name).create_view("exported", replace=True)
            rows = _write_months(con, table, name, out, since, changed, bar) if changed else 0
            for month in gone:
                _file(out, table, month, name).unlink(missing_ok=True)
            known[table.name] = after
            _write_state(out, state)
            summary.append({"source_db": name, "table": table.name, "months_written": len(changed),
                            "months_kept": len(after) - len(changed), "months_removed": len(gone),
                            "rows_written": rows})
    finally:
        bar.close()
    return summary


def _file(out: Path, table: Table, month: str, name: str) -> Path:
    return out / table.name / f"month={month}" / f"{name}.parquet"


def _partial(target: Path) -> Path:
    """Where a file is written before it is moved into place: hidden (a leading dot), so Spark,
    DuckDB and pyarrow skip it if an export is stopped half-way."""
    return target.with_name(f".{target.name}.partial")


def _write_months(con, table: Table, name: str, out: Path, since: str | None, months: list[str], bar) -> int:
    """Stream the rows of ``months`` into one Parquet file per month (written aside, then moved in)."""
    pa = duck.require_pyarrow()
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    schema = arrow_schema(table)
    writers: dict[str, Any] = {}
    written = 0
    reader = con.execute(MONTHS.format(time=table.time),
                         {"since": since, "months": months}).to_arrow_reader(BATCH_ROWS)
    try:
        for batch in reader:
            month_of = batch.column(0)
            for month in pc.unique(month_of).to_pylist():
                part = batch.filter(pc.equal(month_of, month)).drop_columns(["month"])
                part = pa.Table.from_batches([part]).cast(schema)
                if month not in writers:
                    target = _file(out, table, month, name)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    writers[month] = pq.ParquetWriter(_partial(target), schema, compression="zstd")
                writers[month].write_table(part)
                written += part.num_rows
                bar.update(part.num_rows)
    finally:
        for writer in writers.values():
            writer.close()
    for month in months:
        target = _file(out, table, month, name)
        partial = _partial(target)
        if partial.exists():
            os.replace(partial, target)
    return written


def _read_state(out: Path, engine_version: str) -> dict:
    """The fingerprints of the last export; none when absent, unreadable, or made by another
    DuckDB (whose row hashes may differ: everything is written once more)."""
    try:
        state = json.loads((out / STATE).read_text(encoding="utf-8"))
        if state.get("version") == STATE_VERSION and state.get("duckdb") == engine_version:
            return state
    except (OSError, ValueError):
        pass
    return {"version": STATE_VERSION, "duckdb": engine_version, "sources": {}}


def _write_state(out: Path, state: dict) -> None:
    partial = out / (STATE + ".partial")
    partial.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, out / STATE)
