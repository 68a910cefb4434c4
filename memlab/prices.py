"""Model prices: what a model call cost, from the price table shipped in ``prices.json``.

An unknown model has no price (``None``): memlab stores its calls as unpriced, never as free.
Names are normalised only within a family: provider prefixes (``anthropic/``), date stamps
(``-20250929``, ``-2024-08-06``), ``-latest`` and Bedrock's ``-v1:0`` are dropped; nothing
else is guessed.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Mapping

PER_MILLION = 1_000_000

_PREFIX = re.compile(r"^(?:[\w.-]+/)+")  # anthropic/, openrouter/openai/, vertex_ai/ ...
_BEDROCK_VENDOR = re.compile(r"^(?:us\.|eu\.|apac\.)?(?:anthropic|openai|google)\.")
_SUFFIXES = (
    re.compile(r"-v\d+(?::\d+)?$"),  # Bedrock: -v1:0
    re.compile(r"-latest$"),
    re.compile(r"-\d{8}$"),  # Anthropic: -20250929
    re.compile(r"-\d{4}-\d{2}-\d{2}$"),  # OpenAI: -2024-08-06
    re.compile(r"@\d{8}$"),  # Vertex: @20250929
)


@dataclass(frozen=True)
class Rates:
    """USD per million tokens of each kind."""

    input: float
    output: float
    cache_read: float
    cache_write_5m: float
    cache_write_1h: float

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> Rates:
        base = float(entry["input"])
        write_5m = float(entry.get("cache_write_5m", base))
        return cls(
            input=base,
            output=float(entry["output"]),
            cache_read=float(entry.get("cache_read", base)),
            cache_write_5m=write_5m,
            cache_write_1h=float(entry.get("cache_write_1h", write_5m)),
        )


@dataclass(frozen=True)
class Price:
    """A model's rates, and the higher rates of its long-context tier where it has one."""

    model: str
    provider: str
    rates: Rates
    long_context_threshold: int | None = None
    long_context: Rates | None = None

    def cost(
        self,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        cache_write_1h_tokens: int = 0,
    ) -> float:
        """USD for one call; ``cache_write_tokens`` are 5-minute writes, 1-hour ones apart."""
        prompt = input_tokens + cache_read_tokens + cache_write_tokens + cache_write_1h_tokens
        rates = self.rates
        if self.long_context is not None and self.long_context_threshold is not None and prompt > self.long_context_threshold:
            rates = self.long_context
        return (
            input_tokens * rates.input
            + output_tokens * rates.output
            + cache_read_tokens * rates.cache_read
            + cache_write_tokens * rates.cache_write_5m
            + cache_write_1h_tokens * rates.cache_write_1h
        ) / PER_MILLION


def candidates(model: str) -> list[str]:
    """The names to try for a model id, most specific first."""
    name = model.strip().lower()
    names = [name]
    name = _BEDROCK_VENDOR.sub("", _PREFIX.sub("", name))
    names.append(name)
    for suffix in _SUFFIXES:
        stripped = suffix.sub("", name)
        if stripped != name:
            name = stripped
            names.append(name)
    return list(dict.fromkeys(names))


class PriceTable:
    """A set of model prices with memlab's name normalisation."""

    def __init__(self, prices: Mapping[str, Price], *, source: str = "", as_of: str = "") -> None:
        self.prices = dict(prices)
        self.source = source
        self.as_of = as_of

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PriceTable:
        prices = {}
        for model, entry in data["models"].items():
            long = entry.get("long_context")
            prices[model] = Price(
                model=model,
                provider=entry.get("provider", ""),
                rates=Rates.from_entry(entry),
                long_context_threshold=int(long["threshold"]) if long else None,
                long_context=Rates.from_entry(long) if long else None,
            )
        return cls(prices, source=data.get("source", ""), as_of=data.get("as_of", ""))

    def lookup(self, model: str) -> Price | None:
        """The price for a model id, or None when the table doesn't know it."""
        for name in candidates(model):
            if name in self.prices:
                return self.prices[name]
        return None

    def compute_cost(self, model: str, **tokens: int) -> float | None:
        price = self.lookup(model)
        return None if price is None else price.cost(**tokens)


@functools.cache
def shipped() -> PriceTable:
    """The price table that ships with memlab (loaded once, on first use)."""
    text = resources.files("memlab").joinpath("prices.json").read_text(encoding="utf-8")
    return PriceTable.from_json(json.loads(text))


def price_for(model: str) -> Price | None:
    """The shipped price of a model, or None."""
    return shipped().lookup(model)


def known_models() -> list[str]:
    """Every model the shipped table prices."""
    return sorted(shipped().prices)


def compute_cost(
    model: str,
    *,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    cache_write_1h_tokens: int = 0,
) -> float | None:
    """USD for one call from the shipped table, or None (unpriced) for an unknown model."""
    return shipped().compute_cost(
        model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read_tokens,
        cache_write_tokens=cache_write_tokens,
        cache_write_1h_tokens=cache_write_1h_tokens,
    )
