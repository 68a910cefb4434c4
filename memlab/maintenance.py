"""Retention: archive idle sessions and purge old summarized messages (the seed's cleanup jobs)."""

from __future__ import annotations

import datetime as dt

from . import validation as v
from .clock import to_iso
from .errors import ValidationError
from .records import Records

# A session is idle when neither its heartbeat nor any of its messages is newer than the cutoff:
# adding a message does not touch the session row (that would cost every insert an UPDATE).
_IDLE = """
FROM sessions s
WHERE s.status IN ('active', 'paused')
  AND s.last_active_at < :cutoff
  AND NOT EXISTS (
      SELECT 1 FROM conversations c JOIN messages m ON m.conversation_id = c.conversation_id
      WHERE c.session_id = s.session_id AND m.created_at >= :cutoff)
"""

_OLD_SUMMARIZED = "FROM messages WHERE is_summarized = 1 AND created_at < :cutoff"


class Maintenance(Records):
    def _cutoff(self, days: float) -> str:
        days = v.non_negative("days", days)
        try:
            return to_iso(self.store.clock() - dt.timedelta(days=days))
        except OverflowError:
            raise ValidationError(f"days is too large: {days:g}") from None

    def archive_inactive(self, days: float = 30, *, dry_run: bool = False) -> int:
        """Archive active or paused sessions idle for ``days``; return how many (would be) archived."""
        params = {"cutoff": self._cutoff(days)}
        if dry_run:
            return self.store.query_one(f"SELECT COUNT(*) AS n {_IDLE}", params)["n"]
        with self.store.transaction():
            return self.store.execute(
                f"UPDATE sessions SET status = 'archived' WHERE session_id IN (SELECT s.session_id {_IDLE})",
                params,
            ).rowcount

    def purge_summarized(self, days: float = 7, *, dry_run: bool = False) -> int:
        """Delete summarized messages older than ``days``; return how many (would be) deleted."""
        params = {"cutoff": self._cutoff(days)}
        if dry_run:
            return self.store.query_one(f"SELECT COUNT(*) AS n {_OLD_SUMMARIZED}", params)["n"]
        with self.store.transaction():
            return self.store.execute(f"DELETE {_OLD_SUMMARIZED}", params).rowcount
