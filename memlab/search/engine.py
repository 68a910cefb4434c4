"""Full-text search over messages: any text in, the most relevant messages (bm25) out, fast.

Plain mode (the default) reads the query as words: every word is quoted before it reaches
FTS5, so no input can be an FTS5 syntax error. Advanced mode passes FTS5 syntax through
(phrases, ``*``, OR, NOT, NEAR, column filters) after checking it, and reports a malformed
expression as ``QuerySyntaxError``.

Ranking is FTS5's bm25. A query that is a conjunction of words, phrases and prefixes (every
plain query, most advanced ones) is planned by memlab: one common word or phrase reads its top
list (``index``) until no unread message can beat the hits; anything else is scored
from the postings (``postings``) with numpy, every match at once; a session is read
whole (see ``Plan``). Other advanced queries, and answers memlab can't prove, run as FTS5's own
``ORDER BY rank``.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import re
import sqlite3
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import numpy as np

from . import bm25, index, postings, snippets, terms
from .terms import Stemmer
from .. import validation as v
from ..errors import QuerySyntaxError, ValidationError
from ..messages import ROLES

if TYPE_CHECKING:
    from ..store import Store

MODES = ("plain", "any", "advanced")
MAX_WORDS = 64  # a plain query uses its first 64 distinct words (a pasted page matches nothing else anyway)
MAX_LIMIT = 1_000


@dataclass(frozen=True)
class Hit:
    """One message found: where it is, a snippet with the matched words marked, and its bm25 score
    (higher is more relevant)."""

    message_id: int
    conversation_id: str
    session_id: str
    role: str
    created_at: str
    snippet: str
    score: float


FRAME_DTYPES = {
    "message_id": "int64", "conversation_id": "object", "session_id": "object", "role": "object",
    "created_at": "object", "snippet": "object", "score": "float64",
}


@dataclass(frozen=True)
class Phrase:
    """Terms that must appear in this order; ``prefix``: the last one is a prefix. ``text``: the
    phrase as FTS5 syntax, as the query wrote it."""

    terms: tuple[str, ...]
    prefix: bool = False
    text: str = ""


@dataclass(frozen=True)
class Query:
    """What FTS5 is asked (``expression``) and, when it is a conjunction memlab can evaluate
    itself, its phrases (else None); ``any``: the phrases are alternatives (mode "any")."""

    expression: str
    phrases: tuple[Phrase, ...] | None
    any: bool = False


@dataclass
class Planner:
    """Query-time thresholds (tests change them to force one path on small corpora).

    ``fts5_limit``: a query whose words are in at most this many messages in all is left to FTS5's
    ``ORDER BY rank`` (cheap then: bm25's cost grows with those counts). ``scope_limit``: a session
    or conversation with at most this many messages is read whole. ``match_limit``: one word or
    phrase in more messages than this (and not inside a user or project) tries its top list
    first; ``batch``: candidates scored per round from the list, ``max_candidates``: the rounds
    stop here, unproven; ``exact_limit``: a phrase whose rarest word has no list has at most this
    many (times 4) of its matches read. Everything else is ranked from the postings;
    ``max_verified``: a phrase of several words has at most this many messages scored from text
    before FTS5 ranks instead. ``scope_conversations``: a user or project with at most this many
    conversations is looked up as a set of messages; a bigger one is checked best match first
    (any-word mode has no such check: it looks up a scope of up to ``any_scope_conversations``,
    which is far cheaper than FTS5 ranking the OR inside a big user: 4 s -> 60 ms at 1M; and
    with at most ``every_in_scope`` messages x words it scores each of them instead of pruning).
    ``tail_limit``: messages not folded into the index yet that a search scores from their text
    before FTS5 ranks instead. An answer memlab can't prove is bm25's top is re-ranked by FTS5 (exact, at FTS5's
    cost).
    """

    fts5_limit: int = 1_000
    scope_limit: int = 2_000
    match_limit: int = 3_000
    batch: int = 40
    max_candidates: int = 400
    exact_limit: int = 300
    max_verified: int = 1_000
    scope_conversations: int = 2_000
    any_scope_conversations: int = 50_000
    every_in_scope: int = postings.EVERY_IN_SCOPE
    tail_limit: int = index.TAIL_LIMIT


@dataclass
class Plan:
    """How the last search was answered: ``path`` is "empty", "fts5" (ORDER BY rank), "scope"
    (a session or conversation read whole), "lists" (a word's or phrase's top list) or
    "postings" (every match, from the postings); ``exact`` whether the top hits are provably
    bm25's; ``candidates``: messages scored."""

    path: str
    exact: bool
    candidates: int = 0


@dataclass
class Filters:
    """A search's filters, named as the search, recall and analytics APIs name them."""

    conversation_id: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    project_id: str | None = None
    role: str | None = None
    since: str | None = None
    until: str | None = None

    def params(self) -> dict[str, Any]:
        return {"conversation_id": self.conversation_id, "session_id": self.session_id, "user_id": self.user_id,
                "project_id": self.project_id, "role": self.role, "since": self.since, "until": self.until}

    def arguments(self) -> dict[str, Any]:
        """The filters given, as keyword arguments of ``search`` and ``recall``."""
        return {name: value for name, value in self.params().items() if value is not None}

    @property
    def any(self) -> bool:
        return any(value is not None for value in self.params().values())


# -- parsing -------------------------------------------------------------------------------


def parse(store: "Store", text: Any, mode: str = "plain") -> Query:
    """The FTS5 expression and phrases for a query in ``mode``."""
    if mode not in MODES:
        raise ValidationError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    if not isinstance(text, str):
        raise ValidationError(f"query must be a string, not {type(text).__name__}")
    stemmer = memory(store).stemmer
    if mode == "advanced":
        return parse_advanced(store, stemmer, text)
    words = parse_plain(stemmer, text)
    if mode == "any" and words.phrases:  # each word an alternative: FTS5's OR, ranked by bm25
        alternatives = _alternatives(stemmer, words.phrases)
        return Query(" OR ".join(p.text for p in alternatives), alternatives, any=True)
    return words


def _alternatives(stemmer: Stemmer, phrases: Sequence[Phrase]) -> tuple[Phrase, ...]:
    """Any-word mode's alternatives: each word, and an ASCII word FTS5 cuts in several terms
    ("don't", "file.py") as its pieces, each one term, so "any of the words" holds for them too
    (and the postings can rank them: a phrase inside an OR is FTS5's to rank)."""
    out: list[Phrase] = []
    seen: set[tuple[str, ...]] = set()
    for p in phrases:
        written = p.text[1:-1].replace('""', '"')
        pieces = [p] if len(p.terms) == 1 or not written.isascii() else [
            Phrase(tuple(found), text=quote(piece)) for piece in terms.chunks(written)
            if (found := stemmer.words(piece))]
        for piece in pieces:
            if piece.terms not in seen:
                seen.add(piece.terms)
                out.append(piece)
    return tuple(out[:MAX_WORDS])


def parse_plain(stemmer: Stemmer, text: str) -> Query:
    """Each whitespace-separated word as a quoted FTS5 string: FTS5 tokenizes it as it tokenizes
    messages, and no input can be FTS5 syntax."""
    words: list[tuple[str, tuple[str, ...]]] = []
    seen: set[tuple[str, ...]] = set()
    for raw in terms.spaced(text):
        found = tuple(stemmer.words(raw))
        if not found:
            continue  # punctuation, emoji, control characters: FTS5 drops them too
        if found not in seen:
            seen.add(found)
            words.append((quote(raw), found))
            if len(words) == MAX_WORDS:
                break
    expression = " ".join(quoted for quoted, _ in words)
    return Query(expression, tuple(Phrase(terms, text=quoted) for quoted, terms in words))


def quote(word: str) -> str:
    """A word as an FTS5 string literal."""
    return '"' + word.replace('"', '""') + '"'


# FTS5 query syntax, token by token: a quoted string, a bareword, or one other character.
_SYNTAX = re.compile(r'"((?:[^"]|"")*)"|([0-9A-Za-z_\x1a\u0080-\U0010ffff]+)|(\S)')


def parse_advanced(store: "Store", stemmer: Stemmer, text: str) -> Query:
    """FTS5 syntax, checked by FTS5 itself; a plain conjunction is also returned as phrases."""
    text = v.text("query", text)
    if "\x00" in text:
        raise QuerySyntaxError("search expression contains a NUL character")
    if not text.strip():
        return Query("", ())
    check(store, stemmer, text)
    phrases: list[Phrase] = []
    simple = True
    for m in _SYNTAX.finditer(text):
        quoted, bare, other = m.groups()
        if other == "*" and phrases and m.start() > 0 and not text[m.start() - 1].isspace():
            phrases[-1] = Phrase(phrases[-1].terms, prefix=True, text=phrases[-1].text + "*")
            continue
        if other is not None or bare in ("OR", "NOT", "NEAR"):
            simple = False  # groups, column filters, ^, +, -, OR, NOT, NEAR: FTS5 evaluates those
            break
        if bare == "AND":
            continue
        words = stemmer.words(quoted.replace('""', '"') if quoted is not None else bare)
        if not words:
            simple = False
            break
        phrases.append(Phrase(tuple(words), text=m.group(0)))
    return Query(text, tuple(phrases) if simple and phrases else None)


def check(store: "Store", stemmer: Stemmer, text: str) -> None:
    """Raise QuerySyntaxError saying what is wrong if FTS5 can't parse ``text``."""
    if text.count('"') % 2:
        raise QuerySyntaxError('search expression has an unterminated phrase: a " without its closing "')
    stemmer.ensure_ready()  # the empty check table lives beside the stemmer's
    try:
        store.conn.execute(
            "SELECT rowid FROM temp.memlab_query_check WHERE memlab_query_check MATCH ?", (text,)
        ).fetchall()
    except sqlite3.OperationalError as e:
        raise QuerySyntaxError(_explain(str(e), text)) from None


def _explain(message: str, text: str) -> str:
    message = message.removeprefix("fts5: ")
    column = re.match(r"no such column: (.*)", message)
    if column:
        return f"search expression filters on column {column.group(1)!r}; the only column is 'content'"
    if "syntax error" in message:
        depth = 0
        for ch in text:
            depth += (ch == "(") - (ch == ")")
            if depth < 0:
                break
        if depth:
            return f"search expression has unbalanced parentheses ({message})"
        if message == 'syntax error near ""':
            return "search expression ends too early: an operator (AND, OR, NOT, NEAR) needs a term after it"
        return f"search expression is malformed: {message} (quote words that are FTS5 operators, e.g. \"OR\")"
    if "unknown special query" in message:
        return f"search expression is malformed: {message} (a lone '*' is not a query)"
    return f"search expression is malformed: {message}"


# -- searching -----------------------------------------------------------------------------


def search(
    store: "Store",
    query: str,
    *,
    mode: str = "plain",
    session_id: str | None = None,
    user_id: str | None = None,
    project_id: str | None = None,
    conversation_id: str | None = None,
    role: str | None = None,
    since: Any = None,
    until: Any = None,
    limit: int = 10,
    offset: int = 0,
    planner: Planner | None = None,
) -> list[Hit]:
    """The ``limit`` most relevant messages (bm25) matching ``query``, after ``offset``, within
    the filters (``since`` inclusive, ``until`` exclusive)."""
    return Search(store, planner or Planner()).run(
        query, mode=mode, session_id=session_id, user_id=user_id, project_id=project_id,
        conversation_id=conversation_id, role=role, since=since, until=until, limit=limit, offset=offset,
    )


def search_frame(store: "Store", query: str, **kwargs: Any):
    """``search`` as a pandas DataFrame with the Hit columns (the same columns when empty)."""
    import pandas as pd

    hits = search(store, query, **kwargs)
    frame = pd.DataFrame.from_records([asdict(h) for h in hits], columns=list(FRAME_DTYPES))
    return frame.astype(FRAME_DTYPES)


def filters(**given: Any) -> Filters:
    """Validated filters."""
    role = given.get("role")
    return Filters(
        conversation_id=v.optional_identifier("conversation_id", given.get("conversation_id")),
        session_id=v.optional_identifier("session_id", given.get("session_id")),
        user_id=v.optional_identifier("user_id", given.get("user_id")),
        project_id=v.optional_identifier("project_id", given.get("project_id")),
        role=None if role is None else v.choice("role", role, ROLES),
        since=None if given.get("since") is None else v.timestamp("since", given["since"]),
        until=None if given.get("until") is None else v.timestamp("until", given["until"]),
    )


# Each filter as a condition on the scope's messages (only the given ones are used, so SQLite
# can reach them through the sessions, conversations and messages indexes).
CONDITIONS = {
    "conversation_id": "m.conversation_id = :conversation_id",
    "session_id": "c.session_id = :session_id",
    "user_id": "s.user_id = :user_id",
    "project_id": "s.project_id = :project_id",
    "role": "m.role = :role",
    "since": "m.created_at >= :since",
    "until": "m.created_at < :until",
}
ENTITIES = ("conversation_id", "session_id", "user_id", "project_id")

# The conversations (their integer ids) inside a user, project, session or conversation (and
# among :ids, for "ids").
_SCOPE_CONVERSATIONS = """
SELECT c.id FROM conversations c JOIN sessions s ON s.session_id = c.session_id WHERE {conditions} LIMIT :cap
"""

_ENTITY_CONDITIONS = {
    "conversation_id": "c.conversation_id = :conversation_id",
    "session_id": "c.session_id = :session_id",
    "user_id": "s.user_id = :user_id",
    "project_id": "s.project_id = :project_id",
    "ids": "c.id IN (SELECT value FROM json_each(:ids))",
}


def _scope_sql(entities: Sequence[str]) -> str:
    """_SCOPE_CONVERSATIONS for these filters (names of _ENTITY_CONDITIONS)."""
    return _SCOPE_CONVERSATIONS.format(conditions=" AND ".join(_ENTITY_CONDITIONS[n] for n in entities))

# FTS5's own ranking, for what memlab doesn't plan (OR, NOT, NEAR, groups, deep pages, small
# databases), with FTS5's sorted plan: ORDER BY rank alone, so FTS5 sorts inside and SQLite makes
# snippets only for the rows returned, as a hand-written FTS5 query does. Ties are in no set order
# there: memlab asks for one row more than it needs and re-sorts; a tie across that edge is settled
# by the _TIED queries below. Three forms: all messages, a join per match (time or role only), and
# (_SORTED_WITHIN) a scope naming a conversation, session, user or project, whose message ids are
# read once through the indexes and each match checked against them instead of joining three
# tables per match (a user's "the" at a million messages: ~1.9 s -> ~0.4 s). The unary + keeps
# SQLite from looking each id up in FTS5 (which would recount bm25's statistics per lookup).
_FTS5_ALL = """
SELECT messages_fts.rowid AS id, -rank AS score,
       snippet(messages_fts, 0, :open, :close, :ellipsis, :words) AS snippet,
       m.conversation_id, c.session_id, m.role, m.created_at
FROM messages_fts
JOIN messages m ON m.id = messages_fts.rowid
JOIN conversations c ON c.conversation_id = m.conversation_id
WHERE messages_fts MATCH :expression AND messages_fts.rowid BETWEEN :low AND :high {tie}
ORDER BY {order} LIMIT :limit
"""

_FTS5_JOINED = """
SELECT messages_fts.rowid AS id, -rank AS score,
       snippet(messages_fts, 0, :open, :close, :ellipsis, :words) AS snippet,
       m.conversation_id, c.session_id, m.role, m.created_at
FROM messages_fts
JOIN messages m ON m.id = messages_fts.rowid
JOIN conversations c ON c.conversation_id = m.conversation_id
JOIN sessions s ON s.session_id = c.session_id
WHERE messages_fts MATCH :expression AND messages_fts.rowid BETWEEN :low AND :high {tie}
  AND (:conversation_id IS NULL OR m.conversation_id = :conversation_id)
  AND (:session_id IS NULL OR c.session_id = :session_id)
  AND (:user_id IS NULL OR s.user_id = :user_id)
  AND (:project_id IS NULL OR s.project_id = :project_id)
  AND (:role IS NULL OR m.role = :role)
  AND (:since IS NULL OR m.created_at >= :since)
  AND (:until IS NULL OR m.created_at < :until)
ORDER BY {order} LIMIT :limit
"""

_FTS5_WITHIN = """
SELECT messages_fts.rowid AS id, -rank AS score,
       snippet(messages_fts, 0, :open, :close, :ellipsis, :words) AS snippet,
       m.conversation_id, c.session_id, m.role, m.created_at
FROM messages_fts
JOIN messages m ON m.id = messages_fts.rowid
JOIN conversations c ON c.conversation_id = m.conversation_id
WHERE messages_fts MATCH :expression AND messages_fts.rowid BETWEEN :low AND :high {tie}
  AND +messages_fts.rowid IN (
    SELECT m.id FROM messages m
    JOIN conversations c ON c.conversation_id = m.conversation_id
    JOIN sessions s ON s.session_id = c.session_id
    WHERE m.id BETWEEN :low AND :high AND {{conditions}}
  )
ORDER BY {order} LIMIT :limit
"""

# Each form in two orders. By rank: FTS5's sorted plan. The messages tied on one score, newest
# first (who of a tie across the page's edge is in): FTS5 scans newest first itself and stops at
# the limit, so bm25 and snippets are computed only as far as the tie reaches (bm25 is
# deterministic: the rank of a message is the same to the bit in either plan).
_BY_RANK = {"tie": "", "order": "rank"}
_TIED_NEWEST_FIRST = {"tie": "AND -rank = :score", "order": "messages_fts.rowid DESC"}
_SORTED_ALL, _SORTED, _SORTED_WITHIN = (q.format(**_BY_RANK) for q in (_FTS5_ALL, _FTS5_JOINED, _FTS5_WITHIN))
_TIED_ALL, _TIED, _TIED_WITHIN = (q.format(**_TIED_NEWEST_FIRST) for q in (_FTS5_ALL, _FTS5_JOINED, _FTS5_WITHIN))

# How many indexed messages hold these terms in all, and whether any message waits to be folded in.
_RARE = """
SELECT (SELECT coalesce(sum(docs), 0) FROM search_terms WHERE term IN (SELECT value FROM json_each(?))),
       EXISTS (SELECT 1 FROM search_pending)
"""

# Matches in the scope, newest first, unranked (cheap: no bm25).
_MATCHES = """
SELECT messages_fts.rowid FROM messages_fts
WHERE messages_fts MATCH :expression AND messages_fts.rowid BETWEEN :low AND :high
ORDER BY messages_fts.rowid DESC LIMIT :limit
"""

# Which of these messages are inside every filter, newest first (``limit`` -1: all).
_IN_SCOPE = """
SELECT m.id FROM messages m
JOIN conversations c ON c.conversation_id = m.conversation_id
JOIN sessions s ON s.session_id = c.session_id
WHERE m.id IN (SELECT value FROM json_each(:ids))
  AND (:conversation_id IS NULL OR m.conversation_id = :conversation_id)
  AND (:session_id IS NULL OR c.session_id = :session_id)
  AND (:user_id IS NULL OR s.user_id = :user_id)
  AND (:project_id IS NULL OR s.project_id = :project_id)
  AND (:role IS NULL OR m.role = :role)
  AND (:since IS NULL OR m.created_at >= :since)
  AND (:until IS NULL OR m.created_at < :until)
ORDER BY m.id DESC LIMIT :limit
"""

# A term's top list, best first (``depth`` -1: all of it).
_LISTED = """
SELECT impact, message_id FROM search_top
WHERE term = :term AND message_id BETWEEN :low AND :high
ORDER BY impact DESC LIMIT :depth
"""

_TAIL_COUNT = "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ? AND rowid > ?"

# Matches among the messages not folded into the index yet (the unary + keeps SQLite from looking
# each logged id up in FTS5).
_PENDING_MATCHES = """
SELECT rowid FROM messages_fts
WHERE messages_fts MATCH :expression AND rowid BETWEEN :low AND :high
  AND +rowid IN (SELECT message_id FROM search_pending)
ORDER BY rowid DESC LIMIT :limit
"""

_PENDING_COUNT = """
SELECT count(*) FROM messages_fts
WHERE messages_fts MATCH :expression AND rowid BETWEEN :low AND :high
  AND +rowid IN (SELECT message_id FROM search_pending)
"""

# The messages of one session or one conversation (the scope search reads whole).
_SESSION_IDS = """
SELECT m.id FROM conversations c JOIN messages m ON m.conversation_id = c.conversation_id
WHERE c.session_id = :session_id LIMIT :cap
"""

_CONVERSATION_IDS = "SELECT id FROM messages WHERE conversation_id = :conversation_id LIMIT :cap"

_HITS = """
SELECT m.id, m.conversation_id, c.session_id, m.role, m.created_at, m.content FROM messages m
JOIN conversations c ON c.conversation_id = m.conversation_id
WHERE m.id IN (SELECT value FROM json_each(?))
"""


MAX_ROWID = 2**63 - 1


@dataclass
class Memory:
    """What a connection's searches remember between calls: the stemmer's answers, the snippet
    table and the indexed messages' lengths, conversations and roles (while the index's generation holds)."""

    stemmer: Stemmer
    snippets: snippets.Snippets
    messages: postings.Messages | None = None


def memory(store: "Store") -> Memory:
    """The store's search memory, made on first use (it lives and dies with the store)."""
    found = store.memo.get("search")
    if found is None:
        found = store.memo["search"] = Memory(Stemmer(store.conn), snippets.Snippets(store.conn))
    return found


@contextlib.contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction for the whole search, so the index, its change log and FTS5 agree.
    A deferred BEGIN that only reads takes no lock a writer waits for, nor waits for one (WAL);
    the temporary tables the stemmer writes live in the temp schema, not the file."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


@dataclass
class Backlog:
    """The index's change log as one search reads it: ``pending``, the messages not folded in yet
    (ids ascending); ``removed``, what the index holds for messages deleted, rewritten or moved
    since (id -> text). Index entries of either are stale: searches leave them out."""

    pending: np.ndarray
    removed: dict[int, str]

    def __post_init__(self) -> None:
        self.dirty = self.pending if not self.removed else np.union1d(self.pending, np.fromiter(self.removed, dtype=np.int64, count=len(self.removed)))
        self.dirty_set = set(self.dirty.tolist())
        self.low = int(self.pending[0]) if len(self.pending) else 0
        self.high = int(self.pending[-1]) if len(self.pending) else 0
        self._terms: list[set[str]] | None = None

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> "Backlog":
        if not conn.execute("SELECT EXISTS (SELECT 1 FROM search_pending) OR EXISTS (SELECT 1 FROM search_removed)"
                            ).fetchone()[0]:
            return cls(np.zeros(0, dtype=np.int64), {})
        pending = np.array([r[0] for r in conn.execute("SELECT message_id FROM search_pending ORDER BY message_id")],
                           dtype=np.int64)
        return cls(pending, dict(conn.execute("SELECT message_id, content FROM search_removed")))

    def holding(self, term: str, stemmer: Stemmer) -> int:
        """How many of the removed messages' indexed texts hold ``term``."""
        if not self.removed:
            return 0
        if self._terms is None:
            stemmer.learn_texts(self.removed.values())
            self._terms = [set(stemmer.words(text)) for text in self.removed.values()]
        return sum(term in held for held in self._terms)


class Search:
    """One search: validates, plans, scores and shapes the hits. ``plan`` says how it went."""

    def __init__(self, store: "Store", planner: Planner) -> None:
        self._backlog: Backlog | None = None
        self.store = store
        self.planner = planner
        self.memory = memory(store)
        self.stemmer = self.memory.stemmer
        self.plan = Plan("empty", True)

    def run(self, query: str, *, mode: str = "plain", limit: int = 10, offset: int = 0, **given: Any) -> list[Hit]:
        limit, offset = v.count("limit", limit), v.count("offset", offset)
        if limit > MAX_LIMIT:
            raise ValidationError(f"limit must be at most {MAX_LIMIT}; got {limit}")
        scope = filters(**given)
        parsed = parse(self.store, query, mode)
        if not parsed.expression or limit == 0:
            self.plan = Plan("empty", True)
            return []
        self._backlog = None
        conn = self.store.conn
        with _snapshot(conn):
            if parsed.phrases is None:
                return self._fts5(parsed, scope, limit, offset)
            self.total, self.avgdl = index.totals(conn)
            if self._small(self.total) or self._rare(parsed, scope):
                return self._fts5(parsed, scope, limit, offset)
            self._read_index_state()
            want = limit + offset
            settings = index.settings_in(self.state)
            if want > settings.top_k:
                return self._fts5(parsed, scope, limit, offset)
            scored = (self._any_word(parsed, scope, want) if parsed.any
                      else self._planned(parsed, scope, want, settings))
            if scored is None or not self.plan.exact:
                return self._fts5(parsed, scope, limit, offset)
            scored.sort(key=lambda pair: (-pair[0], -pair[1]))
            return self._hits(scored[offset:want], parsed.expression)

    def _small(self, total: int) -> bool:
        """Whether FTS5's own ranking is cheap whatever the query and scope: every word of it is in
        at most ``fts5_limit`` messages when there are no more."""
        return total <= self.planner.fts5_limit

    def _rare(self, parsed: Query, scope: Filters) -> bool:
        """A first look, before the index's state is read: each word one term, no prefix, and all
        in so few indexed messages that FTS5's ranking is cheap, with nothing unfolded to count.
        Only a shortcut to what the full plan decides from exact counts (both answers are exact)."""
        phrases = parsed.phrases or ()
        if any(len(p.terms) != 1 or p.prefix for p in phrases) or (
                not parsed.any and (scope.session_id is not None or scope.conversation_id is not None)):
            return False
        docs, pending = self.store.conn.execute(_RARE, (json.dumps([p.terms[0] for p in phrases]),)).fetchone()
        return not pending and docs <= self.planner.fts5_limit

    # -- what the index holds --------------------------------------------------------------

    def _read_index_state(self) -> None:
        """Read the index's state and its change log once for this search (inside its snapshot):
        messages not folded in yet are scored from FTS5 and their text, stale entries left out."""
        conn = self.store.conn
        self.newest = conn.execute("SELECT max(id) FROM messages").fetchone()[0] or 0
        self.state = index.state(conn)
        self.changes = int(self.state.get("changes", 0))
        listed = self.state.get("list_avgdl")
        # A top list's weights grow by at most avgdl now / avgdl then (bm25's length norm).
        self.slack = max(1.0, self.avgdl / listed) if listed else 1.0

    def _known(self) -> postings.Messages:
        """The indexed messages' lengths, conversations and roles, remembered while the index's
        generation holds."""
        self.memory.messages = postings.messages(self.store.conn, int(self.state.get("generation", 0)),
                                                 self.memory.messages)
        return self.memory.messages

    @property
    def backlog(self) -> "Backlog":
        """The change log, read once per search when first needed."""
        if self._backlog is None:
            self._backlog = Backlog.read(self.store.conn)
        return self._backlog

    def _pending_matches(self, expression: str, low: int, high: int) -> list[int] | None:
        """The messages not folded in yet that match, within [low, high] (None: more than
        ``tail_limit``, too many to score from their text)."""
        backlog = self.backlog
        if not len(backlog.pending):
            return []
        rows = self.store.conn.execute(_PENDING_MATCHES, {
            "expression": expression, "low": max(low, backlog.low), "high": min(high, backlog.high),
            "limit": self.planner.tail_limit + 1}).fetchall()
        return None if len(rows) > self.planner.tail_limit else [r[0] for r in rows]

    # -- FTS5's own ranking ---------------------------------------------------------------

    def _fts5(self, parsed: Query, scope: Filters, limit: int, offset: int) -> list[Hit]:
        """FTS5's own ranking: its sorted plan, snippets for the rows returned only. Ties in it
        come in no set order, so a tie across the page's edge is settled by the tied messages
        newest first (one more statement, inside the search's snapshot: see ``run``)."""
        low, high = self._rowid_range(scope)
        want = limit + offset
        params = scope.params()
        params.update(snippets.MARKS, expression=parsed.expression, low=low, high=high, limit=want + 1)
        conn = self.store.conn
        try:
            rows = conn.execute(_ranked_sql(scope), params).fetchall()
            if len(rows) > want and rows[want][1] == rows[want - 1][1]:
                edge = rows[want - 1][1]
                above = [r for r in rows if r[1] > edge]  # all of them: FTS5 returned them first
                params.update(score=edge, limit=want - len(above))
                rows = above + conn.execute(_tied_sql(scope), params).fetchall()
        except sqlite3.OperationalError as e:  # checked already; kept so no SQLite error escapes
            raise QuerySyntaxError(_explain(str(e), parsed.expression)) from None
        rows.sort(key=lambda r: (-r[1], -r[0]))
        rows = rows[offset:want]
        self.plan = Plan("fts5", True, len(rows))
        return [Hit(mid, conversation, session, role, created, snippet, score)
                for mid, score, snippet, conversation, session, role, created in rows]

    # -- memlab's plan --------------------------------------------------------------------

    def _planned(self, parsed: Query, scope: Filters, want: int,
                 settings: index.Settings) -> list[tuple[float, int]] | None:
        """(score, id) of candidates by memlab's plan; None when FTS5's own ranking is cheaper
        or memlab can't prove its answer within budget."""
        phrases = parsed.phrases or ()
        total, avgdl = self.total, self.avgdl  # read once, in this search's snapshot
        scorer = Scorer(self.stemmer, phrases, self._idfs(phrases, total), avgdl)
        if sum(self._phrase_docs) <= self.planner.fts5_limit and scope.session_id is None and scope.conversation_id is None:
            return None
        if scope.session_id is not None or scope.conversation_id is not None:
            rows = self._scope_rows(scope)
            if rows is not None:
                self.plan = Plan("scope", True, len(rows))
                return scorer.all(rows)
        low, high = self._rowid_range(scope)
        # A user's or project's messages, as postings, when it has few enough conversations to
        # list (else None: its matches are checked best first, few are needed in a big scope).
        known = self._known()
        within = self._within(scope, known)
        # One common word or phrase, not inside a small scope: its top list usually proves the
        # answer after reading a few dozen messages.
        if len(phrases) == 1 and not phrases[0].prefix and self._phrase_docs[0] > self.planner.match_limit \
                and within is None:
            scored = self._from_lists(parsed, scope, want, settings, scorer, low, high)
            if self.plan.exact:
                return scored
        return self._from_postings(parsed, scope, want, scorer, low, high, known, within)

    def _any_word(self, parsed: Query, scope: Filters, want: int) -> list[tuple[float, int]] | None:
        """Messages holding any of the words, by bm25 exactly as FTS5 ranks the OR query, from
        the postings with MaxScore pruning (as Lucene does): the rarest words' messages are
        scored in full first; a word whose best possible part (idf x (k1 + 1)) added to the
        other unread words' cannot beat the k-th score needs no messages of its own read.
        None (FTS5 ranks) for what the postings can't answer: a word FTS5 splits in several
        terms, a time window, a user or project too big to list."""
        phrases = parsed.phrases or ()
        if any(len(p.terms) > 1 for p in phrases) or scope.since is not None or scope.until is not None:
            return None
        idfs = self._idfs(phrases, self.total)
        if sum(self._phrase_docs) <= self.planner.fts5_limit:
            return None
        known = self._known()
        within = self._within(scope, known, self.planner.any_scope_conversations)
        if within is None and any(getattr(scope, name) is not None for name in ENTITIES):
            return None
        tail = self._pending_matches(parsed.expression, 0, MAX_ROWID)
        if tail is None:
            return None
        scorer = Scorer(self.stemmer, phrases, idfs, self.avgdl, any_phrase=True)
        every = [self._postings(p.terms[0], p.prefix, 0, MAX_ROWID) for p in phrases]
        role = None if scope.role is None else postings.ROLE_CODES[scope.role]
        found, read = postings.any_of(every, idfs, self.avgdl, known, want + len(self.backlog.dirty),
                                      within, role, self.backlog.dirty, self.planner.every_in_scope)
        redo = found.ids[found.uncertain].tolist() + tail
        keep = ~found.uncertain
        certain = postings.Scored(found.ids[keep], found.scores[keep], found.uncertain[keep])
        top = postings.best(certain, want)  # the rest can't be among the best
        scored = list(zip(certain.scores[top].tolist(), certain.ids[top].tolist()))
        scored += scorer.all(self._fetch(redo, scope)) if redo else []
        self.plan = Plan("postings", True, read + len(redo))
        return scored

    def _within(self, scope: Filters, known: postings.Messages, cap: int | None = None) -> postings.Matches | None:
        """The messages of the scope's user, project, session or conversation, when it has at most
        ``cap`` (default ``scope_conversations``) conversations (remembered per connection until
        the index changes); None without such a filter or past that."""
        entities = [name for name in ENTITIES if getattr(scope, name) is not None]
        if not entities:
            return None
        sql = _scope_sql(entities)
        cap = self.planner.scope_conversations if cap is None else cap

        def conversations() -> list[int] | None:
            found = [r[0] for r in self.store.conn.execute(sql, {**scope.params(), "cap": cap + 1})]
            return found if len(found) <= cap else None

        return known.scope((cap, *((n, getattr(scope, n)) for n in entities)), conversations)

    def _conversations_inside(self, conversations: np.ndarray, scope: Filters, known: postings.Messages) -> np.ndarray:
        """Whether each of these conversations (conversations.id) is inside the scope's user,
        project, session and conversation, asked once per conversation (remembered per
        connection until the index changes)."""
        entities = [name for name in ENTITIES if getattr(scope, name) is not None]
        memo = known.verdicts_for(tuple((n, getattr(scope, n)) for n in entities))
        unique = np.unique(conversations)
        unknown = [c for c in unique.tolist() if c not in memo]
        if unknown:
            rows = self.store.conn.execute(_scope_sql([*entities, "ids"]),
                                           {**scope.params(), "ids": json.dumps(unknown), "cap": -1})
            inside = {r[0] for r in rows}
            memo.update((c, c in inside) for c in unknown)
        verdict = np.array([memo[c] for c in unique.tolist()], dtype=bool)
        return verdict[np.searchsorted(unique, conversations)]

    def _from_lists(self, parsed: Query, scope: Filters, want: int, settings: index.Settings, scorer: "Scorer",
                    low: int, high: int) -> list[tuple[float, int]]:
        """Threshold algorithm over one phrase's top list, plus the unindexed tail.

        A phrase's weight in a message is at most its rarest term's, and a message missing from
        a full list weighs at most that list's least entry: so once the k-th exact score beats
        every unread candidate's bound and that of a message in no list, the top is bm25's.
        """
        (p,), (weight,) = scorer.phrases, scorer.idfs
        slack = self.slack
        entries, floor, complete = self._phrase_candidates(p, scope, low, high, settings, self.planner.max_candidates + want)
        unlisted = 0.0 if complete else weight * floor * slack  # best bm25 a message in no list could have
        # Messages not folded in yet are in no list: score them all.
        tail = self._pending_matches(parsed.expression, low, high)
        if tail is None:
            self.plan = Plan("lists", False)
            return []
        scored = scorer.all(self._fetch(tail, scope)) if tail else []
        dirty = self.backlog.dirty_set
        order = sorted((m for m in entries if m not in dirty), key=lambda m: -entries[m])
        read, stopped = 0, False
        if len(scored) + len(order) < want:
            order = []  # too few candidates for a k-th score: never provable
        while read < len(order):
            kth = _kth(scored, want)
            if kth is not None and kth >= unlisted and kth >= weight * entries[order[read]] * slack:
                stopped = True  # provably bm25's top
                break
            if read >= self.planner.max_candidates:
                break
            chunk = order[read:read + (self.planner.batch if read else want + 10)]
            read += len(chunk)
            scored.extend(scorer.all(self._fetch(chunk, scope)))
        kth = _kth(scored, want)
        exact = (stopped or read == len(order)) and kth is not None and kth >= unlisted
        self.plan = Plan("lists", exact, read + len(tail))
        return scored

    def _phrase_candidates(self, p: Phrase, scope: Filters, low: int, high: int, settings: index.Settings,
                           depth: int) -> tuple[dict[int, float], float, bool]:
        """(message -> weight bound, bound for messages not listed, whether the listed messages
        are all that hold the phrase) for a word or phrase, from its rarest word's list."""
        conn = self.store.conn
        fixed = p.terms[:-1] if p.prefix else p.terms
        counts = {t: (conn.execute("SELECT docs FROM search_terms WHERE term = ?", (t,)).fetchone() or (0,))[0]
                  for t in fixed}
        rarest = min(fixed, key=lambda t: counts[t])
        if counts[rarest] < settings.min_docs:
            # A rare term has no list: its matches are few, so read them all.
            ids = self._matches(p.text or _quoted(p), low, high, self.planner.exact_limit * 4)
            top = bm25.K1 + 1  # the highest weight bm25 can give
            complete = len(ids) < self.planner.exact_limit * 4
            return {m: top for m in ids}, 0.0 if complete else top, complete
        least = conn.execute("SELECT least FROM search_terms WHERE term = ?", (rarest,)).fetchone()[0]
        floor = least if least is not None else 0.0  # a full list's least weight bounds the rest
        limit = -1 if scope.any else depth
        rows = conn.execute(_LISTED, {"term": rarest, "low": low, "high": high, "depth": limit}).fetchall()
        if limit != -1 and len(rows) == limit:
            floor = max(floor, rows[-1][0])  # the unread rest of the list weighs at most its last read
        if scope.any:
            inside = set(self._in_scope([mid for _, mid in rows], scope))
            rows = [(imp, mid) for imp, mid in rows if mid in inside]
        entries: dict[int, float] = {}
        for imp, mid in rows:  # best first: a rewritten message listed twice keeps its higher bound
            entries.setdefault(mid, imp)
        return entries, floor, False

    def _from_postings(self, parsed: Query, scope: Filters, want: int, scorer: "Scorer", low: int, high: int,
                       known: postings.Messages, within: postings.Matches | None) -> list[tuple[float, int]] | None:
        """Every message holding each word (or prefix), scored with numpy from the postings
        (memlab.search.postings). A user, project, session or conversation is a lookup by
        conversation; the other filters are checked best first until ``want`` pass. Words and
        prefixes are scored exactly; a phrase of several words gets a bound (each word's count
        bounds the phrase's), and messages are scored from their text, best bound first, until
        no unread bound can beat the k-th score (None past ``max_verified``: FTS5 ranks)."""
        per_phrase, exact = [], True
        for p in scorer.phrases:
            if len(p.terms) == 1:
                per_phrase.append(self._postings(p.terms[0], p.prefix, low, high))
            else:
                words = [self._postings(t, p.prefix and i == len(p.terms) - 1, low, high)
                         for i, t in enumerate(p.terms)]
                per_phrase.append(postings.together(words))
                exact = False
        role = None if scope.role is None else postings.ROLE_CODES[scope.role]
        # Past the postings' own filters, the best ``want`` are all that's read: only those are
        # scored (unless filters remain to be checked best first, or phrases to be verified).
        big = within is None and any(getattr(scope, name) is not None for name in ENTITIES)
        timed = scope.since is not None or scope.until is not None
        backlog = self.backlog
        # (stale entries are left out after pruning: as many more are kept)
        only = want + len(backlog.dirty) if exact and not big and not timed else None
        tail = self._pending_matches(parsed.expression, low, high)
        if tail is None:
            return None
        found = postings.conjunction(per_phrase, scorer.idfs, scorer.avgdl, known, within, role,
                                     only)
        if len(backlog.dirty):
            fresh = ~np.isin(found.ids, backlog.dirty)
            found = postings.Scored(found.ids[fresh], found.scores[fresh], found.uncertain[fresh])
        # Messages not folded in yet and those with a frequency past what a byte holds: scored from text.
        redo = found.ids[found.uncertain].tolist()
        if redo:
            keep = ~found.uncertain
            found = postings.Scored(found.ids[keep], found.scores[keep], found.uncertain[keep])
        redo += tail
        scored = scorer.all(self._fetch(redo, scope)) if redo else []
        if not exact:
            return self._verified(found, scored, scope, want, scorer)
        # Best first, the filters the postings didn't apply: a scope too big to list (asked per
        # conversation) and a time window (its edges: the day ranges are a day wide).
        checked, inside, step = 0, 0, max(4 * want, 64) if big or timed else want
        while checked < len(found.ids) and inside < want:
            ranked = postings.best(found, checked + step)
            fresh = ranked[checked:]
            ids = found.ids[fresh]
            keep = self._conversations_inside(known.conversations[ids], scope, known) if big else None
            if timed:
                timely = set(self._in_scope((ids if keep is None else ids[keep]).tolist(), scope))
                keep = np.fromiter((m in timely for m in ids.tolist()), dtype=bool, count=len(ids))
            chosen = fresh if keep is None else fresh[keep]
            scored.extend(zip(found.scores[chosen].tolist(), found.ids[chosen].tolist()))
            inside += len(chosen)
            checked, step = len(ranked), step * 4
        self.plan = Plan("postings", True, len(found.ids) + len(redo))
        return scored

    def _verified(self, found: postings.Scored, scored: list[tuple[float, int]], scope: Filters, want: int,
                  scorer: "Scorer") -> list[tuple[float, int]] | None:
        """Score messages from their text in order of their bound until the k-th exact score is
        at least every unread bound; None when that takes over ``max_verified`` messages."""
        read, step = 0, want + 10
        while read < len(found.ids):
            ranked = postings.best(found, read + step)
            kth = _kth(scored, want)
            if kth is not None and kth >= found.scores[ranked[read]]:
                break
            if read >= self.planner.max_verified:
                return None
            chunk = found.ids[ranked[read:]].tolist()
            scored.extend(scorer.all(self._fetch(chunk, scope)))
            read, step = len(ranked), min(step * 2, 400)
        self.plan = Plan("postings", True, read)
        return scored

    def _postings(self, term: str, prefix: bool, low: int, high: int) -> postings.Matches:
        """A word's postings, or a prefix's (its expansions' summed)."""
        return postings.matches(self.store.conn, self._expansions(term) if prefix else [term], low, high)

    def _expansions(self, stem: str) -> list[str]:
        """The indexed terms a prefix matches."""
        return [t for (t,) in self.store.conn.execute(
            "SELECT term FROM search_terms WHERE term >= ? AND term < ? AND docs > 0", (stem, stem + "\U0010ffff"))]

    def _idfs(self, phrases: Sequence[Phrase], total: int) -> list[float]:
        """bm25's idf of each phrase: how many messages hold it, as FTS5 counts them now. A word:
        the index's count, less the stale entries holding it, plus the messages not folded in yet
        that FTS5 finds for it (asked as written: porter is not idempotent, so a stemmed term sent
        back would stem again). A phrase or prefix: FTS5's count (see ``_phrase_count``)."""
        conn = self.store.conn
        backlog = self.backlog
        self._phrase_docs: list[int] = []
        out = []
        for p in phrases:
            counts = []
            for i, term in enumerate(p.terms):
                if p.prefix and i == len(p.terms) - 1:
                    n = conn.execute(
                        "SELECT coalesce(sum(docs), 0) FROM search_terms WHERE term >= ? AND term < ?",
                        (term, term + "\U0010ffff"),
                    ).fetchone()[0]
                else:
                    row = conn.execute("SELECT docs FROM search_terms WHERE term = ?", (term,)).fetchone()
                    n = row[0] if row else 0
                counts.append(min(n + len(backlog.pending), total))
            if len(p.terms) == 1 and not p.prefix:
                docs = counts[0] - len(backlog.pending) - backlog.holding(p.terms[0], self.stemmer)
                if len(backlog.pending):
                    docs += conn.execute(_PENDING_COUNT, {"expression": p.text or _quoted(p), "low": backlog.low,
                                                          "high": backlog.high}).fetchone()[0]
                self._phrase_docs.append(docs)
            else:
                self._phrase_docs.append(min(counts) if counts else 0)  # at least as many as hold the phrase
                docs = self._phrase_count(p, total)  # bm25 counts the messages holding the phrase
            out.append(bm25.idf(min(docs, total), total))
        return out

    def _phrase_count(self, p: Phrase, total: int) -> int:
        """How many messages hold a phrase or prefix (FTS5 counts them, as bm25 does), remembered
        per connection and brought up to date by counting only newer messages when none was
        deleted or rewritten since (FTS5's message count grew by exactly the newer messages and no
        refresh took messages out)."""
        conn = self.store.conn
        memo = self.stemmer.phrase_counts
        key = p.text or _quoted(p)
        known = memo.get(key)
        changes = self.changes
        if known is not None:
            count, upto, then, changed = known
            if changed == changes and conn.execute(
                    "SELECT count(*) FROM messages WHERE id > ?", (upto,)).fetchone()[0] == total - then:
                if self.newest > upto:
                    count += conn.execute(_TAIL_COUNT, (key, upto)).fetchone()[0]
                memo[key] = (count, self.newest, total, changes)
                return count
        count = conn.execute(_TAIL_COUNT, (key, 0)).fetchone()[0]
        if len(memo) >= terms.MEMO_LIMIT // 100:
            memo.clear()
        memo[key] = (count, self.newest, total, changes)
        return count

    def _scope_rows(self, scope: Filters) -> list[tuple[int, str, bytes]] | None:
        """Every message of the session or conversation, if there are few enough to read whole."""
        conn, limit = self.store.conn, self.planner.scope_limit
        sql = _CONVERSATION_IDS if scope.conversation_id is not None else _SESSION_IDS
        ids = [r[0] for r in conn.execute(sql, {**scope.params(), "cap": limit + 1})]
        return self._fetch(ids, scope) if len(ids) <= limit else None

    def _rowid_range(self, scope: Filters) -> tuple[int, int]:
        """Message ids that can hold the time window (from the index's day ranges, and every
        message not folded in yet)."""
        conn = self.store.conn
        low, high = 0, MAX_ROWID
        if scope.since is None and scope.until is None:
            return low, high
        backlog = self.backlog
        if scope.since is not None:
            first = conn.execute(
                "SELECT min(first_id) FROM search_days WHERE day >= substr(?, 1, 10)", (scope.since,)
            ).fetchone()[0]
            low = MAX_ROWID if first is None else first
            if len(backlog.pending):
                low = min(low, backlog.low)
        if scope.until is not None:
            last = conn.execute(
                "SELECT max(last_id) FROM search_days WHERE day <= substr(?, 1, 10)", (scope.until,)
            ).fetchone()[0]
            high = last or 0
            if len(backlog.pending):
                high = max(high, backlog.high)
        return low, high

    def _in_scope(self, ids: Sequence[int], scope: Filters, limit: int = -1) -> list[int]:
        """Those of ``ids`` inside every filter, newest first."""
        rows = self.store.conn.execute(_IN_SCOPE, {**scope.params(), "ids": json.dumps(list(ids)), "limit": limit})
        return [r[0] for r in rows]

    def _matches(self, expression: str, low: int, high: int, cap: int) -> list[int]:
        rows = self.store.conn.execute(
            _MATCHES, {"expression": expression, "low": low, "high": high, "limit": cap}
        ).fetchall()
        return [r[0] for r in rows]

    def _fetch(self, ids: Sequence[int], scope: Filters) -> list[tuple[int, str, bytes]]:
        """(id, content, FTS5 size record) of those of ``ids`` inside every filter."""
        if scope.any and ids:
            ids = self._in_scope(ids, scope)
        return index.fetch(self.store.conn, ids)

    # -- shaping the hits -----------------------------------------------------------------

    def _hits(self, scored: list[tuple[float, int]], expression: str) -> list[Hit]:
        """The hits, each with FTS5's own snippet (made from these messages alone)."""
        rows = {r[0]: r for r in self.store.conn.execute(_HITS, (json.dumps([m for _, m in scored]),))}
        marked = self.memory.snippets.of(expression, {mid: r[5] for mid, r in rows.items()})
        return [Hit(mid, r[1], r[2], r[3], r[4], marked.get(mid, ""), score)
                for score, mid in scored if (r := rows.get(mid)) is not None]


def _ranked_sql(scope: Filters) -> str:
    """FTS5's sorted query (``_SORTED*``) for this scope: all messages, a join per match (time or
    role only), or the matches among a named scope's messages."""
    return _for_scope(scope, _SORTED_ALL, _SORTED, _SORTED_WITHIN)


def _tied_sql(scope: Filters) -> str:
    """The tied-messages query (``_TIED*``) for this scope, in the same three forms."""
    return _for_scope(scope, _TIED_ALL, _TIED, _TIED_WITHIN)


def _for_scope(scope: Filters, everything: str, joined: str, within: str) -> str:
    if not scope.any:
        return everything
    given = [name for name in CONDITIONS if getattr(scope, name) is not None]
    if not any(name in ENTITIES for name in given):
        return joined
    return within.format(conditions=" AND ".join(CONDITIONS[name] for name in given))


def _quoted(p: Phrase) -> str:
    """A phrase parsed from FTS5 syntax without its text, as FTS5 syntax (tests build such)."""
    return '"' + " ".join(p.terms) + '"' + ("*" if p.prefix else "")


def _kth(scored: list[tuple[float, int]], k: int) -> float | None:
    """The k-th best score so far, or None if there are fewer."""
    if len(scored) < k:
        return None
    return heapq.nlargest(k, (s for s, _ in scored))[-1]


class Scorer:
    """bm25 of messages for a conjunction of phrases, computed as FTS5 does."""

    def __init__(self, stemmer: Stemmer, phrases: Sequence[Phrase], idfs: list[float], avgdl: float,
                 any_phrase: bool = False) -> None:
        self.stemmer = stemmer
        self.phrases = list(phrases)
        self.idfs = idfs
        self.avgdl = avgdl
        self.any_phrase = any_phrase  # a message needs one phrase, not all (an absent one adds 0.0)

    def all(self, rows: Iterable[tuple[int, str, bytes]]) -> list[tuple[float, int]]:
        out = []
        for mid, content, size in rows:
            s = self.score(content, index.first_varint(size) if size else None)
            if s is not None:
                out.append((s, mid))
        return out

    def score(self, content: str, length: int | None) -> float | None:
        """The message's bm25 (higher is better), or None if it doesn't match every phrase."""
        terms = self.stemmer.words(content)
        if length is None:
            length = len(terms)
        tfs = [frequency(terms, p) for p in self.phrases]
        if not (any(tfs) if self.any_phrase else all(tfs)):
            return None
        return bm25.score(tfs, self.idfs, length, self.avgdl)


def frequency(terms: list[str], p: Phrase) -> int:
    """How many times the phrase occurs in a message's terms."""
    n = len(p.terms)
    if n == 1:
        if not p.prefix:
            return terms.count(p.terms[0])
        # Terms starting with the prefix, counted in C: each term follows a NUL (terms hold none).
        return ("\x00" + "\x00".join(terms)).count("\x00" + p.terms[0])
    return sum(1 for i in positions(terms, p))


def positions(terms: list[str], p: Phrase) -> Iterable[int]:
    """Where the phrase starts in a message's terms."""
    n = len(p.terms)
    first, last = p.terms[0], p.terms[-1]
    if n == 1 and p.prefix:
        yield from (i for i, t in enumerate(terms) if t.startswith(first))
        return
    i = -1
    while True:
        try:
            i = terms.index(first, i + 1)  # C-speed scan to the next occurrence of the first term
        except ValueError:
            return
        if i + n > len(terms):
            return
        if all(terms[i + j] == p.terms[j] for j in range(1, n - 1)) and (
            n == 1 or (terms[i + n - 1].startswith(last) if p.prefix else terms[i + n - 1] == last)
        ):
            yield i
