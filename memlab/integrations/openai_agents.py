"""``MemlabSession``: the OpenAI Agents SDK's ``Session`` protocol, stored as memlab messages.

    from agents import Agent, Runner
    from memlab.integrations.openai_agents import MemlabSession

    session = MemlabSession("chat-42", "memlab.db", user_id="ana")
    result = await Runner.run(agent, "Hi", session=session)
    session.record_usage(result, model="gpt-4o")   # the run's tokens and cost

Each SDK item becomes one message of the session's conversation: its role (``developer`` is
stored as ``system``, a tool's output as ``tool``, other items as ``assistant``), its text as
content (searchable, recallable, counted), and the item itself in the message's metadata, with
tool calls as ``tool_call`` (name, call id, arguments), so ``get_items`` returns exactly what was
added. Needs the ``memlab[agents]`` extra.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import weakref
from typing import TYPE_CHECKING, Any

from ..errors import MemlabError, ValidationError

try:
    from agents.memory.session import SessionABC
    from agents.memory.session_settings import SessionSettings, resolve_session_limit
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise MemlabError("MemlabSession needs the OpenAI Agents SDK: pip install 'memlab[agents]'") from e

if TYPE_CHECKING:
    from ..database import Database

# One lock per open database: the sessions sharing it run their calls in worker threads.
_LOCKS: "weakref.WeakKeyDictionary[Database, threading.RLock]" = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()

_SELECT = "SELECT id, role, content, metadata FROM messages WHERE conversation_id = ?"


def _lock_for(db: "Database") -> threading.RLock:
    with _LOCKS_GUARD:
        lock = _LOCKS.get(db)
        if lock is None:
            lock = _LOCKS[db] = threading.RLock()
        return lock


def item_role(item: dict) -> str:
    """The memlab role of an SDK item."""
    role = item.get("role")
    if role in ("user", "assistant", "system"):
        return role
    if role == "developer":
        return "system"
    if str(item.get("type", "")).endswith("_output"):  # function_call_output, computer_call_output, ...
        return "tool"
    return "assistant"


def _parts_text(parts: Any) -> str:
    if isinstance(parts, str):
        return parts
    if not isinstance(parts, list):
        return ""
    texts = []
    for part in parts:
        if isinstance(part, dict):
            text = part.get("text") or part.get("refusal") or part.get("transcript")
            if isinstance(text, str):
                texts.append(text)
    return "\n".join(texts)


def item_text(item: dict) -> str:
    """The searchable text of an SDK item: a message's text, a tool call as ``name(arguments)``,
    a tool's output, a reasoning summary."""
    kind = item.get("type")
    if kind == "function_call":
        return f"{item.get('name', '')}({item.get('arguments', '')})"
    if "output" in item and kind != "message":
        output = item["output"]
        return output if isinstance(output, str) else _parts_text(output) or json.dumps(output, ensure_ascii=False)
    if "content" in item:
        return _parts_text(item["content"])
    if kind == "reasoning":
        return _parts_text(item.get("summary"))
    return ""


def item_metadata(item: dict) -> dict:
    """What a message keeps of its SDK item: the item, and a tool call's name, id and arguments."""
    meta: dict[str, Any] = {"agents_item": item}
    if item.get("type") == "function_call":
        meta["tool_call"] = {"name": item.get("name"), "call_id": item.get("call_id"),
                             "arguments": item.get("arguments")}
    elif item.get("call_id") is not None:
        meta["tool_call_id"] = item.get("call_id")
    return meta


def _item_of(row: tuple) -> dict | None:
    """The SDK item a message holds; a message written by other memlab code reads as a plain
    ``{"role", "content"}`` item (a tool's message, which has no call id, is skipped)."""
    _, role, content, metadata = row
    if metadata:
        try:
            item = json.loads(metadata).get("agents_item")
        except (ValueError, AttributeError):
            item = None
        if isinstance(item, dict):
            return item
    if role == "tool":
        return None
    return {"role": role, "content": content}


class MemlabSession(SessionABC):
    """The Agents SDK's session memory in a memlab database: one memlab session and one
    conversation (``conversation_id``, by default the session's id) per SDK session.

    ``db`` is a path (opened here, closed by ``close()``) or an open ``memlab.Database`` (shared:
    sessions on one database take turns through a lock).
    """

    session_settings: SessionSettings | None = None

    def __init__(
        self,
        session_id: str,
        db: "str | os.PathLike[str] | Database" = "memlab.db",
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        conversation_id: str | None = None,
        session_settings: SessionSettings | None = None,
    ) -> None:
        import memlab
        from ..database import Database

        self.session_id = session_id
        self.session_settings = session_settings or SessionSettings()
        self._owns_db = not isinstance(db, Database)
        self.db: Database = memlab.open(db) if self._owns_db else db
        self._lock = _lock_for(self.db)
        self.conversation_id = conversation_id or session_id
        try:
            with self._lock, self.db.transaction():
                self.db.sessions.create(session_id, user_id=user_id, project_id=project_id, exist_ok=True)
                conversation = self.db.conversations.create(session_id, self.conversation_id, exist_ok=True)
                if conversation["session_id"] != session_id:
                    raise ValidationError(
                        f"conversation {self.conversation_id!r} belongs to another session"
                        f" ({conversation['session_id']!r})")
        except BaseException:
            self.close()
            raise

    # -- the Session protocol -----------------------------------------------------------------

    async def get_items(self, limit: int | None = None) -> list[dict]:
        """The history, oldest first: all of it, or the latest ``limit`` items."""
        wanted = resolve_session_limit(limit, self.session_settings)
        return await asyncio.to_thread(self._get_items, wanted)

    async def add_items(self, items: list[dict]) -> None:
        """Append items to the history (one transaction)."""
        await asyncio.to_thread(self._add_items, list(items))

    async def pop_item(self) -> dict | None:
        """Remove and return the newest item; None when the history is empty."""
        return await asyncio.to_thread(self._pop_item)

    async def clear_session(self) -> None:
        """Forget every item of this session's conversation (from the search index too)."""
        await asyncio.to_thread(self._clear)

    # -- beyond the protocol ------------------------------------------------------------------

    def record_usage(self, result: Any, *, model: str, agent_name: str | None = None) -> int | None:
        """Record a run's token usage (``result.context_wrapper.usage``) as one cost row of this
        session, priced from memlab's price table; returns its id (None when the run used none)."""
        usage = result.context_wrapper.usage
        if not (usage.input_tokens or usage.output_tokens):
            return None
        details = getattr(usage, "input_tokens_details", None)
        cached = getattr(details, "cached_tokens", 0) or 0
        with self._lock:
            return self.db.costs.record(
                self.session_id, model, input_tokens=usage.input_tokens - cached,
                output_tokens=usage.output_tokens, cache_read_tokens=cached,
                metadata={"requests": usage.requests, "agent": agent_name or getattr(result.last_agent, "name", None)},
            )

    def close(self) -> None:
        """Close the database if this session opened it."""
        if self._owns_db and getattr(self, "db", None) is not None:
            self.db.close()

    # -- the work, in a worker thread ---------------------------------------------------------

    def _rows(self, limit: int | None) -> list[tuple]:
        if limit is None or limit < 0:  # SQLite's LIMIT -1: everything, as SQLiteSession
            return self.db.execute(_SELECT + " ORDER BY id", (self.conversation_id,)).fetchall()
        rows = self.db.execute(_SELECT + " ORDER BY id DESC LIMIT ?", (self.conversation_id, limit)).fetchall()
        return rows[::-1]

    def _get_items(self, limit: int | None) -> list[dict]:
        if limit == 0:
            return []
        with self._lock:
            window = limit
            while True:
                rows = self._rows(window)
                items = [item for item in map(_item_of, rows) if item is not None]
                if window is None or window < 0 or len(items) >= limit or len(rows) < window:
                    return items if window is None or window < 0 else items[-limit:]
                window *= 2  # messages that hold no item sat among the newest: read further back

    def _add_items(self, items: list[dict]) -> None:
        from ..tokens import default

        count = default()
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise ValidationError(f"item {index} must be a dict, not {type(item).__name__}")
        with self._lock:
            rows = [self._message(item, count) for item in items]
            if rows:
                self.db.messages.add_many(rows)
            self.db.sessions.touch(self.session_id)

    def _message(self, item: dict, count) -> dict:
        redact = self.db.redactor
        if redact is not None:  # the item in metadata would keep what the content redacts
            try:
                item = json.loads(redact(json.dumps(item, ensure_ascii=False)))
            except ValueError:
                item = {"role": item_role(item), "content": redact(item_text(item))}
        text = item_text(item)
        return {"conversation_id": self.conversation_id, "role": item_role(item), "content": text,
                "token_count": count(text), "metadata": item_metadata(item)}

    def _pop_item(self) -> dict | None:
        with self._lock, self.db.transaction():
            while True:
                row = self.db.execute(_SELECT + " ORDER BY id DESC LIMIT 1", (self.conversation_id,)).fetchone()
                if row is None:
                    return None
                self.db.forget(message_ids=[row[0]], archives=False)
                item = _item_of(row)
                if item is not None:
                    return item

    def _clear(self) -> None:
        with self._lock, self.db.transaction():
            ids = [r[0] for r in self.db.execute("SELECT id FROM messages WHERE conversation_id = ?",
                                                 (self.conversation_id,))]
            if ids:
                self.db.forget(message_ids=ids, archives=False)
