"""Memory metrics: named measurements (latencies, sizes, counts) with units and tags."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import Any, Iterable, Mapping

from . import validation as v
from .errors import NotFoundError
from .records import Records

INSERT = (
    "INSERT INTO memory_metrics (metric_name, value, unit, session_id, tags, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


class Metrics(Records):
    json_columns = ("tags",)

    def _row(self, name: Any, value: Any, unit: Any = None, session_id: Any = None,
             tags: Any = None, created_at: Any = None) -> tuple:
        return (
            v.identifier("name", name),
            v.number("value", value),
            v.optional_text("unit", unit),
            v.optional_identifier("session_id", session_id),
            v.json_text("tags", tags),
            self._when("created_at", created_at),
        )

    def record(
        self,
        name: str,
        value: float,
        *,
        unit: str | None = None,
        session_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        created_at: Any = None,
    ) -> int:
        """Record one measurement and return its id."""
        row = self._row(name, value, unit, session_id, tags, created_at)
        try:
            return self.store.execute(INSERT, row).lastrowid
        except sqlite3.IntegrityError:
            raise NotFoundError(f"unknown session {row[3]!r}") from None

    def record_many(self, measurements: Iterable[Mapping[str, Any]]) -> int:
        """Record many measurements in one transaction (all or none); return how many."""
        try:
            return self._insert_many(INSERT, measurements, lambda m: self._row(**m), "metric")
        except sqlite3.IntegrityError:
            raise NotFoundError("a metric names an unknown session") from None

    def timer(self, name: str, *, session_id: str | None = None, **tags: Any) -> "Timer":
        """Time a block or a function in milliseconds and record it under ``name``.

            with db.metrics.timer("search_latency", query="x"): ...
            @db.metrics.timer("context_injection")
            def inject(): ...
        """
        return Timer(self, v.identifier("name", name), session_id, tags or None)


class Timer(contextlib.ContextDecorator):
    """Measures wall time with a monotonic clock; records even when the block raises."""

    def __init__(self, metrics: Metrics, name: str, session_id: str | None, tags: dict | None) -> None:
        self.metrics, self.name, self.session_id, self.tags = metrics, name, session_id, tags
        self.elapsed_ms: float | None = None

    def __enter__(self) -> "Timer":
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed_ms = (time.perf_counter() - self._start) * 1000
        self.metrics.record(self.name, self.elapsed_ms, unit="ms", session_id=self.session_id, tags=self.tags)
