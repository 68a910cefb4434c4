"""Conversations: threads of messages inside a session."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from . import validation as v
from .errors import NotFoundError, ValidationError
from .records import Records


class Conversations(Records):
    json_columns = ("metadata",)

    def create(
        self,
        session_id: str,
        conversation_id: str | None = None,
        *,
        title: str | None = None,
        metadata: Any = None,
        created_at: Any = None,
        exist_ok: bool = False,
    ) -> dict:
        """Start a conversation in a session (a new UUID when no id is given) and return it."""
        sid = v.identifier("session_id", session_id)
        cid = str(uuid.uuid4()) if conversation_id is None else v.identifier("conversation_id", conversation_id)
        when = self._when("created_at", created_at)
        try:
            self.store.execute(
                "INSERT INTO conversations (conversation_id, session_id, title, metadata, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (cid, sid, self._redact("title", v.optional_text("title", title)), v.json_text("metadata", metadata), when, when),
            )
        except sqlite3.IntegrityError as e:
            if "FOREIGN KEY" in str(e):
                raise NotFoundError(f"unknown session {sid!r}") from None
            if not exist_ok:
                raise ValidationError(f"conversation {cid!r} already exists") from None
        return self.get(cid)

    def get(self, conversation_id: str) -> dict:
        """The conversation, or NotFoundError."""
        return self._require(
            "SELECT * FROM conversations WHERE conversation_id = ?", conversation_id, "conversation"
        )

    def list(self, session_id: str) -> list[dict]:
        """The session's conversations, oldest first."""
        return self._all(
            "SELECT * FROM conversations WHERE session_id = ? ORDER BY created_at, id", (session_id,)
        )

    def set_title(self, conversation_id: str, title: str) -> dict:
        """Name (or rename) a conversation."""
        cursor = self.store.execute(
            "UPDATE conversations SET title = ?, updated_at = ? WHERE conversation_id = ?",
            (self._redact("title", v.text("title", title)), self._now(), conversation_id),
        )
        self._changed(cursor, conversation_id, "conversation")
        return self.get(conversation_id)
