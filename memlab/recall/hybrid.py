"""Semantic and hybrid recall: the embedding ranking of the scope, alone or fused with keywords.

Both rankings are of the same scope (filters first). Fusion is weighted reciprocal rank fusion,
``sum(weight / (K + rank))``, K and the semantic weight per model measured on the LoCoMo dev
file (docs/benchmarks.md): the weaker WordLlama vectors count half as much as bm25.
Messages not embedded yet are embedded in memory for the question (a read never writes), up
to a budget; past it they are left out with a note saying to run ``memlab embed``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np

from ..errors import MissingExtraError
from ..search import Filters, snippets
from ..search.engine import CONDITIONS
from . import embeddings, keyword, vectors

if TYPE_CHECKING:
    from ..store import Store

NO_EXTRA = ("semantic recall needs the memlab[semantic] extra (pip install 'memlab[semantic]'); "
            "hybrid recall ranked by keywords only")
K = 10
WEIGHTS = {"wordllama": 0.5, "e5": 1.0}
DEPTH = 50  # each ranking contributes its best max(DEPTH, limit) to the fusion
PENDING = {"wordllama": 5_000, "e5": 100}  # unembedded messages a question embeds in memory

_SCOPE_IDS = """
SELECT m.id FROM messages m
JOIN conversations c ON c.conversation_id = m.conversation_id
JOIN sessions s ON s.session_id = c.session_id
WHERE {conditions}
"""

_DETAILS = """
SELECT m.id, m.conversation_id, c.session_id, m.role, m.created_at, m.content FROM messages m
JOIN conversations c ON c.conversation_id = m.conversation_id
WHERE m.id IN (SELECT value FROM json_each(?))
"""


def recall(store: "Store", text: str, scope: Filters, limit: int, mode: str):
    """Semantic or hybrid recall; hybrid is keyword recall (with a note) without the extra."""
    from . import RecallHit, keyword_recall

    name = vectors.model_for(store.conn) if embeddings.available() else None
    if name is None:
        if mode == "semantic":
            raise MissingExtraError(_missing(store))
        return keyword_recall(store, text, scope, limit, note=_missing(store) + "; hybrid recall ranked by keywords only")
    depth = max(DEPTH, limit)
    semantic, note = semantic_ranking(store, name, text, scope, depth if mode == "hybrid" else limit)
    details = _details(store, [m for m, _ in semantic])
    if mode == "semantic":
        return [RecallHit(*details[m][:5], snippet=_lead(details[m][5]), score=s, signals=("semantic",),
                          semantic_rank=i, note=note)
                for i, (m, s) in enumerate(semantic, 1) if m in details]
    found = keyword.keyword_hits(store, keyword.informative(store, keyword.question_words(store, text)), scope, depth)
    by_keyword = {h.message_id: (i, h) for i, h in enumerate(found, 1)}
    by_meaning = {m: i for i, (m, _) in enumerate(semantic, 1)}
    weight = WEIGHTS.get(name, 1.0)
    fused = {m: 1 / (K + i) for m, (i, _) in by_keyword.items()}
    for m, i in by_meaning.items():
        fused[m] = fused.get(m, 0.0) + weight / (K + i)
    ranked = sorted(fused, key=lambda m: (-fused[m], -m))[:limit]
    out = []
    for m in ranked:
        kw = by_keyword.get(m)
        sem = by_meaning.get(m)
        if kw is not None:
            base = asdict(kw[1])
        elif m in details:
            d = details[m]
            base = dict(message_id=d[0], conversation_id=d[1], session_id=d[2], role=d[3], created_at=d[4],
                        snippet=_lead(d[5]))
        else:
            continue
        base["score"] = fused[m]
        signals = tuple(s for s, r in (("keyword", kw), ("semantic", sem)) if r is not None)
        out.append(RecallHit(**base, signals=signals, keyword_rank=kw[0] if kw else None, semantic_rank=sem,
                             note=note))
    return out


def _missing(store: "Store") -> str:
    stored = vectors.stored_model(store.conn)
    if stored is not None and not embeddings.available(stored):
        extra = embeddings.MODELS[stored][1]
        return (f"this database's vectors are {stored}'s, which needs the memlab[{extra}] extra "
                f"(pip install 'memlab[{extra}]')")
    return NO_EXTRA.split(";")[0]


def semantic_ranking(store: "Store", name: str, text: str, scope: Filters,
                     limit: int) -> tuple[list[tuple[int, float]], str | None]:
    """(message id, cosine) of the scope's ``limit`` nearest messages, and a note when some
    messages had no vector and were too many to embed for this question."""
    conn = store.conn
    model = embeddings.model(name)
    m = vectors.matrix(conn, name)
    given = [n for n in CONDITIONS if getattr(scope, n) is not None]
    if given:
        sql = _SCOPE_IDS.format(conditions=" AND ".join(CONDITIONS[n] for n in given))
        wanted = np.fromiter((r[0] for r in conn.execute(sql, scope.params())), dtype=np.int64)
        at, missing = vectors.positions(m, wanted)
    else:
        at = None
        newest = int(m.ids[-1]) if len(m.ids) else 0
        missing = np.fromiter((r[0] for r in conn.execute("SELECT id FROM messages WHERE id > ?", (newest,))),
                              dtype=np.int64)
    query = model.query(text)
    found = vectors.nearest(m, query, limit, at)
    note = None
    if len(missing):
        budget = PENDING.get(name, 100)
        if len(missing) <= budget:
            extra = _details(store, missing.tolist())
            fresh = np.asarray([i for i in missing.tolist() if i in extra], dtype=np.int64)
            rows = model.passages([extra[i][5] for i in fresh.tolist()])
            found = sorted(found + vectors.ranked(fresh, rows @ query, limit), key=lambda f: (-f[1], -f[0]))[:limit]
        else:
            note = (f"{len(missing):,} messages in scope have no vector yet and were ranked by keywords only: "
                    "run `memlab embed`")
    return found, note


def _details(store: "Store", ids) -> dict[int, tuple]:
    if not len(ids):
        return {}
    return {r[0]: r for r in store.conn.execute(_DETAILS, (json.dumps([int(i) for i in ids]),))}


def _lead(content: str, words: int = snippets.WORDS) -> str:
    """The start of a message, as a snippet for a hit no keyword matched."""
    parts = content.split()
    return " ".join(parts[:words]) + (snippets.ELLIPSIS if len(parts) > words else "")
