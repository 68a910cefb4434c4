"""Sessions: one agent working session of a user in a project."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from . import validation as v
from .errors import ValidationError
from .records import Records

STATUSES = ("active", "paused", "completed", "archived")


class Sessions(Records):
    json_columns = ("metadata",)

    def create(
        self,
        session_id: str | None = None,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        status: str = "active",
        metadata: Any = None,
        created_at: Any = None,
        exist_ok: bool = False,
    ) -> dict:
        """Create a session (a new UUID when no id is given) and return it.

        With ``exist_ok`` an existing session of that id is returned unchanged.
        """
        sid = str(uuid.uuid4()) if session_id is None else v.identifier("session_id", session_id)
        row = (
            sid,
            v.optional_identifier("user_id", user_id),
            v.optional_identifier("project_id", project_id),
            v.choice("status", status, STATUSES),
            v.json_text("metadata", metadata),
        )
        when = self._when("created_at", created_at)
        try:
            self.store.execute(
                "INSERT INTO sessions (session_id, user_id, project_id, status, metadata,"
                " created_at, last_active_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*row, when, when),
            )
        except sqlite3.IntegrityError:
            if not exist_ok:
                raise ValidationError(f"session {sid!r} already exists") from None
        return self.get(sid)

    def get(self, session_id: str) -> dict:
        """The session, or NotFoundError."""
        return self._require("SELECT * FROM sessions WHERE session_id = ?", session_id, "session")

    def exists(self, session_id: str) -> bool:
        return self.store.query_one("SELECT 1 AS x FROM sessions WHERE session_id = ?", (session_id,)) is not None

    def update(
        self,
        session_id: str,
        *,
        status: str | None = None,
        metadata: Any = None,
        user_id: str | None = None,
        project_id: str | None = None,
    ) -> dict:
        """Change status, metadata (replaced whole), user or project; return the session."""
        changes: dict[str, Any] = {}
        if status is not None:
            changes["status"] = v.choice("status", status, STATUSES)
        if metadata is not None:
            changes["metadata"] = v.json_text("metadata", metadata)
        if user_id is not None:
            changes["user_id"] = v.identifier("user_id", user_id)
        if project_id is not None:
            changes["project_id"] = v.identifier("project_id", project_id)
        if changes:
            # Column names come from the fixed keys above, never from the caller.
            assignments = ", ".join(f"{column} = ?" for column in changes)
            cursor = self.store.execute(
                f"UPDATE sessions SET {assignments} WHERE session_id = ?",
                (*changes.values(), session_id),
            )
            self._changed(cursor, session_id, "session")
        return self.get(session_id)

    def touch(self, session_id: str) -> None:
        """Record activity now (``last_active_at``)."""
        cursor = self.store.execute(
            "UPDATE sessions SET last_active_at = ? WHERE session_id = ?", (self._now(), session_id)
        )
        self._changed(cursor, session_id, "session")

    def active(
        self, *, user_id: str | None = None, project_id: str | None = None, limit: int | None = None
    ) -> list[dict]:
        """Active sessions, most recently active first, optionally for one user and/or project."""
        sql = "SELECT * FROM sessions WHERE status = 'active'"
        params: list[Any] = []
        if user_id is not None:
            sql += " AND user_id = ?"
            params.append(user_id)
        if project_id is not None:
            sql += " AND project_id = ?"
            params.append(project_id)
        sql += " ORDER BY last_active_at DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(v.count("limit", limit))
        return self._all(sql, params)

    def end(self, session_id: str) -> dict:
        """Mark the session completed."""
        return self.update(session_id, status="completed")

    def archive(self, session_id: str) -> dict:
        """Mark the session archived."""
        return self.update(session_id, status="archived")
