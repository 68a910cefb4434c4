"""Keyword recall: bm25 over *any* of a question's words, ranked exactly as FTS5 ranks the OR query.

A question is read as plain words (each quoted, so no text is FTS5 syntax), distinct by their
stemmed terms. Words in most messages are left out when there are others (see ``informative``):
bm25 gives them almost no weight, yet they would make every message a match. ``keyword_hits``
is the one ranking call: the words' OR query, bm25-ranked inside the filters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..search import Filters, Hit, Planner, Search, parse

if TYPE_CHECKING:
    from ..store import Store

# A word in more than this share of the messages is left out of a question with other words:
# measured on the LoCoMo dev file (docs/benchmarks.md), where question words ("what", "did")
# and names of the two speakers are in most turns.
COMMON_SHARE = 0.5

_DOCS = "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?"


def question_words(store: "Store", text: str) -> list[str]:
    """The question's distinct words as quoted FTS5 phrases (``'"caroline"'``), in order; an
    ASCII word FTS5 cuts in several terms ("caroline's") as its pieces (any-word mode's rule)."""
    parsed = parse(store, text, "any")
    return [p.text for p in parsed.phrases or ()]


def expression(words: Sequence[str]) -> str:
    """The FTS5 query matching any of the words."""
    return " OR ".join(words)


def informative(store: "Store", words: Sequence[str], share: float = COMMON_SHARE) -> list[str]:
    """The words, less those in more than ``share`` of the messages (of the newest message id,
    cheap to read) when any other remains.

    bm25's idf of such a word is at most log(1/share + ...) ~ nothing next to a rarer word's,
    so leaving it out changes little of the ranking and keeps the OR from matching everything.
    """
    if len(words) < 2:
        return list(words)
    total = store.conn.execute("SELECT max(id) FROM messages").fetchone()[0] or 0
    if not total:
        return list(words)
    kept = [w for w in words if document_count(store, w, total) <= share * total]
    return kept or list(words)


def rarest(store: "Store", words: Sequence[str], most: int) -> list[str]:
    """The ``most`` words held by the fewest messages, in the order given: what makes a long
    text distinctive, as Lucene's MoreLikeThis picks its query terms (it keeps 25)."""
    if len(words) <= most:
        return list(words)
    total = store.conn.execute("SELECT max(id) FROM messages").fetchone()[0] or 0
    chosen = set(sorted(words, key=lambda w: document_count(store, w, total))[:most])
    return [w for w in words if w in chosen]


def plain(words: Sequence[str]) -> str:
    """Quoted words (``question_words``) as text again, each as typed."""
    return " ".join(w[1:-1].replace('""', '"') for w in words)


# Counting a common word reads its whole doclist (tens of ms at a million messages), so a count
# is reused until the newest message id grew by a hundredth (remembered on the store). The share
# is of the newest id (cheap; deleted messages make it smaller than the true share, so a word is
# kept rather than dropped).
MEMO_LIMIT = 10_000


def document_count(store: "Store", word: str, newest: int) -> int:
    """How many messages hold ``word`` (a quoted FTS5 phrase), counted by FTS5 and remembered."""
    conn = store.conn
    memo = store.memo.setdefault("recall_counts", {})
    known = memo.get(word)
    if known is not None and newest - known[1] <= newest // 100:
        return known[0]
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    count = conn.execute(_DOCS, (word,)).fetchone()[0]
    memo[word] = (count, newest)
    return count


def keyword_hits(store: "Store", words: Sequence[str], scope: Filters, limit: int) -> list[Hit]:
    """The ``limit`` messages inside ``scope`` that FTS5 ranks best (bm25) for any of ``words``
    (quoted FTS5 phrases), best first; ties newest first: the search engine's "any" mode, which
    ranks the OR query exactly from its postings with MaxScore pruning (FTS5 where it can't)."""
    if not words or limit <= 0:
        return []
    text = plain(words)  # each as typed: no whitespace inside
    return Search(store, Planner()).run(text, mode="any", limit=limit, **scope.arguments())
