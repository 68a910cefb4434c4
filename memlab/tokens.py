"""Token counts for budgets: a real tokenizer where one is installed and works offline, else
memlab's estimate.

``tiktoken`` is used when it is installed *and* its ``o200k_base`` file is already in tiktoken's
cache (tiktoken downloads that file on first use; memlab never lets it reach the network, so
without the cached file it falls back). Otherwise a token is estimated as 4 characters, rounded
up (``memlab.messages.estimate_tokens``: OpenAI's and Anthropic's rule of thumb for English).
Any ``Callable[[str], int]`` can be passed instead wherever memlab takes ``count_tokens``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from .messages import estimate_tokens

ENCODING = "o200k_base"  # the encoding of OpenAI's current models (gpt-4o, gpt-4.1, o-series)


@dataclass(frozen=True)
class Counter:
    """Counts tokens of a text; ``name`` says which tokenizer ("tiktoken o200k_base", "estimate")."""

    name: str
    count: Callable[[str], int]

    def __call__(self, text: str) -> int:
        return self.count(text)


ESTIMATE = Counter("estimate (4 characters a token)", estimate_tokens)


@functools.cache
def default() -> Counter:
    """tiktoken's o200k_base when it loads offline, else the estimate (decided once per process)."""
    encoding = _tiktoken_offline(ENCODING)
    if encoding is None:
        return ESTIMATE
    encode = encoding.encode_ordinary
    return Counter(f"tiktoken {ENCODING}", lambda text: len(encode(text)))


def _tiktoken_offline(name: str):
    """tiktoken's encoding read from its cache only: its downloader is swapped for one that
    refuses while the encoding loads. None when tiktoken or the cached file is missing."""
    try:
        import tiktoken
        import tiktoken.load as load
    except ImportError:
        return None
    fetch = getattr(load, "read_file", None)
    if fetch is None:  # a tiktoken whose loader memlab doesn't know: don't risk the network
        return None

    def refuse(blobpath: str) -> bytes:
        raise OSError("memlab counts tokens offline: the encoding is not in tiktoken's cache")

    load.read_file = refuse
    try:
        return tiktoken.get_encoding(name)
    except Exception:  # missing file, damaged cache, unknown encoding: all mean "not usable"
        return None
    finally:
        load.read_file = fetch


def resolve(count_tokens: Callable[[str], int] | None) -> Counter:
    """The counter to use: the one given (wrapped), else ``default()``."""
    if count_tokens is None:
        return default()
    if isinstance(count_tokens, Counter):
        return count_tokens
    if not callable(count_tokens):
        from .errors import ValidationError

        raise ValidationError("count_tokens must be a callable taking a string and returning an int")
    return Counter(getattr(count_tokens, "__name__", "custom"), count_tokens)
