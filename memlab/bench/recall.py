"""Recall: how often ``db.recall`` finds the evidence of a question, and how fast.

Quality is measured on the LoCoMo dev file (``shared/fixtures/locomo/locomo-dev.json``; CC BY-NC,
read from beside the repository, never shipped): each conversation is loaded as a session (its
LoCoMo sessions as conversations), each question of categories 1-4 is asked within its session,
and a question counts as recalled at k when one of its evidence turns is in the top k. Every mode
runs beside raw FTS5 bm25 over the OR of all the question's words in the same run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import Figures, Row

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
DEV_FILE = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "locomo" / "locomo-dev.json"
EVIDENCE = re.compile(r"D:?(\d+):(\d+)")
WHEN = "%I:%M %p on %d %B, %Y"
KS = (5, 10)


@dataclass(frozen=True)
class Question:
    """One LoCoMo question: its text, category, the session it is asked in and the message ids
    of its evidence turns."""

    text: str
    category: int
    session_id: str
    evidence: frozenset[int]


def dev_file(path: str | Path | None = None) -> Path | None:
    """The LoCoMo dev file, or None when it isn't beside the repository."""
    found = Path(path) if path is not None else DEV_FILE
    return found if found.is_file() else None


def load(db, path: str | Path, *, samples: int | None = None, per_sample: int | None = None) -> list[Question]:
    """Store LoCoMo's conversations in ``db`` (a session per conversation, a conversation per
    LoCoMo session, a message per turn: "Speaker: text", and the shared image's caption) and
    return its questions of categories 1-4 (``per_sample`` of each conversation, if given)."""
    data = json.loads(Path(path).read_text())[:samples]
    out: list[Question] = []
    for sample in data:
        sid = str(sample["sample_id"])
        conv = sample["conversation"]
        speakers = {conv["speaker_a"]: "user", conv["speaker_b"]: "assistant"}
        ids: dict[str, int] = {}
        with db.transaction():
            db.sessions.create(sid, user_id=sid, created_at=_when(conv, 1))
            n = 1
            while f"session_{n}" in conv:
                started = _when(conv, n)
                cid = f"{sid}:s{n}"
                db.conversations.create(sid, conversation_id=cid, title=f"session {n}", created_at=started)
                for i, turn in enumerate(conv[f"session_{n}"]):
                    content = f"{turn['speaker']}: {turn['text']}"
                    if turn.get("blip_caption"):
                        content += f" [shares {turn['blip_caption']}]"
                    ids[turn["dia_id"]] = db.messages.add(
                        cid, speakers.get(turn["speaker"], "user"), content,
                        created_at=started + dt.timedelta(seconds=30 * i), metadata={"dia_id": turn["dia_id"]})
                n += 1
        asked = [q for q in sample["qa"] if q.get("category") in CATEGORIES]
        for q in asked[:per_sample]:
            evidence = frozenset(ids[d] for d in (f"D{a}:{b}" for e in q.get("evidence", ())
                                                  for a, b in EVIDENCE.findall(e)) if d in ids)
            if evidence:
                out.append(Question(q["question"], q["category"], sid, evidence))
    return out


def _when(conv: dict, n: int) -> dt.datetime:
    return dt.datetime.strptime(conv[f"session_{n}_date_time"], WHEN).replace(tzinfo=dt.timezone.utc)


def scores(ranked: Sequence[Sequence[int]], questions: Sequence[Question]) -> dict[str, float]:
    """recall@5, recall@10 (a question counts when one evidence turn is in its top k) and MRR
    (of the first evidence turn in the top 10)."""
    n = len(questions) or 1
    out = {f"recall@{k}": sum(bool(q.evidence & set(r[:k])) for r, q in zip(ranked, questions)) / n for k in KS}
    out["mrr"] = sum(next((1 / i for i, m in enumerate(r[:10], 1) if m in q.evidence), 0.0)
                     for r, q in zip(ranked, questions)) / n
    return out


RAW_OR = """
SELECT messages_fts.rowid FROM messages_fts
JOIN messages m ON m.id = messages_fts.rowid
JOIN conversations c ON c.conversation_id = m.conversation_id
WHERE messages_fts MATCH ? AND c.session_id = ?
ORDER BY rank LIMIT ?
"""


def raw_or(conn: sqlite3.Connection, question: Question, limit: int = 10) -> list[int]:
    """Raw FTS5: bm25 over the OR of every word of the question (each quoted), in its session."""
    words = {w.lower() for w in re.findall(r"\w+", question.text)}
    if not words:
        return []
    expression = " OR ".join('"' + w.replace('"', '') + '"' for w in sorted(words))
    return [r[0] for r in conn.execute(RAW_OR, (expression, question.session_id, limit))]


def evaluate(db, questions: Sequence[Question], modes: Iterable[str] = ("keyword", "semantic", "hybrid"),
             ) -> dict[str, dict[str, Any]]:
    """Per mode (and "fts5 OR" for raw FTS5): overall and per-category scores and each
    question's latency in ms."""
    askers: dict[str, Callable[[Question], list[int]]] = {"fts5 OR": lambda q: raw_or(db.conn, q)}
    for mode in modes:
        askers[mode] = lambda q, mode=mode: [
            h.message_id for h in db.recall(q.text, session_id=q.session_id, limit=10, mode=mode)]
    out: dict[str, dict[str, Any]] = {}
    for name, ask in askers.items():
        ranked, times = [], []
        for q in questions:
            started = time.perf_counter()
            ranked.append(ask(q))
            times.append((time.perf_counter() - started) * 1000)
        per = {CATEGORIES[c]: scores([r for r, q in zip(ranked, questions) if q.category == c],
                                     [q for q in questions if q.category == c]) for c in CATEGORIES}
        out[name] = {"all": scores(ranked, questions), "categories": per, "ms": times}
    return out
