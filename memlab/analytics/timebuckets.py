"""Time windows and buckets in an IANA time zone, correct across daylight-saving changes.

SQL groups rows by a *grain*: the first characters of their UTC timestamp text (``2026-03-29T01``
is an hour). Each grain maps to the local bucket (hour, day, ISO week from Monday, month) that
contains it, computed with ``zoneinfo``, so a Berlin day on a DST change is 23 or 25 hours.
A grain is only used when the zone's offset is the same over the whole grain and a multiple of
it (checked for every grain returned); otherwise memlab asks SQL for a finer grain.
"""

from __future__ import annotations

import datetime as dt
import re
import functools
from typing import Any, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..clock import from_iso, to_iso
from ..errors import ValidationError

PERIODS = ("hour", "day", "week", "month")
UTC = dt.timezone.utc
MAX_BUCKETS = 100_000  # ~11 years of hours: more is a mistake, not a chart

# Grain lengths of memlab's timestamp text (2026-03-29T01:30:00.000000Z) and their spans.
_TEMPLATE = "0000-01-01T00:00:00.000000Z"
_SPANS = {13: dt.timedelta(hours=1), 16: dt.timedelta(minutes=1), 19: dt.timedelta(seconds=1)}
_FINER = {13: 16, 16: 19, 19: 27}


def zone(tz: Any) -> ZoneInfo:
    """An IANA zone by name (``"Europe/Berlin"``); ValidationError for an unknown one."""
    if isinstance(tz, ZoneInfo):
        return tz
    if not isinstance(tz, str) or not tz.strip():
        raise ValidationError(f"tz must be an IANA time zone name such as 'UTC' or 'Europe/Berlin'; got {tz!r}")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(f"unknown time zone {tz!r}") from None


def period_name(period: Any, *, optional: bool = True) -> str | None:
    """One of hour, day, week, month (or None when the query allows totals)."""
    if period is None and optional:
        return None
    if period not in PERIODS:
        raise ValidationError(f"period must be one of {', '.join(PERIODS)}; got {period!r}")
    return period


_RELATIVE = re.compile(r"(\d{1,5})([hdw])")


def relative(text: str, tz: ZoneInfo, now: dt.datetime | None = None) -> dt.datetime | None:
    """``12h``, ``7d``, ``2w`` as the instant they go back to, or None for other text: hours back
    from now; days and weeks as whole local days in ``tz``, today included (``7d`` = today and the
    six days before, from local midnight)."""
    found = _RELATIVE.fullmatch(text.strip().lower())
    if found is None:
        return None
    count, unit = int(found.group(1)), found.group(2)
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(tz)
    if unit == "h":
        return now - dt.timedelta(hours=count)
    days = count * (7 if unit == "w" else 1)
    start = now.date() - dt.timedelta(days=max(days - 1, 0))
    return dt.datetime(start.year, start.month, start.day, tzinfo=tz)


def instant(field: str, value: Any, tz: ZoneInfo, now: dt.datetime | None = None) -> str | None:
    """An ISO string, date or datetime as memlab's UTC text; dates and naive times are read in ``tz``;
    ``7d``-style text (see ``relative``) counts back from ``now``."""
    if value is None:
        return None
    if isinstance(value, str) and (back := relative(value, tz, now)) is not None:
        value = back
    elif isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"{field} is not an ISO-8601 date or timestamp: {value!r}") from None
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    elif not isinstance(value, dt.datetime):
        raise ValidationError(f"{field} must be a date, datetime or ISO-8601 string, not {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    try:
        return to_iso(value)
    except (ValueError, OverflowError):
        raise ValidationError(f"{field} is out of range: {value!r}") from None


def window(since: Any, until: Any, tz: ZoneInfo, now: dt.datetime | None = None) -> tuple[str | None, str | None]:
    """The half-open window [since, until) as UTC text; ValidationError when since > until."""
    lo, hi = instant("since", since, tz, now), instant("until", until, tz, now)
    if lo is not None and hi is not None and lo > hi:
        raise ValidationError(f"since ({lo}) is after until ({hi})")
    return lo, hi


def is_utc(tz: ZoneInfo) -> bool:
    return tz.key in ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "Universal", "Etc/Universal")


def first_grain(period: str | None, tz: ZoneInfo) -> int:
    """The coarsest grain that can be exact: whole UTC days or months for UTC, else hours."""
    if period is None:
        return 0
    if is_utc(tz):
        return {"hour": 13, "day": 10, "week": 10, "month": 7}[period]
    return 13


def finer(grain: int) -> int:
    return _FINER[grain]


def grain_start(text: str) -> dt.datetime:
    """The UTC instant a grain text starts at."""
    return from_iso(text + _TEMPLATE[len(text):])


def fits(grains: Iterable[str], tz: ZoneInfo, grain: int) -> bool:
    """Whether every grain lies inside one local bucket boundary-wise: the zone's offset is
    constant over the grain and a whole number of grains (so local hours start on UTC grains)."""
    span = _SPANS.get(grain)
    if span is None:  # days and months are only used for UTC; 27 characters is one instant
        return True
    step = span.total_seconds()
    tick = dt.timedelta(microseconds=1)
    for text in grains:
        start = grain_start(text)
        offset = start.astimezone(tz).utcoffset()
        if offset.total_seconds() % step or (start + span - tick).astimezone(tz).utcoffset() != offset:
            return False
    return True


@functools.lru_cache(maxsize=65_536)
def bucket_of(start: dt.datetime, period: str, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant at which the local ``period`` containing ``start`` begins."""
    local = start.astimezone(tz)
    if period == "hour":
        begin = local.replace(minute=0, second=0, microsecond=0)  # keeps fold: right in repeated hours
    else:
        day = local.date()
        if period == "week":
            day -= dt.timedelta(days=day.weekday())
        elif period == "month":
            day = day.replace(day=1)
        begin = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
    return begin.astimezone(UTC)


def next_bucket(begin: dt.datetime, period: str, tz: ZoneInfo) -> dt.datetime:
    """The start of the bucket after the one starting at ``begin``."""
    if period == "hour":
        later = begin + dt.timedelta(hours=1)
        while bucket_of(later, period, tz) == begin:  # a local hour longer than an hour
            later += dt.timedelta(hours=1)
        return bucket_of(later, period, tz)
    day = begin.astimezone(tz).date()
    if period == "month":
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    else:
        day += dt.timedelta(days=7 if period == "week" else 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def buckets(first: dt.datetime, last: dt.datetime, period: str, tz: ZoneInfo) -> list[dt.datetime]:
    """Every bucket start from the bucket holding ``first`` to the one holding ``last``."""
    out = [bucket_of(first, period, tz)]
    end = bucket_of(last, period, tz)
    while out[-1] < end:
        out.append(next_bucket(out[-1], period, tz))
        if len(out) > MAX_BUCKETS:
            raise ValidationError(f"more than {MAX_BUCKETS:,} {period} buckets: use a longer period or a narrower range")
    return out


def span_buckets(since: str | None, until: str | None, seen: Iterable[dt.datetime], period: str,
                 tz: ZoneInfo) -> list[dt.datetime]:
    """The buckets of [since, until), each end defaulting to the data's (``seen`` instants)."""
    seen = list(seen)
    first = from_iso(since) if since is not None else min(seen, default=None)
    if until is not None:
        last = from_iso(until) - dt.timedelta(microseconds=1)
        if since is not None and since == until:
            return []
    else:
        last = max(seen, default=None)
    if first is None or last is None or last < first:
        return []
    return buckets(first, last, period, tz)
