"""The search index beside FTS5: per-term document counts and each common term's top messages.

FTS5's ``ORDER BY rank`` scores every match, and its ``bm25()`` counts every match of every
phrase once per statement: a very common word costs hundreds of milliseconds at a million
messages. memlab keeps, for each term in at least ``min_docs`` messages, the ``top_k`` messages
where it weighs most (bm25's per-term part), plus every term's document count and the id range
of each day. Search reads candidates from these lists and scores them with bm25 exactly as FTS5
does, in Python. Messages newer than the index's watermark are read from FTS5 directly and
folded in once there are ``tail_limit`` of them.

Words are turned into terms by FTS5 itself (a temporary FTS5 table with the same tokenizer),
remembered per connection, so memlab's terms are always FTS5's terms.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import math
import re
import sqlite3
import weakref
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from . import bm25, postings
from .terms import Stemmer, stemmer_for
from ..progress import bar as progress_bar


TOP_K = 500  # messages kept per common term
MIN_DOCS = 300  # a term in fewer messages has no list: its matches are few enough to score all
TAIL_LIMIT = 200  # messages past the watermark before search folds them into the index

SCHEMA = """
CREATE TABLE search_terms (
    term TEXT PRIMARY KEY,
    docs INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE search_top (
    term       TEXT NOT NULL,
    impact     REAL NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (term, impact, message_id)
) WITHOUT ROWID;
CREATE TABLE search_days (
    day      TEXT PRIMARY KEY,
    first_id INTEGER NOT NULL,
    last_id  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE search_state (
    key   TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;
"""

REMOVALS_SCHEMA = """
-- Indexed messages deleted or rewritten since the last refresh, with the text the index counted,
-- so the next refresh takes their words out of the counts (and folds a rewritten one in again).
CREATE TABLE search_removed (
    message_id INTEGER NOT NULL,
    content    TEXT NOT NULL
);

CREATE TRIGGER search_removed_ad AFTER DELETE ON messages
WHEN old.id <= (SELECT value FROM search_state WHERE key = 'watermark')
BEGIN
    INSERT INTO search_removed (message_id, content) VALUES (old.id, old.content);
END;

CREATE TRIGGER search_removed_au AFTER UPDATE OF content ON messages
WHEN old.id <= (SELECT value FROM search_state WHERE key = 'watermark') AND new.content IS NOT old.content
BEGIN
    INSERT INTO search_removed (message_id, content) VALUES (old.id, old.content);
END;
"""


def first_varint(blob: bytes) -> int:
    """The first varint of a blob (a message's length in its FTS5 size record)."""
    return blob[0] if blob[0] < 0x80 else varints(blob)[0]


def varints(blob: bytes) -> list[int]:
    """SQLite's big-endian varints, as FTS5 writes document sizes and totals."""
    out, i, n = [], 0, len(blob)
    while i < n:
        value = 0
        for j in range(9):
            byte = blob[i]
            i += 1
            if j == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


def totals(conn: sqlite3.Connection) -> tuple[int, float]:
    """(messages indexed, average tokens per message) from FTS5's own totals record."""
    row = conn.execute("SELECT block FROM messages_fts_data WHERE id = 1").fetchone()
    if row is None or not row[0]:
        return 0, 0.0
    values = varints(row[0])
    count, tokens = values[0], sum(values[1:])
    return count, (tokens / count if count else 0.0)


@dataclass
class Settings:
    """How the index is built: kept in search_state so later refreshes build alike."""

    top_k: int = TOP_K
    min_docs: int = MIN_DOCS


def state(conn: sqlite3.Connection) -> dict:
    return {k: v for k, v in conn.execute("SELECT key, value FROM search_state")}


def settings(conn: sqlite3.Connection) -> Settings:
    return settings_in(state(conn))


def settings_in(s: dict) -> Settings:
    """The settings recorded in a ``state`` read."""
    return Settings(int(s.get("top_k", TOP_K)), int(s.get("min_docs", MIN_DOCS)))


def watermark(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM search_state WHERE key = 'watermark'").fetchone()
    return int(row[0]) if row else 0


@contextlib.contextmanager
def _writing(conn: sqlite3.Connection) -> Iterator[None]:
    """A write transaction (taking the lock up front), or a savepoint inside the caller's."""
    if conn.in_transaction:
        conn.execute("SAVEPOINT memlab_search_index")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK TO memlab_search_index")
            conn.execute("RELEASE memlab_search_index")
            raise
        conn.execute("RELEASE memlab_search_index")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _messages_after(conn: sqlite3.Connection, after: int) -> Iterator[tuple[int, str, str, bytes, int, str]]:
    yield from conn.execute(
        "SELECT m.id, m.content, m.created_at, d.sz, c.id, m.role FROM messages m"
        " JOIN messages_fts_docsize d ON d.id = m.id JOIN conversations c ON c.conversation_id = m.conversation_id"
        " WHERE m.id > ? ORDER BY m.id",
        (after,),
    )


def _messages_in(conn: sqlite3.Connection, ids: list[int]) -> Iterator[tuple[int, str, str, bytes, int, str]]:
    yield from conn.execute(
        "SELECT m.id, m.content, m.created_at, d.sz, c.id, m.role FROM messages m"
        " JOIN messages_fts_docsize d ON d.id = m.id JOIN conversations c ON c.conversation_id = m.conversation_id"
        " WHERE m.id IN (SELECT value FROM json_each(?)) ORDER BY m.id",
        (json.dumps(ids),),
    )


def _learned(stemmer: "Stemmer", rows: Iterator[tuple[int, str, str, bytes, int, str]],
             chunk: int = 2_000) -> Iterator[tuple[int, str, str, bytes, int, str]]:
    """The rows again, with the words of each chunk of them stemmed in one round trip."""
    while True:
        batch = [row for _, row in zip(range(chunk), rows)]
        if not batch:
            return
        stemmer.learn_texts(row[1] for row in batch)
        yield from batch


def build(conn: sqlite3.Connection, *, top_k: int | None = None, min_docs: int | None = None,
          progress: bool | None = False) -> int:
    """Rebuild the index from every message (one pass); return how many messages it read.

    Runs in the caller's transaction (the migration's) or its own.
    """
    current = settings(conn)
    chosen = Settings(top_k if top_k is not None else current.top_k,
                      min_docs if min_docs is not None else current.min_docs)
    with _writing(conn):
        then, changed = generation(conn), changes(conn)
        for statement in ("DELETE FROM search_terms", "DELETE FROM search_top", "DELETE FROM search_days",
                          "DELETE FROM search_removed", "DELETE FROM search_state"):
            conn.execute(statement)
        postings.clear(conn)
        conn.executemany(
            "INSERT INTO search_state (key, value) VALUES (?, ?)",
            # A rebuild counts as a change too: what readers remembered of any message is stale.
            [("top_k", chosen.top_k), ("min_docs", chosen.min_docs), ("watermark", 0), ("generation", then + 1),
             ("changes", changed + 1)],
        )
        return _fold(conn, 0, chosen, progress=progress)


def refresh(conn: sqlite3.Connection, *, progress: bool | None = False) -> int:
    """Fold messages added, deleted or rewritten since the last build or refresh into the index;
    return how many were added."""
    with _writing(conn):
        chosen = settings(conn)
        removed = pending_removals(conn)
        rewritten = _take_out_removed(conn)
        added = _fold(conn, watermark(conn), chosen, progress=progress)
        if rewritten:
            _fold(conn, watermark(conn), chosen, progress=False, rewritten=rewritten)
        if added or removed:
            conn.execute("INSERT INTO search_state (key, value) VALUES ('generation', 1)"
                         " ON CONFLICT (key) DO UPDATE SET value = value + 1")
        return added


def generation(conn: sqlite3.Connection) -> int:
    """A number that changes whenever a build or refresh changes the index (what readers key
    their caches on)."""
    row = conn.execute("SELECT value FROM search_state WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def pending_removals(conn: sqlite3.Connection) -> bool:
    """Whether indexed messages were deleted or rewritten since the last refresh."""
    return conn.execute("SELECT EXISTS (SELECT 1 FROM search_removed)").fetchone()[0] == 1


def changes(conn: sqlite3.Connection) -> int:
    """How many builds, and refreshes that took deleted or rewritten messages out, there have
    been: what a reader remembered of older messages (phrase counts, lengths) is stale after one."""
    row = conn.execute("SELECT value FROM search_state WHERE key = 'changes'").fetchone()
    return int(row[0]) if row else 0


# The least weight in a term's top list once it holds top_k messages (a message not in the list
# weighs at most that), kept so neither a refresh nor a search has to read the list for it.
LEAST_SCHEMA = """
ALTER TABLE search_terms ADD COLUMN least REAL;
"""


def _take_out_removed(conn: sqlite3.Connection) -> list[int]:
    """Take the words of deleted or rewritten messages out of the document counts; return the
    rewritten ones (to fold in again). The lists keep them: still bounds (search scores from text)."""
    rows = conn.execute(
        "SELECT message_id, content FROM search_removed"
        " WHERE rowid IN (SELECT min(rowid) FROM search_removed GROUP BY message_id)"  # the text indexed
    ).fetchall()
    if not rows:
        return []
    stemmer = stemmer_for(conn)
    stemmer.learn_texts(content for _, content in rows)
    gone: Counter[str] = Counter()
    held = []
    for mid, content in rows:
        terms = set(stemmer.words(content))
        gone.update(terms)
        held.append((mid, terms))
    postings.remove(conn, held)
    conn.executemany("UPDATE search_terms SET docs = max(0, docs - ?) WHERE term = ?",
                     [(n, term) for term, n in gone.items()])
    conn.execute("DELETE FROM search_removed")
    conn.execute(
        "INSERT INTO search_state (key, value) VALUES ('changes', 1)"
        " ON CONFLICT (key) DO UPDATE SET value = value + 1"
    )
    ids = json.dumps([mid for mid, _ in rows])
    return [r[0] for r in conn.execute(
        "SELECT id FROM messages WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id", (ids,))]


def _fold(conn: sqlite3.Connection, after: int, chosen: Settings, *, progress: bool | None,
          rewritten: list[int] | None = None) -> int:
    """Read messages past ``after`` (or the ``rewritten`` ones): update counts, day ranges, the
    top lists and the postings."""
    stemmer = stemmer_for(conn)
    total, avgdl = totals(conn)
    counts: Counter[str] = Counter()
    # Each term's best (weight, id) so far: appended while above the term's bar, cut back to
    # top_k (raising the bar) when twice as long. Cheaper than a heap push per posting.
    best: dict[str, list[tuple[float, int]]] = {}
    bars: dict[str, float] = {}
    top_k, twice = chosen.top_k, 2 * chosen.top_k
    days: dict[str, list[int]] = {}
    last = after
    if rewritten is None:
        pending = conn.execute("SELECT count(*) FROM messages WHERE id > ?", (after,)).fetchone()[0]
        source = _messages_after(conn, after)
    else:
        pending, source = len(rewritten), _messages_in(conn, rewritten)
    bar = progress_bar(total=pending, unit="msg", desc="search index", progress=progress)
    seen = 0
    writer = postings.Writer(conn)
    for mid, content, created_at, size, conversation, role in _learned(stemmer, source):
        terms = Counter(stemmer.words(content))
        length = first_varint(size) if size else sum(terms.values())
        writer.add(mid, terms, length, conversation, role)
        counts.update(terms.keys())
        norm = bm25.norm(length, avgdl)
        for term, tf in terms.items():
            weight = bm25.weight(tf, norm)
            if weight > bars.get(term, -1.0):
                kept = best.get(term)
                if kept is None:
                    best[term] = [(weight, mid)]
                else:
                    kept.append((weight, mid))
                    if len(kept) >= twice:
                        kept.sort(reverse=True)
                        del kept[top_k:]
                        bars[term] = kept[-1][0]
        day = created_at[:10]
        span = days.get(day)
        if span is None:
            days[day] = [mid, mid]
        else:
            span[0] = min(span[0], mid)
            span[1] = max(span[1], mid)
        last = mid
        seen += 1
        if seen % 2_000 == 0:
            bar.update(2_000)
    bar.update(seen % 2_000)
    bar.close()
    writer.flush()
    if not seen:
        return 0
    before = {term: (docs, least) for term, docs, least in conn.execute(
        "SELECT term, docs, least FROM search_terms WHERE term IN (SELECT value FROM json_each(?))",
        (json.dumps(list(counts)),),
    )} if after else {}
    conn.executemany(
        "INSERT INTO search_terms (term, docs) VALUES (?, ?)"
        " ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs",
        counts.items(),
    )
    conn.executemany(
        "INSERT INTO search_days (day, first_id, last_id) VALUES (?, ?, ?) ON CONFLICT (day) DO UPDATE"
        " SET first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id)",
        [(d, lo, hi) for d, (lo, hi) in days.items()],
    )
    floors = []  # (least weight of a full list or None, term) of each list written
    for term, new in counts.items():
        old, least = before.get(term, (0, None))
        if old + new < chosen.min_docs:
            continue  # rare: no list
        if after and old < chosen.min_docs:
            # Newly common: its list needs every message, not only the new ones.
            best[term] = postings.best_weights(conn, term, chosen.top_k, avgdl)
        kept = best.get(term)
        merging = after and old >= chosen.min_docs
        if kept and merging and least is not None:
            # Only what beats a full list's least entry goes in (most new postings don't).
            kept = [(w, m) for w, m in kept if w > least]
        if kept:
            conn.executemany(
                "INSERT OR REPLACE INTO search_top (term, impact, message_id) VALUES (?, ?, ?)",
                [(term, w, m) for w, m in heapq.nlargest(top_k, kept)],
            )
            if merging:
                conn.execute(
                    "DELETE FROM search_top WHERE term = ? AND (impact, message_id) < ("
                    " SELECT impact, message_id FROM search_top WHERE term = ?"
                    " ORDER BY impact DESC, message_id DESC LIMIT 1 OFFSET ?)",
                    (term, term, chosen.top_k - 1),
                )
            size, low = conn.execute("SELECT count(*), min(impact) FROM search_top WHERE term = ?", (term,)).fetchone()
            floors.append((low if size >= top_k else None, term))
    conn.executemany("UPDATE search_terms SET least = ? WHERE term = ?", floors)
    if rewritten is None:
        conn.execute("INSERT OR REPLACE INTO search_state (key, value) VALUES ('watermark', ?)", (last,))
    return seen



def fetch(conn: sqlite3.Connection, ids: Sequence[int]) -> list[tuple[int, str, bytes]]:
    """(id, content, FTS5 size record) of these messages."""
    if not ids:
        return []
    return conn.execute(
        "SELECT m.id, m.content, d.sz FROM messages m JOIN messages_fts_docsize d ON d.id = m.id"
        " WHERE m.id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(ids)),),
    ).fetchall()
