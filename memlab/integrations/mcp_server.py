"""memlab's memory over the Model Context Protocol: ``memlab mcp --db FILE`` serves it on stdio.

Tools: ``remember`` (store a message), ``recall`` (messages that answer a question), ``context``
(what to put in a session's next prompt, within a token budget), ``stats``, and ``forget`` only
when the server is started with ``--allow-forget`` (an agent should not erase memory unless its
user chose that). Each tool is the Python API call of the same name; a memlab error comes back
as the tool's error, naming the problem. Needs the ``memlab[mcp]`` extra.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Literal, TypeVar

from ..errors import MemlabError

try:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise MemlabError("memlab mcp needs the MCP Python SDK 2.x: pip install 'memlab[mcp]'") from e

INSTRUCTIONS = (
    "Long-term memory in a memlab database. Call `context` before answering to get the session's "
    "recent turns and relevant memories within a token budget; `remember` each turn worth keeping; "
    "`recall` to look something up in plain language."
)

F = TypeVar("F", bound=Callable[..., Any])


def _answering_errors(fn: F) -> F:
    """A memlab error becomes the tool's error with memlab's message (the SDK hides the text of
    any other exception from the client, as a crash)."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MemlabError as e:
            raise ToolError(str(e)) from e

    return call  # type: ignore[return-value]


def build_server(db_path: str | Path, *, allow_forget: bool = False) -> MCPServer:
    """An MCP server whose tools read and write the memlab database at ``db_path``."""
    import memlab

    db = memlab.open(db_path)
    lock = threading.Lock()  # tool calls may run in worker threads; the database has one connection
    server = MCPServer("memlab", instructions=INSTRUCTIONS, version=memlab.__version__)

    @server.tool()
    @_answering_errors
    def remember(
        content: str,
        session_id: str = "mcp",
        role: Literal["user", "assistant", "system", "tool"] = "user",
        conversation_id: str | None = None,
        user_id: str | None = None,
        project_id: str | None = None,
    ) -> dict[str, Any]:
        """Store one message in memory (creating its session and conversation when new); returns
        its id. The conversation defaults to the session's id."""
        conversation = conversation_id or session_id
        with lock, db.transaction():
            db.sessions.create(session_id, user_id=user_id, project_id=project_id, exist_ok=True)
            db.conversations.create(session_id, conversation, exist_ok=True)
            message_id = db.messages.add(conversation, role, content)
        return {"message_id": message_id, "session_id": session_id, "conversation_id": conversation}

    @server.tool()
    @_answering_errors
    def recall(
        question: str,
        user_id: str | None = None,
        session_id: str | None = None,
        project_id: str | None = None,
        limit: int = 5,
        mode: Literal["hybrid", "keyword", "semantic"] = "hybrid",
    ) -> dict[str, Any]:
        """The stored messages that best answer a plain-language question, best first."""
        with lock:
            hits = db.recall(question, user_id=user_id, session_id=session_id, project_id=project_id,
                             limit=limit, mode=mode)
        return {"hits": [{**asdict(h), "signals": list(h.signals)} for h in hits]}

    @server.tool()
    @_answering_errors
    def context(session_id: str, query: str | None = None, budget_tokens: int = 2000) -> dict[str, Any]:
        """What to put in the session's next prompt: recent turns, relevant memories, the user's
        preferences, matching patterns and the handoff it continues, within budget_tokens."""
        with lock:
            ctx = db.context(session_id, query, budget_tokens=budget_tokens)
        return {"text": ctx.render(), **ctx.to_dict()}

    @server.tool()
    @_answering_errors
    def stats() -> dict[str, Any]:
        """Row counts per table, file size and schema version of the memory database."""
        with lock:
            info = db.stats()
        info["path"] = Path(info["path"]).name  # no user paths in answers
        return info

    if allow_forget:
        @server.tool()
        @_answering_errors
        def forget(
            user_id: str | None = None,
            session_id: str | None = None,
            conversation_id: str | None = None,
            message_ids: list[int] | None = None,
            dry_run: bool = False,
        ) -> dict[str, Any]:
            """Delete everything of one user, session, conversation or list of messages from memory
            (give exactly one); returns rows deleted per table. dry_run only counts."""
            with lock:
                rows = db.forget(user_id=user_id, session_id=session_id, conversation_id=conversation_id,
                                 message_ids=message_ids, dry_run=dry_run)
            return {"dry_run": dry_run, "rows": rows}

    return server


def serve(db_path: str | Path, *, allow_forget: bool = False) -> None:
    """Serve memory over stdio until the client closes the connection."""
    build_server(db_path, allow_forget=allow_forget).run("stdio")
