"""Search: memlab's ``db.search`` beside raw FTS5 ``MATCH ? ORDER BY rank LIMIT 10`` + snippet.

The query mix is drawn from the database's own vocabulary by document frequency (FTS5's
``fts5vocab``), so it means the same at any scale and the same seed gives the same queries:
very common, mid and rare single words, two- and three-word queries, phrases, prefixes, and
queries scoped to a session, a user and the last 7 days. Both sides answer every query in the
same run, alternately. Quality: each memlab top 10 is compared with the exhaustive bm25 top 10
(a message tied on score with the 10th counts as agreeing).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..progress import bar as progress_bar
from . import Figures, Row, interleave, latency

TARGET = "p95 <= 10 ms, p99 <= 25 ms"
LIMIT = 10
WORD = re.compile(r"[a-z]{3,}")

RAW = """
SELECT messages_fts.rowid, rank, snippet(messages_fts, 0, '**', '**', '…', 16)
FROM messages_fts WHERE messages_fts MATCH :expression ORDER BY rank LIMIT :limit
"""

BM25 = "SELECT rank FROM messages_fts WHERE messages_fts MATCH ? AND rowid = ?"

RAW_SCOPED = """
SELECT messages_fts.rowid, rank, snippet(messages_fts, 0, '**', '**', '…', 16)
FROM messages_fts
JOIN messages m ON m.id = messages_fts.rowid
JOIN conversations c ON c.conversation_id = m.conversation_id
JOIN sessions s ON s.session_id = c.session_id
WHERE messages_fts MATCH :expression
  AND (:session IS NULL OR c.session_id = :session)
  AND (:user IS NULL OR s.user_id = :user)
  AND (:since IS NULL OR m.created_at >= :since)
ORDER BY rank LIMIT :limit
"""


@dataclass
class Case:
    """One query of the mix: its class, the text, the mode and the filters."""

    kind: str
    text: str
    mode: str = "plain"
    filters: dict[str, Any] = field(default_factory=dict)

    def raw_params(self, expression: str, limit: int) -> dict[str, Any]:
        return {"expression": expression, "limit": limit, "session": self.filters.get("session_id"),
                "user": self.filters.get("user_id"), "since": self.filters.get("since")}


KINDS = ("very common word", "mid word", "rare word", "two words", "three words", "phrase", "prefix",
         "one session", "one user", "last 7 days")


def vocabulary(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """(term, messages holding it) for alphabetic terms, most common first."""
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.bench_vocab USING fts5vocab(main, messages_fts, row)")
    rows = [(t, d) for t, d in conn.execute("SELECT term, doc FROM temp.bench_vocab") if WORD.fullmatch(t)]
    rows.sort(key=lambda r: (-r[1], r[0]))
    return rows


def cases(conn: sqlite3.Connection, seed: int = 0) -> list[Case]:
    """The query mix, picked by document frequency (deterministic for a database and seed)."""
    rng = random.Random(seed)
    total = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    vocab = vocabulary(conn)
    if not vocab:
        return []
    common = [t for t, _ in vocab[:3]]
    mids = [t for t, d in vocab if total / 50 <= d <= total / 8] or [t for t, _ in vocab[3:12]]
    rares = [t for t, d in vocab if 3 <= d <= max(5, total // 2000)] or [t for t, _ in vocab[-5:]]
    pick = lambda pool, n: [pool[i * len(pool) // n] for i in range(n)] if pool else []  # noqa: E731
    mid, rare = pick(mids, 4), pick(rares, 4)
    out = [Case("very common word", w) for w in common]
    out += [Case("mid word", w) for w in mid]
    out += [Case("rare word", w) for w in rare]
    out += [Case("two words", f"{a} {b}") for a, b in ((mid[0], mid[1]), (common[0], mid[2]), (mid[3], rare[0]))]
    out += [Case("three words", f"{a} {b} {c}") for a, b, c in ((common[1], mid[0], mid[2]), (mid[1], mid[2], mid[3]))]
    out += [Case("phrase", f'"{p}"', "advanced") for p in _phrases(conn, rng, set(mids) | set(common[:1]))]
    out += [Case("prefix", f"{w[:4]}*", "advanced") for w in (mid[0], common[2]) if len(w) >= 4]
    sessions = [r[0] for r in conn.execute("SELECT session_id FROM sessions ORDER BY session_id")]
    for sid, word in zip(rng.sample(sessions, min(3, len(sessions))), (common[0], mid[1], f"{common[1]} {mid[0]}")):
        out.append(Case("one session", word, filters={"session_id": sid}))
    users = [r[0] for r in conn.execute("SELECT DISTINCT user_id FROM sessions WHERE user_id IS NOT NULL ORDER BY 1")]
    for uid, word in zip(rng.sample(users, min(2, len(users))), (common[0], mid[2])):
        out.append(Case("one user", word, filters={"user_id": uid}))
    newest = conn.execute("SELECT max(created_at) FROM messages").fetchone()[0]
    since = (dt.datetime.fromisoformat(newest.replace("Z", "+00:00")) - dt.timedelta(days=7))
    since_text = since.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for word in (common[0], mid[3]):
        out.append(Case("last 7 days", word, filters={"since": since_text}))
    return out


def _phrases(conn: sqlite3.Connection, rng: random.Random, allowed: set[str], n: int = 2) -> list[str]:
    """Two-word phrases that occur in messages, both words mid-frequency or common."""
    top = conn.execute("SELECT max(id) FROM messages").fetchone()[0] or 0
    found: list[str] = []
    for _ in range(200):
        if len(found) >= n or not top:
            break
        row = conn.execute("SELECT content FROM messages WHERE id >= ? LIMIT 1", (rng.randint(1, top),)).fetchone()
        words = re.findall(r"[A-Za-z]+", row[0]) if row else []
        for a, b in zip(words, words[1:]):
            pair = f"{a.lower()} {b.lower()}"
            if a.lower() in allowed and b.lower() in allowed and a.lower() != b.lower() and pair not in found:
                found.append(pair)
                break
    return found


def run(db_path: Path, db, seed: int = 0, rounds: int | None = None, progress: bool | None = None) -> list[Row]:
    """memlab and raw FTS5 on the same queries, per query class and over all of them."""
    from ..search import Search, Planner, parse

    raw = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
    try:
        mix = cases(raw, seed)
        total = raw.execute("SELECT count(*) FROM messages").fetchone()[0]
        rounds = rounds or (5 if total >= 100_000 else 10)
        planner = Planner()  # the default: exact (unproven answers re-ranked by FTS5)
        per_kind: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in KINDS}
        agreement: list[float] = []
        by_kind: dict[str, list[float]] = {}
        fast_agreement: list[float] = []
        paths: dict[str, int] = {}
        proven = 0
        for case in progress_bar(mix, desc="search bench", unit="query", progress=progress):
            expression = parse(db, case.text, case.mode).expression
            scoped = bool(case.filters)
            sql = RAW_SCOPED if scoped else RAW
            search = Search(db, planner)

            def mine() -> list:
                return search.run(case.text, mode=case.mode, limit=LIMIT, **case.filters)

            def theirs() -> list:
                return raw.execute(sql, case.raw_params(expression, LIMIT)).fetchall()

            mine()  # first call: terms learned by this connection, pages cached, on both sides alike
            theirs()
            a, b = interleave(mine, theirs, rounds)
            per_kind[case.kind][0].extend(a)
            per_kind[case.kind][1].extend(b)
            hits = mine()
            paths[search.plan.path] = paths.get(search.plan.path, 0) + 1
            proven += search.plan.exact
            score = _agreement([h.message_id for h in hits],
                               raw.execute(sql, case.raw_params(expression, 100)).fetchall(),
                               lambda mid: raw.execute(BM25, (expression, mid)).fetchone()[0])
            if score is not None:
                agreement.append(score)
                by_kind.setdefault(case.kind, []).append(score)
                if search.plan.path in ("lists", "postings", "scope"):
                    fast_agreement.append(score)
        rows = []
        everything: tuple[list[float], list[float]] = ([], [])
        for kind in KINDS:
            a, b = per_kind[kind]
            if not a:
                continue
            everything[0].extend(a)
            everything[1].extend(b)
            row = _row(f"{kind} ({len(a) // rounds} queries)", a, b)
            scores = by_kind.get(kind)
            if scores:
                row.notes = f"top-10 agreement {_pct(sum(scores) / len(scores))}"
                row.extra["agreement"] = sum(scores) / len(scores)
            rows.append(row)
        if everything[0]:
            mean = sum(agreement) / len(agreement) if agreement else None
            fast = sum(fast_agreement) / len(fast_agreement) if fast_agreement else None
            row = _row(f"all queries ({len(mix)} queries x {rounds} rounds)", *everything)
            mem = row.memlab
            row.target = TARGET
            row.met = mem.p95_ms is not None and mem.p95_ms <= 10 and mem.p99_ms <= 25
            row.notes = (f"top-10 agreement with exhaustive bm25: {_pct(fast)} on memlab-planned queries, "
                         f"{_pct(mean)} on all; plans {paths}, {proven}/{len(mix)} provably exact")
            row.extra.update(agreement=fast, agreement_all=mean, plans=paths, provably_exact=proven,
                             queries=[{"kind": c.kind, "text": c.text, "mode": c.mode, "filters": c.filters}
                                      for c in mix], messages=total)
            rows.append(row)
        return rows
    finally:
        raw.close()


def _row(operation: str, mine: list[float], theirs: list[float]) -> Row:
    row = Row("search", operation, latency(mine), latency(theirs))
    row.extra["samples_ms"] = {"memlab": [round(s * 1000, 4) for s in mine],
                               "raw": [round(s * 1000, 4) for s in theirs]}
    return row


def _agreement(mine: list[int], exhaustive: list[tuple[int, float, str]], rank_of) -> float | None:
    """Share of memlab's top 10 that is in bm25's top 10, where a message whose FTS5 rank equals
    the 10th's counts as in it (ties: the order among equal scores is arbitrary)."""
    if not exhaustive:
        return None if not mine else 0.0
    k = min(LIMIT, len(exhaustive))
    tenth = exhaustive[k - 1][1]
    tolerance = 1e-9 + 1e-9 * abs(tenth)
    allowed = {rowid for rowid, rank, _ in exhaustive if rank <= tenth + tolerance}
    agree = sum(1 for m in mine[:k] if m in allowed or rank_of(m) <= tenth + tolerance)
    return agree / k


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


__all__ = ["run", "cases", "Case", "Figures"]
