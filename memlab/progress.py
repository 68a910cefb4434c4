"""Progress bars for long work (generating, importing, indexing, benchmarking).

One rule for every bar: ``progress=None`` shows it only on a terminal (or as a widget in
Jupyter), ``True`` always, ``False`` never. tqdm is imported on first use.
"""

from __future__ import annotations

from typing import Any, Iterable


def bar(iterable: Iterable[Any] | None = None, *, total: int | None = None, desc: str, unit: str,
        progress: bool | None = None):
    """A tqdm bar over ``iterable`` or up to ``total``, shown as ``progress`` says."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=None if progress is None else not progress)
