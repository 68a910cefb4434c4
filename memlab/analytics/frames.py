"""DataFrame shapes: declared columns and dtypes (the same when empty) and exact percentiles.

Percentiles are numpy's default "linear" method: for n sorted values and q in 0..100 the
value at rank h = (n - 1) * q / 100, interpolated between ranks floor(h) and ceil(h).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from ..errors import ValidationError

TEXT = "string"
COUNT = "int64"
REAL = "float64"


def utc_times(values):
    """ISO text as tz-aware UTC timestamps (nanoseconds)."""
    import pandas as pd

    return pd.to_datetime(values, utc=True, format="ISO8601").astype("datetime64[ns, UTC]")


def bucket_dtype(tz_name: str):
    import pandas as pd

    return pd.DatetimeTZDtype("ns", tz_name)


def shaped(frame, columns: Mapping[str, Any]):
    """``frame`` with exactly ``columns`` in order and their dtypes (an empty frame works)."""
    import pandas as pd

    if frame is None or frame.empty:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})
    out = frame.reset_index(drop=True)[list(columns)]
    return out.astype(dict(columns))


def percentile_list(percentiles: Any) -> tuple[float, ...]:
    """Validated percentiles (0..100), in the order given, without repeats."""
    if isinstance(percentiles, (int, float)) and not isinstance(percentiles, bool):
        percentiles = (percentiles,)
    try:
        values = tuple(dict.fromkeys(float(p) for p in percentiles))
    except (TypeError, ValueError):
        raise ValidationError(f"percentiles must be numbers between 0 and 100; got {percentiles!r}") from None
    if not values or any(not 0 <= p <= 100 for p in values):
        raise ValidationError(f"percentiles must be numbers between 0 and 100; got {percentiles!r}")
    return values


def percentile_column(p: float) -> str:
    """p50, p99, p99.9."""
    return f"p{p:g}"


def summarise(values, keys: Sequence[str], column: str, percentiles: Iterable[float]):
    """count, mean, min, the percentiles and max of ``column`` per group of ``keys`` (NA keys kept)."""
    grouped = values.groupby(list(keys), dropna=False, sort=True)[column]
    out = grouped.agg(["count", "mean", "min"])
    for p in percentiles:
        out[percentile_column(p)] = grouped.quantile(p / 100)
    out["max"] = grouped.max()
    return out
