"""Benchmarks: every figure memlab reports is measured beside raw ``sqlite3`` in the same run.

Each benchmark module exposes ``run(...) -> list[Row]``; ``memlab bench`` collects the rows,
prints the table and writes JSON. Ratios, not absolute times, are what a result claims:
these machines are shared and noisy.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable


@dataclass
class Figures:
    """One side of a comparison: latency percentiles (ms) or a throughput (per second)."""

    samples: int
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    per_s: float | None = None


@dataclass
class Row:
    """One operation, done by memlab and by raw sqlite3 (or a peer) in the same run."""

    group: str  # "create", "write", "search", "analytics", "upkeep", "peers", ...
    operation: str
    memlab: Figures
    raw: Figures | None = None  # None where raw sqlite3 has no equivalent: shown as "-"
    target: str | None = None  # the seed's or the target, e.g. "p95 <= 10 ms"
    met: bool | None = None  # whether memlab met the target in this run
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """memlab relative to raw: throughput ratio (higher is better) or p50 latency ratio."""
        if self.raw is None:
            return None
        if self.memlab.per_s is not None and self.raw.per_s:
            return self.memlab.per_s / self.raw.per_s
        if self.memlab.p50_ms is not None and self.raw.p50_ms:
            return self.memlab.p50_ms / self.raw.p50_ms
        return None

    def as_dict(self) -> dict:
        d = asdict(self)
        d["ratio"] = self.ratio
        return d


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        raise ValueError("no samples")
    k = max(0, min(len(sorted_values) - 1, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def latency(samples_s: Iterable[float]) -> Figures:
    """Figures from per-call durations in seconds."""
    ms = sorted(s * 1000 for s in samples_s)
    return Figures(
        samples=len(ms),
        p50_ms=statistics.median(ms),
        p95_ms=percentile(ms, 95),
        p99_ms=percentile(ms, 99),
    )


def throughput(count: int, seconds: float) -> Figures:
    """Figures for ``count`` operations done in ``seconds``."""
    return Figures(samples=count, per_s=count / seconds if seconds > 0 else float("inf"))


def time_calls(fn: Callable[[], object], repeat: int) -> list[float]:
    """Durations in seconds of ``repeat`` calls of ``fn``."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def interleave(a: Callable[[], object], b: Callable[[], object], rounds: int) -> tuple[list[float], list[float]]:
    """Durations of ``a`` and ``b`` called alternately (ab, ba, ab, ...) so noise falls on both alike."""
    ta: list[float] = []
    tb: list[float] = []
    for i in range(rounds):
        for fn, out in ((a, ta), (b, tb)) if i % 2 == 0 else ((b, tb), (a, ta)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return ta, tb
