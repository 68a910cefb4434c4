"""Forget: delete everything memlab holds of a user, session, conversation or set of messages.

One transaction deletes the rows of every table in the scope, children first, so each table's
count is what was deleted from it (not hidden in a cascade). FTS5's triggers take the text out of
the full-text index; the search index's own triggers record the deleted messages, and the index
is refreshed before the transaction ends, so no copy of the text is left waiting in it. Vectors
and other tables that reference messages follow by their foreign keys. ``memlab vacuum``
afterwards gives the freed pages back to the file system. Archive files beside the live one
(``memlab maintain --archive-*``) are forgotten in the same way, each in its own transaction.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable

from . import validation as v
from .errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from .store import Store

SCOPES = ("user_id", "session_id", "conversation_id", "message_ids")

# The sessions in a user's or one session's scope.
_SESSIONS = {
    "user_id": "SELECT session_id FROM sessions WHERE user_id = :key",
    "session_id": "SELECT session_id FROM sessions WHERE session_id = :key",
}

# Each table's rows in a session scope ({sessions}: one of _SESSIONS), children before parents.
_IN_SESSIONS = (
    ("memory_metrics", "session_id IN ({sessions})"),
    ("cost_tracking", "session_id IN ({sessions})"),
    ("routing_decisions", "session_id IN ({sessions})"),
    ("agent_interactions", "session_id IN ({sessions})"),
    ("session_handoffs", "from_session_id IN ({sessions}) OR to_session_id IN ({sessions})"),
    ("messages", "conversation_id IN (SELECT conversation_id FROM conversations WHERE session_id IN ({sessions}))"),
    ("conversations", "session_id IN ({sessions})"),
    ("sessions", "session_id IN ({sessions})"),
)

# A conversation's rows: its messages, and the agent work and routing done in it (with the
# cost records of that work).
_IN_CONVERSATION = (
    ("cost_tracking", "agent_interaction_id IN (SELECT id FROM agent_interactions WHERE conversation_id = :key)"),
    ("routing_decisions", "conversation_id = :key"),
    ("agent_interactions", "conversation_id = :key"),
    ("messages", "conversation_id = :key"),
    ("conversations", "conversation_id = :key"),
)

_MESSAGES = (("messages", "id IN (SELECT value FROM json_each(:key))"),)


def _plan(scope: str, key: Any) -> tuple[tuple[str, str], ...]:
    """(table, WHERE condition) pairs for a scope, in the order they are deleted."""
    if scope in _SESSIONS:
        conditions = tuple((t, c.format(sessions=_SESSIONS[scope])) for t, c in _IN_SESSIONS)
        if scope == "user_id":
            conditions += (("user_preferences", "user_id = :key"),)
        return conditions
    if scope == "conversation_id":
        return _IN_CONVERSATION
    return _MESSAGES


def _scope(given: dict[str, Any]) -> tuple[str, Any]:
    """The one scope given, validated: (name, SQL parameter)."""
    named = [name for name in SCOPES if given[name] is not None]
    if not named:
        raise ValidationError("forget needs a scope: user_id, session_id, conversation_id or message_ids")
    if len(named) > 1:
        raise ValidationError(f"give one scope to forget, not {' and '.join(named)}")
    scope = named[0]
    if scope != "message_ids":
        return scope, v.identifier(scope, given[scope])
    ids = given[scope]
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise ValidationError("message_ids must be a list of message ids")
    ids = sorted({v.count("message id", i) for i in ids})
    if not ids:
        raise ValidationError("message_ids is empty: name at least one message to forget")
    return scope, ids


def forget(
    store: "Store",
    *,
    user_id: str | None = None,
    session_id: str | None = None,
    conversation_id: str | None = None,
    message_ids: Iterable[int] | None = None,
    dry_run: bool = False,
    archives: bool = True,
) -> dict[str, int]:
    """Delete everything of one scope from every table and index; return the rows deleted per
    table (with ``dry_run``, the rows that would be, and nothing changes).

    The live file is one transaction; with ``archives`` (the default) each per-month archive
    file beside it (``memlab.archive``) is then done the same way, its own transaction, and the
    counts are the sums (``message_ids`` name the live file's messages only). A scope that names
    nothing stored raises NotFoundError; so does a message id that isn't stored (then nothing is
    deleted). Interrupted between files, running it again finishes the job.
    """
    scope, key = _scope(
        {"user_id": user_id, "session_id": session_id, "conversation_id": conversation_id,
         "message_ids": message_ids}
    )
    params = {"key": json.dumps(key) if scope == "message_ids" else key}
    plan = _plan(scope, key)
    # Message ids are the live file's own (an archive's ids can repeat them): only named scopes
    # reach the archives.
    files = _archive_files(store) if archives and scope != "message_ids" else []
    counts = _counts(store, plan, params)  # a read: no write lock
    for path in files:
        with _open(path) as archive:
            counts = {t: n + m for (t, n), m in zip(counts.items(), _counts(archive, plan, params).values())}
    _require_found(scope, key, counts)
    if dry_run:
        return counts
    deleted = _delete(store, plan, params)
    for path in files:
        with _open(path) as archive:
            deleted = {t: n + m for (t, n), m in zip(deleted.items(), _delete(archive, plan, params).values())}
    return deleted


def _delete(store: "Store", plan: tuple[tuple[str, str], ...], params: dict[str, Any]) -> dict[str, int]:
    """Count and delete the plan's rows, children first, and refresh the search index, in one
    transaction; return the counts."""
    with store.transaction():
        counts = _counts(store, plan, params)
        for table, condition in plan:
            store.execute(f"DELETE FROM {table} WHERE {condition}", params)
        _refresh_search_index(store)
    return counts


def _archive_files(store: "Store") -> list:
    from .archive import archive_files

    return list(archive_files(store).values())


def _open(path):
    import memlab

    return memlab.open(path)


def _counts(store: "Store", plan: tuple[tuple[str, str], ...], params: dict[str, Any]) -> dict[str, int]:
    # Table names come from the fixed plans above, never from the caller.
    return {
        table: store.execute(f"SELECT count(*) FROM {table} WHERE {condition}", params).fetchone()[0]
        for table, condition in plan
    }


def _require_found(scope: str, key: Any, counts: dict[str, int]) -> None:
    if scope == "message_ids":
        if counts["messages"] < len(key):
            raise NotFoundError(f"{len(key) - counts['messages']} of the {len(key)} message ids are not stored")
        return
    if not any(counts.values()):
        noun = {"user_id": "user", "session_id": "session", "conversation_id": "conversation"}[scope]
        raise NotFoundError(f"unknown {noun} {key!r}: nothing to forget")


def _refresh_search_index(store: "Store") -> None:
    """Take the deleted messages out of the search index now, inside the forget's transaction:
    until a refresh the index keeps their text in its record of removals."""
    from .search import index  # the search engine's side index (memlab.search.index)

    index.refresh(store.conn)
