"""The base of every write-API collection: access to the store, the clock and JSON decoding."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Sequence

from .clock import to_iso
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
