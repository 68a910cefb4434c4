"""Timestamps: ISO-8601 UTC text, from an injectable clock so tests are deterministic."""

from __future__ import annotations

import datetime as dt
from typing import Callable

Clock = Callable[[], dt.datetime]

ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def system_clock() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def to_iso(value: dt.datetime | dt.date | str) -> str:
    """Format a datetime (naive means UTC), a date or an ISO string as memlab's UTC text form.

    One fixed width (microseconds, trailing Z) so text comparison is time comparison. Other
    ISO-8601 spellings (week dates ``2026-W03-1``, a comma before the fraction) are rewritten.
    """
    if isinstance(value, str):
        # The two common UTC spellings are checked (a real date and time) and returned as text,
        # not re-formatted: bulk paths pass memlab's own form, Claude Code writes milliseconds.
        if _is_utc_text(value, 27):
            return value
        if _is_utc_text(value, 24):
            return value[:-1] + "000Z"
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    elif value.utcoffset():
        value = value.astimezone(dt.timezone.utc)
    # isoformat is faster than strftime; an aware UTC time ends in "+00:00".
    return value.isoformat(timespec="microseconds")[:-6] + "Z"


def _is_utc_text(value: str, length: int) -> bool:
    """Whether ``value`` is ``YYYY-MM-DDTHH:MM:SS.fffZ`` (length 24) or ``.ffffffZ`` (27), a real time.

    The separators sit at every third place from 4 to 19, so one slice checks them; fromisoformat
    then takes only digits between them (a zone, a week date or a comma would move a separator or
    leave a zone on the result). Faster than a regular expression, which bulk imports felt.
    """
    if len(value) != length or value[4:20:3] != "--T::." or value[-1] != "Z":
        return False
    try:
        return dt.datetime.fromisoformat(value[:-1]).tzinfo is None
    except ValueError:
        return False


def from_iso(text: str) -> dt.datetime:
    """Parse memlab's timestamp text back into an aware UTC datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
