"""bm25 as FTS5 computes it (``fts5Bm25Function`` in fts5_aux.c), the one copy memlab uses.

Every operation is done in FTS5's order, so memlab's scores are FTS5's to the last bit and ties
break the same way: per phrase ``idf * ((f * (k1 + 1)) / (f + k1 * (1 - b + b * D / avgdl)))``,
added up over the phrases in query order starting from 0.0. The array forms do the same
operations elementwise on float64 (IEEE, so the same doubles).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

K1 = 1.2
B = 0.75
MIN_IDF = 1e-6  # FTS5 floors a non-positive idf here


def idf(docs: int, total: int) -> float:
    """A phrase's idf in ``total`` messages when ``docs`` of them hold it."""
    if not total:
        return MIN_IDF
    value = math.log((total - docs + 0.5) / (docs + 0.5))
    return value if value > 0.0 else MIN_IDF


def norm(length: float, avgdl: float) -> float:
    """``k1 * (1 - b + b * D / avgdl)`` for a message of ``length`` tokens."""
    return K1 * (1 - B + B * length / avgdl) if avgdl else K1 * (1 - B)


def weight(tf: float, length_norm: float) -> float:
    """A phrase's weight in a message before its idf: ``(f * (k1 + 1)) / (f + norm)``."""
    return (tf * (K1 + 1.0)) / (tf + length_norm)


def score(tfs: Sequence[float], idfs: Sequence[float], length: float, avgdl: float) -> float:
    """A message's bm25 (higher is better; FTS5's ``-bm25()``) for these phrase frequencies."""
    n = norm(length, avgdl)
    total = 0.0
    for tf, w in zip(tfs, idfs):
        total += w * weight(tf, n)
    return total


def norms(lengths: np.ndarray, avgdl: float) -> np.ndarray:
    """``norm`` of many messages at once."""
    out = np.multiply(lengths, B, dtype=np.float64)
    if avgdl:
        out /= avgdl
    else:
        out[:] = 0.0
    out += 1 - B
    out *= K1
    return out


def weights(tfs: np.ndarray, length_norms: np.ndarray) -> np.ndarray:
    """``weight`` of many messages at once."""
    tf = tfs.astype(np.float64)
    out = tf * (K1 + 1.0)
    out /= tf + length_norms
    return out


def add_phrase(scores: np.ndarray, phrase_idf: float, tfs: np.ndarray, length_norms: np.ndarray) -> None:
    """Add one phrase's part to running scores, in place (call once per phrase, in query order)."""
    part = weights(tfs, length_norms)
    part *= phrase_idf
    scores += part
