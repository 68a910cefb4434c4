"""The generator's own calendar: when sessions start, with a daily and weekly rhythm.

Times are whole milliseconds after a fixed start, so a seed gives the same timestamps on any
day the generator runs.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random

from ..clock import to_iso

# Monday 5 January 2026, 00:00 UTC: the default first day of every generated history.
START = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)

# Relative activity per hour of the day (UTC): quiet nights, a morning peak, a lunch dip.
HOUR_WEIGHTS = (
    0.04, 0.03, 0.03, 0.03, 0.04, 0.06, 0.12, 0.30, 0.70, 1.00, 1.00, 0.95,
    0.60, 0.85, 0.95, 0.95, 0.85, 0.60, 0.35, 0.25, 0.20, 0.15, 0.10, 0.06,
)
# Relative activity per weekday, Monday first: a quieter Friday, little at weekends.
WEEKDAY_WEIGHTS = (1.00, 1.05, 1.00, 0.95, 0.75, 0.18, 0.12)

SECOND, MINUTE, HOUR, DAY = 1_000, 60_000, 3_600_000, 86_400_000


class Timeline:
    """Samples session start times over ``days`` days from ``start``, busier on weekday work hours.

    Usage grows a little over the period (adoption), as it does when a team takes up a tool.
    """

    def __init__(self, rng: random.Random, days: int, start: dt.datetime = START) -> None:
        start = start.replace(microsecond=start.microsecond // 1000 * 1000)  # whole milliseconds
        self.rng, self.days, self.start = rng, days, start
        weekday0 = start.weekday()
        day_weights = [
            WEEKDAY_WEIGHTS[(weekday0 + d) % 7] * (0.8 + 0.4 * d / max(1, days - 1))
            for d in range(days)
        ]
        self._day_cum = list(itertools.accumulate(day_weights))
        self._hour_cum = list(itertools.accumulate(HOUR_WEIGHTS))
        utc = start.astimezone(dt.timezone.utc)
        self._midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
        self._offset = (utc - self._midnight) // dt.timedelta(milliseconds=1)
        self._days: dict[int, str] = {}

    def session_start(self) -> int:
        """One start time, in ms after ``start``."""
        rng = self.rng
        day = bisect.bisect(self._day_cum, rng.random() * self._day_cum[-1])
        hour = bisect.bisect(self._hour_cum, rng.random() * self._hour_cum[-1])
        return day * DAY + hour * HOUR + rng.randrange(HOUR)

    def iso(self, ms: int) -> str:
        """A time on this timeline as memlab's timestamp text (the same text ``to_iso`` makes,
        built from a per-day prefix: it runs for every row)."""
        day, rest = divmod(ms + self._offset, DAY)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = to_iso(self._midnight + dt.timedelta(days=day))[:11]
        hours, rest = divmod(rest, HOUR)
        minutes, rest = divmod(rest, MINUTE)
        seconds, millis = divmod(rest, SECOND)
        return f"{prefix}{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}000Z"

    def datetime(self, ms: int) -> dt.datetime:
        return self.start + dt.timedelta(milliseconds=ms)

    @property
    def end(self) -> int:
        return self.days * DAY


class SimulatedClock:
    """A clock for the write API's own timestamps (preferences, patterns, handoffs): it reads
    whatever time the generator has reached, not the wall clock."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline, self.ms = timeline, 0

    def __call__(self) -> dt.datetime:
        return self.timeline.datetime(self.ms)
