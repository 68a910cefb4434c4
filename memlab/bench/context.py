"""Context: ``db.context`` (budget 2,000 tokens) beside the same queries written by hand in raw
sqlite3: the session's latest 10 turns, its newest user message as the query, FTS5 bm25 over the
OR of that message's words among the user's messages, the user's preferences, the patterns and
the handoff into the session. Both sides answer the same sessions in the same run, alternately.

memlab does more than the raw side (it drops words in most messages from the OR, as recall does,
and shares out the budget). The raw side ORs the words memlab asks: every word of the message,
or a long message's ``QUERY_WORDS`` rarest (chosen outside its timing, so it gets that for free).
"""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path

from ..context import query_words
from ..progress import bar as progress_bar
from . import Row, interleave, latency

TARGET = "p95 <= 20 ms"
BUDGET = 2_000
SESSIONS = 50  # sessions sampled; each answered twice by both sides, alternately
WORD = re.compile(r"\w+")

RECENT = """
SELECT m.id, m.role, m.content, m.created_at FROM conversations c
JOIN messages m ON m.conversation_id = c.conversation_id
WHERE c.session_id = ? ORDER BY m.created_at DESC, m.id DESC LIMIT 10
"""
RELEVANT = """
SELECT messages_fts.rowid, rank FROM messages_fts
WHERE messages_fts MATCH :expression AND +rowid IN (
    SELECT m.id FROM messages m
    JOIN conversations c ON c.conversation_id = m.conversation_id
    JOIN sessions s ON s.session_id = c.session_id
    WHERE s.user_id = :user)
ORDER BY rank LIMIT 15
"""
PREFERENCES = "SELECT key, value, confidence FROM user_preferences WHERE user_id = ? ORDER BY confidence DESC LIMIT 20"
PATTERNS = "SELECT pattern_type, pattern_key, data FROM learned_patterns ORDER BY occurrence_count DESC LIMIT 500"
HANDOFF = ("SELECT summary FROM session_handoffs WHERE to_session_id = ? AND summary IS NOT NULL"
           " ORDER BY created_at DESC, id DESC LIMIT 1")


def sample_sessions(conn: sqlite3.Connection, n: int, seed: int) -> list[tuple[str, str]]:
    """(session id, user id) of up to ``n`` sessions of a user, chosen by ``seed``."""
    rows = conn.execute("SELECT session_id, user_id FROM sessions WHERE user_id IS NOT NULL ORDER BY session_id"
                        ).fetchall()
    random.Random(seed).shuffle(rows)
    return rows[:n]


def by_hand(conn: sqlite3.Connection, session_id: str, user_id: str, asked: str | None = None) -> int:
    """The same queries as db.context, in raw sqlite3; returns how many rows they read. ``asked``:
    the words to OR (default: every word of the session's newest user message)."""
    turns = conn.execute(RECENT, (session_id,)).fetchall()
    question = next((content for _, role, content, _ in turns if role == "user"), "")
    words = sorted({w.lower() for w in WORD.findall(question if asked is None else asked)})
    hits = []
    if words:
        expression = " OR ".join('"' + w + '"' for w in words)
        hits = conn.execute(RELEVANT, {"expression": expression, "user": user_id}).fetchall()
    others = [conn.execute(sql, args).fetchall()
              for sql, args in ((PREFERENCES, (user_id,)), (PATTERNS, ()), (HANDOFF, (session_id,)))]
    return len(turns) + len(hits) + sum(map(len, others))


def run(db, db_path: Path, seed: int = 0, progress: bool | None = None) -> list[Row]:
    raw = sqlite3.connect(db_path)
    try:
        sessions = sample_sessions(raw, SESSIONS, seed)
        if not sessions:
            return []
        mine, theirs = [], []
        tokens = []
        bar = progress_bar(total=len(sessions), unit="session", desc="context", progress=progress)
        for sid, user in sessions:
            def memlab_side(sid=sid):
                tokens.append(db.context(sid, budget_tokens=BUDGET).tokens)

            question = db.context(sid, budget_tokens=BUDGET).query  # (each side answers once untimed)
            asked = query_words(db, question) if question else None

            def raw_side(sid=sid, user=user, asked=asked):
                by_hand(raw, sid, user, asked)

            raw_side()
            a, b = interleave(memlab_side, raw_side, 2)
            mine += a
            theirs += b
            bar.update(1)
        bar.close()
    finally:
        raw.close()
    ours = latency(mine)
    from ..tokens import default

    return [Row(
        "context", f"db.context, budget {BUDGET:,} tokens ({len(sessions)} sessions x 2)", ours, latency(theirs),
        target=TARGET, met=ours.p95_ms is not None and ours.p95_ms <= 20,
        notes=f"raw: the same queries by hand (OR over the words memlab asks); tokens by {default().name}",
        extra={"mean_tokens": sum(tokens) / len(tokens), "max_tokens": max(tokens)},
    )]
