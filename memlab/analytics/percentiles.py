"""Exact metric percentiles (numpy's linear method) with count, mean, min, max and unit."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any, Iterator

from .. import validation as v
from ..errors import ValidationError
from ..sqlfiles import read_sql
from . import frames
from .frames import COUNT, REAL, TEXT

if TYPE_CHECKING:
    import pandas as pd


def metric_names(metrics: Any) -> list[str] | None:
    """None (all metrics), one name, or a list of names."""
    if metrics is None:
        return None
    if isinstance(metrics, str):
        metrics = [metrics]
    try:
        return list(dict.fromkeys(v.identifier("metrics", m) for m in metrics))
    except TypeError:
        raise ValidationError(f"metrics must be a metric name or a list of names; got {metrics!r}") from None


def tag_path(tag: Any) -> str | None:
    """The JSON path of a top-level tag key, e.g. ``$."hits"``."""
    if tag is None:
        return None
    tag = v.identifier("tag", tag)
    if '"' in tag or "\\" in tag:
        raise ValidationError(f"tag must not contain quotes or backslashes; got {tag!r}")
    return f'$."{tag}"'


def columns(percentiles: tuple[float, ...], period: str | None, tag: str | None, tz_name: str) -> dict:
    out: dict[str, Any] = {"metric_name": TEXT}
    if period is not None:
        out["bucket"] = frames.bucket_dtype(tz_name)
    if tag is not None:
        out["tag_value"] = TEXT
    out.update({"count": COUNT, "mean": REAL, "min": REAL})
    out.update({frames.percentile_column(p): REAL for p in percentiles})
    out.update({"max": REAL, "unit": TEXT})
    return out


def metric_percentiles(analytics, params: dict, zone: Any, *, metrics: Any, percentiles: Any,
                       period: str | None, tag: Any) -> "pd.DataFrame":
    """The frame behind ``db.analytics.metric_percentiles``."""
    names = metric_names(metrics)
    qs = frames.percentile_list(percentiles)
    path = tag_path(tag)
    declared = columns(qs, period, tag, zone.key)
    names_json = None if names is None else json.dumps(names)
    unfiltered = all(params.get(f) is None for f in ("since", "until", "user_id", "project_id", "session_id"))
    if period is None and path is None and unfiltered and analytics.engine.ranks_whole_metrics():
        return frames.shaped(analytics.engine.whole_metrics(names_json, qs), declared)
    rows = analytics._grained("metric_values", {**params, "metrics": names_json, "tag_path": path}, period, zone)
    if rows.empty:
        return frames.shaped(None, declared)
    keys = ["metric_name"] + (["bucket"] if period else []) + (["tag_value"] if tag is not None else [])
    rows["value"] = rows["value"].astype(REAL)
    if tag is not None:
        rows["tag_value"] = rows["tag_value"].astype(TEXT)  # all-NULL would read as floats
    out = frames.summarise(rows, keys, "value", qs).reset_index()
    latest = rows.groupby(keys, dropna=False, sort=False).tail(1)[[*keys, "unit"]]  # rows come oldest first
    return frames.shaped(out.merge(latest, on=keys, how="left"), declared)


def by_index(store, names_json: str | None, qs: tuple[float, ...]) -> "pd.DataFrame":
    """Whole-table percentiles without reading the rows: counts and sums from metric_totals,
    each order statistic by walking idx_memory_metrics_value from the nearer end."""
    import pandas as pd

    with _snapshot(store):
        records = [_metric_record(store, total, qs)
                   for total in store.query(read_sql("metric_totals"), {"metrics": names_json})]
    return pd.DataFrame.from_records(records)


@contextlib.contextmanager
def _snapshot(store) -> Iterator[None]:
    """One read transaction, so the counts and the index walks see the same rows while others write."""
    if store.conn.in_transaction:
        yield
        return
    store.execute("BEGIN")
    try:
        yield
    finally:
        store.execute("COMMIT")


def _metric_record(store, total: dict, qs: tuple[float, ...]) -> dict:
    """count, mean, min, percentiles, max and unit of one metric."""
    name, n = total["metric_name"], total["measurements"]

    def at(rank: int) -> tuple[float, float]:
        """The values at ranks ``rank`` and ``rank + 1`` (the same one at the top)."""
        if rank < n / 2:
            found = store.execute(read_sql("metric_rank"), {"metric_name": name, "rank": rank}).fetchall()
            values = [r[0] for r in found]
        else:
            found = store.execute(read_sql("metric_rank_desc"),
                                  {"metric_name": name, "rank": max(0, n - 2 - rank)}).fetchall()
            values = [r[0] for r in reversed(found)] if rank < n - 1 else [found[0][0]]
        return float(values[0]), float(values[-1])

    record = {"metric_name": name, "count": n, "mean": total["total"] / n,
              "min": at(0)[0], "max": at(n - 1)[0]}
    for p in qs:
        record[frames.percentile_column(p)] = linear(at, n, p)
    unit = store.query_one(read_sql("metric_unit"), {"metric_name": name})
    record["unit"] = unit["unit"] if unit else None
    return record


def linear(at, n: int, p: float) -> float:
    """numpy's default percentile: interpolate between the ranks around (n - 1) * p / 100."""
    h = (p / 100) * (n - 1)
    rank = min(int(h), n - 1)
    t = h - rank
    a, b = at(rank)
    if t == 0:
        return a
    # numpy's lerp: from whichever end is nearer, so the result is exact at both ends.
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t
