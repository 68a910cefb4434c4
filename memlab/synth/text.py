"""Readable messages from templates: a conversation has a kind and a focus, sentences fill slots.

Every draw goes through the ``random.Random`` passed in, so a seed fixes every word.
"""

from __future__ import annotations

import bisect
import math
import random
import re
from typing import Callable, Sequence

from . import templates as t
from . import vocabulary as w

_SLOT = re.compile(r"\{([A-Za-z_0-9]+)\}")


class Zipf:
    """Pick from a list weighted 1/rank**s: the first items are common, the tail is rare."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, items: Sequence, s: float = 1.0) -> None:
        self.items = tuple(items)
        acc, cum = 0.0, []
        for rank in range(1, len(self.items) + 1):
            acc += 1.0 / rank**s
            cum.append(acc)
        self.cum, self.total = cum, acc

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect(self.cum, rng.random() * self.total)]


class Template:
    """A sentence with slots, split once into literals and slot names."""

    __slots__ = ("parts", "tail")

    def __init__(self, text: str) -> None:
        pieces = _SLOT.split(text)
        self.parts = tuple(zip(pieces[0:-1:2], pieces[1::2]))
        self.tail = pieces[-1]

    def fill(self, rng: random.Random, focus: dict[str, str], fresh: dict[str, Callable]) -> str:
        out = []
        for literal, slot in self.parts:
            out.append(literal)
            value = focus.get(slot)
            out.append(value if value is not None else fresh[slot](rng))
        out.append(self.tail)
        return "".join(out)


def _compile(texts: Sequence[str], s: float = 0.6) -> Zipf:
    return Zipf([Template(x) for x in texts], s)


# -- fresh values --------------------------------------------------------------------------

_verb, _noun = Zipf(w.VERBS, 0.9), Zipf(w.NOUNS, 0.9)
_suffix, _dir, _ext = Zipf(w.CLASS_SUFFIXES), Zipf(w.DIRECTORIES), Zipf(w.EXTENSIONS, 1.2)
_TEST_CASES = Zipf((
    "returns_none", "handles_timeout", "rejects_empty_input", "retries_on_error",
    "is_idempotent", "keeps_order", "survives_restart", "with_unicode", "under_load",
    "after_migration",
))


def function_name(rng: random.Random) -> str:
    verb, noun = _verb(rng), _noun(rng)
    roll = rng.random()
    if roll < 0.2:
        return f"{verb}_{noun}_{_noun(rng)}"
    if roll < 0.35:
        return verb + noun.capitalize()
    return f"{verb}_{noun}"


def class_name(rng: random.Random) -> str:
    return _noun(rng).capitalize() + _suffix(rng)


def file_name(rng: random.Random) -> str:
    folder = _dir(rng)
    if folder == "tests":
        return f"tests/test_{_noun(rng)}.py"
    stem = _noun(rng) if rng.random() < 0.6 else f"{_noun(rng)}_{_ROLE(rng)}"
    return f"{folder}/{stem}{_ext(rng)}"


def test_name(rng: random.Random) -> str:
    return f"test_{function_name(rng).lower()}_{_TEST_CASES(rng)}"


def branch_name(rng: random.Random) -> str:
    return f"{_BRANCH(rng)}/{_noun(rng)}-{_verb(rng)}"


def version(rng: random.Random) -> str:
    return f"{rng.randint(1, 4)}.{rng.randint(0, 19)}.{rng.randint(0, 9)}"


_BRANCH = Zipf(w.BRANCH_PREFIXES)
_ROLE = Zipf(w.MODULE_ROLES)
_exception = Zipf(w.EXCEPTIONS, 1.1)
_error_detail = _compile(w.ERROR_DETAILS, 1.0)

FRESH: dict[str, Callable[[random.Random], str]] = {
    "component": Zipf(w.COMPONENTS),
    "file": file_name,
    "func": function_name,
    "cls": class_name,
    "lib": Zipf(w.LIBRARIES),
    "table": Zipf(w.TABLES),
    "column": Zipf(w.COLUMNS),
    "env": Zipf(w.ENV_VARS),
    "concept": Zipf(w.CONCEPTS),
    "metric": Zipf(w.METRICS),
    "person": Zipf(w.PEOPLE, 0.8),
    "when": Zipf(w.WHEN, 0.8),
    "test": test_name,
    "noun": _noun,
    "version": version,
    "n": lambda rng: str(rng.randint(2, 12)),
    "count": lambda rng: f"{int(rng.lognormvariate(5.0, 1.3)) + 3:,}",
    "ms": lambda rng: str(int(rng.lognormvariate(4.5, 0.8)) + 1),
    "pct": lambda rng: str(rng.randint(2, 97)),
    "secs": lambda rng: f"{rng.lognormvariate(2.5, 0.8):.1f}",
}


def error_message(rng: random.Random) -> str:
    return _error_detail(rng).fill(rng, {}, FRESH)


def new_focus(rng: random.Random, project: str) -> dict[str, str]:
    """What one conversation is about: its file, function, error, library, ..."""
    lib = FRESH["lib"](rng)
    lib2 = FRESH["lib"](rng)
    while lib2 == lib:
        lib2 = FRESH["lib"](rng)
    exception = _exception(rng)
    return {
        "PROJECT": project,
        "COMPONENT": FRESH["component"](rng),
        "FILE": file_name(rng),
        "FUNC": function_name(rng),
        "CLASS": class_name(rng),
        "EXCEPTION": exception,
        "ERROR": error_message(rng),
        "ERROR_SHORT": exception,
        "LIB": lib,
        "LIB2": lib2,
        "TEST": test_name(rng),
        "CONCEPT": FRESH["concept"](rng),
        "TABLE": FRESH["table"](rng),
        "BRANCH": branch_name(rng),
        "METRIC": FRESH["metric"](rng),
        "ADJ": Zipf(w.ADJECTIVES)(rng),
        "VERSION": "v" + version(rng),
    }


# -- messages ------------------------------------------------------------------------------

_TITLES = {k: _compile(v) for k, v in t.TITLES.items()}
_OPENERS = {k: _compile(v) for k, v in t.OPENERS.items()}
_FOLLOWUPS = {k: _compile(v) for k, v in t.FOLLOWUPS.items()}
_REPLIES = {k: _compile(v, 0.4) for k, v in t.REPLIES.items()}
_GENERIC = _compile(t.GENERIC_REPLIES, 0.5)
_CONTEXT = _compile(t.USER_CONTEXT, 0.5)
_ACKS = Zipf(t.ACKS)
_TOOL = _compile(t.TOOL_OUTPUTS, 0.5)
_HANDOFF = _compile(t.HANDOFF_SUMMARIES, 0.3)
_REASONS = _compile(t.REASONS, 0.3)

MIN_WORDS, MAX_WORDS = 20, 400


def _length(rng: random.Random, median: float, sigma: float, low: int, high: int) -> int:
    return max(low, min(high, int(rng.lognormvariate(math.log(median), sigma))))


def _compose(
    rng: random.Random,
    focus: dict[str, str],
    first: str,
    pools: tuple[tuple[Zipf, float], ...],
    target: int,
    paragraphs: bool,
) -> str:
    """Add sentences from the pools until the message reaches ``target`` words (20..400)."""
    sentences, words, used = [first], first.count(" ") + 1, set()
    while words < target:
        roll, pool = rng.random(), pools[-1][0]
        for candidate, share in pools:
            if roll < share:
                pool = candidate
                break
            roll -= share
        template = pool(rng)
        for _ in range(6):  # a few redraws keep repeats rare without looping forever
            if id(template) not in used:
                break
            template = pool(rng)
        sentence = template.fill(rng, focus, FRESH)
        n = sentence.count(" ") + 1
        if words + n > MAX_WORDS:
            if words >= MIN_WORDS:
                break
            continue
        used.add(id(template))
        sentences.append(sentence)
        words += n
    if paragraphs and len(sentences) > 4:
        out, size = [], rng.randint(2, 4)
        for i in range(0, len(sentences), size):
            out.append(" ".join(sentences[i:i + size]))
        return "\n\n".join(out)
    return " ".join(sentences)


def title(rng: random.Random, kind: str, focus: dict[str, str]) -> str:
    return _TITLES[kind](rng).fill(rng, focus, FRESH)


def opener(rng: random.Random, kind: str, focus: dict[str, str]) -> str:
    """The request that starts a conversation (what the router sees)."""
    first = _OPENERS[kind](rng).fill(rng, focus, FRESH)
    return _compose(rng, focus, first, ((_CONTEXT, 1.0),), _length(rng, 38, 0.5, MIN_WORDS, 160), False)


def followup(rng: random.Random, kind: str, focus: dict[str, str]) -> str:
    """A later user turn: a reaction, a new detail, a next question."""
    first = _FOLLOWUPS[kind](rng).fill(rng, focus, FRESH)
    if rng.random() < 0.3:
        first = f"{_ACKS(rng)} {first}"
    pools = ((_CONTEXT, 0.4), (_FOLLOWUPS[kind], 0.6))
    return _compose(rng, focus, first, pools, _length(rng, 30, 0.5, MIN_WORDS, 140), False)


def reply(rng: random.Random, kind: str, focus: dict[str, str], lead: str | None = None) -> str:
    """An agent's answer: kind-specific findings with some general working sentences.

    ``lead`` replaces the first sentence (e.g. a note that the agent timed out).
    """
    first = lead if lead is not None else _REPLIES[kind](rng).fill(rng, focus, FRESH)
    pools = ((_REPLIES[kind], 0.72), (_GENERIC, 0.28))
    return _compose(rng, focus, first, pools, _length(rng, 85, 0.6, MIN_WORDS, MAX_WORDS), True)


def tool_output(rng: random.Random, focus: dict[str, str]) -> str:
    """What a tool call printed, summarised as text."""
    first = _TOOL(rng).fill(rng, focus, FRESH)
    return _compose(rng, focus, first, ((_TOOL, 1.0),), _length(rng, 28, 0.4, MIN_WORDS, 120), False)


def handoff_summary(rng: random.Random, focus: dict[str, str]) -> str:
    return _HANDOFF(rng).fill(rng, focus, FRESH)


def routing_reason(rng: random.Random, topic: str, agent: str, runner_up: str) -> str:
    return _REASONS(rng).fill(rng, {"topic": topic, "agent": agent, "runner_up": runner_up}, FRESH)


def first_sentence(text: str, limit: int = 240) -> str:
    """The request as a router logs it: the message's first sentence, at most ``limit`` chars."""
    ends = [i for i in (text.find(". "), text.find("? "), text.find("! ")) if 0 < i < limit]
    return text[: min(ends) + 1] if ends else text[:limit]
