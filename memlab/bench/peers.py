"""Peers side by side: the same conversations stored and read back through memlab and through
the OpenAI Agents SDK's ``SQLiteSession``, LangGraph's ``SqliteStore`` and ``llm``'s logs database.

Each system gets a fresh file and the same workload, taken from the generated database: the
first messages added one per commit, the rest in bulk where the system has a bulk path, then
the newest 10 messages of a conversation and a keyword search. A peer that has no way to do
an operation gets no figure ("—", with a note); a peer that isn't installed is reported as
such and skipped (``pip install 'memlab[peers]'`` installs them). Each row's ``raw`` side is
the peer; the ratio is memlab/peer.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import random
import re
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import memlab

from . import Figures, Row, latency

PEER_MESSAGES = 10_000  # the workload's size at most, whatever the generated database's
SINGLE = 1_000  # messages added one per commit, at most
RECENT_SAMPLES = 300
SEARCH_REPEATS = 5

# name -> (distribution, module to import, what is measured)
PEERS: dict[str, tuple[str, str, str]] = {
    "openai-agents": ("openai-agents", "agents", "OpenAI Agents SQLiteSession"),
    "langgraph": ("langgraph-checkpoint-sqlite", "langgraph.store.sqlite", "LangGraph SqliteStore"),
    "llm": ("llm", "llm", "llm logs database"),
}

ADD_ONE = "add one message + commit"
BULK = "bulk add"
RECENT = "newest 10 messages of a conversation"
SEARCH = "keyword search, top 10"
OPERATIONS = (ADD_ONE, BULK, RECENT, SEARCH)

INSTALL_HINT = "pip install 'memlab[peers]'"


@dataclass
class Workload:
    """Conversations (id, [(role, content), ...]) in the order they were written, and queries."""

    conversations: list[tuple[str, list[tuple[str, str]]]]
    single: int
    queries: list[str]
    recent_ids: list[str]

    def messages(self) -> Iterator[tuple[str, str, str]]:
        for cid, items in self.conversations:
            for role, content in items:
                yield cid, role, content

    @property
    def size(self) -> int:
        return sum(len(items) for _, items in self.conversations)


def load_workload(db_path: Path, count: int, *, seed: int = 0, single: int = SINGLE) -> Workload:
    """The first ``count`` messages of the generated database, and queries drawn from their words."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT conversation_id, role, content FROM messages ORDER BY id LIMIT ?", (count,)).fetchall()
    finally:
        conn.close()
    conversations: list[tuple[str, list[tuple[str, str]]]] = []
    for cid, role, content in rows:
        if not conversations or conversations[-1][0] != cid:
            conversations.append((cid, []))
        conversations[-1][1].append((role, content))
    rng = random.Random(seed)
    ids = [cid for cid, items in conversations if len(items) >= 2]
    recent = [rng.choice(ids) for _ in range(RECENT_SAMPLES)] if ids else []
    return Workload(conversations, min(single, len(rows) // 2), queries(rows, rng), recent)


def queries(rows: list[tuple[str, str, str]], rng: random.Random) -> list[str]:
    """Single words from the most common to the rare (by how many messages hold them) and word pairs."""
    df: Counter[str] = Counter()
    for _, _, content in rows:
        df.update(set(re.findall(r"[a-z]{3,}", content.lower())))
    ranked = [w for w, n in df.most_common() if n >= 2]
    if not ranked:
        return []
    picks = {ranked[0], ranked[min(5, len(ranked) - 1)], ranked[len(ranked) // 10], ranked[len(ranked) // 2],
             ranked[-1], ranked[(len(ranked) * 9) // 10]}
    words = sorted(picks)
    pairs = [f"{rng.choice(ranked[: max(1, len(ranked) // 5)])} {rng.choice(ranked)}" for _ in range(4)]
    return words + pairs


def installed(name: str) -> str | None:
    """The peer's version if it can be imported here, else None."""
    dist, module, _ = PEERS[name]
    try:
        importlib.import_module(module)
    except ImportError:
        return None
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown version"


@dataclass
class Timing:
    """What one system did for one operation: per-call durations (s), and messages for a rate."""

    durations: list[float]
    messages: int | None = None  # set for writes: the figure is then messages per second
    per_call: bool = True  # False for one timed bulk call: no latency percentiles

    def figures(self) -> Figures:
        total = sum(self.durations)
        rate = self.messages / total if self.messages is not None and total > 0 else None
        if not self.per_call:
            return Figures(samples=self.messages or 0, per_s=rate)
        f = latency(self.durations)
        if self.messages is not None:
            f.samples, f.per_s = self.messages, rate
        return f


def _calls(durations: list[float], messages: int | None = None) -> Timing | None:
    return Timing(durations, messages) if durations else None


def _bulk(seconds: float, messages: int) -> Timing | None:
    return Timing([seconds], messages, per_call=False) if messages else None


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# -- memlab ----------------------------------------------------------------------------------


def measure_memlab(w: Workload, path: Path) -> dict[str, Timing | None]:
    """The workload through memlab's public API."""
    db = memlab.open(path)
    try:
        with db.transaction():
            db.sessions.create("bench")
            for cid, _ in w.conversations:
                db.conversations.create("bench", cid)
        messages = list(w.messages())
        single = [_timed(lambda m=m: db.messages.add(m[0], m[1], m[2])) for m in messages[: w.single]]
        rest = messages[w.single:]
        bulk = _timed(lambda: db.messages.add_many(
            {"conversation_id": cid, "role": role, "content": content} for cid, role, content in rest))
        recent = [_timed(lambda c=c: db.messages.recent(conversation_id=c, limit=10)) for c in w.recent_ids]
        search = getattr(db, "search", None)
        found = []
        if callable(search):
            found = [_timed(lambda q=q: search(q, limit=10)) for q in w.queries * SEARCH_REPEATS]
    finally:
        db.close()
    return {ADD_ONE: _calls(single, len(single)), BULK: _bulk(bulk, len(rest)),
            RECENT: _calls(recent), SEARCH: _calls(found)}


# -- OpenAI Agents SDK ----------------------------------------------------------------------


def _run_coroutine(make):
    """Run ``make()``'s coroutine to the end, also from inside a running event loop (Jupyter):
    there it runs on a loop of its own in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()




def measure_openai_agents(w: Workload, path: Path) -> tuple[dict[str, Timing | None], dict[str, str]]:
    """SQLiteSession: one session per conversation; add_items, get_items(limit=10). No search."""
    from agents import SQLiteSession

    async def go() -> dict[str, Timing | None]:
        single: list[float] = []
        bulk = 0.0
        done = 0
        for cid, items in w.conversations:
            session = SQLiteSession(cid, path)
            await session.get_items(limit=1)  # opens the connection and creates the tables, untimed
            take = max(0, min(len(items), w.single - done))
            for role, content in items[:take]:
                t0 = time.perf_counter()
                await session.add_items([{"role": role, "content": content}])
                single.append(time.perf_counter() - t0)
            done += take
            if items[take:]:
                t0 = time.perf_counter()
                await session.add_items([{"role": r, "content": c} for r, c in items[take:]])
                bulk += time.perf_counter() - t0
            session.close()
        recent = []
        for cid in w.recent_ids:
            session = SQLiteSession(cid, path)
            await session.get_items(limit=1)
            t0 = time.perf_counter()
            await session.get_items(limit=10)
            recent.append(time.perf_counter() - t0)
            session.close()
        return {ADD_ONE: _calls(single, len(single)), BULK: _bulk(bulk, w.size - len(single)),
                RECENT: _calls(recent), SEARCH: None}

    figures = _run_coroutine(go)
    return figures, {
        BULK: "one add_items call per conversation (the API is per session)",
        SEARCH: "no search in SQLiteSession",
        ADD_ONE: "async API through asyncio.to_thread; WAL, synchronous=FULL (its defaults); no text index to keep",
    }


# -- LangGraph ------------------------------------------------------------------------------


def measure_langgraph(w: Workload, path: Path) -> tuple[dict[str, Timing | None], dict[str, str]]:
    """SqliteStore: one item per message under (conversation,) namespace; put, batch, search(limit=10)."""
    from langgraph.store.base import PutOp
    from langgraph.store.sqlite import SqliteStore

    with SqliteStore.from_conn_string(str(path)) as store:
        store.setup()
        messages = list(w.messages())
        single = [
            _timed(lambda i=i, m=m: store.put(("conversations", m[0]), f"{i:09d}", {"role": m[1], "content": m[2]}))
            for i, m in enumerate(messages[: w.single])
        ]
        ops = [PutOp(("conversations", cid), f"{i:09d}", {"role": role, "content": content})
               for i, (cid, role, content) in enumerate(messages) if i >= w.single]
        bulk = _timed(lambda: store.batch(ops)) if ops else 0.0
        recent = [_timed(lambda c=c: store.search(("conversations", c), limit=10)) for c in w.recent_ids]
    return {ADD_ONE: _calls(single, len(single)), BULK: _bulk(bulk, len(ops)), RECENT: _calls(recent), SEARCH: None}, {
        ADD_ONE: "rollback journal, synchronous=FULL (its defaults); no text index to keep",
        BULK: "one batch() call; no text index to keep",
        RECENT: "search(namespace, limit=10): newest by updated_at, whole seconds",
        SEARCH: "text search needs an embedding index (a model); without one the query is ignored",
    }


# -- llm ------------------------------------------------------------------------------------


def measure_llm(w: Workload, path: Path) -> tuple[dict[str, Timing | None], dict[str, str]]:
    """llm's logs database, written by llm's own Response.log_to_db: one prompt + reply per commit.

    A local model class answers with the workload's next message, so nothing leaves the machine;
    `llm logs -q` and `llm logs --cid -n` are llm.logs.merged_log_rows, called as the CLI does.
    """
    import llm
    import sqlite_utils
    from llm.logs import LogStore, merged_log_rows
    from llm.migrations import migrate

    class Replay(llm.Model):
        model_id = "memlab-bench-replay"
        can_stream = False
        reply = ""

        def execute(self, prompt, stream, response, conversation=None):
            yield self.reply

    db = sqlite_utils.Database(path)
    migrate(db)
    model = Replay()
    threads: dict[str, str] = {}
    single: list[float] = []
    logged = 0
    for cid, items in w.conversations:
        conversation = model.conversation()
        for k in range(0, len(items), 2):
            model.reply = items[k + 1][1] if k + 1 < len(items) else ""
            response = conversation.prompt(items[k][1])
            response.text()
            took = _timed(lambda r=response: r.log_to_db(db))
            pair = min(2, len(items) - k)
            if logged < w.single:
                single.append(took)
                logged += pair
        threads[cid] = conversation.id
    store = LogStore(db)
    recent = [_timed(lambda t=threads[c]: merged_log_rows(store, count=5, thread_id=t)) for c in w.recent_ids]
    search = [_timed(lambda q=q: merged_log_rows(store, count=10, query=q)) for q in w.queries * SEARCH_REPEATS]
    db.close()
    return {ADD_ONE: _calls(single, logged), BULK: None, RECENT: _calls(recent), SEARCH: _calls(search)}, {
        ADD_ONE: "one prompt + reply (2 messages) per log_to_db; rate counts messages; rollback journal (its default)",
        BULK: "no bulk path: llm logs one response at a time",
        RECENT: "llm logs --cid -n 5 (5 exchanges = 10 messages)",
        SEARCH: "llm logs -q (bm25 over turn_search_fts)",
    }


MEASURE = {"openai-agents": measure_openai_agents, "langgraph": measure_langgraph, "llm": measure_llm}


def run(db_path: Path, workdir: Path, messages: int = 1_000, seed: int = 0,
        peers: tuple[str, ...] = tuple(PEERS)) -> list[Row]:
    """The workload through memlab and each installed peer; one row per peer and operation."""
    workdir = Path(workdir)
    w = load_workload(db_path, min(messages, PEER_MESSAGES), seed=seed)
    mine = measure_memlab(w, workdir / "memlab.db")
    rows: list[Row] = []
    for name in peers:
        label = PEERS[name][2]
        version = installed(name)
        if version is None:
            rows.append(Row("peers", f"{label}", Figures(samples=0), None,
                            notes=f"{PEERS[name][0]} not installed ({INSTALL_HINT}); skipped"))
            continue
        theirs, notes = MEASURE[name](w, workdir / f"{name}.db")
        for op in OPERATIONS:
            m, t = mine[op], theirs[op]
            if m is None and t is None:
                continue
            note = notes.get(op, "")
            if m is None:
                note = "; ".join(filter(None, [note, "memlab: not measured in this build"]))
            extra = {"peer": name, "peer_version": version, "workload_messages": w.size}
            if (m is None or m.per_call) and (t is None or t.per_call):
                extra["samples_ms"] = {side: [round(d * 1000, 4) for d in x.durations]
                                       for side, x in (("memlab", m), ("raw", t)) if x is not None}
            rows.append(Row("peers", f"{label}: {op}", m.figures() if m else Figures(samples=0),
                            t.figures() if t else None,
                            notes="; ".join(filter(None, [f"{PEERS[name][0]} {version}", note])), extra=extra))
    return rows
