"""Postings beside FTS5: which messages hold each term and how often, in blobs numpy reads whole.

FTS5's doclists hold the same facts, but SQL can only reach them through FTS5's ranking, which
computes bm25 for every match (about 1.6 us each): several mid-frequency words, a prefix or a
common word inside one user's messages cost FTS5 50-300 ms at a million messages. memlab keeps a
copy without positions: per term and per part of 65,536 message ids, the ids (uint16 offsets,
ascending) and term frequencies (uint8, 255 meaning "255 or more"), or for a term in over a third
of the part's messages a byte per message; and every message's length, conversation and role.
A conjunction of words and prefixes is then intersected and scored with numpy, bm25 exactly as
FTS5 computes it, in milliseconds. Phrases of several words still need positions (FTS5's).
A refresh appends its messages' postings as a new run instead of rewriting the part's; a term's
runs in a part are merged once there are more than MAX_RUNS.

At a million messages of ~80 tokens the copy takes about 2.8 bytes a (term, message) pair:
~150 MB beside FTS5's own 196 MB index.
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np

from . import bm25

PART_BITS = 16  # message ids per part: 2**16, so an id within its part fits a uint16
PART_SIZE = 1 << PART_BITS
MASK = PART_SIZE - 1
SATURATED = 255  # a stored frequency of 255 means 255 or more: such messages are scored from text
ROLE_CODES = {"user": 1, "assistant": 2, "system": 3, "tool": 4}  # 0: no message
DENSE = PART_SIZE // 3  # a term in more of a part's messages is stored as a byte per message
# Any-word scoring looks every phrase up in every message of a scope with at most this many
# (messages x phrases), instead of pruning candidates one phrase at a time: measured at 1M,
# db.context in users of 25k-200k messages went from p50 71 / p95 245 ms to 34 / 82 ms.
EVERY_IN_SCOPE = 20_000_000
MAX_RUNS = 8  # a term's runs in one part past this are merged into one
# Looking offsets up in a sparse phrase: spread it into a dense array when offsets * SPREAD_LOOKUP >
# its entries + SPREAD_FIXED (a binary search costs ~12 entries' spreading; clearing, ~2,400).
SPREAD_LOOKUP = 12
SPREAD_FIXED = 2_400



class Writer:
    """Postings of messages read in id order, written part by part as a new run of each term."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.part = -1
        self.terms: dict[str, tuple[array, array]] = {}
        self.offsets = array("H")
        self.lengths = array("I")
        self.conversations = array("I")
        self.roles = array("B")

    def add(self, message_id: int, terms: Mapping[str, int], length: int, conversation: int, role: str) -> None:
        """One message: its terms with their frequencies, its length in tokens, its conversation
        (conversations.id) and role."""
        part = message_id >> PART_BITS
        if part != self.part:
            self.flush()
            self.part = part
        offset = message_id & MASK
        got = self.terms.get
        for term, tf in terms.items():
            pair = got(term)
            if pair is None:
                pair = self.terms[term] = (array("H"), array("B"))
            pair[0].append(offset)
            pair[1].append(tf if tf < SATURATED else SATURATED)
        self.offsets.append(offset)
        self.lengths.append(length)
        self.conversations.append(conversation)
        self.roles.append(ROLE_CODES.get(role, 0))

    def flush(self) -> None:
        """Write what was gathered for the current part: a new run of each term's postings (the
        stored ones are not read or rewritten), then merge the runs of terms that have too many."""
        if self.part < 0 or not self.offsets:
            self.terms.clear()
            return
        conn, part = self.conn, self.part
        # A number no run has had (search_state is memlab.search.index's; no RETURNING: SQLite < 3.35).
        conn.execute("INSERT INTO search_state (key, value) VALUES ('runs', 1)"
                     " ON CONFLICT (key) DO UPDATE SET value = value + 1")
        run = conn.execute("SELECT value FROM search_state WHERE key = 'runs'").fetchone()[0]
        conn.executemany(
            "INSERT INTO search_postings (term, part, run, ids, tfs) VALUES (?, ?, ?, ?, ?)",
            [(term, part, run, *_encoded(np.frombuffer(ids, dtype="<u2"), np.frombuffer(tfs, dtype=np.uint8)))
             for term, (ids, tfs) in self.terms.items()],
        )
        crowded = [t for (t,) in conn.execute(
            "SELECT term FROM search_postings WHERE part = ? AND term IN (SELECT value FROM json_each(?))"
            " GROUP BY term HAVING count(*) > ?", (part, json.dumps(list(self.terms)), MAX_RUNS))]
        for term in crowded:
            _merge_runs(conn, term, part)
        lengths, conversations, roles = _part_messages(conn, part)
        at = np.frombuffer(self.offsets, dtype=np.uint16)
        lengths[at] = np.frombuffer(self.lengths, dtype=np.uint32)
        conversations[at] = np.frombuffer(self.conversations, dtype=np.uint32)
        roles[at] = np.frombuffer(self.roles, dtype=np.uint8)
        _store_messages(conn, part, lengths, conversations, roles)
        self.terms.clear()
        self.offsets, self.lengths, self.conversations, self.roles = array("H"), array("I"), array("I"), array("B")


def _merge_runs(conn: sqlite3.Connection, term: str, part: int) -> None:
    """A term's runs in a part as one (their messages are disjoint: sorting is enough)."""
    rows = conn.execute("SELECT run, ids, tfs FROM search_postings WHERE term = ? AND part = ?", (term, part)).fetchall()
    decoded = [_decoded(ids, tfs) for _, ids, tfs in rows]
    offsets = np.concatenate([o for o, _ in decoded])
    tfs = np.concatenate([t for _, t in decoded])
    order = np.argsort(offsets, kind="stable")
    conn.execute("DELETE FROM search_postings WHERE term = ? AND part = ?", (term, part))
    conn.execute("INSERT INTO search_postings (term, part, run, ids, tfs) VALUES (?, ?, ?, ?, ?)",
                 (term, part, min(r[0] for r in rows), *_encoded(offsets[order], tfs[order])))


def _decoded(ids: bytes | None, tfs: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A stored row as (offsets, frequencies), whichever way it is stored."""
    if ids is None:
        dense = np.frombuffer(tfs, dtype=np.uint8)
        offsets = np.flatnonzero(dense > 0).astype(np.uint16)
        return offsets, dense[offsets]
    return np.frombuffer(ids, dtype="<u2"), np.frombuffer(tfs, dtype=np.uint8)


def _encoded(offsets: np.ndarray, tfs: np.ndarray) -> tuple[bytes | None, bytes]:
    """(ids, tfs) blobs for a row: sparse, or a byte per offset past ``DENSE`` messages."""
    if len(offsets) > DENSE:
        dense = np.zeros(PART_SIZE, dtype=np.uint8)
        dense[offsets] = tfs
        return None, dense.tobytes()
    return offsets.astype("<u2").tobytes(), tfs.astype(np.uint8).tobytes()


def _part_messages(conn: sqlite3.Connection, part: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A part's message lengths, conversations and roles (writable copies; zeros for a new part)."""
    row = conn.execute("SELECT lengths, conversations, roles FROM search_messages WHERE part = ?", (part,)).fetchone()
    if row is None:
        return (np.zeros(PART_SIZE, dtype=np.uint32), np.zeros(PART_SIZE, dtype=np.uint32),
                np.zeros(PART_SIZE, dtype=np.uint8))
    return (np.frombuffer(row[0], dtype="<u4").astype(np.uint32), np.frombuffer(row[1], dtype="<u4").astype(np.uint32),
            np.frombuffer(row[2], dtype=np.uint8).copy())


def _store_messages(conn: sqlite3.Connection, part: int, lengths: np.ndarray, conversations: np.ndarray,
                    roles: np.ndarray) -> None:
    conn.execute("INSERT OR REPLACE INTO search_messages (part, lengths, conversations, roles) VALUES (?, ?, ?, ?)",
                 (part, lengths.astype("<u4").tobytes(), conversations.astype("<u4").tobytes(), roles.tobytes()))


def remove(conn: sqlite3.Connection, messages: Iterable[tuple[int, Iterable[str]]]) -> None:
    """Take messages out: each given with the terms it held when it was added."""
    by_key: dict[tuple[str, int], list[int]] = {}
    by_part: dict[int, list[int]] = {}
    for mid, terms in messages:
        part, offset = mid >> PART_BITS, mid & MASK
        by_part.setdefault(part, []).append(offset)
        for term in set(terms):
            by_key.setdefault((term, part), []).append(offset)
    for (term, part), offsets in by_key.items():
        gone = np.array(offsets, dtype=np.uint16)
        for run, ids, tfs in conn.execute(
                "SELECT run, ids, tfs FROM search_postings WHERE term = ? AND part = ?", (term, part)).fetchall():
            held, counts = _decoded(ids, tfs)
            keep = ~np.isin(held, gone)
            if keep.all():
                continue
            if not keep.any():
                conn.execute("DELETE FROM search_postings WHERE term = ? AND part = ? AND run = ?", (term, part, run))
            else:
                conn.execute("UPDATE search_postings SET ids = ?, tfs = ? WHERE term = ? AND part = ? AND run = ?",
                             (*_encoded(held[keep], counts[keep]), term, part, run))
    for part, offsets in by_part.items():
        lengths, conversations, roles = _part_messages(conn, part)
        at = np.array(offsets, dtype=np.int64)
        lengths[at] = 0
        conversations[at] = 0
        roles[at] = 0
        _store_messages(conn, part, lengths, conversations, roles)


def best_weights(conn: sqlite3.Connection, term: str, k: int, avgdl: float) -> list[tuple[float, int]]:
    """The ``k`` messages where a term weighs most (bm25's per-term part) as (weight, id): for a
    term that just became common enough for a top list. A saturated frequency weighs the most
    any can (k1 + 1), so the list still bounds it."""
    out: list[tuple[float, int]] = []
    lengths_of: dict[int, np.ndarray] = {}  # a part's lengths, read once for all its runs
    for part, ids, tfs in conn.execute("SELECT part, ids, tfs FROM search_postings WHERE term = ?", (term,)).fetchall():
        offsets, counts = _decoded(ids, tfs)
        if part not in lengths_of:
            lengths_of[part] = _part_messages(conn, part)[0]
        lengths = lengths_of[part]
        weight = np.where(counts == SATURATED, bm25.K1 + 1, bm25.weights(counts, bm25.norms(lengths[offsets], avgdl)))
        out.extend(zip(weight.tolist(), (offsets.astype(np.int64) + (part << PART_BITS)).tolist()))
    out.sort(reverse=True)
    return out[:k]


def stored(conn: sqlite3.Connection) -> dict[str, dict[int, int]]:
    """Every term's messages and stored frequencies (for checks: this reads everything)."""
    out: dict[str, dict[int, int]] = {}
    for term, part, ids, tfs in conn.execute("SELECT term, part, ids, tfs FROM search_postings ORDER BY term, part"):
        offsets, counts = _decoded(ids, tfs)
        out.setdefault(term, {}).update(zip((offsets.astype(np.int64) + (part << PART_BITS)).tolist(), counts.tolist()))
    return out


def clear(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM search_postings")
    conn.execute("DELETE FROM search_messages")


# -- reading -------------------------------------------------------------------------------


@dataclass
class Messages:
    """Every indexed message's length and conversation by id, read once per connection while
    the index is unchanged."""

    generation: int  # the index's (memlab.search.index.generation) when read
    lengths: np.ndarray
    conversations: np.ndarray
    roles: np.ndarray
    _top: int | None = None
    scopes: dict = field(default_factory=dict)  # a user's, project's... messages, by its filters
    verdicts: dict = field(default_factory=dict)  # per scope: conversation -> inside it or not

    def within(self, conversation_ids: Sequence[int]) -> Matches:
        """The indexed messages of these conversations (by conversations.id), as a phrase with no
        frequencies: ``conjunction`` intersects it with the others, narrowest first."""
        chosen = np.asarray(conversation_ids, dtype=np.int64)
        mask = np.zeros(max(self.top_conversation, int(chosen.max()) if len(chosen) else 0) + 1, dtype=bool)
        mask[chosen] = True
        mask[0] = False  # 0: no message at that id
        inside = mask[self.conversations]
        parts, count = {}, 0
        for part in range(len(inside) >> PART_BITS):
            offsets = np.flatnonzero(inside[part << PART_BITS:(part + 1) << PART_BITS])
            if len(offsets):
                parts[part] = (offsets, None, None)
                count += len(offsets)
        return Matches(parts, count)

    def scope(self, key: tuple, conversation_ids) -> Matches | None:
        """``within`` for a scope named by ``key``, remembered (a few) while the index is unchanged;
        ``conversation_ids``: a function giving the scope's conversations (None: too many to
        look up), called when not remembered."""
        if key in self.scopes:
            return self.scopes[key]
        _make_room(self.scopes)
        chosen = conversation_ids()
        found = self.scopes[key] = None if chosen is None else self.within(chosen)
        return found

    def verdicts_for(self, key: tuple) -> dict[int, bool]:
        """Which conversations a scope named by ``key`` holds, as far as asked (a few scopes)."""
        if key not in self.verdicts:
            _make_room(self.verdicts)
        return self.verdicts.setdefault(key, {})

    @property
    def top_conversation(self) -> int:
        if self._top is None:
            self._top = int(self.conversations.max()) if len(self.conversations) else 0
        return self._top


def _make_room(remembered: dict, most: int = 16) -> None:
    """Forget the oldest entry of a per-connection memo that is full."""
    if len(remembered) >= most:
        remembered.pop(next(iter(remembered)))


def messages(conn: sqlite3.Connection, generation: int, cached: Messages | None = None) -> Messages:
    """Lengths and conversations indexed by message id (0 for no message), for the index as it
    is now (its generation: see memlab.search.index); ``cached`` is returned while it is of
    that generation."""
    if cached is not None and cached.generation == generation:
        return cached
    rows = conn.execute("SELECT part, lengths, conversations, roles FROM search_messages ORDER BY part").fetchall()
    size = ((rows[-1][0] + 1) << PART_BITS) if rows else 0
    lengths = np.zeros(size, dtype=np.uint32)
    conversations = np.zeros(size, dtype=np.intp)  # (intp: numpy indexes with it without a copy)
    roles = np.zeros(size, dtype=np.uint8)
    for part, blob, convs, codes in rows:
        at = slice(part << PART_BITS, (part + 1) << PART_BITS)
        lengths[at] = np.frombuffer(blob, dtype="<u4")
        conversations[at] = np.frombuffer(convs, dtype="<u4")
        roles[at] = np.frombuffer(codes, dtype=np.uint8)
    return Messages(generation, lengths, conversations, roles)


@dataclass
class Matches:
    """Messages holding a phrase (a term, or any expansion of a prefix) and how often, per part:
    part -> (offsets ascending, frequencies, saturated). Offsets None: the frequencies are a byte
    per offset (a dense term). A term's frequencies are its stored bytes (saturated None: 255 says
    so); a prefix's are sums, with a mask of those that saturated. ``count``: messages in all."""

    parts: dict[int, tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]]
    count: int
    _most: dict[int, float] = field(default_factory=dict, repr=False)

    def most(self, part: int) -> float:
        """The highest frequency in a part (inf where one saturated): with a message's length,
        it bounds what the phrase can add to that message's bm25."""
        known = self._most.get(part)
        if known is None:
            _, tfs, saturated = self.parts[part]
            top = float(tfs.max()) if tfs is not None and len(tfs) else 1.0
            full = bool(saturated.any()) if saturated is not None else tfs is not None and top >= SATURATED
            known = self._most[part] = np.inf if full else top
        return known


def matches(conn: sqlite3.Connection, terms: Sequence[str], low: int, high: int) -> Matches:
    """The messages with ids in [low, high] holding any of ``terms``, frequencies summed (a
    prefix's frequency in a message is how many of its tokens start with it)."""
    gathered: dict[int, list[tuple[bytes | None, bytes]]] = {}
    for term in terms:
        for part, ids, tfs in conn.execute(
            "SELECT part, ids, tfs FROM search_postings WHERE term = ? AND part BETWEEN ? AND ? ORDER BY part, run",
            (term, low >> PART_BITS, high >> PART_BITS),
        ):
            gathered.setdefault(part, []).append((ids, tfs))
    parts: dict[int, tuple] = {}
    count = 0
    for part, blobs in gathered.items():
        base = part << PART_BITS
        clipped = base < low or base + MASK > high
        saturated = None
        if len(blobs) == 1 and blobs[0][0] is None and not clipped:
            tfs = np.frombuffer(blobs[0][1], dtype=np.uint8)
            parts[part] = (None, tfs, None)
            count += int(np.count_nonzero(tfs))
            continue
        if len(blobs) == 1:
            offsets, tfs = _decoded(*blobs[0])
        else:  # a prefix (or a word in several runs): add up its expansions per message
            sparse = [(np.frombuffer(i, dtype="<u2"), np.frombuffer(t, dtype=np.uint8)) for i, t in blobs if i is not None]
            dense = [np.frombuffer(t, dtype=np.uint8) for i, t in blobs if i is None]
            every = [o for o, _ in sparse] + [np.flatnonzero(d > 0) for d in dense]
            frequencies = [t for _, t in sparse] + [d[d > 0] for d in dense]
            at, weights = np.concatenate(every), np.concatenate(frequencies)
            summed = np.bincount(at, weights=weights, minlength=PART_SIZE)  # one pass: ~10x fewer bytes moved
            offsets = np.flatnonzero(summed > 0)  # (on a bool array: ~10x faster than on floats)
            tfs = summed[offsets]
            full = at[weights == SATURATED]
            if len(full):
                marked = np.zeros(PART_SIZE, dtype=bool)
                marked[full] = True
                saturated = marked[offsets]
            else:
                saturated = np.zeros(len(offsets), dtype=bool)
        if clipped:
            inside = (offsets >= low - base) & (offsets <= high - base)
            offsets, tfs = offsets[inside], tfs[inside]
            saturated = None if saturated is None else saturated[inside]
        if len(offsets):
            parts[part] = (offsets, tfs, saturated)
            count += len(offsets)
    return Matches(parts, count)


@dataclass
class Scored:
    """Messages holding every phrase, with their bm25 (higher is better); ``uncertain``: those
    whose stored frequencies were saturated (their text must be scored instead)."""

    ids: np.ndarray
    scores: np.ndarray
    uncertain: np.ndarray


def _intersected(every: Sequence[Matches]) -> Iterator[tuple[int, np.ndarray, dict[int, tuple]]]:
    """Per part: the offsets in every one of ``every``, and each one's (frequencies, saturated)
    at those offsets; the rarest first, so the others are only looked up."""
    order = sorted(range(len(every)), key=lambda i: every[i].count)
    for part, (offsets, tfs, saturated) in every[order[0]].parts.items():
        if offsets is None:
            offsets = np.flatnonzero(tfs > 0)
            tfs = tfs[offsets]
        held = {order[0]: (tfs, saturated)}
        for i in order[1:]:
            other = every[i].parts.get(part)
            if other is None:
                offsets = offsets[:0]
                break
            hit, found = _lookup(other, offsets)
            offsets, held = _taken(offsets, held, hit)
            held[i] = found
            if not len(offsets):
                break
        if len(offsets):
            yield part, offsets, held


def _lookup(other: tuple, offsets: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Which of ``offsets`` another phrase holds (positions in ``offsets``), and its (frequencies,
    saturated) there. A dense phrase is read by offset; a sparse one is spread into a dense
    array when that is cheaper than a binary search per offset (~25 ns each, against ~2 ns an
    entry plus clearing 64 kB)."""
    ids, tfs, saturated = other
    if ids is None:
        tf = tfs[offsets]
        hit = np.flatnonzero(tf > 0)
        return hit, (tf[hit], None)
    if len(offsets) * SPREAD_LOOKUP > len(ids) + SPREAD_FIXED:
        spread = np.zeros(PART_SIZE, dtype=bool if tfs is None else tfs.dtype)
        spread[ids] = True if tfs is None else tfs
        tf = spread[offsets]
        hit = np.flatnonzero(tf)
        if saturated is None:
            return hit, (None if tfs is None else tf[hit], None)
        flags = np.zeros(PART_SIZE, dtype=bool)
        flags[ids] = saturated
        return hit, (tf[hit], flags[offsets[hit]])
    at = np.searchsorted(ids, offsets)
    at[at == len(ids)] = 0
    hit = np.flatnonzero(ids[at] == offsets)
    at = at[hit]
    return hit, (None if tfs is None else tfs[at], None if saturated is None else saturated[at])


def _saturated(tf: np.ndarray, saturated: np.ndarray | None) -> np.ndarray:
    return (tf == SATURATED) if saturated is None else saturated


def together(words: Sequence[Matches]) -> Matches:
    """The messages holding every word of a phrase, with the least of the words' frequencies:
    the most times the phrase can occur there (a bound; where the phrase is is FTS5's to say).
    Saturated where every word's frequency is."""
    parts: dict[int, tuple] = {}
    count = 0
    for part, offsets, held in _intersected(words):
        least = None
        for tf, saturated in held.values():
            # A saturated frequency bounds nothing: it is infinite here.
            value = np.where(_saturated(tf, saturated), np.inf, tf.astype(np.float64))
            least = value if least is None else np.minimum(least, value)
        unknown = np.isinf(least)
        least[unknown] = SATURATED
        parts[part] = (offsets, least, unknown)
        count += len(offsets)
    return Matches(parts, count)


def conjunction(phrases: Sequence[Matches], idfs: Sequence[float], avgdl: float, known: Messages,
                scope: Matches | None = None, role: int | None = None,
                only: int | None = None) -> Scored:
    """bm25 of the messages holding every phrase (and inside ``scope``, if given: see
    ``Messages.within``; of ``role``, a ROLE_CODES value, if given), as FTS5 computes it.
    ``only``: leave out messages that can't be among the ``only`` best (see ``_contenders``)."""
    every = [*phrases, scope] if scope is not None else list(phrases)
    out_ids, out_scores, out_uncertain = [], [], []
    for part, offsets, held in _intersected(every):
        base = part << PART_BITS
        if role is not None:
            offsets, held = _taken(offsets, held, np.flatnonzero(known.roles[base:base + PART_SIZE][offsets] == role))
            if not len(offsets):
                continue
        length = known.lengths[base:base + PART_SIZE][offsets]
        if only is not None and bm25.B > 0 and avgdl > 0 and len(offsets) > 4 * only:
            keep = _contenders(held, length, len(idfs), only)
            if keep is not None:
                (offsets, held), length = _taken(offsets, held, keep), length[keep]
        norm = bm25.norms(length, avgdl)
        scores = np.zeros(len(offsets))
        uncertain = np.zeros(len(offsets), dtype=bool)
        for i, weight in enumerate(idfs):
            tf, saturated = held[i]
            uncertain |= _saturated(tf, saturated)
            bm25.add_phrase(scores, weight, tf, norm)
        out_ids.append(offsets.astype(np.int64) + base)
        out_scores.append(scores)
        out_uncertain.append(uncertain)
    if not out_ids:
        return Scored(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=bool))
    return Scored(np.concatenate(out_ids), np.concatenate(out_scores), np.concatenate(out_uncertain))


def any_of(phrases: Sequence[Matches], idfs: Sequence[float], avgdl: float, known: Messages, want: int,
           scope: Matches | None = None, role: int | None = None, dirty: np.ndarray | None = None,
           every_in_scope: int = 0) -> tuple[Scored, int]:
    """The messages holding any phrase that can be among the ``want`` best, with bm25 as FTS5
    computes it for an OR query (every phrase in order, 0.0 for an absent one), and how many
    were considered. MaxScore, as Lucene does it: phrases by rising upper bound (idf x (k1 + 1));
    the messages of the ones with the highest bounds (the "essential" ones) are candidates, and
    a phrase joins them only while the bounds of those left out add up to at least the k-th
    score so far. A candidate is looked up in the other phrases highest bound first, and dropped
    as soon as its score so far plus what the unread phrases can still add (each one's highest
    frequency in the part, at the candidate's length) can't reach the k-th (every score so far
    is a lower bound of a final one, so the k-th of them is too). ``scope``/``role`` as in
    ``conjunction``; ``dirty``: ids left out (stale entries). A scope with at most
    ``every_in_scope`` messages x phrases is scored whole instead."""
    gone = np.sort(dirty.astype(np.int64)) if dirty is not None and len(dirty) else None
    if scope is not None and scope.count * len(phrases) <= every_in_scope:
        return _every_in_scope(phrases, idfs, avgdl, known, scope, role, gone)
    order = sorted(range(len(phrases)), key=lambda i: idfs[i])  # lowest bound first
    bounds = [idfs[i] * (bm25.K1 + 1) for i in order]
    kept: list[Scored] = []
    considered: dict[int, np.ndarray] = {}  # per part: messages of the phrases made essential so far
    allowed: dict[int, np.ndarray | None] = {}  # per part: offsets inside the scope, not stale (None: all)
    least = 0.0  # a lower bound of the k-th best final score
    read = 0
    for left_out in range(len(order) - 1, -1, -1):  # the highest bound left out becomes essential
        new = order[left_out]
        for part in sorted(phrases[new].parts):
            if part not in allowed:
                allowed[part] = _allowed(part, scope, gone)
            fresh, least = _candidates(phrases, idfs, avgdl, known, allowed[part], role, order[:left_out], new,
                                       part, considered, least, want)
            read += fresh[1]
            if len(fresh[0].ids):
                kept.append(fresh[0])
                if sum(len(k.ids) for k in kept) >= want:
                    kept = [_concatenated(kept)]
                    least = max(least, _kth(kept[0].scores, want))
        if sum(bounds[:left_out]) < least:
            break  # a message holding none of the essential phrases can't reach the top
    return (_concatenated(kept) if kept else _EMPTY), read


def _every_in_scope(phrases: Sequence[Matches], idfs: Sequence[float], avgdl: float, known: Messages,
                    scope: Matches, role: int | None, gone: np.ndarray | None) -> tuple[Scored, int]:
    """Every message of a small scope holding any phrase, scored: each phrase looked up in the
    scope's messages part by part (pruning one message at a time costs more there)."""
    out: list[Scored] = []
    read = 0
    for part, (offsets, _, _) in scope.parts.items():
        base = part << PART_BITS
        if role is not None:
            offsets = offsets[known.roles[base:base + PART_SIZE][offsets] == role]
        fresh = _allowed(part, None, gone)  # (stale entries left out)
        if fresh is not None:
            offsets = offsets[fresh[offsets]]
        if not len(offsets):
            continue
        read += len(offsets)
        norm = bm25.norms(known.lengths[base:base + PART_SIZE][offsets], avgdl)
        scores = np.zeros(len(offsets))
        held = np.zeros(len(offsets), dtype=bool)
        uncertain = np.zeros(len(offsets), dtype=bool)
        where = None  # offset -> its position in offsets (-1: not in the scope)
        for i, weight in enumerate(idfs):  # in query order, as FTS5 adds them up
            other = phrases[i].parts.get(part)
            if other is None:
                continue
            ids, frequencies, flags = other
            if ids is not None and len(ids) < SPREAD_LOOKUP * len(offsets):
                # A phrase with fewer entries than the scope: its entries are looked up in the scope.
                if where is None:
                    where = np.full(PART_SIZE, -1, dtype=np.int32)
                    where[offsets] = np.arange(len(offsets), dtype=np.int32)
                at = where[ids]
                inside = at >= 0
                hit, tf = at[inside], frequencies[inside]
                saturated = None if flags is None else flags[inside]
            else:
                hit, (tf, saturated) = _lookup(other, offsets)
            if not len(hit):
                continue
            held[hit] = True
            full = _saturated(tf, saturated)
            if full.any():
                uncertain[hit[full]] = True
            # Only where the phrase is: an absent one adds 0.0 to FTS5's sum, which changes nothing.
            part_of = bm25.weights(tf, norm[hit])
            part_of *= weight
            scores[hit] += part_of
        keep = np.flatnonzero(held)
        out.append(Scored(offsets[keep].astype(np.int64) + base, scores[keep], uncertain[keep]))
    return (_concatenated(out) if out else _EMPTY), read


_NOWHERE = np.zeros(0, dtype=bool)  # a part holding none of the scope's messages


def _allowed(part: int, scope: Matches | None, gone: np.ndarray | None) -> np.ndarray | None:
    """Which of a part's offsets may be candidates: inside the scope and not stale (None: all;
    ``_NOWHERE``: none)."""
    ok = None
    if scope is not None:
        inside = scope.parts.get(part)
        if inside is None:
            return _NOWHERE
        ok = np.zeros(PART_SIZE, dtype=bool)
        ok[inside[0]] = True
    if gone is not None:
        base = part << PART_BITS
        first, last = np.searchsorted(gone, [base, base + PART_SIZE])
        if last > first:
            ok = np.ones(PART_SIZE, dtype=bool) if ok is None else ok
            ok[gone[first:last] - base] = False
    return ok


def _candidates(phrases: Sequence[Matches], idfs: Sequence[float], avgdl: float, known: Messages,
                allowed: np.ndarray | None, role: int | None, others: Sequence[int],
                new: int, part: int, considered: dict[int, np.ndarray],
                least: float, want: int) -> tuple[tuple[Scored, int], float]:
    """The messages of one part holding phrase ``new`` and no phrase made essential before it,
    that can be among the ``want`` best, scored exactly; how many were considered; the raised
    lower bound of the k-th score. ``allowed``: see ``_allowed``; ``others``: the phrases left
    out, lowest bound first."""
    if allowed is _NOWHERE:
        return (_EMPTY, 0), least
    base = part << PART_BITS
    o, t, sat = phrases[new].parts[part]
    seen = considered.get(part)
    if seen is None:
        seen = considered[part] = np.zeros(PART_SIZE, dtype=bool)
    if o is None:  # a dense phrase: a byte per message
        mask = t > 0
        mask &= ~seen[:len(t)]
        seen[:len(t)] |= t > 0
        offsets, keep = np.flatnonzero(mask).astype(np.uint16), None
    else:  # a sparse one: its offsets, less those seen, without spreading them out
        keep = ~seen[o]
        seen[o] = True
    if o is None:
        if allowed is not None:
            offsets = offsets[allowed[offsets]]
        tf, saturated = t[offsets], None
    else:
        if allowed is not None:
            keep &= allowed[o]
        offsets, tf, saturated = o[keep], t[keep], None if sat is None else sat[keep]
    if role is not None:
        chosen = known.roles[base:base + PART_SIZE][offsets] == role
        offsets, tf, saturated = offsets[chosen], tf[chosen], None if saturated is None else saturated[chosen]
    considered_here = len(offsets)
    if not considered_here:
        return (_EMPTY, 0), least
    norm = bm25.norms(known.lengths[base:base + PART_SIZE][offsets], avgdl)
    tfs = {new: tf.astype(np.float64)}
    uncertain = _saturated(tf, saturated).copy()
    so_far = bm25.weights(tf, norm) * idfs[new]
    # What each phrase left out can still add to each candidate: its part's highest frequency
    # at the candidate's length (bm25's weight rises with the frequency, falls with the length).
    # Phrases of one highest frequency share that weight: one array per frequency, not per phrase.
    present = [i for i in reversed(others) if part in phrases[i].parts]  # highest bound first
    most = {i: phrases[i].most(part) for i in present}
    at_most = {m: _ceiling(m, norm) for m in set(most.values())}
    unread = np.zeros(len(offsets))
    for m, w in at_most.items():
        unread += w * sum(idfs[i] for i in present if most[i] == m)
    for i in present:
        least = max(least, _kth(so_far, want))
        keep = np.flatnonzero((so_far + unread >= least * (1 - 1e-12)) | uncertain)
        if len(keep) < len(offsets):
            offsets, norm, so_far, uncertain, unread = (offsets[keep], norm[keep], so_far[keep], uncertain[keep],
                                                        unread[keep])
            tfs = {j: f[keep] for j, f in tfs.items()}
            at_most = {m: w[keep] for m, w in at_most.items()}
            if not len(offsets):
                return (_EMPTY, considered_here), least
        unread -= at_most[most[i]] * idfs[i]
        hit, (tf, saturated) = _lookup(phrases[i].parts[part], offsets)
        if not len(hit):
            continue
        spread = np.zeros(len(offsets))
        spread[hit] = tf
        tfs[i] = spread
        uncertain[hit] |= _saturated(tf, saturated)
        so_far += bm25.weights(spread, norm) * idfs[i]
    keep = np.flatnonzero((so_far >= least * (1 - 1e-12)) | uncertain)
    offsets, norm, uncertain = offsets[keep], norm[keep], uncertain[keep]
    scores = np.zeros(len(offsets))
    for i in sorted(tfs):  # in query order, as FTS5 adds them up
        bm25.add_phrase(scores, idfs[i], tfs[i][keep], norm)
    return (Scored(offsets.astype(np.int64) + base, scores, uncertain), considered_here), least


def _ceiling(most: float, norm: np.ndarray) -> np.ndarray:
    """bm25's weight at frequency ``most`` (its limit, k1 + 1, for inf) at each length norm."""
    if np.isinf(most):
        return np.full(len(norm), bm25.K1 + 1.0)
    return bm25.weights(np.full(len(norm), most), norm)


_EMPTY = Scored(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=bool))


def _concatenated(many: Sequence[Scored]) -> Scored:
    if len(many) == 1:
        return many[0]
    return Scored(np.concatenate([m.ids for m in many]), np.concatenate([m.scores for m in many]),
                  np.concatenate([m.uncertain for m in many]))


def _kth(scores: np.ndarray, k: int) -> float:
    """The k-th best score (0.0 with fewer: nothing is proven yet)."""
    n = len(scores)
    if n < k:
        return 0.0
    return float(np.partition(scores, n - k)[n - k])


def _taken(offsets: np.ndarray, held: dict[int, tuple], keep: np.ndarray) -> tuple[np.ndarray, dict[int, tuple]]:
    """The matches at positions ``keep``, with each phrase's frequencies and saturation."""
    return offsets[keep], {j: (None if t is None else t[keep], None if s is None else s[keep])
                           for j, (t, s) in held.items()}


def _contenders(held: dict[int, tuple], length: np.ndarray, phrases: int, only: int) -> np.ndarray | None:
    """Positions of the matches that can be among the ``only`` best (None: all can). Where every
    phrase occurs once, bm25 depends on the length alone (shorter scores higher, b > 0), so of
    those only the ``only`` shortest (and any as short as the last) can be; most matches are
    such, so most are never scored."""
    if not phrases:
        return None
    once = held[0][0] == 1  # a saturated frequency is 255: never 1
    for i in range(1, phrases):
        once &= held[i][0] == 1
    singles = length[once]
    if len(singles) <= only:
        return None
    cut = np.partition(singles, only - 1)[only - 1]
    return np.flatnonzero(~once | (length <= cut))


def best(scored: Scored, k: int) -> np.ndarray:
    """Positions of the k best scores, best first (ties: newer first, as memlab orders hits);
    everything tied with the k-th is included."""
    n = len(scored.scores)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if k < n:
        kth = np.partition(scored.scores, n - k)[n - k]
        top = np.flatnonzero(scored.scores >= kth)
    else:
        top = np.arange(n)
    return top[np.lexsort((-scored.ids[top], -scored.scores[top]))]
