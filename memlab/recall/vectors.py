"""Message vectors in memlab's own table, embedded off the write path, searched exactly with numpy.

``messages.add`` never embeds: messages without a vector are the backlog, drained in batches by
``embed`` (``memlab embed``). Deleting or rewriting a message deletes its vector (triggers, so
plain SQL deletes and ``forget`` do too); a rewritten message is embedded again by the next
``embed``. A connection keeps the vectors in memory as one float32 matrix and reads only the
rows added since (a deletion anywhere reloads it).

Up to ``EXACT`` vectors in scope are ranked exactly. Past it, each vector's signs (one bit a
dimension, kept beside the matrix) pick the ``candidates()`` nearest by Hamming distance, and
those are ranked exactly: binary quantization with rescoring, as Vespa and Qdrant do it. At 1M
it reads 32 MB of bits instead of 1 GB of floats; docs/benchmarks.md has what it costs in recall.
"""

from __future__ import annotations

import sqlite3
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .. import validation as v
from ..progress import bar as progress_bar
from . import embeddings

if TYPE_CHECKING:
    from ..store import Store

# The table, its state and the triggers that delete a message's vector: migration
# 009_message_vectors (memlab.migrations).

BATCH = 512
STORED = np.float16  # on disk: half the bytes; rankings measured the same as float32
EXACT = 50_000  # scopes up to this many vectors are ranked exactly (a 256-d scan: ~5 ms)

_BACKLOG = """
SELECT m.id, m.content FROM messages m
WHERE m.id > :after AND NOT EXISTS (SELECT 1 FROM message_vectors v WHERE v.message_id = m.id)
ORDER BY m.id LIMIT :limit
"""
_BACKLOG_COUNT = """
SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM message_vectors v WHERE v.message_id = m.id)
"""
# A message deleted since its text was read gets no vector (and no foreign-key error).
_INSERT = """
INSERT OR REPLACE INTO message_vectors (message_id, model, vector)
SELECT :id, :model, :vector WHERE EXISTS (SELECT 1 FROM messages WHERE id = :id)
"""


def stored_model(conn: sqlite3.Connection) -> str | None:
    """The model this database's vectors were made with (None before any ``embed``)."""
    row = conn.execute("SELECT value FROM message_vectors_state WHERE key = 'model'").fetchone()
    return row[0] if row else None


def model_for(conn: sqlite3.Connection) -> str | None:
    """The model recall uses here: the stored vectors' if its package is installed, else the
    first installed (None when none is)."""
    stored = stored_model(conn)
    if stored is not None and embeddings.available(stored):
        return stored
    found = embeddings.installed()
    return found[0] if found and stored is None else None


def backlog(store: "Store") -> int:
    """How many messages have no vector yet."""
    return store.conn.execute(_BACKLOG_COUNT).fetchone()[0]


def embed(store: "Store", *, model: str | None = None, batch: int = BATCH, limit: int | None = None,
          progress: bool | None = None) -> int:
    """Embed messages without a vector (up to ``limit``), a batch per transaction; return how
    many. A ``model`` other than the stored vectors' replaces them all (re-embedding everything)."""
    conn = store.conn
    batch = max(1, v.count("batch", batch))
    if limit is not None:
        limit = v.count("limit", limit)
    name = embeddings.check(model) if model is not None else (stored_model(conn) or embeddings.DEFAULT)
    chosen = embeddings.model(name)
    if stored_model(conn) != name:
        with store.transaction():
            conn.execute("DELETE FROM message_vectors")
            conn.execute("INSERT OR REPLACE INTO message_vectors_state (key, value) VALUES ('model', ?)", (name,))
    todo = backlog(store) if limit is None else min(limit, backlog(store))
    done, after = 0, 0
    bar = progress_bar(total=todo, desc=f"embed ({name})", unit="msg", progress=progress)
    try:
        while done < todo:
            rows = conn.execute(_BACKLOG, {"after": after, "limit": min(batch, todo - done)}).fetchall()
            if not rows:
                break
            vectors = chosen.passages([r[1] for r in rows]).astype(STORED)
            with store.transaction():
                conn.executemany(_INSERT, [{"id": r[0], "model": name, "vector": v.tobytes()}
                                           for r, v in zip(rows, vectors)])
            done += len(rows)
            after = rows[-1][0]
            bar.update(len(rows))
    finally:
        bar.close()
    return done


def signs(rows: np.ndarray) -> np.ndarray:
    """Each row's signs as bits, one uint64 array per 64 dimensions (words x rows): the
    Hamming scan then runs over long contiguous arrays."""
    if not len(rows):
        return np.zeros((-(-rows.shape[1] // 64), 0), dtype=np.uint64)
    packed = np.packbits(rows > 0, axis=1)
    packed = np.pad(packed, ((0, 0), (0, -packed.shape[1] % 8)))
    return np.ascontiguousarray(packed.view(np.uint64).T)


@dataclass
class Matrix:
    """One connection's copy of the vectors: message ids (ascending), their rows and signs."""

    model: str | None = None
    removed: int = -1
    seq: int = 0
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    bits: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.uint64))

    def refresh(self, conn: sqlite3.Connection, model: str) -> "Matrix":
        """Bring the copy up to date: the rows added since, or all after a removal."""
        removed = conn.execute("SELECT value FROM message_vectors_state WHERE key = 'removed'").fetchone()[0]
        newest = conn.execute("SELECT coalesce(max(seq), 0) FROM message_vectors").fetchone()[0]
        if model != self.model or removed != self.removed or newest < self.seq:
            self.model, self.removed, self.seq = model, removed, 0
            self.ids = np.zeros(0, dtype=np.int64)
            self.rows = np.zeros((0, embeddings.model(model).dim), dtype=np.float32)
            self.bits = signs(self.rows)
        if newest > self.seq:
            ids, rows, bits = _read(conn, model, self.seq, newest, self.rows.shape[1])
            if len(ids):
                if len(self.ids):
                    ids = np.concatenate([self.ids, ids])
                    rows = np.concatenate([self.rows, rows])
                    bits = np.concatenate([self.bits, bits], axis=1)
                if len(ids) > 1 and not (ids[1:] > ids[:-1]).all():  # vectors usually arrive in id order
                    order = np.argsort(ids, kind="stable")
                    ids, rows, bits = ids[order], rows[order], bits[:, order]
                self.ids, self.rows, self.bits = ids, rows, bits
            self.seq = newest
        return self


LOAD_BATCH = 50_000  # vectors read at a time: 1M arrive without 1M blobs held at once
_COUNT_SINCE = "SELECT count(*) FROM message_vectors WHERE seq > ? AND seq <= ? AND model = ?"
_READ_SINCE = "SELECT message_id, vector FROM message_vectors WHERE seq > ? AND seq <= ? AND model = ?"


def _read(conn: sqlite3.Connection, model: str, after: int, upto: int,
          dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The vectors with ``after < seq <= upto``: ids, float32 rows and sign bits, filled in
    batches straight into their arrays (at 1M: 6.6 s and a peak of 1.3 GB, where reading every
    row first took 11.2 s and 3.1 GB)."""
    count = conn.execute(_COUNT_SINCE, (after, upto, model)).fetchone()[0]
    ids = np.empty(count, dtype=np.int64)
    rows = np.empty((count, dim), dtype=np.float32)
    bits = np.empty((-(-dim // 64), count), dtype=np.uint64)
    filled = 0
    cursor = conn.execute(_READ_SINCE, (after, upto, model))
    while filled < count:
        batch = cursor.fetchmany(LOAD_BATCH)[:count - filled]  # (a row deleted since the count: fewer)
        if not batch:
            break
        end = filled + len(batch)
        ids[filled:end] = [r[0] for r in batch]
        rows[filled:end] = np.frombuffer(b"".join(r[1] for r in batch), dtype=STORED).reshape(len(batch), dim)
        bits[:, filled:end] = signs(rows[filled:end])
        filled = end
    cursor.close()
    return ids[:filled], rows[:filled], bits[:, :filled]


_matrices: "weakref.WeakKeyDictionary[sqlite3.Connection, Matrix]" = weakref.WeakKeyDictionary()


def matrix(conn: sqlite3.Connection, model: str) -> Matrix:
    """This connection's vectors, up to date."""
    m = _matrices.get(conn)
    if m is None:
        m = _matrices[conn] = Matrix()
    return m.refresh(conn, model)


def candidates(limit: int) -> int:
    """How many vectors nearest by Hamming distance are ranked exactly for ``limit`` results
    (at 1M WordLlama vectors, 4,000 kept 98% of the exact top 10 and 95% of the top 50)."""
    return max(4_000, 80 * limit)


def nearest(m: Matrix, query: np.ndarray, limit: int, at: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(message id, cosine) of the ``limit`` vectors closest to ``query``, best first, among the
    rows at positions ``at`` (all rows when None): exact up to ``EXACT`` rows, else the exact
    ranking of the ``candidates`` whose signs are nearest."""
    every = at is None
    at = np.arange(len(m.ids)) if every else np.asarray(at, dtype=np.int64)
    if not len(at) or limit <= 0:
        return []
    if len(at) > max(EXACT, candidates(limit)):
        at = at[_nearest_signs(m.bits if every else m.bits[:, at], query, candidates(limit))]
    return ranked(m.ids[at], m.rows[at] @ query, limit)


def _nearest_signs(bits: np.ndarray, query: np.ndarray, count: int) -> np.ndarray:
    """Positions (in ``bits``) of at least ``count`` rows nearest ``query`` by Hamming distance:
    every row up to the distance the ``count``-th row is at."""
    mine = signs(query[None, :])[:, 0]
    distance = np.bitwise_count(bits[0] ^ mine[0]).astype(np.uint16)
    for word in range(1, len(mine)):
        distance += np.bitwise_count(bits[word] ^ mine[word])
    cut = int(np.searchsorted(np.cumsum(np.bincount(distance)), count))
    return np.flatnonzero(distance <= cut)


def ranked(ids: np.ndarray, scores: np.ndarray, limit: int) -> list[tuple[int, float]]:
    """The ``limit`` best (id, score), best first, ties newest first."""
    k = min(limit, len(scores))
    if not k:
        return []
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    top = top[np.lexsort((-ids[top], -scores[top]))]
    return [(int(ids[i]), float(scores[i])) for i in top]


def positions(m: Matrix, wanted: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the ``wanted`` message ids' vectors are in ``m``, and the ids without one."""
    wanted = np.asarray(wanted, dtype=np.int64)
    at = np.searchsorted(m.ids, wanted)
    found = (at < len(m.ids)) & (m.ids[np.minimum(at, len(m.ids) - 1)] == wanted) if len(m.ids) else \
        np.zeros(len(wanted), dtype=bool)
    return at[found], wanted[~found]
