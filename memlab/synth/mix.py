"""Who does the work and on which model: agents, the router's choice, model mix, tokens and caching.

The shares are plausible for a 2025-26 multi-agent coding setup, not measured from any one
team; they exist so the dashboards have realistic shapes to show.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from typing import Sequence

AGENTS = ("developer", "architect", "qa", "researcher", "reviewer", "devops")

# How often each kind of conversation happens.
KIND_SHARES = (
    ("debugging", 0.24), ("question", 0.17), ("code_review", 0.14), ("testing", 0.12),
    ("planning", 0.10), ("refactoring", 0.10), ("research", 0.07), ("deployment", 0.06),
)

# The agent that should handle each kind (the router is right most of the time).
IDEAL_AGENT = {
    "debugging": (("developer", 0.75), ("devops", 0.15), ("qa", 0.10)),
    "question": (("researcher", 0.45), ("developer", 0.45), ("architect", 0.10)),
    "code_review": (("reviewer", 0.85), ("architect", 0.15)),
    "testing": (("qa", 0.85), ("developer", 0.15)),
    "planning": (("architect", 0.80), ("developer", 0.20)),
    "refactoring": (("developer", 0.65), ("architect", 0.20), ("reviewer", 0.15)),
    "research": (("researcher", 0.90), ("architect", 0.10)),
    "deployment": (("devops", 0.90), ("developer", 0.10)),
}

# What the router logs as the topic it recognised.
TOPICS = {
    "debugging": "an error and a stack trace", "question": "a question about the code",
    "code_review": "a code review", "testing": "tests and coverage", "planning": "design and planning",
    "refactoring": "restructuring code", "research": "comparing tools", "deployment": "CI and deployment",
}

# Model mix per agent. The last, local model is in no price table: its calls stay unpriced.
LOCAL_MODEL = "llama-3.1-8b-local"
AGENT_MODELS = {
    "developer": (("claude-sonnet-4-5", 0.55), ("gpt-5", 0.14), ("gpt-4.1", 0.14),
                  ("gemini-2.5-pro", 0.06), ("claude-haiku-4-5", 0.07), (LOCAL_MODEL, 0.04)),
    "architect": (("claude-opus-4-5", 0.45), ("gpt-5", 0.30), ("gemini-2.5-pro", 0.15),
                  ("claude-sonnet-4-5", 0.10)),
    "qa": (("claude-haiku-4-5", 0.45), ("gpt-4o-mini", 0.25), ("claude-sonnet-4-5", 0.20),
           ("gemini-2.5-flash", 0.10)),
    "researcher": (("gemini-2.5-pro", 0.35), ("gpt-5", 0.30), ("claude-sonnet-4-5", 0.20),
                   ("claude-opus-4-5", 0.15)),
    "reviewer": (("claude-sonnet-4-5", 0.50), ("claude-opus-4-5", 0.20), ("gpt-4.1", 0.20),
                 ("gpt-5", 0.10)),
    "devops": (("claude-sonnet-4-5", 0.40), ("gpt-4.1", 0.30), ("claude-haiku-4-5", 0.20),
               ("gpt-4o-mini", 0.10)),
}
ROUTER_MODELS = (("claude-haiku-4-5", 0.6), ("gpt-4o-mini", 0.3), ("gemini-2.5-flash", 0.1))

# Median response time (ms) and log-normal spread per agent.
AGENT_LATENCY = {
    "developer": (14_000, 0.8), "architect": (25_000, 0.7), "qa": (9_000, 0.9),
    "researcher": (30_000, 0.8), "reviewer": (12_000, 0.7), "devops": (11_000, 0.9),
}
TIMEOUT_MS = 180_000

# Tokens of system prompt and tool definitions each agent sends before any conversation.
AGENT_PREFIX_TOKENS = {
    "developer": 7_500, "architect": 5_000, "qa": 6_000, "researcher": 4_000,
    "reviewer": 5_500, "devops": 6_500,
}

FAILURE_ERRORS = (
    "Tool call failed: pytest exited with status 1",
    "Provider returned 429 Too Many Requests; retries exhausted",
    "Patch did not apply cleanly",
    "Context window exceeded: prompt is longer than the model's limit",
    "Sandbox command exited with status 137 (out of memory)",
    "Model returned invalid JSON for the tool call",
    "Upstream connection reset by peer",
)


class Weighted:
    """Pick one of ``(item, weight)`` pairs."""

    __slots__ = ("items", "cum")

    def __init__(self, pairs: Sequence[tuple[str, float]]) -> None:
        self.items = tuple(p[0] for p in pairs)
        self.cum = list(itertools.accumulate(p[1] for p in pairs))

    def __call__(self, rng: random.Random) -> str:
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


KIND = Weighted(KIND_SHARES)
IDEAL = {kind: Weighted(pairs) for kind, pairs in IDEAL_AGENT.items()}
MODEL = {agent: Weighted(pairs) for agent, pairs in AGENT_MODELS.items()}
ROUTER_MODEL = Weighted(ROUTER_MODELS)
FAILURE = Weighted([(e, 1.0 / (i + 1)) for i, e in enumerate(FAILURE_ERRORS)])


def provider(model: str) -> str:
    """anthropic, openai, google or local: caching works differently for each."""
    if model.startswith("claude"):
        return "anthropic"
    if model.startswith("gpt"):
        return "openai"
    if model.startswith("gemini"):
        return "google"
    return "local"


def _clamp(x: float, low: float, high: float) -> float:
    return low if x < low else high if x > high else x


OVERRIDE_RATE = 0.06  # decisions where a rule, not the top score, picks the agent


def route(rng: random.Random, kind: str) -> dict:
    """A router decision: scores for every agent, the pick, its confidence, and whether it's wrong."""
    ideal = IDEAL[kind](rng)
    top = _clamp(rng.gauss(0.78, 0.12), 0.30, 0.99)
    scores = {a: _clamp(rng.gauss(0.32, 0.15), 0.01, top - 0.02) for a in AGENTS if a != ideal}
    scores[ideal] = top
    misrouted = rng.random() < 0.08
    if misrouted:  # the router's scores favour a worse agent
        other = rng.choice([a for a in AGENTS if a != ideal])
        scores[ideal], scores[other] = scores[other], scores[ideal]
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    keep = 3 if rng.random() < 0.6 else 4
    # Sometimes a rule beats the scores (the user named an agent, or the agent already working
    # on the conversation keeps it): the router then picks its second-best candidate.
    overridden = rng.random() < OVERRIDE_RATE
    (selected, confidence), (runner_up, _) = (ranked[1], ranked[0]) if overridden else (ranked[0], ranked[1])
    return {
        "selected": selected,
        "confidence": round(confidence, 3),
        "candidates": {a: round(s, 3) for a, s in ranked[:keep]},
        "runner_up": runner_up,
        "misrouted": misrouted,
    }


def outcome(rng: random.Random, confidence: float, misrouted: bool) -> str:
    """success, partial or failure: likelier to succeed when the router was sure and right."""
    p_success = 0.30 if misrouted else 0.45 + 0.5 * confidence
    roll = rng.random()
    if roll < p_success:
        return "success"
    return "partial" if roll < p_success + (1 - p_success) * 0.55 else "failure"


def latency_ms(rng: random.Random, agent: str) -> float:
    median, sigma = AGENT_LATENCY[agent]
    return float(int(min(rng.lognormvariate(math.log(median), sigma), TIMEOUT_MS - 1)))


def call_tokens(
    rng: random.Random,
    model: str,
    *,
    prefix: int,
    history: int,
    new: int,
    output: int,
    first: bool,
    one_hour: bool,
) -> dict:
    """Token counts for one model call: a cached prefix/history, new input and output.

    Anthropic writes the cache explicitly (the prefix on a conversation's first call, then
    each new turn) and reads it after; OpenAI and Gemini cache long prompts on their own
    (reads only); a local model caches nothing. ``input_tokens`` is the uncached part.
    """
    kind = provider(model)
    cache_read = cache_write = one_hour_write = 0
    if kind == "anthropic":
        if first:
            cache_write, input_tokens = prefix + history, new
        else:
            cache_read, cache_write, input_tokens = prefix + history, new, rng.randint(20, 120)
        if one_hour:
            one_hour_write = cache_write
    elif kind == "openai":
        prompt = prefix + history + new
        cached = 0 if first or prompt < 1024 else (int((prefix + history) * rng.uniform(0.7, 0.95)) // 128) * 128
        cache_read, input_tokens = cached, prompt - cached
    elif kind == "google":
        prompt = prefix + history + new
        cached = 0 if first or rng.random() < 0.3 else int((prefix + history) * rng.uniform(0.6, 0.9))
        cache_read, input_tokens = cached, prompt - cached
    else:
        input_tokens = prefix + history + new
    return {
        "model": model,
        "input_tokens": input_tokens,
        "output_tokens": output,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "cache_write_1h_tokens": one_hour_write,
    }
