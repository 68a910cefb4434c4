"""Learned patterns: things seen again and again, counted, with a confidence that grows with evidence."""

from __future__ import annotations

from typing import Any

from . import validation as v
from .records import Records


class Patterns(Records):
    json_columns = ("data",)

    def observe(self, pattern_type: str, pattern_key: str, data: Any = None, *, confidence: float | None = None) -> dict:
        """Count one more sighting of a pattern and return it.

        Without an explicit ``confidence`` it becomes ``1 - 0.5 ** occurrence_count`` (0.5 after
        one sighting, 0.75 after two, ...). New ``data`` replaces the stored data; None keeps it.
        """
        pattern_type = v.identifier("pattern_type", pattern_type)
        pattern_key = v.identifier("pattern_key", pattern_key)
        given = v.optional_probability("confidence", confidence)
        now = self._now()
        with self.store.transaction():
            seen = self.store.query_one(
                "SELECT occurrence_count FROM learned_patterns WHERE pattern_type = ? AND pattern_key = ?",
                (pattern_type, pattern_key),
            )
            count = 1 if seen is None else seen["occurrence_count"] + 1
            self.store.execute(
                "INSERT INTO learned_patterns (pattern_type, pattern_key, data, occurrence_count, confidence,"
                " first_seen_at, last_seen_at) VALUES (?, ?, ?, 1, ?, ?, ?)"
                " ON CONFLICT (pattern_type, pattern_key) DO UPDATE SET"
                " occurrence_count = occurrence_count + 1,"
                " data = COALESCE(excluded.data, data),"
                " confidence = excluded.confidence,"
                " last_seen_at = excluded.last_seen_at",
                (pattern_type, pattern_key, v.json_text("data", data),
                 1 - 0.5**count if given is None else given, now, now),
            )
            return self._one(
                "SELECT * FROM learned_patterns WHERE pattern_type = ? AND pattern_key = ?",
                (pattern_type, pattern_key),
            )

    def list(self, pattern_type: str) -> list[dict]:
        """Patterns of one type, most frequent first."""
        return self._all(
            "SELECT * FROM learned_patterns WHERE pattern_type = ? ORDER BY occurrence_count DESC, pattern_key",
            (pattern_type,),
        )

    def top(self, pattern_type: str | None = None, *, limit: int = 10) -> list[dict]:
        """The most frequent patterns, of one type or of all."""
        limit = v.count("limit", limit)
        if pattern_type is None:
            return self._all(
                "SELECT * FROM learned_patterns ORDER BY occurrence_count DESC, confidence DESC LIMIT ?", (limit,)
            )
        return self._all(
            "SELECT * FROM learned_patterns WHERE pattern_type = ?"
            " ORDER BY occurrence_count DESC, confidence DESC LIMIT ?",
            (pattern_type, limit),
        )
