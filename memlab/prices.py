"""Model prices: what a model call cost, from pydantic's ``genai-prices`` (its bundled data, with
each model's price history) as of the call's own time, or from a user table made by
``memlab prices update --from FILE`` (LiteLLM's JSON), which wins for the models it names.

The user table lives at ``$MEMLAB_PRICES``, else ``$XDG_CONFIG_HOME/memlab/prices.json`` (default
``~/.config/memlab/prices.json``). No network is used: genai-prices' own auto-update is never started.
An unknown model has no price (``None``): memlab stores its calls as unpriced, never as free.
Names are tried as given, then normalised only within a family: provider prefixes (``anthropic/``),
date stamps (``-20250929``, ``-2024-08-06``), ``-latest`` and Bedrock's ``-v1:0`` are dropped and
llm-anthropic's dotted versions (``claude-sonnet-4.5``) read as dashed; nothing else is guessed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

PER_MILLION = 1_000_000
LIBRARY = "genai-prices"
LISTED_PROVIDERS = ("anthropic", "openai", "google")  # what ``memlab prices list`` shows unless asked

_PREFIX = re.compile(r"^(?:[\w.-]+/)+")  # anthropic/, openrouter/openai/, vertex_ai/ ...
_BEDROCK_VENDOR = re.compile(r"^(?:[a-z]{2,6}\.)?(?:anthropic|openai|google)\.")  # us./eu./global.anthropic.
_SUFFIXES = (
    re.compile(r"-v\d+(?::\d+)?$"),  # Bedrock: -v1:0
    re.compile(r"-latest$"),
    re.compile(r"-\d{8}$"),  # Anthropic: -20250929
    re.compile(r"-\d{4}-\d{2}-\d{2}$"),  # OpenAI: -2024-08-06
    re.compile(r"@\d{8}$"),  # Vertex: @20250929
)
_DOTTED_VERSION = re.compile(r"(?<=\d)\.(?=\d)")  # llm-anthropic's claude-sonnet-4.5, claude-3.5-haiku


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
    """A model's rates, and the higher rates of its long-context tiers: ``(start, rates)`` pairs,
    ascending, each applying to a whole request whose prompt has more than ``start`` tokens."""

    model: str
    provider: str
    rates: Rates
    tiers: tuple[tuple[int, Rates], ...] = ()

    @property
    def long_context_threshold(self) -> int | None:
        return self.tiers[0][0] if self.tiers else None

    @property
    def long_context(self) -> Rates | None:
        return self.tiers[0][1] if self.tiers else None

    def rates_for(self, prompt_tokens: int) -> Rates:
        """The rates of a request with this many prompt tokens (input + cache read + cache write)."""
        for start, rates in reversed(self.tiers):
            if prompt_tokens > start:
                return rates
        return self.rates

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
        rates = self.rates_for(prompt) if self.tiers else self.rates
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
    if name.startswith("claude"):
        names.extend(_DOTTED_VERSION.sub("-", n) for n in list(names))
    return list(dict.fromkeys(names))


def _day(at: Any) -> str:
    """The UTC date (``YYYY-MM-DD``) a call is priced as of: its timestamp's, or today's."""
    if at is None:
        return dt.datetime.now(dt.timezone.utc).date().isoformat()
    if isinstance(at, str):
        if len(at) == 27 and at[10] == "T" and at[-1] == "Z":
            return at[:10]  # memlab's canonical text is already UTC
        from .clock import from_iso

        return from_iso(at).astimezone(dt.timezone.utc).date().isoformat()
    if isinstance(at, dt.datetime):
        return (at.astimezone(dt.timezone.utc) if at.tzinfo else at).date().isoformat()
    return at.isoformat()  # a date


# -- the library: genai-prices ---------------------------------------------------------------


class LibraryPrices:
    """genai-prices' bundled data: a model's price on a given day, from its price history."""

    def __init__(self) -> None:
        from genai_prices import __version__
        from genai_prices.data_snapshot import get_snapshot

        self.snapshot = get_snapshot()
        self.version = __version__
        self.as_of = _newest_change(self.snapshot.providers)
        self.source = f"{LIBRARY} {__version__} (pydantic/genai-prices, bundled data with price history)"
        self._found: dict[str, Any] = {}
        self._prices: dict[tuple[str, str], Price | None] = {}

    def model(self, model: str) -> tuple[Any, Any] | None:
        """genai-prices' (provider, model info) for a model id, or None when it doesn't know it."""
        if model not in self._found:
            found = None
            for name in candidates(model):
                try:
                    found = self.snapshot.find_provider_model(name, None, None, None)
                    break
                except LookupError:
                    continue
            self._found[model] = found
        return self._found[model]

    def lookup(self, model: str, at: Any = None) -> Price | None:
        """The price of a model on the day of ``at`` (a timestamp; default today), or None."""
        key = (model, _day(at))
        if key not in self._prices:
            found = self.model(model)
            self._prices[key] = None if found is None else self.price(found[0], found[1], key[1])
        return self._prices[key]

    @staticmethod
    def price(provider: Any, info: Any, day: str) -> Price | None:
        """One genai-prices model's text-token prices on ``day``, per million, as memlab's Price."""
        midnight = dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc)
        return _from_model_price(info.id, provider.id, info.get_prices(midnight))

    def models(self, providers: tuple[str, ...] | None = None) -> Iterator[tuple[Any, Any]]:
        """(provider, model info) of every model of these providers (all providers when None)."""
        for provider in self.snapshot.providers:
            if providers is None or provider.id in providers:
                for info in provider.models:
                    yield provider, info


def _newest_change(providers: list) -> str:
    """The date of the newest price change in genai-prices' data up to today: the date its prices
    are as of (changes it already knows are scheduled later are left out)."""
    today = dt.datetime.now(dt.timezone.utc).date()
    newest = None
    for provider in providers:
        for info in provider.models:
            conditions = list(info.prices) if isinstance(info.prices, list) else []
            conditions += info.price_variants or []
            for condition in conditions:
                start = getattr(condition.constraint, "start_date", None)
                if start is not None and start <= today and (newest is None or start > newest):
                    newest = start
    return newest.isoformat() if newest else ""


def _from_model_price(model: str, provider: str, prices: Any) -> Price | None:
    """genai-prices' ModelPrice as memlab's Rates and tiers; None without both an input and an output
    price (unpriced beats half-priced). Where a cache price is missing, genai-prices charges those
    tokens as input (1-hour writes: as writes), and so does this."""
    values = prices.__dict__

    def first(*keys: str) -> Any:
        return next((values[k] for k in keys if values.get(k) is not None), None)

    fields = {"input": first("input_mtok", "input_text_mtok"), "output": first("output_mtok", "output_text_mtok")}
    if fields["input"] is None or fields["output"] is None:
        return None
    fields["cache_read"] = first("cache_read_mtok", "cache_text_read_mtok") or fields["input"]
    fields["cache_write_5m"] = first("cache_write_5m_mtok", "cache_write_mtok") or fields["input"]
    fields["cache_write_1h"] = first("cache_write_1h_mtok", "cache_write_mtok") or fields["input"]

    def at(value: Any, prompt: int) -> float:
        tiers = getattr(value, "tiers", None)
        if tiers is None:
            return float(value)
        applicable = value.base
        for tier in tiers:
            if prompt >= tier.start:
                applicable = tier.price
        return float(applicable)

    starts = sorted({t.start for value in fields.values() for t in (getattr(value, "tiers", None) or ())})
    base = Rates(**{name: at(value, -1) for name, value in fields.items()})
    tiers = tuple((start, Rates(**{name: at(value, start) for name, value in fields.items()})) for start in starts)
    return Price(model, provider, base, tiers)


@functools.cache
def library() -> LibraryPrices:
    """genai-prices' data (loaded once, on first use)."""
    return LibraryPrices()


# -- the user table ------------------------------------------------------------------------------


class PriceTable:
    """A set of model prices (the user table), with memlab's name normalisation; no history."""

    def __init__(self, prices: Mapping[str, Price], *, source: str = "", as_of: str = "") -> None:
        self.prices = dict(prices)
        self.source = source
        self.as_of = as_of

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PriceTable:
        prices = {}
        for model, entry in data["models"].items():
            long = entry.get("long_context")
            tiers = ((int(long["threshold"]), Rates.from_entry(long)),) if long else ()
            prices[model] = Price(model, entry.get("provider", ""), Rates.from_entry(entry), tiers)
        return cls(prices, source=data.get("source", ""), as_of=data.get("as_of", ""))

    def as_json(self) -> dict[str, Any]:
        """The table as the user table's JSON."""
        models = {}
        for name, price in sorted(self.prices.items()):
            entry: dict[str, Any] = {"provider": price.provider, **price.rates.as_json()}
            if price.long_context is not None:
                entry["long_context"] = {"threshold": price.long_context_threshold, **price.long_context.as_json()}
            models[name] = entry
        return {"about": "USD per million tokens (memlab's user price table)", "source": self.source,
                "as_of": self.as_of, "models": models}

    def lookup(self, model: str, at: Any = None) -> Price | None:
        """The price for a model id, or None when the table doesn't know it (``at`` is ignored)."""
        for name in candidates(model):
            if name in self.prices:
                return self.prices[name]
        return None


class Prices:
    """What memlab prices calls with: the user table where it names the model, else genai-prices."""

    def __init__(self, user: PriceTable | None, base: LibraryPrices) -> None:
        self.user = user
        self.library = base
        self._user_hits: dict[str, Price | None] = {}

    @property
    def source(self) -> str:
        if self.user is None:
            return self.library.source
        return f"{self.user.source}; other models: {self.library.source}"

    @property
    def as_of(self) -> str:
        if self.user is None:
            return self.library.as_of
        return f"user table {self.user.as_of}; {LIBRARY} {self.library.as_of}"

    def lookup(self, model: str, at: Any = None) -> Price | None:
        """The price of a model for a call at ``at`` (default now), or None (unpriced)."""
        if self.user is not None:
            if model not in self._user_hits:
                self._user_hits[model] = self.user.lookup(model)
            if (hit := self._user_hits[model]) is not None:
                return hit
        return self.library.lookup(model, at)

    def compute_cost(self, model: str, at: Any = None, **tokens: int) -> float | None:
        price = self.lookup(model, at)
        return None if price is None else price.cost(**tokens)


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


@functools.lru_cache(maxsize=4)
def _combined(user: PriceTable | None) -> Prices:
    return Prices(user, library())


def current() -> Prices:
    """The prices memlab uses now: the user table (if any) over genai-prices."""
    path = user_table_path()
    try:
        stat = os.stat(path)
    except OSError:
        return _combined(None)
    try:
        user = _load_user(str(path), stat.st_mtime_ns, stat.st_size)
    except (ValueError, KeyError, TypeError) as e:
        from .errors import ValidationError

        raise ValidationError(f"the price table {path.name!r} is not readable ({e}); run memlab prices update again") from None
    return _combined(user)


def price_for(model: str, at: Any = None) -> Price | None:
    """The price of a model for a call at ``at`` (a timestamp; default now), or None."""
    return current().lookup(model, at)


def compute_cost(
    model: str,
    *,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    cache_write_1h_tokens: int = 0,
    at: Any = None,
) -> float | None:
    """USD for one call made at ``at`` (default now), or None (unpriced) for an unknown model."""
    return current().compute_cost(
        model,
        at,
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
        prices[name] = Price(name, provider, rates, ((tiers[0] * 1000, long_context),) if long_context else ())
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
    tokens; memlab prices new calls of those models from it (over genai-prices) from then on.
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
                     (p.rates, p.tiers) != (table.prices[m].rates, table.prices[m].tiers))
    target = Path(target) if target is not None else user_table_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(json.dumps(table.as_json(), indent=1) + "\n", encoding="utf-8")
    os.replace(partial, target)
    return PriceUpdate(target, len(table.prices), added, changed)
