"""Plots of benchmark rows for notebooks: speed relative to raw sqlite3, and latency distributions."""

from __future__ import annotations

from typing import Iterable

from . import Row


def speedup(row: Row) -> float | None:
    """How many times faster than raw memlab was (above 1 = faster), whether a rate or a latency."""
    if row.raw is None:
        return None
    if row.memlab.per_s is not None and row.raw.per_s:
        return row.memlab.per_s / row.raw.per_s
    if row.memlab.p50_ms and row.raw.p50_ms is not None:
        return row.raw.p50_ms / row.memlab.p50_ms
    return None


def speed_against_raw(rows: Iterable[Row], *, ax=None, title: str = "memlab's speed relative to raw sqlite3 / peer"):
    """Horizontal bars of ``speedup`` per operation, with a line at 1 (as fast as raw)."""
    import matplotlib.pyplot as plt

    pairs = [(f"{r.group}: {r.operation}", s) for r in rows if (s := speedup(r)) is not None]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.3 * len(pairs) + 1.2))
    labels = [p[0] for p in pairs][::-1]
    values = [p[1] for p in pairs][::-1]
    ax.barh(labels, values, color=["tab:blue" if v >= 1 else "tab:orange" for v in values])
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("times as fast as raw (log scale; above 1 = memlab faster)")
    ax.set_title(title)
    return ax.figure


def latency_distributions(rows: Iterable[Row], *, ax=None, title: str = "per-call latency, memlab beside raw"):
    """Box plots of each row's per-call latencies (rows that kept ``extra['samples_ms']``), log scale."""
    import matplotlib.pyplot as plt

    kept = [r for r in rows if r.extra.get("samples_ms")]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.6 * len(kept) + 1.2))
    data, labels, colors = [], [], []
    for r in reversed(kept):
        for side, color in (("raw", "tab:gray"), ("memlab", "tab:blue")):
            samples = r.extra["samples_ms"].get(side)
            if samples:
                data.append(samples)
                labels.append(f"{r.operation} ({side})")
                colors.append(color)
    if data:
        import matplotlib

        # ``orientation`` replaced ``vert`` in matplotlib 3.10; the project supports 3.8 up.
        sideways = ({"orientation": "horizontal"} if tuple(map(int, matplotlib.__version__.split(".")[:2])) >= (3, 10)
                    else {"vert": False})
        boxes = ax.boxplot(data, whis=(1, 99), showfliers=False, patch_artist=True, **sideways)
        ax.set_yticks(range(1, len(labels) + 1), labels)
        for patch, color in zip(boxes["boxes"], colors):
            patch.set_facecolor(color)
            patch.set_alpha(0.5)
    ax.set_xscale("log")
    ax.set_xlabel("ms per call (log scale; whiskers p1-p99)")
    ax.set_title(title)
    return ax.figure
