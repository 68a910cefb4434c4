"""Agent interactions: one agent working on one task, with outcome, duration and tokens."""

from __future__ import annotations

import sqlite3
from typing import Any

from . import validation as v
from .clock import from_iso
from .errors import NotFoundError, ValidationError
from .records import Records

STATUSES = ("running", "success", "failure", "timeout", "cancelled")
FINAL_STATUSES = STATUSES[1:]

INSERT = (
    "INSERT INTO agent_interactions (session_id, conversation_id, agent_name, task, status,"
    " started_at, completed_at, duration_ms, input_tokens, output_tokens, error, metadata)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _elapsed_ms(started_at: str, completed_at: str) -> float:
    return (from_iso(completed_at) - from_iso(started_at)).total_seconds() * 1000


class Interactions(Records):
    json_columns = ("metadata",)

    def record(
        self,
        session_id: str,
        agent_name: str,
        *,
        task: str | None = None,
        status: str = "success",
        duration_ms: float | None = None,
        input_tokens: int = 0,
        output_tokens: int = 0,
        error: str | None = None,
        conversation_id: str | None = None,
        metadata: Any = None,
        started_at: Any = None,
        completed_at: Any = None,
    ) -> int:
        """Record a finished interaction; duration comes from the times when not given."""
        status = v.choice("status", status, FINAL_STATUSES)
        end = self._when("completed_at", completed_at)
        start = end if started_at is None else v.timestamp("started_at", started_at)
        if duration_ms is None and started_at is not None:
            duration_ms = _elapsed_ms(start, end)
        if duration_ms is not None and duration_ms < 0:
            raise ValidationError("completed_at is before started_at")
        return self._insert((
            v.identifier("session_id", session_id),
            v.optional_identifier("conversation_id", conversation_id),
            v.identifier("agent_name", agent_name),
            self._redact("task", v.optional_text("task", task)),
            status,
            start,
            end,
            v.optional_non_negative("duration_ms", duration_ms),
            v.count("input_tokens", input_tokens),
            v.count("output_tokens", output_tokens),
            self._redact("error", v.optional_text("error", error)),
            v.json_text("metadata", metadata),
        ))

    def start(
        self,
        session_id: str,
        agent_name: str,
        *,
        task: str | None = None,
        conversation_id: str | None = None,
        metadata: Any = None,
    ) -> int:
        """Record that an agent started working; ``finish()`` it later. Returns its id."""
        return self._insert((
            v.identifier("session_id", session_id),
            v.optional_identifier("conversation_id", conversation_id),
            v.identifier("agent_name", agent_name),
            self._redact("task", v.optional_text("task", task)),
            "running",
            self._now(),
            None,
            None,
            0,
            0,
            None,
            v.json_text("metadata", metadata),
        ))

    def finish(
        self,
        interaction_id: int,
        *,
        status: str = "success",
        input_tokens: int = 0,
        output_tokens: int = 0,
        error: str | None = None,
    ) -> dict:
        """Close a running interaction: duration is measured from its start by the clock."""
        status = v.choice("status", status, FINAL_STATUSES)
        params = (v.count("input_tokens", input_tokens), v.count("output_tokens", output_tokens),
                  self._redact("error", v.optional_text("error", error)))
        with self.store.transaction():
            row = self.get(interaction_id)
            if row["status"] != "running":
                raise ValidationError(f"interaction {interaction_id} already finished ({row['status']})")
            end = self._now()
            self.store.execute(
                "UPDATE agent_interactions SET status = ?, completed_at = ?, duration_ms = ?,"
                " input_tokens = ?, output_tokens = ?, error = ? WHERE id = ?",
                (status, end, max(0.0, _elapsed_ms(row["started_at"], end)), *params, interaction_id),
            )
        return self.get(interaction_id)

    def get(self, interaction_id: int) -> dict:
        return self._require("SELECT * FROM agent_interactions WHERE id = ?", interaction_id, "agent interaction")

    def list(self, session_id: str, *, limit: int | None = None) -> list[dict]:
        """A session's interactions, newest first."""
        sql = "SELECT * FROM agent_interactions WHERE session_id = ? ORDER BY started_at DESC, id DESC"
        params: list[Any] = [session_id]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(v.count("limit", limit))
        return self._all(sql, params)

    def _insert(self, row: tuple) -> int:
        try:
            return self.store.execute(INSERT, row).lastrowid
        except sqlite3.IntegrityError as e:
            raise _missing_parent(e, row[0], row[1]) from None


def _missing_parent(error: sqlite3.IntegrityError, session_id: str, conversation_id: str | None) -> Exception:
    """Name the missing parent behind a foreign-key failure."""
    if "FOREIGN KEY" not in str(error):
        return ValidationError(str(error))
    if conversation_id is not None:
        return NotFoundError(f"unknown session {session_id!r} or conversation {conversation_id!r}")
    return NotFoundError(f"unknown session {session_id!r}")
