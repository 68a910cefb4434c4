"""Routing decisions: which agent a router picked for a request, from which candidates, and how it went."""

from __future__ import annotations

import sqlite3
from typing import Any, Mapping, Sequence

from . import validation as v
from .errors import ValidationError
from .interactions import _missing_parent
from .records import Records

OUTCOMES = ("success", "failure", "partial")


def normalise_candidates(candidates: Mapping[str, float] | Sequence[Mapping[str, Any]] | None) -> list[dict] | None:
    """Candidates as ``[{"agent": name, "score": s}, ...]``, best first.

    Accepts ``{"developer": 0.8, "qa": 0.3}`` or a list of dicts with ``agent`` and ``score``.
    """
    if candidates is None:
        return None
    if isinstance(candidates, Mapping):
        items = [{"agent": a, "score": s} for a, s in candidates.items()]
    else:
        try:
            items = [dict(c) for c in candidates]
        except (TypeError, ValueError):
            raise ValidationError("candidates must be a mapping of agent to score or a list of"
                                  " {'agent': ..., 'score': ...} mappings") from None
    for item in items:
        if not isinstance(item.get("agent"), str) or not item["agent"]:
            raise ValidationError("every candidate needs an agent name")
        item["score"] = v.number(f"score of candidate {item['agent']!r}", item.get("score"))
    return sorted(items, key=lambda c: -c["score"])


class Routing(Records):
    json_columns = ("candidates",)

    def record(
        self,
        session_id: str,
        request: str,
        selected_agent: str,
        *,
        confidence: float | None = None,
        candidates: Mapping[str, float] | Sequence[Mapping[str, Any]] | None = None,
        reasoning: str | None = None,
        conversation_id: str | None = None,
        created_at: Any = None,
    ) -> int:
        """Record a routing decision; returns its id."""
        row = (
            v.identifier("session_id", session_id),
            v.optional_identifier("conversation_id", conversation_id),
            self._redact("request", v.text("request", request)),
            v.identifier("selected_agent", selected_agent),
            v.optional_probability("confidence", confidence),
            v.json_text("candidates", normalise_candidates(candidates)),
            self._redact("reasoning", v.optional_text("reasoning", reasoning)),
            self._when("created_at", created_at),
        )
        try:
            return self.store.execute(
                "INSERT INTO routing_decisions (session_id, conversation_id, request, selected_agent,"
                " confidence, candidates, reasoning, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            ).lastrowid
        except sqlite3.IntegrityError as e:
            raise _missing_parent(e, row[0], row[1]) from None

    def set_outcome(self, decision_id: int, outcome: str) -> dict:
        """Record how the routed work went: success, failure or partial."""
        cursor = self.store.execute(
            "UPDATE routing_decisions SET outcome = ? WHERE id = ?",
            (v.choice("outcome", outcome, OUTCOMES), decision_id),
        )
        self._changed(cursor, decision_id, "routing decision")
        return self.get(decision_id)

    def get(self, decision_id: int) -> dict:
        return self._require("SELECT * FROM routing_decisions WHERE id = ?", decision_id, "routing decision")
