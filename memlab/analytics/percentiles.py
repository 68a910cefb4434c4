"""Exact metric percentiles (numpy's linear method) with count, mean, min, max and unit."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

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
    sql_params = {**params, "metrics": None if names is None else json.dumps(names), "tag_path": path}
    rows = analytics._grained("metric_values", sql_params, period, zone)
    if rows.empty:
        return frames.shaped(None, declared)
    keys = ["metric_name"] + (["bucket"] if period else []) + (["tag_value"] if tag is not None else [])
    rows["value"] = rows["value"].astype(REAL)
    out = frames.summarise(rows, keys, "value", qs)
    out["unit"] = rows.groupby(keys, dropna=False, sort=True)["unit"].last()
    return frames.shaped(out.reset_index(), declared)
