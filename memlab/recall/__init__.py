"""Recall: the messages that answer a natural-language question, best first.

``search`` needs every word (exact lookups); ``recall`` is for questions: keyword mode ranks the
messages holding *any* of the question's words by bm25 (``recall.keyword``), semantic mode by
the cosine of offline embeddings (``recall.semantic``), and hybrid mode (the default) fuses both
rankings (``recall.hybrid``). Filters apply before ranking and fusion. Without the
``memlab[semantic]`` extra, hybrid is keyword recall and each hit's ``note`` says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .. import validation as v
from ..errors import ValidationError
from ..search import FRAME_DTYPES as SEARCH_DTYPES
from ..search import Hit, filters
from . import keyword

if TYPE_CHECKING:
    from ..store import Store

MODES = ("hybrid", "keyword", "semantic")
MAX_LIMIT = 1_000
MAX_CHARS = 10_000  # a question longer than this is refused (a pasted page is not a question)


@dataclass(frozen=True)
class RecallHit(Hit):
    """A ``Hit`` plus how recall found it: ``signals`` ("keyword", "semantic"), the message's
    rank in each (1 is best; None when that signal didn't rank it) and ``score`` (bm25 in keyword
    mode, cosine in semantic mode, the fused score in hybrid mode)."""

    signals: tuple[str, ...] = ()
    keyword_rank: int | None = None
    semantic_rank: int | None = None
    note: str | None = None


FRAME_DTYPES = {**SEARCH_DTYPES, "signals": "object", "keyword_rank": "Int64", "semantic_rank": "Int64",
                "note": "object"}


def recall(
    store: "Store",
    text: str,
    *,
    session_id: str | None = None,
    user_id: str | None = None,
    project_id: str | None = None,
    conversation_id: str | None = None,
    role: str | None = None,
    since: Any = None,
    until: Any = None,
    limit: int = 10,
    mode: str = "hybrid",
) -> list[RecallHit]:
    """The ``limit`` messages that best answer ``text`` inside the filters (``since`` inclusive,
    ``until`` exclusive), best first."""
    if mode not in MODES:
        raise ValidationError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    text = v.text("question", text)
    if len(text) > MAX_CHARS:
        raise ValidationError(f"question must be at most {MAX_CHARS:,} characters; got {len(text):,}")
    limit = v.count("limit", limit)
    if limit > MAX_LIMIT:
        raise ValidationError(f"limit must be at most {MAX_LIMIT}; got {limit}")
    scope = filters(session_id=session_id, user_id=user_id, project_id=project_id,
                    conversation_id=conversation_id, role=role, since=since, until=until)
    if limit == 0 or not text.strip():
        return []
    if mode == "keyword":
        return keyword_recall(store, text, scope, limit)
    from . import hybrid

    return hybrid.recall(store, text, scope, limit, mode)


def keyword_recall(store: "Store", text: str, scope, limit: int, note: str | None = None) -> list[RecallHit]:
    """Keyword mode: bm25 over any of the question's informative words."""
    words = keyword.informative(store, keyword.question_words(store, text))
    found = keyword.keyword_hits(store, words, scope, limit)
    return [RecallHit(**asdict(h), signals=("keyword",), keyword_rank=i, note=note)
            for i, h in enumerate(found, 1)]


def recall_frame(store: "Store", text: str, **kwargs: Any):
    """``recall`` as a pandas DataFrame with the RecallHit columns (the same columns when empty)."""
    import pandas as pd

    hits = recall(store, text, **kwargs)
    records = [{**asdict(h), "signals": ",".join(h.signals)} for h in hits]
    frame = pd.DataFrame.from_records(records, columns=list(FRAME_DTYPES))
    return frame.astype(FRAME_DTYPES)
