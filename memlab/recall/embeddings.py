"""Text embeddings from a model whose weights ship inside a PyPI wheel (no download at run time)."""

from __future__ import annotations

import importlib.util


def available() -> bool:
    """Whether the memlab[semantic] extra is installed."""
    return importlib.util.find_spec("wordllama") is not None
