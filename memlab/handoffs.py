"""Session handoffs: carry a summary and context from one session into the next."""

from __future__ import annotations

from typing import Any

from . import validation as v
from .records import Records
from .sessions import Sessions


class Handoffs(Records):
    json_columns = ("context",)

    def __init__(self, store, sessions: Sessions) -> None:
        super().__init__(store)
        self.sessions = sessions

    def create(
        self,
        from_session_id: str,
        *,
        to_session_id: str | None = None,
        summary: str | None = None,
        context: Any = None,
        end_from: bool = True,
    ) -> dict:
        """Hand a session over to another (a new session for the same user and project by default).

        The old session is marked completed unless ``end_from=False``. Returns the handoff.
        """
        summary = self._redact("summary", v.optional_text("summary", summary))
        context_json = v.json_text("context", context)
        with self.store.transaction():
            old = self.sessions.get(v.identifier("from_session_id", from_session_id))
            if to_session_id is None:
                to_session_id = self.sessions.create(
                    user_id=old["user_id"], project_id=old["project_id"],
                    metadata={"handoff_from": old["session_id"]},
                )["session_id"]
            else:
                self.sessions.get(v.identifier("to_session_id", to_session_id))
            handoff_id = self.store.execute(
                "INSERT INTO session_handoffs (from_session_id, to_session_id, summary, context, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (old["session_id"], to_session_id, summary, context_json, self._now()),
            ).lastrowid
            if end_from:
                self.sessions.end(old["session_id"])
        return self.get(handoff_id)

    def get(self, handoff_id: int) -> dict:
        return self._require("SELECT * FROM session_handoffs WHERE id = ?", handoff_id, "handoff")

    def resume(self, handoff_id: int) -> dict:
        """Mark the handoff picked up (first time only) and return it."""
        cursor = self.store.execute(
            "UPDATE session_handoffs SET resumed_at = COALESCE(resumed_at, ?) WHERE id = ?",
            (self._now(), handoff_id),
        )
        self._changed(cursor, handoff_id, "handoff")
        return self.get(handoff_id)

    def latest(self, session_id: str) -> dict | None:
        """The newest handoff out of or into a session, or None."""
        return self._one(
            "SELECT * FROM session_handoffs WHERE from_session_id = ? OR to_session_id = ?"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (session_id, session_id),
        )
