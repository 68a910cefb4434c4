"""Model prices: what a model call cost, from the price table shipped in ``prices.json``, or from a
newer user table made by ``memlab prices update --from FILE`` (LiteLLM's JSON), which wins.

The user table lives at ``$MEMLAB_PRICES``, else ``$XDG_CONFIG_HOME/memlab/prices.json`` (default
``~/.config/memlab/prices.json``); the shipped file is never written.
An unknown model has no price (``None``): memlab stores its calls as unpriced, never as free.
Names are normalised only within a family: provider prefixes (``anthropic/``), date stamps
(``-20250929``, ``-2024-08-06``), ``-latest`` and Bedrock's ``-v1:0`` are dropped; nothing
else is guessed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
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


    def as_json(self) -> dict[str, float]:
        return {"input": self.input, "output": self.output, "cache_read": self.cache_read,
                "cache_write_5m": self.cache_write_5m, "cache_write_1h": self.cache_write_1h}


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

    def as_json(self) -> dict[str, Any]:
        """The table in ``prices.json``'s format."""
        models = {}
        for name, price in sorted(self.prices.items()):
            entry: dict[str, Any] = {"provider": price.provider, **price.rates.as_json()}
            if price.long_context is not None:
                entry["long_context"] = {"threshold": price.long_context_threshold, **price.long_context.as_json()}
            models[name] = entry
        return {"about": "USD per million tokens (see memlab/prices.json)", "source": self.source,
                "as_of": self.as_of, "models": models}

    def over(self, base: PriceTable) -> PriceTable:
        """This table's prices, and ``base``'s for the models this one doesn't name."""
        source = f"{self.source}; other models: {base.source}" if base.prices else self.source
        return PriceTable({**base.prices, **self.prices}, source=source, as_of=self.as_of)

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


def user_table_path() -> Path:
    """Where ``memlab prices update`` writes the user table: ``$MEMLAB_PRICES``, else the config dir."""
    env = os.environ
    return _user_table_path(env.get("MEMLAB_PRICES"), env.get("XDG_CONFIG_HOME"), env.get("HOME"))


@functools.lru_cache(maxsize=8)
def _user_table_path(explicit: str | None, config: str | None, home: str | None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    config = config or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config) / "memlab" / "prices.json"


@functools.lru_cache(maxsize=4)
def _load_user(path: str, mtime_ns: int, size: int) -> PriceTable:
    return PriceTable.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def current() -> PriceTable:
    """The table memlab prices calls with: the user table over the shipped one, or the shipped one."""
    path = user_table_path()
    try:
        stat = os.stat(path)
    except OSError:
        return shipped()
    try:
        return _load_user(str(path), stat.st_mtime_ns, stat.st_size).over(shipped())
    except (ValueError, KeyError, TypeError) as e:
        from .errors import ValidationError

        raise ValidationError(f"the price table {path.name!r} is not readable ({e}); run memlab prices update again") from None


def price_for(model: str) -> Price | None:
    """The current price of a model, or None."""
    return current().lookup(model)


def known_models() -> list[str]:
    """Every model the current table prices."""
    return sorted(current().prices)


def compute_cost(
    model: str,
    *,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    cache_write_1h_tokens: int = 0,
) -> float | None:
    """USD for one call from the current table, or None (unpriced) for an unknown model."""
    return current().compute_cost(
        model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read_tokens,
        cache_write_tokens=cache_write_tokens,
        cache_write_1h_tokens=cache_write_1h_tokens,
    )


# -- LiteLLM's model_prices_and_context_window.json ------------------------------------------

LITELLM_PROVIDERS = {"anthropic": "anthropic", "openai": "openai", "gemini": "google"}
_TIER = re.compile(r"^input_cost_per_token_above_(\d+)k_tokens$")


def _litellm_rates(entry: Mapping[str, Any], suffix: str = "", base: Rates | None = None) -> Rates | None:
    """Per-million rates from LiteLLM's per-token fields (``suffix`` picks a long-context tier)."""
    def rate(field: str, fallback: float | None) -> float | None:
        value = entry.get(field + suffix)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return round(value * PER_MILLION, 9)
        return fallback

    input_rate = rate("input_cost_per_token", None)
    output_rate = rate("output_cost_per_token", base.output if base else None)
    if input_rate is None or output_rate is None:
        return None
    write_5m = rate("cache_creation_input_token_cost", base.cache_write_5m if base else input_rate)
    return Rates(
        input=input_rate,
        output=output_rate,
        cache_read=rate("cache_read_input_token_cost", base.cache_read if base else input_rate),
        cache_write_5m=write_5m,
        cache_write_1h=rate("cache_creation_input_token_cost_above_1hr", base.cache_write_1h if base else write_5m),
    )


def from_litellm(data: Mapping[str, Any], *, source: str = "LiteLLM", as_of: str = "") -> PriceTable:
    """The chat models of Anthropic, OpenAI and Google (gemini) in LiteLLM's price file, per million.

    Keys lose their provider prefix (``gemini/gemini-2.5-pro`` -> ``gemini-2.5-pro``); entries
    without both an input and an output price are left out (unpriced beats half-priced).
    """
    prices: dict[str, Price] = {}
    for key, entry in data.items():
        if not isinstance(entry, Mapping) or entry.get("mode") != "chat":
            continue
        provider = LITELLM_PROVIDERS.get(entry.get("litellm_provider"))
        if provider is None:
            continue
        rates = _litellm_rates(entry)
        if rates is None:
            continue
        tiers = sorted(int(m.group(1)) for f in entry if (m := _TIER.match(f)))
        long_context = _litellm_rates(entry, f"_above_{tiers[0]}k_tokens", rates) if tiers else None
        name = _PREFIX.sub("", key.strip().lower())
        prices[name] = Price(name, provider, rates, tiers[0] * 1000 if long_context else None, long_context)
    return PriceTable(prices, source=source, as_of=as_of)


@dataclass(frozen=True)
class PriceUpdate:
    """What ``update_from_litellm`` wrote."""

    path: Path
    models: int
    added: list[str]
    changed: list[str]


def update_from_litellm(source: str | os.PathLike[str], target: str | os.PathLike[str] | None = None) -> PriceUpdate:
    """Write the user price table from a downloaded copy of LiteLLM's price file (no network).

    Only chat models of Anthropic, OpenAI and Google are kept, converted to USD per million
    tokens; memlab prices new calls from it (over the shipped table) from then on.
    """
    from .errors import ValidationError

    source = Path(source)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValidationError(f"cannot read {source.name!r} as JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{source.name!r} is not LiteLLM's price file (expected a JSON object of models)")
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    table = from_litellm(data, source=f"LiteLLM model_prices_and_context_window.json ({source.name}), imported {today}",
                         as_of=today)
    if not table.prices:
        raise ValidationError(f"{source.name!r} has no chat models of anthropic, openai or gemini")
    before = current()
    added = sorted(m for m in table.prices if before.lookup(m) is None)
    changed = sorted(m for m in table.prices if (p := before.lookup(m)) is not None and
                     (p.rates, p.long_context) != (table.prices[m].rates, table.prices[m].long_context))
    target = Path(target) if target is not None else user_table_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(json.dumps(table.as_json(), indent=1) + "\n", encoding="utf-8")
    os.replace(partial, target)
    return PriceUpdate(target, len(table.prices), added, changed)
