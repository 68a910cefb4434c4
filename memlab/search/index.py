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
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from . import bm25, postings
from .terms import Stemmer
from ..progress import bar as progress_bar


TOP_K = 500  # messages kept per common term
MIN_DOCS = 300  # a term in fewer messages has no list: its matches are few enough to score all
TAIL_LIMIT = 5_000  # matches a search scores from the unfolded change log before FTS5 ranks instead

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


# What a fold reads of each message: its text, day, FTS5 size record, conversation and role.
_EVERY_MESSAGE = """
SELECT m.id, m.content, m.created_at, d.sz, c.id, m.role FROM messages m
JOIN messages_fts_docsize d ON d.id = m.id JOIN conversations c ON c.conversation_id = m.conversation_id
ORDER BY m.id
"""

_PENDING_MESSAGES = """
SELECT m.id, m.content, m.created_at, d.sz, c.id, m.role FROM messages m
JOIN messages_fts_docsize d ON d.id = m.id JOIN conversations c ON c.conversation_id = m.conversation_id
WHERE m.id IN (SELECT message_id FROM search_pending)
ORDER BY m.id
"""


def _every_message(conn: sqlite3.Connection) -> Iterator[tuple[int, str, str, bytes, int, str]]:
    yield from conn.execute(_EVERY_MESSAGE)


def _pending_messages(conn: sqlite3.Connection) -> Iterator[tuple[int, str, str, bytes, int, str]]:
    yield from conn.execute(_PENDING_MESSAGES)


def _learned(stemmer: "Stemmer", rows: Iterator[tuple[int, str, str, bytes, int, str]],
             chunk: int = 2_000) -> Iterator[tuple[int, str, str, bytes, int, str]]:
    """The rows again, with the words of each chunk of them stemmed in one round trip."""
    while True:
        batch = [row for _, row in zip(range(chunk), rows)]
        if not batch:
            return
        stemmer.learn_texts(row[1] for row in batch)
        yield from batch


def _bump(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("INSERT INTO search_state (key, value) VALUES (?, 1)"
                 " ON CONFLICT (key) DO UPDATE SET value = value + 1", (key,))


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
                          "DELETE FROM search_removed", "DELETE FROM search_pending", "DELETE FROM search_state"):
            conn.execute(statement)
        postings.clear(conn)
        conn.executemany(
            "INSERT INTO search_state (key, value) VALUES (?, ?)",
            # A rebuild counts as a change too: what readers remembered of any message is stale.
            [("top_k", chosen.top_k), ("min_docs", chosen.min_docs), ("generation", then + 1),
             ("changes", changed + 1)],
        )
        pending = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        return _fold(conn, _every_message(conn), pending, chosen, Stemmer(conn), incremental=False, progress=progress)


def refresh(conn: sqlite3.Connection, *, progress: bool | None = False) -> int:
    """Fold the change log into the index: take out what deleted, rewritten or moved messages
    held, add what the logged messages hold now; return how many messages were added.

    A write, in the caller's transaction or its own: searches never call it (they score what
    is not folded in yet exactly, from FTS5 and the text); writers and ``memlab index`` do.
    """
    with _writing(conn):
        stemmer = Stemmer(conn)
        removed = _take_out_removed(conn, stemmer)
        pending = conn.execute("SELECT count(*) FROM search_pending").fetchone()[0]
        added = _fold(conn, _pending_messages(conn), pending, settings(conn), stemmer, incremental=True,
                      progress=progress) if pending else 0
        conn.execute("DELETE FROM search_pending")
        if added or removed or pending:
            _bump(conn, "generation")
        return added


def generation(conn: sqlite3.Connection) -> int:
    """A number that changes whenever a build or refresh changes the index, or a scope changes
    hands (what readers key their caches on)."""
    row = conn.execute("SELECT value FROM search_state WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def backlog(conn: sqlite3.Connection) -> tuple[int, int]:
    """(messages logged to be folded in, messages logged to be taken out)."""
    return (conn.execute("SELECT count(*) FROM search_pending").fetchone()[0],
            conn.execute("SELECT count(*) FROM search_removed").fetchone()[0])


def changes(conn: sqlite3.Connection) -> int:
    """How many builds, deletes and rewrites of messages there have been: what a reader
    remembered of older messages (phrase counts) is stale after one."""
    row = conn.execute("SELECT value FROM search_state WHERE key = 'changes'").fetchone()
    return int(row[0]) if row else 0


# The least weight in a term's top list once it holds top_k messages (a message not in the list
# weighs at most that), kept so neither a refresh nor a search has to read the list for it.
LEAST_SCHEMA = """
ALTER TABLE search_terms ADD COLUMN least REAL;
"""


def _take_out_removed(conn: sqlite3.Connection, stemmer: Stemmer) -> int:
    """Take the words of deleted, rewritten or moved messages out of the counts and postings;
    return how many. The top lists keep them: still bounds (searches score from text)."""
    rows = conn.execute("SELECT message_id, content FROM search_removed").fetchall()
    if not rows:
        return 0
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
    return len(rows)


def _fold(conn: sqlite3.Connection, source: Iterator[tuple[int, str, str, bytes, int, str]], pending: int,
          chosen: Settings, stemmer: Stemmer, *, incremental: bool, progress: bool | None) -> int:
    """Read these messages (in id order): update counts, day ranges, the top lists and the
    postings. ``incremental``: the index already holds other messages (a refresh)."""
    total, avgdl = totals(conn)
    counts: Counter[str] = Counter()
    # Each term's best (weight, id) so far: appended while above the term's bar, cut back to
    # top_k (raising the bar) when twice as long. Cheaper than a heap push per posting.
    best: dict[str, list[tuple[float, int]]] = {}
    bars: dict[str, float] = {}
    top_k, twice = chosen.top_k, 2 * chosen.top_k
    days: dict[str, list[int]] = {}
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
    )} if incremental else {}
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
    wrote = False
    for term, new in counts.items():
        old, least = before.get(term, (0, None))
        if old + new < chosen.min_docs:
            continue  # rare: no list
        if incremental and old < chosen.min_docs:
            # Newly common: its list needs every message, not only the new ones.
            best[term] = postings.best_weights(conn, term, chosen.top_k, avgdl)
        kept = best.get(term)
        merging = incremental and old >= chosen.min_docs
        if kept and merging and least is not None:
            # Only what beats a full list's least entry goes in (most new postings don't).
            kept = [(w, m) for w, m in kept if w > least]
        if kept:
            wrote = True
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
    if wrote:
        # The lists' weights were computed at this average length; when it grows, a message's
        # weight grows by at most (avgdl now / the least one any list was written at).
        conn.execute("INSERT INTO search_state (key, value) VALUES ('list_avgdl', ?)"
                     " ON CONFLICT (key) DO UPDATE SET value = min(value, excluded.value)", (avgdl,))
    return seen


def verify(conn: sqlite3.Connection) -> list[str]:
    """What the side index holds that FTS5 doesn't (each a line; [] when they agree): every term's
    message count (FTS5's, less the logged messages not folded in yet, plus the stale texts still
    counted), the postings behind each count, and every indexed message's length. Reads only."""
    stemmer = Stemmer(conn)
    stemmer.ensure_ready()
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.memlab_fts_rows USING fts5vocab(main, messages_fts, row)")
    expected = Counter(dict(conn.execute("SELECT term, doc FROM temp.memlab_fts_rows")))
    pending = conn.execute("SELECT content FROM messages WHERE id IN (SELECT message_id FROM search_pending)").fetchall()
    removed = conn.execute("SELECT content FROM search_removed").fetchall()
    stemmer.learn_texts(text for (text,) in pending + removed)
    for (text,) in pending:
        expected.subtract(set(stemmer.words(text)))
    for (text,) in removed:
        expected.update(set(stemmer.words(text)))
    stored = dict(conn.execute("SELECT term, docs FROM search_terms WHERE docs > 0"))
    problems = [f"search index: {term!r} is in {stored.get(term, 0)} messages, FTS5 says {n}"
                for term, n in sorted(expected.items()) if n > 0 and stored.get(term, 0) != n]
    problems += [f"search index: {term!r} is in {n} messages, FTS5 has no such term"
                 for term, n in sorted(stored.items()) if expected.get(term, 0) <= 0]
    held: Counter[str] = Counter()
    for term, ids, tfs in conn.execute("SELECT term, ids, tfs FROM search_postings"):
        held[term] += len(ids) // 2 if ids is not None else sum(1 for b in tfs if b)
    problems += [f"search index: {term!r} has postings for {held.get(term, 0)} messages, its count is {n}"
                 for term, n in sorted(stored.items()) if held.get(term, 0) != n]
    if not removed:  # (stale lengths are left until the next refresh)
        lengths = {part: np.frombuffer(blob, dtype="<u4") for part, blob in
                   conn.execute("SELECT part, lengths FROM search_messages")}
        skip = {r[0] for r in conn.execute("SELECT message_id FROM search_pending")}
        for mid, size in conn.execute("SELECT id, sz FROM messages_fts_docsize"):
            part = lengths.get(mid >> postings.PART_BITS)
            if mid not in skip and (part is None or part[mid & postings.MASK] != first_varint(size)):
                problems.append(f"search index: message {mid} is not indexed with its length")
                break
    return problems[:20]


def fetch(conn: sqlite3.Connection, ids: Sequence[int]) -> list[tuple[int, str, bytes]]:
    """(id, content, FTS5 size record) of these messages."""
    if not ids:
        return []
    return conn.execute(
        "SELECT m.id, m.content, d.sz FROM messages m JOIN messages_fts_docsize d ON d.id = m.id"
        " WHERE m.id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(ids)),),
    ).fetchall()
