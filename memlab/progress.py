"""Progress bars for long work (generating, importing, indexing, benchmarking).

One rule for every bar: ``progress=None`` shows it only on a terminal (or as a widget in
Jupyter), ``True`` always, ``False`` never. tqdm is imported on first use.
"""

from __future__ import annotations

from typing import Any, Iterable


def bar(iterable: Iterable[Any] | None = None, *, total: int | None = None, desc: str, unit: str,
        progress: bool | None = None):
    """A tqdm bar over ``iterable`` or up to ``total``, shown as ``progress`` says."""
    if progress is False:
        return Silent(iterable)  # tqdm.auto costs ~45 ms to import: not for a bar never shown
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=None if progress is None else not progress)


class Silent:
    """What a bar that is never shown does: iterate, take updates, close."""

    def __init__(self, iterable: Iterable[Any] | None) -> None:
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable if self.iterable is not None else ())

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass
