"""Run benchmark modules over a generated database and collect their rows into one report.

A benchmark module is any ``memlab/bench/<name>.py`` with ``run(...) -> list[Row]``; it is found
by name, so a module added later plugs in without touching this file. ``run`` gets, by
parameter name, whatever it asks for from: ``db_path`` (the generated database; ``path`` is
the same), ``db`` (that database opened with memlab, closed after the module), ``messages``,
``scale``, ``seed``, ``workdir`` (a scratch folder), ``progress``, and the per-module sizes in
``SIZES``. The generated database is built only if a module asks for it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import os
import pkgutil
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import ValidationError
from ..progress import bar as progress_bar
from . import Figures, Row

SCALES: dict[str, int] = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}

# Modules run in this order; any other benchmark module found runs after them, by name.
ORDER: tuple[str, ...] = ("write", "search", "analytics", "upkeep", "peers")

# Modules in memlab/bench that are not benchmarks.
NOT_BENCHMARKS = frozenset({"runner", "plots"})


def _clamp(n: int, low: int, high: int) -> int:
    return max(low, min(high, n))


# Sizes each module gets for a database of ``messages`` messages (only those it accepts).
SIZES: dict[str, Callable[[int], dict[str, Any]]] = {
    "write": lambda n: {
        "single": _clamp(n, 200, 2_000),
        "bulk": _clamp(n, 200, 100_000),
        "rounds": 5 if n < 1_000 else 10 if n < 100_000 else 20,
    },
}


@dataclass
class Report:
    """Everything one ``memlab bench`` run measured, with the machine it ran on."""

    rows: list[Row]
    machine: dict[str, Any]
    scale: str
    messages: int
    seed: int
    modules: list[str]
    seconds: float
    errors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "scale": self.scale,
            "messages": self.messages,
            "seed": self.seed,
            "modules": self.modules,
            "seconds": round(self.seconds, 3),
            "machine": self.machine,
            "rows": [r.as_dict() for r in self.rows],
            "errors": self.errors,
        }

    def write_json(self, path: str | os.PathLike[str]) -> Path:
        target = Path(path)
        target.write_text(json.dumps(self.as_dict(), indent=2) + "\n")
        return target

    def table(self) -> str:
        return format_table(self.rows)

    def markdown(self) -> str:
        return format_markdown(self.rows)

    def headline(self) -> list[str]:
        """What ran where: the lines printed above the table."""
        m = self.machine
        return [
            f"memlab bench: {self.messages:,} messages (scale {self.scale}, seed {self.seed}), {self.seconds:.1f} s",
            f"machine: {m['cpu_model'] or 'unknown CPU'}, {m['cpu_count']} CPUs, "
            f"{(m['memory_bytes'] or 0) / 2**30:.1f} GiB; Python {m['python']}, SQLite {m['sqlite']}, "
            f"memlab {m['memlab']}; {m['date']}",
        ]

    def document(self, title: str = "memlab benchmarks") -> str:
        """The run as a Markdown page: headline, the table, how to read the ratios, any failures."""
        lines = [f"# {title}", "", *(f"- {line}" for line in self.headline()), "", self.markdown(), "", RATIO_NOTE]
        lines += [f"\n**{name} failed:** {error}" for name, error in self.errors.items()]
        return "\n".join(lines) + "\n"

    def frame(self):
        """The rows as a pandas DataFrame, one column per figure (for notebooks)."""
        return frame(self.rows)


# -- discovery -----------------------------------------------------------------------------


def available() -> list[str]:
    """Names of the benchmark modules present, in running order."""
    from .. import bench

    names = {m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")}
    names -= NOT_BENCHMARKS
    first = [n for n in ORDER if n in names]
    return first + sorted(names - set(ORDER))


def load(name: str):
    """The benchmark module called ``name``; a clear error if there is none."""
    names = available()
    if name not in names:
        raise ValidationError(f"unknown benchmark {name!r}; available: {', '.join(names)}")
    module = importlib.import_module(f"{__package__}.{name}")
    if not callable(getattr(module, "run", None)):
        raise ValidationError(f"benchmark module {name!r} has no run() function")
    return module


def _call(fn: Callable[..., list[Row]], offered: dict[str, Any]) -> list[Row]:
    """Call ``fn`` with the offered values its signature names; fail clearly on a missing one.

    An offered value that is a ``_Lazy`` is computed only when a module asks for it (so a run
    of the write benchmark alone never builds the generated database).
    """
    params = inspect.signature(fn).parameters
    kwargs = {}
    for name, p in params.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if name in offered:
            value = offered[name]
            kwargs[name] = value() if isinstance(value, _Lazy) else value
        elif p.default is p.empty:
            raise ValidationError(f"{fn.__module__}.run needs {name!r}, which the runner does not offer")
    return list(fn(**kwargs))


class _Lazy:
    """A value computed on first use and then remembered."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make, self._done, self._value = make, False, None

    @property
    def ready(self) -> bool:
        return self._done

    def __call__(self) -> Any:
        if not self._done:
            self._value, self._done = self._make(), True
        return self._value


# -- the generated database ------------------------------------------------------------------


def corpus_path(db_dir: str | os.PathLike[str], messages: int, seed: int) -> Path:
    return Path(db_dir) / f"synth-{messages}-seed{seed}.db"


def _message_count(path: Path) -> int | None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def corpus(messages: int, *, seed: int = 0, db_dir: str | os.PathLike[str] = "bench-out",
           progress: bool | None = None) -> Path:
    """A database of ``messages`` generated messages, built once through memlab.synth and reused.

    It is built under a temporary name and renamed when complete, so an interrupted build is
    never mistaken for a finished one.
    """
    import memlab
    from memlab import synth

    folder = Path(db_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = corpus_path(folder, messages, seed)
    if path.exists() and _message_count(path) == messages:
        return path
    partial = path.with_name(f".{path.name}.partial")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with memlab.open(partial) as db:
        synth.generate(db, messages=messages, seed=seed, progress=progress)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.replace(partial, path)
    return path


# -- running -------------------------------------------------------------------------------


def resolve_scale(scale: str | None = None, messages: int | None = None) -> tuple[str, int]:
    """(label, message count) from a scale name or an explicit count."""
    if messages is not None:
        if isinstance(messages, bool) or not isinstance(messages, int) or messages < 10:
            raise ValidationError(f"messages must be a whole number of at least 10; got {messages!r}")
        return (scale or str(messages)), messages
    label = (scale or "1k").lower()
    if label not in SCALES:
        raise ValidationError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return label, SCALES[label]


def run(
    scale: str | None = "1k",
    *,
    only: Iterable[str] | None = None,
    messages: int | None = None,
    seed: int = 0,
    db_dir: str | os.PathLike[str] = "bench-out",
    keep: bool = False,
    progress: bool | None = None,
    on_row: Callable[[Row], None] | None = None,
) -> Report:
    """Build or reuse the generated database, run the chosen modules, return their rows.

    ``only`` names modules (default: all present). ``keep`` leaves the scratch folder (copies,
    backups, write-benchmark files) under ``db_dir`` instead of deleting it. A module that
    fails is recorded in ``Report.errors`` and the others still run.
    """
    label, count = resolve_scale(scale, messages)
    names = available() if only is None else [n.strip() for n in only if n.strip()]
    modules = {name: load(name) for name in names}  # unknown names fail before any work
    started = time.perf_counter()
    machine = machine_info()
    path = _Lazy(lambda: corpus(count, seed=seed, db_dir=db_dir, progress=progress))
    Path(db_dir).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"scratch-{label}-", dir=db_dir))
    rows: list[Row] = []
    errors: dict[str, str] = {}
    bar = progress_bar(total=len(modules), unit="module", desc="bench", progress=progress)
    try:
        for name, module in modules.items():
            bar.set_description(f"bench {name}")
            workdir = scratch / name
            workdir.mkdir()
            db = _Lazy(lambda: _open(path()))
            offered = {
                "db_path": path, "path": path, "db": db, "messages": count, "scale": label, "seed": seed,
                "workdir": workdir, "progress": progress,
                **SIZES.get(name, lambda n: {})(count),
            }
            try:
                got = _call(module.run, offered)
            except Exception as e:  # one broken module must not lose the others' figures
                errors[name] = f"{type(e).__name__}: {e}"
                got = []
            finally:
                if db.ready:
                    db().close()
            for row in got:
                apply_seed_target(row)
                rows.append(row)
                if on_row is not None:
                    on_row(row)
            bar.update(1)
    finally:
        bar.close()
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    if path.ready:
        machine["database_bytes"] = path().stat().st_size
    return Report(rows, machine, label, count, seed, list(modules), time.perf_counter() - started, errors)


def _open(path: Path):
    import memlab

    return memlab.open(path)


# -- the seed's targets --------------------------------------------------------------------


def apply_seed_target(row: Row) -> None:
    """Add the seed design report's target to the rows it speaks about, with whether it was met.

    The seed promised "single row insert < 1 ms" and "~1000 tx/sec" (one commit each) and
    "FTS5 search < 10 ms" (p95). A row that already carries a target keeps it; the seed's goes
    beside it in ``extra["seed_target"]`` / ``extra["seed_met"]``.
    """
    seed = None
    if row.group == "write" and row.operation.startswith("add one message") and row.memlab.per_s:
        seed = ("< 1 ms each, ~1,000 tx/s (seed)", 1000 / row.memlab.per_s < 1.0)
    elif row.group == "search" and row.memlab.p95_ms is not None and "(seed)" not in (row.target or ""):
        seed = ("p95 < 10 ms (seed, at 1,000 msgs)", row.memlab.p95_ms < 10.0)
    if seed is None:
        return
    if row.target is None:
        row.target, row.met = seed
    else:
        row.extra.setdefault("seed_target", seed[0])
        row.extra.setdefault("seed_met", seed[1])


# -- the machine ---------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """What the figures depend on: CPU, memory, Python, SQLite, memlab; and when."""
    import memlab

    info: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu_model": None,
        "memory_bytes": None,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "memlab": memlab.__version__,
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_bytes"] = int(line.split()[1]) * 1024
                break
    except OSError:
        pass  # not Linux: leave them unknown
    if info["cpu_model"] is None:
        info["cpu_model"] = platform.processor() or None
    return info


# -- showing -------------------------------------------------------------------------------


def _figure(f: Figures | None) -> str:
    if f is None or f.samples == 0:
        return "—"
    rate = f"{f.per_s:,.0f}/s" if f.per_s is not None else ""
    if f.p50_ms is None:
        return rate or "—"
    spread = f"{_ms(f.p50_ms)} / {_ms(f.p95_ms)} / {_ms(f.p99_ms)} ms"
    return f"{rate} ({spread})" if rate else spread


def _ms(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:.3f}" if v < 1 else f"{v:.2f}" if v < 100 else f"{v:,.0f}"


def _times(ratio: float) -> str:
    """A ratio with two decimals, or two significant digits below 0.1 (0.0021x, not 0.00x)."""
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x"


def _met(v: bool | None) -> str:
    return "" if v is None else "yes" if v else "NO"


def table_rows(rows: Iterable[Row]) -> list[dict[str, str]]:
    """Each row as the strings the terminal table shows."""
    out = []
    for r in rows:
        target, met = r.target or "", _met(r.met)
        if "seed_target" in r.extra:
            target = f"{target}; {r.extra['seed_target']}" if target else r.extra["seed_target"]
            met = f"{met}; {_met(r.extra.get('seed_met'))}" if met else _met(r.extra.get("seed_met"))
        ratio = r.ratio
        out.append({
            "group": r.group,
            "operation": r.operation,
            "n": f"{r.memlab.samples:,}" if r.memlab.samples else "—",
            "memlab (p50/p95/p99 or rate)": _figure(r.memlab),
            "raw / peer": _figure(r.raw),
            "memlab/raw": "—" if ratio is None else _times(ratio),
            "target": target,
            "met": met,
            "notes": r.notes,
        })
    return out


RATIO_NOTE = (
    "memlab/raw: for a rate, memlab's over raw's (above 1 = memlab faster); for latencies, memlab's p50 "
    "over raw's (below 1 = memlab faster). Peers rows: raw is the peer."
)


def format_table(rows: Iterable[Row]) -> str:
    """A plain text table; ratios are throughput memlab/raw (higher is better) or p50 latency (lower)."""
    cells = table_rows(rows)
    if not cells:
        return "(no rows)"
    cols = list(cells[0])
    width = {c: max(len(c), *(len(x[c]) for x in cells)) for c in cols}
    line = lambda d: "  ".join(d[c].ljust(width[c]) for c in cols).rstrip()  # noqa: E731
    out = [line({c: c for c in cols}), line({c: "-" * width[c] for c in cols})]
    group = None
    for x in cells:
        if group is not None and x["group"] != group:
            out.append("")
        group = x["group"]
        out.append(line(x))
    return "\n".join(out)


def format_markdown(rows: Iterable[Row]) -> str:
    """The same table as Markdown, for docs."""
    cells = table_rows(rows)
    if not cells:
        return ""
    cols = list(cells[0])
    esc = lambda v: v.replace("|", "\\|") or " "  # noqa: E731
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join(" --- " for _ in cols) + "|"]
    out += ["| " + " | ".join(esc(x[c]) for c in cols) + " |" for x in cells]
    return "\n".join(out)


def frame(rows: Iterable[Row]):
    """The rows as a pandas DataFrame: memlab and raw figures, ratio, target and met as columns."""
    import pandas as pd

    records = []
    for r in rows:
        d: dict[str, Any] = {"group": r.group, "operation": r.operation, "samples": r.memlab.samples}
        for side, f in (("memlab", r.memlab), ("raw", r.raw)):
            for k in ("p50_ms", "p95_ms", "p99_ms", "per_s"):
                d[f"{side}_{k}"] = getattr(f, k) if f is not None else None
        d.update(ratio=r.ratio, target=r.target, met=r.met,
                 seed_target=r.extra.get("seed_target"), seed_met=r.extra.get("seed_met"), notes=r.notes)
        records.append(d)
    return pd.DataFrame.from_records(records)
