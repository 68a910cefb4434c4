"""How the CLI shows things to people: tables that fit the terminal, rounded numbers, durations.

Every command that prints a table calls ``table()`` (or ``markdown()``); machine formats (CSV,
JSON) don't come here and keep full precision. Rules by column: ``*_usd`` two decimals, ``*_ms``
and timedeltas as durations (``2h 20m``), times to the minute (dates when every time of the column
is midnight), other floats three figures (``0.199``, ``2.32``, ``141``), whole numbers with
thousands separators, missing values as ``-``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from typing import Any, Iterable, Sequence

MISSING = "-"
ELLIPSIS = "…"
MIN_WIDTH = 8  # a column is never cut narrower than this


def duration(value: Any) -> str:
    """Seconds (or a timedelta) as people say them: ``45s``, ``8m 51s``, ``2h 20m``, ``3d 4h``."""
    if isinstance(value, dt.timedelta) or hasattr(value, "total_seconds"):
        value = value.total_seconds()
    if _missing(value):
        return MISSING
    seconds = float(value)
    if seconds < 0:
        return "-" + duration(-seconds)
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 59.5:
        return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s"
    minutes, s = divmod(round(seconds), 60)
    hours, m = divmod(minutes, 60)
    days, h = divmod(hours, 24)
    if days:
        return f"{days}d {h}h" if h else f"{days}d"
    if hours:
        return f"{hours}h {m}m" if m else f"{hours}h"
    return f"{m}m {s}s" if s else f"{m}m"


def number(value: Any, column: str = "") -> str:
    """One value rounded for reading; the column's name says what kind of number it is."""
    if _missing(value):
        return MISSING
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (hasattr(value, "is_integer") and column.endswith(("_count", "calls", "requests"))):
        return f"{int(value):,}"
    value = float(value)
    if column.endswith("_ms"):
        return duration(value / 1000)
    if column.endswith("_usd"):
        return f"{value:,.2f}" if value == 0 or abs(value) >= 0.01 else f"{value:.2g}"
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def cell(value: Any, column: str = "") -> str:
    """Any value of a frame or row as text for a person."""
    if _missing(value):
        return MISSING
    if isinstance(value, str):
        return " ".join(value.split())  # one line per row: newlines and tabs become spaces
    if isinstance(value, dt.timedelta) or type(value).__name__ == "Timedelta":
        return duration(value)
    if isinstance(value, dt.datetime):
        return _time(value)
    if isinstance(value, (int, float)) or hasattr(value, "dtype"):
        return number(value.item() if hasattr(value, "item") else value, column)
    return " ".join(str(value).split())


def width() -> int:
    """Columns to fit: the terminal's ($COLUMNS), else 100 when output is not a terminal."""
    return max(40, shutil.get_terminal_size((100, 24)).columns)


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str], *, max_width: int | None = None) -> str:
    """Rows as an aligned text table no wider than ``max_width`` (default: ``width()``).

    Numbers and durations are right-aligned; headers wrap at ``_`` rather than widen a column
    of short values. When the table is still too wide, ``_fit`` narrows the text columns and
    their cells end in ``…``; numbers and times keep their full width while anything else can give.
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table

    headers = [str(h) for h in headers]
    raw = [list(r) for r in rows]
    texts, numeric = _cells(raw, headers)
    fixed = [numeric[i] or (bool(raw) and all(_missing(r[i]) or isinstance(r[i], dt.datetime) for r in raw))
             for i in range(len(headers))]
    cells = [max([1, *(len(r[i]) for r in texts)]) for i in range(len(headers))]
    words = [max(len(w) for w in (h.split("_") or [""])) for h in headers]
    widths = _fit([max(c, w) for c, w in zip(cells, words)], cells, headers, fixed, max_width or width())
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), expand=False)
    for h, w, num in zip(headers, widths, numeric):
        title = "\n".join(_cut(part, w) for part in textwrap.wrap(h.replace("_", " "), width=w, break_long_words=False))
        grid.add_column(title or h, justify="right" if num else "left", no_wrap=True, overflow="ellipsis", width=w)
    for r in texts:
        grid.add_row(*r)
    console = Console(width=max_width or width(), color_system=None, highlight=False, markup=False,
                      emoji=False, force_terminal=False, force_jupyter=False, legacy_windows=False, record=True,
                      file=_Discard())
    console.print(grid)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


class _Discard:
    """Where the console writes while recording (its text is taken from the record)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def frame_table(frame, *, max_width: int | None = None) -> str:
    """A DataFrame as ``table()``; an empty one says so and names its columns."""
    if frame.empty:
        return "no data (columns: " + ", ".join(map(str, frame.columns)) + ")"
    return table(frame.astype(object).itertuples(index=False), list(frame.columns), max_width=max_width)


def markdown(frame) -> str:
    """A DataFrame as a GitHub Markdown table, values rounded as in ``table()`` (never cut)."""
    from tabulate import tabulate

    headers = [str(c) for c in frame.columns]
    texts, numeric = _cells([list(r) for r in frame.astype(object).itertuples(index=False)], headers)
    rows = [[t.replace("|", "\\|") for t in r] for r in texts]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True,
                    colalign=["right" if n else "left" for n in numeric])


def line(parts: Sequence[str], text: str, *, max_width: int | None = None) -> str:
    """Fixed ``parts`` then ``text`` on one line (whitespace folded), cut with ``…`` to fit."""
    head = "  ".join(parts)
    room = (max_width or width()) - len(head) - 2
    return f"{head}  {_cut(' '.join(text.split()), max(room, MIN_WIDTH))}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 session``, ``2 sessions`` (thousands separated)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _cells(raw: list[list[Any]], headers: list[str]) -> tuple[list[list[str]], list[bool]]:
    """Each value as text (a column of midnights as dates), and which columns are numbers."""
    n = len(headers)
    dates = [bool(raw) and all(_missing(r[i]) or _is_midnight(r[i]) for r in raw) for i in range(n)]
    texts = [[_date(v) if d and not _missing(v) else cell(v, h) for v, h, d in zip(r, headers, dates)] for r in raw]
    numeric = [any(not _missing(r[i]) for r in raw) and all(_missing(r[i]) or _is_number(r[i]) for r in raw)
               for i in range(n)]
    return texts, numeric


def _fit(widths: list[int], cells: list[int], headers: list[str], fixed: list[bool], limit: int) -> list[int]:
    """Column widths whose sum (with the two characters between columns) is at most ``limit``:
    the widest text column is narrowed first, then headers wider than their values, then id
    columns, numbers and times only when nothing else is left, none below ``MIN_WIDTH``."""
    widths = list(widths)
    gaps = 2 * (len(widths) - 1)
    for stage in ("text", "headers", "ids", "all"):
        if stage == "headers":
            for i in sorted(range(len(widths)), key=lambda i: cells[i] - widths[i]):
                if sum(widths) + gaps <= limit:
                    break
                widths[i] = max(cells[i], min(widths[i], MIN_WIDTH), widths[i] - (sum(widths) + gaps - limit))
            continue
        while sum(widths) + gaps > limit:
            cuttable = [i for i, w in enumerate(widths) if w > MIN_WIDTH and (
                stage == "all" or (not fixed[i] and (stage == "ids" or not headers[i].endswith("_id"))))]
            if not cuttable:
                break
            widest = max(cuttable, key=lambda i: widths[i])
            widths[widest] = max(MIN_WIDTH, widths[widest] - (sum(widths) + gaps - limit))
    return widths


def _cut(text: str, w: int) -> str:
    return text if len(text) <= w else text[: w - 1] + ELLIPSIS


def _time(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def _date(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d")


def _is_midnight(value: Any) -> bool:
    return isinstance(value, dt.datetime) and (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)


def _is_number(value: Any) -> bool:
    """Numbers and durations: what is right-aligned."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, dt.timedelta)):
        return True
    return hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iuf"


def _missing(value: Any) -> bool:
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value) or type(value).__name__ in ("NAType", "NaTType")
    except (TypeError, ValueError):
        return False
