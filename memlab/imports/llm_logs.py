"""Import Simon Willison's ``llm`` logs database (``logs.db``): its conversations and responses.

One memlab session and conversation per ``llm`` conversation; per response, the system prompt
(when it changes), tool results sent with the prompt, the prompt and the reply (with its tool
calls) as messages, and one cost row with the response's token counts. The ``llm`` package is
not needed: the file is read with sqlite3, read-only.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import validation as v
from ..errors import DatabaseFileError, NotFoundError, ValidationError
from .ledger import Ledger, Position, Source
from ..progress import bar as progress_bar
from .report import ImportReport

if TYPE_CHECKING:
    from ..database import Database

IMPORTER = "llm"
BATCH = 2_000  # responses per transaction


def default_path() -> Path:
    """Where ``llm`` keeps its log: ``$LLM_USER_PATH/logs.db``, else its app folder."""
    import click

    folder = os.environ.get("LLM_USER_PATH") or click.get_app_dir("io.datasette.llm")
    return Path(folder) / "logs.db"


def import_llm_logs(db: "Database", path: str | Path | None = None, *, progress: bool | None = None) -> ImportReport:
    """Import the responses ``llm`` logged since the last run (all of them the first time).

    Responses already stored are skipped by their id even if the read position was lost; a
    response that can't be imported is reported (file and rowid) and skipped.
    """
    source = Path(path).expanduser() if path is not None else default_path()
    if not source.is_file():
        raise NotFoundError(f"no llm logs database at {source.name!r}")
    report = ImportReport(IMPORTER, files=1, unit="responses")
    ledger = Ledger(db, IMPORTER)
    name = source.name
    known = Source.of(source, name)
    since, _ = ledger.position(known)  # the position is the last rowid read: a rewrite can't hide rows from ids
    last = since.line_count if since else 0
    logs = _open_read_only(source)
    try:
        tables = {r[0] for r in logs.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "responses" not in tables:
            raise ValidationError(f"{name!r} is not an llm logs database (no responses table)")
        titles = _conversations(logs) if "conversations" in tables else {}
        total = logs.execute("SELECT count(*) FROM responses WHERE rowid > ?", (last,)).fetchone()[0]
        bar = progress_bar(total=total, desc=IMPORTER, unit="response", progress=progress)
        cursor = logs.execute("SELECT rowid AS rowid_, * FROM responses WHERE rowid > ? ORDER BY rowid", (last,))
        last_system: dict[str, str] = {}
        try:
            while rows := cursor.fetchmany(BATCH):
                report.files_read = 1
                report.lines += len(rows)
                tools = _tools(logs, [r["id"] for r in rows], tables)
                with db.transaction():
                    _store(db, ledger, name, rows, titles, tools, last_system, report)
                    last = rows[-1]["rowid_"]
                    ledger.save_position(known, Position(os.stat(source).st_size, 0, last))
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


def _store(db: "Database", ledger: Ledger, name: str, rows: list[sqlite3.Row], titles: dict[str, dict],
           tools: dict[str, dict[str, list]], last_system: dict[str, str], report: ImportReport) -> None:
    stored = ledger.known(f"response:{r['id']}" for r in rows)
    messages: list[dict] = []
    calls: list[dict] = []
    keys: list[tuple[str, str]] = []
    for row in rows:
        key = f"response:{row['id']}"
        if key in stored:
            report.duplicates["messages"] += 1
            continue
        try:
            parsed = _response(dict(row), titles, tools.get(row["id"], {}), last_system)
        except (ValidationError, ValueError, TypeError) as e:
            report.bad(name, row["rowid_"], f"response {row['id']!r}: {e}")
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
