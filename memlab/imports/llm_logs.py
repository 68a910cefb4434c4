"""Import Simon Willison's ``llm`` logs database (``logs.db``), both generations of its layout.

Up to ``llm`` 0.31 a prompt and its reply are one row of ``responses`` (in ``conversations``);
from 0.32 they are ``turns`` of ``threads`` whose messages (``messages``, a chain by
``parent_hash``) hold ``parts``. An old file upgraded by a newer ``llm`` keeps its old
``responses`` and logs new turns beside them: both are read. One memlab session and conversation
per conversation or thread; its system prompt, prompts, replies, tool calls and tool results as
messages; one cost row per response or turn with its token counts. The ``llm`` package is not
needed: the file is read with sqlite3, read-only.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import validation as v
from ..errors import DatabaseFileError, NotFoundError, ValidationError
from ..messages import ROLES
from .ledger import Ledger, Position, Source
from ..progress import bar as progress_bar
from .report import ImportReport

if TYPE_CHECKING:
    from ..database import Database

IMPORTER = "llm"
BATCH = 2_000  # responses per transaction
# The two tables of logged calls, oldest layout first: how many rows are new, and the new rows.
NEW_COUNT = {"responses": "SELECT count(*) FROM responses WHERE rowid > ?",
             "turns": "SELECT count(*) FROM turns WHERE rowid > ?"}
NEW_ROWS = {"responses": "SELECT rowid AS rowid_, * FROM responses WHERE rowid > ? ORDER BY rowid",
            "turns": "SELECT rowid AS rowid_, * FROM turns WHERE rowid > ? ORDER BY rowid"}
# A message's parts (llm 0.32+); a part's text may live in fragments instead (part_fragments).
PARTS = "SELECT p.type, p.tool_name, p.text, p.payload FROM parts p WHERE p.message_hash = ? ORDER BY p.position"
PARTS_WITH_FRAGMENTS = (
    "SELECT p.type, p.tool_name, coalesce(nullif(p.text, ''), (SELECT group_concat(f.content, char(10))"
    " FROM part_fragments pf JOIN fragments f ON f.id = pf.fragment_id WHERE pf.part_id = p.id)) AS text,"
    " p.payload FROM parts p WHERE p.message_hash = ? ORDER BY p.position")


def default_path() -> Path:
    """Where ``llm`` keeps its log: ``$LLM_USER_PATH/logs.db``, else its app folder."""
    import click

    folder = os.environ.get("LLM_USER_PATH") or click.get_app_dir("io.datasette.llm")
    return Path(folder) / "logs.db"


def _as_given(path: str | Path | None, source: Path) -> str:
    """The path as the user gave it (the default written with ``~``), for error messages."""
    if path is not None:
        return str(path)
    home = Path.home()
    return f"~/{source.relative_to(home)}" if source.is_relative_to(home) else str(source)


def import_llm_logs(db: "Database", path: str | Path | None = None, *, progress: bool | None = None) -> ImportReport:
    """Import the responses and turns ``llm`` logged since the last run (all of them the first time).

    Rows already stored are skipped by their id even if the read position was lost; a row that
    can't be imported is reported (file and rowid) and skipped.
    """
    source = Path(path).expanduser() if path is not None else default_path()
    if not source.is_file():
        raise NotFoundError(f"no llm logs database at {_as_given(path, source)!r}")
    report = ImportReport(IMPORTER, files=1, unit="responses")
    ledger = Ledger(db, IMPORTER)
    name = source.name
    known = Source.of(source, name)
    logs = _open_read_only(source)
    try:
        tables = {r[0] for r in logs.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "responses" not in tables and "turns" not in tables:
            raise ValidationError(f"{name!r} is not an llm logs database (no responses or turns table)")
        # Each table's position is the last rowid read: a rewrite can't hide rows, their ids are kept.
        reads = [(table, Source(f"{known.key}/{table}", name, source)) for table in ("responses", "turns")
                 if table in tables]
        starts = {table: (p.line_count if (p := ledger.position(src)[0]) else 0) for table, src in reads}
        total = sum(logs.execute(NEW_COUNT[table], (starts[table],)).fetchone()[0] for table, _ in reads)
        bar = progress_bar(total=total, desc=IMPORTER, unit="response", progress=progress)
        try:
            for table, src in reads:
                read = _Responses(logs, tables) if table == "responses" else _Turns(logs, tables)
                cursor = logs.execute(NEW_ROWS[table], (starts[table],))
                while rows := cursor.fetchmany(BATCH):
                    report.files_read = 1
                    report.lines += len(rows)
                    with db.transaction():
                        _store(db, ledger, name, read, rows, report)
                        ledger.save_position(src, Position(os.stat(source).st_size, 0, rows[-1]["rowid_"]))
                    bar.update(len(rows))
        finally:
            bar.close()
    except sqlite3.DatabaseError as e:
        raise DatabaseFileError(f"cannot read {name!r}: {e}") from None
    finally:
        logs.close()
    return report


def _open_read_only(source: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
    except sqlite3.DatabaseError as e:
        raise DatabaseFileError(f"{source.name!r} is not a SQLite database ({e})") from None
    return conn


def _conversations(logs: sqlite3.Connection) -> dict[str, dict]:
    return {r["id"]: dict(r) for r in logs.execute("SELECT * FROM conversations")}


def _tools(logs: sqlite3.Connection, response_ids: list[str], tables: set[str]) -> dict[str, dict[str, list]]:
    """Tool calls a response made and tool results its prompt carried, by response id."""
    found: dict[str, dict[str, list]] = {}
    ids = json.dumps(response_ids)
    if "tool_calls" in tables:
        for r in logs.execute("SELECT response_id, name, arguments FROM tool_calls WHERE response_id IN"
                              " (SELECT value FROM json_each(?)) ORDER BY id", (ids,)):
            found.setdefault(r["response_id"], {}).setdefault("calls", []).append(dict(r))
    if "tool_results" in tables:
        for r in logs.execute("SELECT response_id, name, output FROM tool_results WHERE response_id IN"
                              " (SELECT value FROM json_each(?)) ORDER BY id", (ids,)):
            found.setdefault(r["response_id"], {}).setdefault("results", []).append(dict(r))
    return found


class _Responses:
    """Rows of ``responses`` (llm up to 0.31, and the older rows of an upgraded file)."""

    kind = "response"

    def __init__(self, logs: sqlite3.Connection, tables: set[str]) -> None:
        self.logs, self.tables = logs, tables
        self.titles = _conversations(logs) if "conversations" in tables else {}
        self.last_system: dict[str, str] = {}
        self.tools: dict[str, dict[str, list]] = {}

    def prepare(self, rows: list[sqlite3.Row]) -> None:
        self.tools = _tools(self.logs, [r["id"] for r in rows], self.tables)

    def parse(self, row: dict[str, Any], ledger: Ledger) -> dict:
        return _response(row, self.titles, self.tools.get(row["id"], {}), self.last_system)


class _Turns:
    """Rows of ``turns`` (llm 0.32 and later): each turn's new messages are the chain from its tip
    message back to the first message its thread already holds."""

    kind = "turn"

    def __init__(self, logs: sqlite3.Connection, tables: set[str]) -> None:
        self.logs = logs
        self.titles = ({r["id"]: {"name": r["name"]} for r in logs.execute("SELECT id, name FROM threads")}
                       if "threads" in tables else {})
        self.seen: set[str] = set()
        self.parts_sql = PARTS_WITH_FRAGMENTS if {"part_fragments", "fragments"} <= tables else PARTS

    def prepare(self, rows: list[sqlite3.Row]) -> None:
        pass

    def parse(self, row: dict[str, Any], ledger: Ledger) -> dict:
        turn_id = v.identifier("id", row["id"])
        when = v.timestamp("datetime_utc", row.get("datetime_utc"))
        thread = row.get("thread_id") or turn_id
        conversation = f"llm-{thread}"
        model = v.identifier("model", row.get("resolved_model") or row.get("model") or "unknown")
        chain = []
        current = row.get("tip_message_hash")
        while current and f"message:{thread}:{current}" not in self.seen \
                and ledger.get(f"message:{thread}:{current}") is None:
            found = self.logs.execute("SELECT hash, parent_hash, role FROM messages WHERE hash = ?", (current,)).fetchone()
            if found is None:
                break
            chain.append(found)
            current = found["parent_hash"]
        meta = {"turn_id": turn_id, "model": model}
        messages, keys = [], []
        for found in reversed(chain):
            parts = self.logs.execute(self.parts_sql, (found["hash"],)).fetchall()
            content = "\n".join(t for t in (_part_text(p) for p in parts) if t)
            key = f"message:{thread}:{found['hash']}"
            self.seen.add(key)
            keys.append((key, conversation))
            if content.strip():
                role = found["role"] if found["role"] in ROLES else "user"
                if role == "user" and parts and all(p["type"] == "tool_result" for p in parts):
                    role = "tool"
                messages.append({"conversation_id": conversation, "role": role, "content": v.text("content", content),
                                 "created_at": when, "metadata": {**meta, "message_hash": found["hash"]}})
        call = None
        if row.get("input_tokens") is not None or row.get("output_tokens") is not None:
            call = {"session_id": conversation, "model": model, "created_at": when, "request_id": f"llm:{turn_id}",
                    "metadata": {"source": IMPORTER, "conversation_id": conversation,
                                 "duration_ms": row.get("duration_ms")}, **_tokens(row)}
        return {"session": conversation, "conversation": conversation, "model": model, "when": when,
                "title": (self.titles.get(thread) or {}).get("name"), "messages": messages, "call": call,
                "keys": keys}


def _part_text(part: sqlite3.Row) -> str:
    """One part of an llm 0.32+ message as searchable text, like memlab writes tool calls elsewhere."""
    kind, text = part["type"], part["text"] or ""
    if kind in (None, "text"):
        return text
    if kind == "tool_call":
        return f"[tool call {part['tool_name']}] {part['payload'] or text}"
    if kind == "tool_result":
        return f"[tool result {part['tool_name']}] {text or part['payload'] or ''}"
    if kind == "reasoning":
        return f"[reasoning] {text}" if text else ""
    return f"[{kind}]"


def _store(db: "Database", ledger: Ledger, name: str, read: Any, rows: list[sqlite3.Row],
           report: ImportReport) -> None:
    read.prepare(rows)
    stored = ledger.known(f"{read.kind}:{r['id']}" for r in rows)
    messages: list[dict] = []
    calls: list[dict] = []
    keys: list[tuple[str, str]] = []
    for row in rows:
        key = f"{read.kind}:{row['id']}"
        if key in stored:
            report.duplicates["messages"] += 1
            continue
        try:
            parsed = read.parse(dict(row), ledger)
        except (ValidationError, ValueError, TypeError) as e:
            report.bad(name, row["rowid_"], f"{read.kind} {row['id']!r}: {e}")
            continue
        session, conversation = parsed["session"], parsed["conversation"]
        if not db.sessions.exists(session):
            db.sessions.create(session, metadata={"source": IMPORTER}, created_at=parsed["when"])
            report.added["sessions"] += 1
        if db.query_one("SELECT 1 AS x FROM conversations WHERE conversation_id = ?", (conversation,)) is None:
            db.conversations.create(session, conversation, title=parsed["title"], created_at=parsed["when"],
                                    metadata={"source": IMPORTER, "model": parsed["model"]})
            report.added["conversations"] += 1
        db.execute("UPDATE sessions SET last_active_at = ? WHERE session_id = ? AND last_active_at < ?",
                   (parsed["when"], session, parsed["when"]))
        messages.extend(parsed["messages"])
        if parsed["call"] is not None:
            calls.append(parsed["call"])
        keys.append((key, conversation))
        keys.extend(parsed.get("keys", ()))
    if messages:
        report.added["messages"] += db.messages.add_many(messages)
    if calls:
        added = db.costs.record_many(calls, skip_duplicates=True, unpriced=report.unpriced)
        report.added["cost_tracking"] += added
        report.duplicates["cost_tracking"] += len(calls) - added
    ledger.put_many(keys)


def _response(row: dict[str, Any], titles: dict[str, dict], tools: dict[str, list],
              last_system: dict[str, str]) -> dict:
    """One logged response as memlab rows (validated; raises on a value memlab can't store)."""
    response_id = v.identifier("id", row["id"])
    when = v.timestamp("datetime_utc", row.get("datetime_utc"))
    thread = row.get("conversation_id") or response_id
    session = conversation = f"llm-{thread}"
    model = v.identifier("model", row.get("resolved_model") or row.get("model") or "unknown")
    meta = {"response_id": response_id, "model": model}
    messages = []

    def add(role: str, content: Any) -> None:
        if isinstance(content, str) and content.strip():
            messages.append({"conversation_id": conversation, "role": role, "content": v.text("content", content),
                             "created_at": when, "metadata": meta})

    system = row.get("system")
    if system and last_system.get(thread) != system:
        add("system", system)
        last_system[thread] = system
    for result in tools.get("results", ()):
        add("tool", f"[tool result {result['name']}] {result['output']}")
    add("user", row.get("prompt"))
    reply = [row.get("response") or ""]
    reply += [f"[tool call {c['name']}] {c['arguments']}" for c in tools.get("calls", ())]
    add("assistant", "\n".join(p for p in reply if p))

    call = None
    if row.get("input_tokens") is not None or row.get("output_tokens") is not None:
        tokens = _tokens(row)
        call = {"session_id": session, "model": model, "created_at": when, "request_id": f"llm:{response_id}",
                "metadata": {"source": IMPORTER, "conversation_id": conversation, "duration_ms": row.get("duration_ms")},
                **tokens}
    info = titles.get(row.get("conversation_id")) or {}
    return {"session": session, "conversation": conversation, "title": info.get("name"), "model": model,
            "when": when, "messages": messages, "call": call}


def _tokens(row: dict[str, Any]) -> dict[str, int]:
    """Token columns from llm's counts and ``token_details`` (OpenAI, Anthropic and Gemini shapes).

    OpenAI and Gemini count cached tokens inside the prompt tokens; Anthropic counts them apart.
    """
    input_tokens = v.count("input_tokens", row.get("input_tokens") or 0)
    output_tokens = v.count("output_tokens", row.get("output_tokens") or 0)
    details = row.get("token_details")
    details = json.loads(details) if isinstance(details, str) and details else {}
    if not isinstance(details, dict):
        details = {}
    prompt_details = details.get("prompt_tokens_details") if isinstance(details.get("prompt_tokens_details"), dict) else {}
    cached_inside = prompt_details.get("cached_tokens") or details.get("cachedContentTokenCount") or 0
    cached_inside = min(v.count("cached tokens", cached_inside), input_tokens)
    return {
        "input_tokens": input_tokens - cached_inside,
        "output_tokens": output_tokens,
        "cache_read_tokens": cached_inside + v.count("cache_read_input_tokens", details.get("cache_read_input_tokens") or 0),
        "cache_write_tokens": v.count("cache_creation_input_tokens", details.get("cache_creation_input_tokens") or 0),
    }
