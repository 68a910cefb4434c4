"""Messages: what was said in a conversation; the full-text index follows them by trigger."""

from __future__ import annotations

import math
import sqlite3
from typing import Any, Iterable, Mapping

from . import validation as v
from .errors import NotFoundError, ValidationError
from .records import Records

ROLES = frozenset({"user", "assistant", "system", "tool"})

INSERT = (
    "INSERT INTO messages (conversation_id, role, content, token_count, created_at, metadata)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


def estimate_tokens(content: str) -> int:
    """Approximate tokens as one per 4 characters, rounded up.

    OpenAI's and Anthropic's rule of thumb for English text; exact counts need the model's own
    tokenizer, so pass ``token_count`` when you have it.
    """
    return math.ceil(len(content) / 4)


class Messages(Records):
    json_columns = ("metadata",)

    def _row(self, conversation_id: Any, role: Any, content: Any, token_count: Any, created_at: Any, metadata: Any) -> tuple:
        """Validate one message into the INSERT's parameters."""
        cid = v.identifier("conversation_id", conversation_id)
        if role.__class__ is not str or role not in ROLES:
            v.choice("role", role, ROLES)
        content = v.text("content", content)
        tokens = estimate_tokens(content) if token_count is None else v.count("token_count", token_count)
        if self.store.redactor is not None:
            content = self._redact("content", content)
        return (cid, role, content, tokens, self._when("created_at", created_at), v.json_text("metadata", metadata))

    def row(self, conversation_id: Any, role: Any, content: Any, token_count: Any = None, created_at: Any = None,
            metadata: Any = None) -> tuple:
        """One message checked (and redacted) into the parameters ``insert_rows`` stores: bulk
        loaders validate each line once, where they read it, then insert many at once."""
        return self._row(conversation_id, role, content, token_count, created_at, metadata)

    def insert_rows(self, rows: Iterable[tuple]) -> int:
        """Store rows made by ``row`` (inside the caller's transaction); return how many."""
        try:
            return self.store.conn.executemany(INSERT, rows).rowcount
        except sqlite3.IntegrityError as e:
            raise ValidationError(f"messages rejected: {e}") from None

    def add(
        self,
        conversation_id: str,
        role: str,
        content: str,
        *,
        token_count: int | None = None,
        metadata: Any = None,
        created_at: Any = None,
    ) -> int:
        """Store one message (its own commit unless inside ``db.transaction()``); return its id."""
        row = self._row(conversation_id, role, content, token_count, created_at, metadata)
        try:
            return self.store.conn.execute(INSERT, row).lastrowid
        except sqlite3.IntegrityError as e:
            if "FOREIGN KEY" in str(e):
                raise NotFoundError(f"unknown conversation {row[0]!r}") from None
            raise ValidationError(f"message rejected: {e}") from None

    def add_many(self, messages: Iterable[Mapping[str, Any]]) -> int:
        """Store many messages in one transaction (all or none); return how many.

        Each item is a mapping with conversation_id, role, content and optionally token_count,
        metadata and created_at. Rows stream from the iterable: memory stays flat.
        """
        seen: set[str] = set()

        def make_row(m: Mapping[str, Any]) -> tuple:
            row = self._row(
                m.get("conversation_id"), m.get("role"), m.get("content"),
                m.get("token_count"), m.get("created_at"), m.get("metadata"),
            )
            seen.add(row[0])
            return row

        try:
            return self._insert_many(INSERT, messages, make_row, "message")
        except sqlite3.IntegrityError as e:
            if "FOREIGN KEY" in str(e):
                missing = self._missing_conversations(seen)
                raise NotFoundError(f"unknown conversation {', '.join(map(repr, missing))}") from None
            raise ValidationError(f"messages rejected: {e}") from None

    def _missing_conversations(self, ids: set[str]) -> list[str]:
        return sorted(
            cid for cid in ids
            if self.store.query_one("SELECT 1 AS x FROM conversations WHERE conversation_id = ?", (cid,)) is None
        )

    def get(self, message_id: int) -> dict:
        """The message, or NotFoundError."""
        return self._require("SELECT * FROM messages WHERE id = ?", message_id, "message")

    def list(self, conversation_id: str) -> list[dict]:
        """A conversation's messages, oldest first (NotFoundError for an unknown conversation)."""
        if self.store.query_one("SELECT 1 AS x FROM conversations WHERE conversation_id = ?", (conversation_id,)) is None:
            raise NotFoundError(f"unknown conversation {conversation_id!r}")
        return self._all("SELECT * FROM messages WHERE conversation_id = ? ORDER BY created_at, id", (conversation_id,))

    def recent(
        self,
        *,
        conversation_id: str | None = None,
        session_id: str | None = None,
        limit: int = 10,
        include_summarized: bool = True,
    ) -> list[dict]:
        """The newest ``limit`` messages of a conversation or a whole session, newest first."""
        if (conversation_id is None) == (session_id is None):
            raise ValidationError("give exactly one of conversation_id or session_id")
        limit = v.count("limit", limit)
        summarized = "" if include_summarized else " AND m.is_summarized = 0"
        if conversation_id is not None:
            return self._all(
                f"SELECT m.* FROM messages m WHERE m.conversation_id = ?{summarized}"
                " ORDER BY m.created_at DESC, m.id DESC LIMIT ?",
                (conversation_id, limit),
            )
        return self._all(
            "SELECT m.* FROM conversations c JOIN messages m ON m.conversation_id = c.conversation_id"
            f" WHERE c.session_id = ?{summarized} ORDER BY m.created_at DESC, m.id DESC LIMIT ?",
            (session_id, limit),
        )

    def mark_summarized(self, conversation_id: str, *, before: Any = None, up_to_id: int | None = None) -> int:
        """Flag a conversation's messages as summarized (all, or those before a time / up to an id)."""
        sql = "UPDATE messages SET is_summarized = 1 WHERE conversation_id = ? AND is_summarized = 0"
        params: list[Any] = [conversation_id]
        if before is not None:
            sql += " AND created_at < ?"
            params.append(v.timestamp("before", before))
        if up_to_id is not None:
            sql += " AND id <= ?"
            params.append(v.count("up_to_id", up_to_id))
        with self.store.transaction():
            if self.store.query_one(
                "SELECT 1 AS x FROM conversations WHERE conversation_id = ?", (conversation_id,)
            ) is None:
                raise NotFoundError(f"unknown conversation {conversation_id!r}")
            return self.store.execute(sql, params).rowcount
