"""User preferences: one JSON value per user and key, with how sure we are and where it came from."""

from __future__ import annotations

import json
from typing import Any

from . import validation as v
from .records import Records

_MISSING = object()


class Preferences(Records):
    json_columns = ("value",)

    def set(self, user_id: str, key: str, value: Any, *, confidence: float = 1.0, source: str | None = None) -> dict:
        """Set (insert or replace) a preference and return it."""
        user_id = v.identifier("user_id", user_id)
        key = v.identifier("key", key)
        now = self._now()
        self.store.execute(
            "INSERT INTO user_preferences (user_id, key, value, confidence, source, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value,"
            " confidence = excluded.confidence, source = excluded.source, updated_at = excluded.updated_at",
            (user_id, key, v.json_text("value", value), v.probability("confidence", confidence),
             v.optional_text("source", source), now, now),
        )
        return self._one("SELECT * FROM user_preferences WHERE user_id = ? AND key = ?", (user_id, key))

    def get(self, user_id: str, key: str, default: Any = None) -> Any:
        """The preference's value, or ``default`` when unset."""
        row = self.store.query_one(
            "SELECT value FROM user_preferences WHERE user_id = ? AND key = ?", (user_id, key)
        )
        if row is None:
            return default
        return None if row["value"] is None else json.loads(row["value"])

    def list(self, user_id: str) -> list[dict]:
        """All of a user's preferences, by key."""
        return self._all("SELECT * FROM user_preferences WHERE user_id = ? ORDER BY key", (user_id,))

    def delete(self, user_id: str, key: str) -> bool:
        """Remove a preference; True if there was one."""
        cursor = self.store.execute("DELETE FROM user_preferences WHERE user_id = ? AND key = ?", (user_id, key))
        return cursor.rowcount > 0
