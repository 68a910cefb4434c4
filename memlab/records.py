"""The base of every write-API collection: access to the store, the clock and JSON decoding."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from .clock import to_iso
from .errors import NotFoundError, ValidationError
from .validation import text, timestamp

if TYPE_CHECKING:
    from .store import Store


class Records:
    """One table's worth of the API. Subclasses name their JSON columns to decode on read."""

    json_columns: tuple[str, ...] = ()

    def __init__(self, store: "Store") -> None:
        self.store = store

    def _now(self) -> str:
        return to_iso(self.store.clock())

    def _when(self, field: str, value: Any) -> str:
        """An explicit timestamp, or now."""
        return self._now() if value is None else timestamp(field, value)

    def _redact(self, field: str, value: str | None) -> str | None:
        """Free text through the database's redactor, when one is set, before it is stored."""
        redactor = self.store.redactor
        if redactor is None or value is None:
            return value
        return text(f"{field} (as redacted)", redactor(value))

    def _decode(self, row: dict | None) -> dict | None:
        if row is not None:
            for column in self.json_columns:
                if row.get(column) is not None:
                    row[column] = json.loads(row[column])
        return row

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict | None:
        return self._decode(self.store.query_one(sql, params))

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        return [self._decode(row) for row in self.store.query(sql, params)]

    def _require(self, sql: str, key: Any, noun: str) -> dict:
        """The row ``sql`` selects for ``key``, or NotFoundError naming it."""
        row = self._one(sql, (key,))
        if row is None:
            raise NotFoundError(f"unknown {noun} {key!r}")
        return row

    @staticmethod
    def _changed(cursor: sqlite3.Cursor, key: Any, noun: str) -> None:
        """Raise NotFoundError when an UPDATE or DELETE by ``key`` touched no row."""
        if cursor.rowcount == 0:
            raise NotFoundError(f"unknown {noun} {key!r}")

    def _insert_many(
        self, sql: str, items: Iterable[Mapping[str, Any]], make_row: Callable[[Mapping[str, Any]], tuple], noun: str
    ) -> int:
        """Insert one row per mapping in a single transaction (all or none); return how many.

        Rows stream from ``items`` through executemany, so memory stays flat; a bad item raises
        ValidationError naming its position and nothing is stored.
        """
        if not isinstance(items, Iterable) or isinstance(items, (str, bytes, Mapping)):
            raise ValidationError(f"expected an iterable of {noun} mappings")

        def rows():
            for index, item in enumerate(items):
                if not isinstance(item, Mapping):
                    raise ValidationError(f"{noun} {index} must be a mapping, not {type(item).__name__}")
                try:
                    yield make_row(item)
                except (TypeError, ValidationError) as e:
                    raise ValidationError(f"{noun} {index}: {e}") from None

        with self.store.transaction():
            # rowcount counts rows the statement stored: not trigger writes, not skipped duplicates.
            return self.store.conn.executemany(sql, rows()).rowcount
