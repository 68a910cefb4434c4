"""Import memlab's generic JSON Lines format: one message per line (see docs/import-jsonl.md).

    {"session": "s1", "conversation": "c1", "role": "user", "content": "hi", "timestamp": "2026-01-12T09:00:00Z"}
    {"session": "s1", "conversation": "c1", "role": "assistant", "content": "hello", "id": "m2",
     "model": "gpt-4o", "usage": {"input_tokens": 12, "output_tokens": 3}}

A line with ``model`` and ``usage`` also records one cost row. Any agent framework can be
imported by writing its history in this shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import validation as v
from ..errors import NotFoundError, ValidationError
from ..prices import current
from .ledger import Ledger, Source, parsed_lines, relative_files
from ..progress import bar as progress_bar
from .report import ImportReport

if TYPE_CHECKING:
    from ..database import Database

IMPORTER = "jsonl"
BATCH = 10_000  # lines written per transaction (about a second of write lock at most)
USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens")


def import_jsonl(db: "Database", path: str | Path, *, progress: bool | None = None) -> ImportReport:
    """Import a JSON Lines file, or every ``*.jsonl`` file under a folder; re-runs add only new lines."""
    root = Path(path).expanduser()
    if not root.exists():
        raise NotFoundError(f"no such file or folder: {str(path)!r}")
    files = list(relative_files(root, "*.jsonl"))
    report = ImportReport(IMPORTER, files=len(files))
    ledger = Ledger(db, IMPORTER)
    known_sessions: set[str] = set()
    known_conversations: set[str] = set()
    prices = current()
    bar = progress_bar(total=len(files), desc=IMPORTER, unit="file", progress=progress)
    try:
        for rel, file in files:
            source = Source.of(file, rel)
            parsed = parsed_lines(ledger, source, report)
            if parsed is not None:
                lines, end = parsed
                rows = []
                for number, line, text in lines:
                    try:
                        rows.append(parse(db, line, source, number, text, prices))
                    except ValidationError as e:
                        report.bad(rel, number, str(e))
                # One transaction per batch: the write lock is held briefly (other writers wait
                # seconds at most) and SQLite's page cache never spills. A crash between batches
                # is safe: the position moves with the last one, and a re-run skips stored ids.
                for start in range(0, max(len(rows), 1), BATCH):
                    with db.transaction():
                        _store(db, ledger, rows[start:start + BATCH], report, known_sessions, known_conversations)
                        if start + BATCH >= len(rows):
                            ledger.save_position(source, end)
            bar.update(1)
            bar.set_postfix(lines=report.lines, refresh=False)
    finally:
        bar.close()
    return report


def parse(db: "Database", line: dict, source: Source, number: int, text: str, prices: Any) -> dict:
    """One line of the format, checked into the rows it stores; ValidationError names the field."""
    session = v.identifier("session", line.get("session"))
    usage = line.get("usage")
    if usage is not None and usage.__class__ is not dict:
        raise ValidationError("usage must be an object")
    model = line.get("model")
    when = line.get("timestamp")
    message = db.messages.row(line.get("conversation", session), line.get("role"), line.get("content"),
                              line.get("token_count"), when, line.get("metadata"))
    call = None
    if model is not None and usage is not None:
        tokens = {name: v.count(f"usage.{name}", usage[name]) for name in USAGE_FIELDS if name in usage}
        call = db.costs.row(session, model, **tokens, created_at=message[4], prices=prices,
                            request_id=v.optional_identifier("request_id", line.get("request_id")),
                            cost_usd=line.get("cost_usd"), metadata={"source": IMPORTER, "conversation_id": message[0]})
    key = line.get("id")
    return {
        "key": str(key) if isinstance(key, (str, int)) and not isinstance(key, bool) else source.line_key(number, text),
        "session": session,
        "user": None if (user := line.get("user")) is None else v.identifier("user", user),
        "project": None if (project := line.get("project")) is None else v.identifier("project", project),
        "title": None if (title := line.get("title")) is None else v.text("title", title),
        "message": message,
        "call": call,
    }


def _store(db: "Database", ledger: Ledger, rows: list[dict], report: ImportReport,
           known_sessions: set[str], known_conversations: set[str]) -> None:
    """Write a batch of one file's new rows (inside the caller's transaction), skipping ids already stored."""
    stored = ledger.known(r["key"] for r in rows)
    fresh: list[dict] = []
    for row in rows:
        if row["key"] in stored:
            report.duplicates["messages"] += 1
            continue
        stored.add(row["key"])
        fresh.append(row)
    for row in fresh:
        message = row["message"]
        when = message[4]
        if row["session"] not in known_sessions:
            if not db.sessions.exists(row["session"]):
                db.sessions.create(row["session"], user_id=row["user"], project_id=row["project"],
                                   metadata={"source": IMPORTER}, created_at=when)
                report.added["sessions"] += 1
            known_sessions.add(row["session"])
        cid = message[0]
        if cid not in known_conversations:
            if db.query_one("SELECT 1 AS x FROM conversations WHERE conversation_id = ?", (cid,)) is None:
                db.conversations.create(row["session"], cid, title=row["title"], created_at=when)
                report.added["conversations"] += 1
            known_conversations.add(cid)
    if fresh:
        report.added["messages"] += db.messages.insert_rows(r["message"] for r in fresh)
    calls = [r["call"] for r in fresh if r["call"] is not None]
    if calls:
        added = db.costs.insert_rows(calls, skip_duplicates=True)
        report.added["cost_tracking"] += added
        report.duplicates["cost_tracking"] += len(calls) - added
        for call in calls:
            if call[7] is None:  # the cost: no price source knows the model
                report.unpriced[call[2]] += 1
    ledger.put_many((r["key"], r["message"][0]) for r in fresh)

