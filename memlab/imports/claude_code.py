"""Import Claude Code's session transcripts (``~/.claude/projects/<project>/<sessionId>.jsonl``).

One memlab session per ``sessionId``; one conversation for the main thread and one per subagent
(sidechain lines inline in older versions, ``<sessionId>/subagents/agent-<id>.jsonl`` files in
newer ones); one message per line, tool calls and results written out as text so full-text
search finds them; one agent interaction per ``Task``/``Agent`` tool call; one cost row per API
call. Claude Code writes a line per content block and repeats the call's usage on each, so calls
are keyed on (``message.id``, ``requestId``): counting lines would overcount them 4-6x.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from .. import validation as v
from ..errors import NotFoundError, ValidationError
from ..prices import current
from .ledger import Ledger, Source, parsed_lines, relative_files
from ..progress import bar as progress_bar
from .report import ImportReport

if TYPE_CHECKING:
    from ..database import Database

IMPORTER = "claude-code"
DEFAULT_ROOT = "~/.claude/projects"
AGENT_TOOLS = frozenset({"Task", "Agent"})  # the tool that runs a subagent ("Agent" since 2.1)
SYNTHETIC_MODEL = "<synthetic>"  # messages Claude Code makes up itself: no API call, no cost
MESSAGE_TYPES = frozenset({"user", "assistant", "system"})
BATCH = 10_000  # lines per transaction, over as many files as it takes

# Older Task results carry their figures only as text.
_RESULT_FIGURES = {
    "duration_ms": re.compile(r"\bduration_ms:\s*(\d+)"),
    "total_tokens": re.compile(r"\b(?:subagent_tokens|total_tokens):\s*(\d+)"),
    "tool_uses": re.compile(r"\btool_uses:\s*(\d+)"),
    "agent_id": re.compile(r"\bagentId:\s*([\w-]+)"),
}
_FAILED = frozenset({"failed", "error"})
_CANCELLED = frozenset({"interrupted", "cancelled", "canceled", "killed"})


def import_claude_code(
    db: "Database", path: str | Path | None = None, *, progress: bool | None = None
) -> ImportReport:
    """Import every transcript under ``path`` (default ``~/.claude/projects``; a single file works).

    Incremental and idempotent: a re-run reads only lines added since the last one and skips
    anything already stored. Malformed lines are reported (file and line) and skipped.
    """
    root = Path(path if path is not None else DEFAULT_ROOT).expanduser()
    if not root.exists():
        raise NotFoundError(f"no Claude Code transcripts at {str(path if path is not None else DEFAULT_ROOT)!r}")
    files = list(relative_files(root, "*.jsonl"))
    run = _Run(db)
    run.report.files = len(files)
    bar = progress_bar(total=len(files), desc=IMPORTER, unit="file", progress=progress)
    try:
        for rel, file in files:
            run.import_file(rel, file)
            bar.update(1)
            bar.set_postfix(lines=run.report.lines, refresh=False)
        run.flush()
        run.finish()
    finally:
        bar.close()
    return run.report


def render(content: Any, tool_names: dict[str, str] | None = None) -> str:
    """Message content (a string or a list of content blocks) as readable, searchable text."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return "" if content is None else json.dumps(content, ensure_ascii=False)
    parts = []
    for block in content:
        if not isinstance(block, dict):
            parts.append(str(block))
            continue
        kind = block.get("type")
        if kind == "text":
            parts.append(block.get("text") or "")
        elif kind == "thinking":
            parts.append(f"[thinking] {block.get('thinking') or ''}")
        elif kind == "tool_use":
            arguments = json.dumps(block.get("input"), ensure_ascii=False)
            parts.append(f"[tool call {block.get('name')}] {arguments}")
        elif kind == "tool_result":
            name = (tool_names or {}).get(block.get("tool_use_id"), "")
            error = " (error)" if block.get("is_error") else ""
            parts.append(f"[tool result{' ' + name if name else ''}{error}] {render(block.get('content'), tool_names)}")
        else:
            parts.append(f"[{kind}]")  # image, document, redacted_thinking: no text to keep
    return "\n".join(p for p in parts if p)


@dataclass
class _File:
    """What the file's place tells about its lines."""

    rel: str
    project_folder: str
    subagent_agent: str | None  # the agent id of a subagents/agent-<id>.jsonl file
    session_of_file: str  # the file name's session id (main files)


@dataclass
class _Batch:
    """Rows gathered from one file's new lines, written in one transaction."""

    sessions: dict[str, dict] = field(default_factory=dict)
    conversations: dict[str, dict] = field(default_factory=dict)
    agent_links: dict[str, str] = field(default_factory=dict)  # conversation -> agent id learned later
    messages: list[tuple] = field(default_factory=list)  # rows made by db.messages.row, checked as read
    message_keys: list[tuple[str, str]] = field(default_factory=list)
    calls: dict[tuple[str, str], dict] = field(default_factory=dict)
    tasks: dict[str, dict] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # main conversation -> summary line
    positions: list[tuple[Source, Any]] = field(default_factory=list)  # files read into this batch


class _Run:
    """One import run: the state that spans files (sidechain threads, subagent calls)."""

    def __init__(self, db: "Database") -> None:
        self.db = db
        self.ledger = Ledger(db, IMPORTER)
        self.report = ImportReport(IMPORTER)
        self.uuids: dict[str, str] = {}  # message uuid -> conversation, this run
        self.agent_conversation: dict[tuple[str, str], str] = {}
        self.conversation_agent: dict[str, str | None] = {}
        self.last_sidechain: dict[str, str] = {}
        self.tool_names: dict[str, str] = {}
        self.tasks: dict[str, dict] = {}
        self.results: list[dict] = []
        self.synthetic_seen: set[str] = set()
        self.sessions: set[str] = set()
        self.stored: set[str] = set()  # ledger keys of the current file's message ids already stored
        # Whether an earlier run stored any message: when none did (a first import), a line is
        # stored only if this run saw it (self.uuids), and no lookup is needed.
        self.earlier_messages = bool(self.ledger.with_prefix("message:", limit=1))
        # The Task/Agent calls of earlier runs (a few per session): a tool result is checked
        # against this set, not by a query per result.
        self.earlier_tasks = {key.removeprefix("task:") for key in self.ledger.with_prefix("task:")}
        self.batch = _Batch()
        self.pending = 0  # lines read into the batch

    # -- files ---------------------------------------------------------------------------------

    def import_file(self, rel: str, file: Path) -> None:
        """Read a file's new lines into the batch; the batch is written once it holds BATCH lines."""
        source = Source.of(file, rel)
        parsed = parsed_lines(self.ledger, source, self.report)
        if parsed is None:
            return
        lines, end = parsed
        where = self._describe(rel, file)
        batch = self.batch
        # One query for the file's message ids already stored, not one per line.
        if self.earlier_messages:
            self.stored = self.ledger.known(f"message:{line['uuid']}" for _, line, _ in lines
                                            if isinstance(line.get("uuid"), str))
        for number, line, text in lines:
            try:
                self._line(where, number, line, batch, source, text)
            except (ValidationError, TypeError, ValueError, AttributeError) as e:
                self.report.bad(rel, number, str(e) or type(e).__name__)
        batch.positions.append((source, end))
        self.pending += len(lines)
        if self.pending >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the batch (the lines of one or more files) and their read positions in one
        transaction: FTS5 writes its pending terms at each commit or savepoint, so a transaction
        per small session file made the index slow to build."""
        batch, self.batch, self.pending = self.batch, _Batch(), 0
        if not batch.positions:
            return
        try:
            with self.db.transaction():
                self._write(batch)
                for source, end in batch.positions:
                    self.ledger.save_position(source, end)
        except ValidationError as e:
            for source, _ in batch.positions:
                self.report.bad(source.name, None, f"not imported (read again next run): {e}")

    def _describe(self, rel: str, file: Path) -> _File:
        in_subagents = file.parent.name == "subagents"
        if in_subagents:
            agent = file.stem.removeprefix("agent-")
            project = file.parents[2].name if len(file.parents) > 2 else ""
            return _File(rel, project, agent, file.parents[1].name)
        return _File(rel, file.parent.name, None, file.stem)

    # -- lines ---------------------------------------------------------------------------------

    def _line(self, where: _File, number: int, line: dict, batch: _Batch, source: Source, text: str) -> None:
        get = line.get
        kind = get("type")
        if kind == "summary":
            if isinstance(get("summary"), str):
                batch.titles[f"{where.session_of_file}/main"] = line["summary"]
            return
        if kind not in MESSAGE_TYPES:
            self.report.skipped[f"{kind or 'untyped'} lines"] += 1
            return
        sid = get("sessionId")
        if sid.__class__ is not str or sid not in self.sessions:  # a session stored this run was checked then
            sid = v.identifier("sessionId", sid)
        when = v.timestamp("timestamp", get("timestamp"))
        uuid = get("uuid")
        if isinstance(uuid, str):
            key = f"message:{uuid}"
            stored = key in self.stored
        else:
            uuid = source.line_key(number, text)
            key = f"message:{uuid}"
            stored = self.earlier_messages and self.ledger.get(key) is not None
        if stored or uuid in self.uuids:
            self.report.duplicates["messages"] += 1
            return
        message = get("message")
        if not isinstance(message, dict):
            message = {}
        content = message.get("content")
        blocks = content if isinstance(content, list) else ()
        role, content = self._content(kind, line, content)
        conversation, agent = self._conversation(where, sid, line, uuid, batch)
        row = None
        if content.strip():
            row = self.db.messages.row(conversation, role, content, None, when, _compact({
                "uuid": uuid, "parent_uuid": get("parentUuid"), "type": kind,
                "model": message.get("model"), "message_id": message.get("id"),
                "request_id": get("requestId"), "agent_id": agent,
                "is_meta": get("isMeta") or None,
            }))

        # Everything below only adds to the batch: a line that failed above left it untouched.
        self._session(batch, sid, when, line, where)
        if conversation not in batch.conversations:
            batch.conversations[conversation] = {
                "session_id": sid, "created_at": when,
                "metadata": {"source": IMPORTER, "thread": _thread(conversation, agent),
                             "agent_id": agent, "file": where.rel},
            }
        self.uuids[uuid] = conversation
        batch.message_keys.append((key, conversation))
        if row is not None:
            batch.messages.append(row)
        else:
            self.report.skipped["empty messages"] += 1
        if kind == "assistant":
            self._call(sid, conversation, when, line, message, batch)
        for block in blocks:
            if block.__class__ is not dict:
                continue
            block_type = block.get("type")
            if block_type == "tool_use":
                if block.get("name") in AGENT_TOOLS and block.get("id"):
                    self._task(sid, when, conversation, block, batch)
            elif block_type == "tool_result" and block.get("tool_use_id"):
                self._result(where, number, sid, when, line, block)

    def _task(self, sid: str, when: str, conversation: str, block: dict, batch: _Batch) -> None:
        """Note a Task/Agent tool call: its result, later, becomes an agent interaction."""
        arguments = block.get("input") if isinstance(block.get("input"), dict) else {}
        task = {
            "session_id": sid, "started_at": when, "tool": block["name"],
            "agent_name": arguments.get("subagent_type") or "general-purpose",
            "task": self._redacted(arguments.get("description") or arguments.get("prompt")),
            "prompt": self._redacted(arguments.get("prompt")),
            "parent_conversation": conversation,
        }
        batch.tasks[block["id"]] = task
        self.tasks[block["id"]] = task

    def _redacted(self, text: Any) -> str | None:
        """Free text kept in the import state passes the database's redactor like stored text."""
        if not isinstance(text, str):
            return None
        redact = self.db.redactor
        return v.text("task", redact(text)) if redact is not None else text

    def _content(self, kind: str, line: dict, content: Any) -> tuple[str, str]:
        """The message's role and its text (checked, and redacted, by ``db.messages.row``)."""
        if kind == "system":
            return "system", render(line.get("content"))
        only_results = content.__class__ is list and len(content) > 0
        if only_results:
            tool_names = self.tool_names
            for block in content:
                if block.__class__ is not dict:
                    only_results = False
                    continue
                block_type = block.get("type")
                if block_type == "tool_result":
                    continue
                only_results = False
                if block_type == "tool_use" and block.get("id"):
                    tool_names[block["id"]] = str(block.get("name"))
        text = render(content, self.tool_names)
        if kind == "assistant":
            return "assistant", text
        return ("tool" if only_results else "user"), text

    def _session(self, batch: _Batch, sid: str, when: str, line: dict, where: _File) -> None:
        self.sessions.add(sid)
        seen = batch.sessions.get(sid)
        if seen is None:
            cwd = line.get("cwd") if isinstance(line.get("cwd"), str) else ""
            batch.sessions[sid] = {
                "first": when, "last": when,
                "project_id": _project_name(cwd) or where.project_folder or None,
                "metadata": _compact({
                    "source": IMPORTER, "project_folder": where.project_folder or None,
                    "git_branch": line.get("gitBranch") or None, "version": line.get("version"),
                }),
            }
        elif when > seen["last"]:
            seen["last"] = when
        elif when < seen["first"]:
            seen["first"] = when

    def _conversation(self, where: _File, sid: str, line: dict, uuid: str, batch: _Batch) -> tuple[str, str | None]:
        """The conversation a line belongs to, and the subagent's id when it has one."""
        agent = line.get("agentId") if isinstance(line.get("agentId"), str) and line.get("agentId") else None
        if where.subagent_agent is not None:
            agent = agent or where.subagent_agent
            self.conversation_agent[f"{sid}/agent-{agent}"] = agent
            return f"{sid}/agent-{agent}", agent
        if not line.get("isSidechain"):
            return f"{sid}/main", None
        # Inline sidechains (older versions): follow parentUuid; a line whose parent is missing
        # continues the session's latest sidechain unless that one belongs to another agent.
        parent = line.get("parentUuid") if isinstance(line.get("parentUuid"), str) else None
        conversation = None
        if parent is not None:
            conversation = self.uuids.get(parent) or (self.earlier_messages and self.ledger.get(f"message:{parent}")) or None
        if conversation is None and agent is not None:
            conversation = self.agent_conversation.get((sid, agent))
        if conversation is None and parent is not None:
            latest = self.last_sidechain.get(sid)
            if latest is not None and self.conversation_agent.get(latest) in (None, agent):
                conversation = latest
        if conversation is None:
            conversation = f"{sid}/agent-{agent}" if agent else f"{sid}/sidechain-{uuid}"
            self.conversation_agent[conversation] = agent
        known = self.conversation_agent.get(conversation)
        if agent is not None and known is None:
            self.conversation_agent[conversation] = agent
            self.agent_conversation[(sid, agent)] = conversation
            batch.agent_links[conversation] = agent
        elif agent is not None:
            self.agent_conversation[(sid, agent)] = conversation
        self.last_sidechain[sid] = conversation
        return conversation, agent or known

    def _call(self, sid: str, conversation: str, when: str, line: dict, message: dict, batch: _Batch) -> None:
        """One cost row per API call, however many lines repeat its usage."""
        usage = message.get("usage")
        model = message.get("model")
        if not isinstance(usage, dict) or not isinstance(model, str) or not model:
            return
        message_id = message.get("id") if isinstance(message.get("id"), str) else None
        request_id = line.get("requestId") if isinstance(line.get("requestId"), str) else None
        if model == SYNTHETIC_MODEL:
            if (message_id or line.get("uuid")) not in self.synthetic_seen:
                self.synthetic_seen.add(message_id or line.get("uuid"))
                self.report.skipped["synthetic messages (no API call)"] += 1
            return
        key = (message_id or "", request_id or "")
        if key == ("", ""):
            key = ("", str(line.get("uuid")))
        tokens, five_minute = _tokens(usage)
        call = batch.calls.get(key)
        if call is not None:  # the same call on another content-block line: keep the fullest usage
            for name, value in tokens.items():
                if value > call[name]:
                    call[name] = value
            self.report.duplicates["cost_tracking"] += 1
            return
        metadata = _compact({
            "source": IMPORTER, "conversation_id": conversation, "message_id": message_id,
            "service_tier": usage.get("service_tier"), "cost_usd_reported": _number(line.get("costUSD")),
            "cache_write_5m_tokens": five_minute,
        })
        batch.calls[key] = {"session_id": sid, "model": model, "created_at": when,
                            "request_id": request_id or message_id or key[1], "metadata": metadata, **tokens}

    def _result(self, where: _File, number: int, sid: str, when: str, line: dict, block: dict) -> None:
        """Note a tool result; those that end a Task/Agent call become interactions at the end of the run."""
        tool_use_id = block["tool_use_id"]
        if tool_use_id not in self.tasks and f"{tool_use_id}" not in self.earlier_tasks:
            return
        outcome = line.get("toolUseResult") if isinstance(line.get("toolUseResult"), dict) else {}
        self.results.append({
            "tool_use_id": tool_use_id, "session_id": sid, "completed_at": when, "file": where.rel,
            "line": number, "is_error": bool(block.get("is_error")), "outcome": outcome,
            "text": render(block.get("content")), "line_agent": line.get("agentId"),
        })

    # -- writing -------------------------------------------------------------------------------

    def _write(self, batch: _Batch) -> None:
        db = self.db
        added = db.count("sessions")
        for sid, s in batch.sessions.items():
            db.sessions.create(sid, project_id=s["project_id"], metadata=s["metadata"], created_at=s["first"],
                               exist_ok=True)
            db.execute("UPDATE sessions SET last_active_at = ? WHERE session_id = ? AND last_active_at < ?",
                       (s["last"], sid, s["last"]))
        self.report.added["sessions"] += db.count("sessions") - added
        added = db.count("conversations")
        for cid, c in batch.conversations.items():
            db.conversations.create(c["session_id"], cid, metadata=_compact(c["metadata"]),
                                    created_at=c["created_at"], exist_ok=True)
        self.report.added["conversations"] += db.count("conversations") - added
        for cid, agent in batch.agent_links.items():
            db.execute("UPDATE conversations SET metadata = json_set(coalesce(metadata, '{}'), '$.agent_id', ?)"
                       " WHERE conversation_id = ?", (agent, cid))
        if batch.messages:
            self.report.added["messages"] += db.messages.insert_rows(batch.messages)
        if batch.calls:
            # A call seen in an earlier file or run keeps the largest counts of every sighting.
            calls = list(batch.calls.values())
            known, grew = db.costs.raise_to_largest(calls)
            prices, unpriced = current(), self.report.unpriced  # prices: one lookup per (model, day)
            rows = [db.costs.row(**c, prices=prices, unpriced=unpriced) for c in calls if c["request_id"] not in known]
            stored = db.costs.insert_rows(rows, skip_duplicates=True)
            self.report.added["cost_tracking"] += stored
            self.report.duplicates["cost_tracking"] += len(calls) - stored
            self.report.grown["cost_tracking"] += grew
        self.ledger.put_many(batch.message_keys)
        self.ledger.put_many((f"task:{tid}", json.dumps(t)) for tid, t in batch.tasks.items())
        for main, title in batch.titles.items():
            if main in batch.conversations or self._conversation_exists(main):
                db.conversations.set_title(main, title)  # through the redactor, like every title

    def _conversation_exists(self, conversation: str) -> bool:
        return self.db.query_one("SELECT 1 AS x FROM conversations WHERE conversation_id = ?", (conversation,)) is not None

    def finish(self) -> None:
        """Turn finished Task/Agent calls into interactions and link subagent calls to them."""
        with self.db.transaction():
            for result in self.results:
                try:
                    with self.db.transaction():
                        self._interaction(result)
                except ValidationError as e:
                    self.report.bad(result["file"], result["line"], f"agent run not recorded: {e}")
            for sid in sorted(self.sessions):
                # A subagent's thread seen only after its run was recorded: link them now.
                self.db.execute(
                    "UPDATE agent_interactions SET conversation_id = (SELECT min(c.conversation_id) FROM conversations c"
                    " WHERE c.session_id = agent_interactions.session_id"
                    " AND json_extract(c.metadata, '$.agent_id') = json_extract(agent_interactions.metadata, '$.agent_id'))"
                    " WHERE session_id = ? AND conversation_id IS NULL AND json_extract(metadata, '$.source') = ?",
                    (sid, IMPORTER),
                )
                self.db.execute(
                    "UPDATE cost_tracking SET agent_interaction_id = (SELECT min(ai.id) FROM agent_interactions ai"
                    " WHERE ai.conversation_id = json_extract(cost_tracking.metadata, '$.conversation_id'))"
                    " WHERE session_id = ? AND agent_interaction_id IS NULL AND EXISTS (SELECT 1 FROM agent_interactions ai"
                    " WHERE ai.conversation_id = json_extract(cost_tracking.metadata, '$.conversation_id'))",
                    (sid,),
                )

    def _interaction(self, result: dict) -> None:
        tool_use_id = result["tool_use_id"]
        if self.ledger.get(f"interaction:{tool_use_id}") is not None:
            self.report.duplicates["agent_interactions"] += 1
            return
        task = self.tasks.get(tool_use_id) or json.loads(self.ledger.get(f"task:{tool_use_id}") or "null")
        if task is None:
            return
        outcome, text = result["outcome"], result["text"]
        figures = {name: m.group(1) for name, pattern in _RESULT_FIGURES.items() if (m := pattern.search(text))}
        agent = outcome.get("agentId") or result["line_agent"] or figures.get("agent_id")
        sid = task["session_id"]
        conversation = None
        if isinstance(agent, str) and agent:
            row = self.db.query_one(
                "SELECT conversation_id FROM conversations WHERE session_id = ?"
                " AND json_extract(metadata, '$.agent_id') = ? ORDER BY id LIMIT 1", (sid, agent))
            conversation = row["conversation_id"] if row else None
        if conversation is None and task.get("prompt"):
            # Older versions name no agent: the subagent's thread opens with the Task's prompt.
            row = self.db.query_one(
                "SELECT c.conversation_id FROM conversations c JOIN messages m ON m.conversation_id = c.conversation_id"
                " WHERE c.session_id = ? AND json_extract(c.metadata, '$.thread') = 'subagent'"
                " AND m.role = 'user' AND m.content = ? AND NOT EXISTS"
                " (SELECT 1 FROM agent_interactions ai WHERE ai.conversation_id = c.conversation_id)"
                " ORDER BY m.id LIMIT 1", (sid, task["prompt"]))
            conversation = row["conversation_id"] if row else None
        usage = outcome.get("usage") if isinstance(outcome.get("usage"), dict) else None
        if usage is not None:
            t, _ = _tokens(usage)
            input_tokens = t["input_tokens"] + t["cache_read_tokens"] + t["cache_write_tokens"]
            output_tokens = t["output_tokens"]
        elif conversation is not None:
            row = self.db.query_one(
                "SELECT coalesce(sum(input_tokens + cache_read_tokens + cache_write_tokens), 0) AS input,"
                " coalesce(sum(output_tokens), 0) AS output FROM cost_tracking"
                " WHERE session_id = ? AND json_extract(metadata, '$.conversation_id') = ?", (sid, conversation))
            input_tokens, output_tokens = row["input"], row["output"]
        else:
            input_tokens = output_tokens = 0
        state = str(outcome.get("status") or "").lower()
        status = ("failure" if result["is_error"] or state in _FAILED else
                  "cancelled" if state in _CANCELLED else "success")
        duration = _number(outcome.get("totalDurationMs")) or _number(figures.get("duration_ms"))
        interaction_id = self.db.interactions.record(
            sid, task["agent_name"], task=task["task"], status=status,
            duration_ms=duration, input_tokens=input_tokens, output_tokens=output_tokens,
            error=text[:2000] if status == "failure" else None, conversation_id=conversation,
            started_at=task["started_at"], completed_at=result["completed_at"],
            metadata=_compact({
                "source": IMPORTER, "tool": task["tool"], "tool_use_id": tool_use_id, "agent_id": agent,
                "parent_conversation": task["parent_conversation"],
                "total_tokens": _number(outcome.get("totalTokens")) or _number(figures.get("total_tokens")),
                "tool_uses": _number(outcome.get("totalToolUseCount")) or _number(figures.get("tool_uses")),
            }),
        )
        self.report.added["agent_interactions"] += 1
        self.ledger.put_many([(f"interaction:{tool_use_id}", str(interaction_id))])
        if conversation is not None and task["task"]:
            if self.db.conversations.get(conversation)["title"] is None:
                self.db.conversations.set_title(conversation, task["task"])


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def _tokens(usage: dict) -> tuple[dict[str, int], int | None]:
    """memlab's token columns from an Anthropic ``usage`` object, and the 5-minute cache writes
    where the usage splits its writes into 5-minute and 1-hour ones (else None)."""
    split = usage.get("cache_creation")
    total = _count(usage.get("cache_creation_input_tokens"))
    hour, five_minute = 0, None
    if isinstance(split, dict) and split:
        hour = _count(split.get("ephemeral_1h_input_tokens"))
        total = max(total, _count(split.get("ephemeral_5m_input_tokens")) + hour)
        five_minute = total - hour
    return {
        "input_tokens": _count(usage.get("input_tokens")),
        "output_tokens": _count(usage.get("output_tokens")),
        "cache_read_tokens": _count(usage.get("cache_read_input_tokens")),
        "cache_write_tokens": total,
        "cache_write_1h_tokens": hour,
    }, five_minute


def _thread(conversation: str, agent: str | None) -> str:
    """What a conversation is: the main thread, a subagent's, or a compaction agent's (``agent-acompact-*``)."""
    if conversation.endswith("/main"):
        return "main"
    return "compaction" if agent is not None and agent.startswith("acompact") else "subagent"


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _project_name(cwd: str) -> str:
    """The last folder of a working directory (POSIX or Windows), never the whole path."""
    if not cwd:
        return ""
    return (PureWindowsPath(cwd) if "\\" in cwd else PurePosixPath(cwd)).name


def _compact(mapping: dict) -> dict:
    """The mapping without its None values (smaller JSON)."""
    return {k: val for k, val in mapping.items() if val is not None}
