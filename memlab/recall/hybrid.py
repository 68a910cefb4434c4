"""Hybrid and semantic recall: keyword and embedding rankings of the same scope, fused."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from ..errors import ExtraMissingError
from ..search import Filters
from . import embeddings

if TYPE_CHECKING:
    from ..store import Store

NO_EXTRA = ("semantic recall needs the memlab[semantic] extra (pip install 'memlab[semantic]'); "
            "hybrid recall ranked by keywords only")


def recall(store: "Store", text: str, scope: Filters, limit: int, mode: str):
    """Semantic or hybrid recall; hybrid is keyword recall (with a note) without the extra."""
    from . import keyword_recall

    if not embeddings.available():
        if mode == "semantic":
            raise ExtraMissingError(NO_EXTRA.split(";")[0])
        return keyword_recall(store, text, scope, limit, note=NO_EXTRA)
    raise NotImplementedError  # pragma: no cover  (semantic ranking lands next)
