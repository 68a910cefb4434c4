"""A seeded generator of believable multi-agent memory: ``generate(db, messages=..., seed=...)``.

Used by ``memlab generate``, ``memlab demo``, the dashboard notebook and the benchmarks.
"""

from .workload import CONTEXT_INJECTION, SEARCH_LATENCY, TOKENS_INJECTED, default_users, generate

__all__ = ["generate", "default_users", "SEARCH_LATENCY", "CONTEXT_INJECTION", "TOKENS_INJECTED"]
